import { type TableObjectState, defineRule, displayName, nameOfRangeVar, quoteIdentifier } from '../src/api.js';
import { columnsDroppedBy } from './support/alter-table.js';
import { columnUnusedDirective, isContractStep, triggerDrops, triggersUsing } from './support/help.js';

/** The first migration of an expand/contract rename: the column and the trigger that fills it from the old one. */
const GUIDE_SYNC_TRIGGER = [
  '-- Migration 1: the new column, kept in sync by a trigger',
  'ALTER TABLE agents ADD COLUMN new_name VARCHAR(255);',
  'CREATE OR REPLACE FUNCTION sync_column_name() RETURNS TRIGGER AS $$',
  'BEGIN',
  '    NEW.new_name := NEW.old_name;',
  '    RETURN NEW;',
  'END;',
  '$$ LANGUAGE plpgsql;',
  'CREATE TRIGGER sync_name_trigger BEFORE INSERT OR UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION sync_column_name();',
];

export default defineRule({
  id: 'drop-column-used-by-trigger',
  meta: {
    description: 'DROP COLUMN while a trigger on the table still runs a function that uses the column.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'PL/pgSQL resolves `NEW.col` and `OLD.col` when the trigger fires, not when the function is created.',
      'Drop a column that a trigger function still names and PostgreSQL accepts the migration; from then on',
      'every INSERT or UPDATE that fires the trigger fails with `record "new" has no field "col"`: a write',
      'outage that starts after the migration succeeded.',
      '',
      'This is the trap in the last step of an expand/contract rename: the sync trigger of step 2 copies',
      '`NEW.new_name := NEW.old_name`, so dropping `old_name` while it exists stops all writes. A plain last',
      'step (`ALTER TABLE agents DROP COLUMN old_name;`) runs into it: drop the trigger and its',
      'function first, in the same migration. The rule knows the triggers and functions the migrations',
      'created; functions created elsewhere are not read.',
    ].join('\n'),
    bad: [
      ...GUIDE_SYNC_TRIGGER,
      '-- Migration 2: the trigger still reads NEW.old_name',
      'ALTER TABLE agents DROP COLUMN old_name;',
    ].join('\n'),
    good: [
      ...GUIDE_SYNC_TRIGGER,
      '-- Migration 2: the trigger goes before the column',
      'DROP TRIGGER IF EXISTS sync_name_trigger ON agents;',
      'DROP FUNCTION IF EXISTS sync_column_name();',
      'ALTER TABLE agents DROP COLUMN old_name;',
    ].join('\n'),
  },
  create() {
    return {
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table) return;
        for (const dropped of columnsDroppedBy(node)) {
          const users = triggersUsing(statement, table, dropped);
          if (users.length === 0) continue;
          const column = quoteIdentifier(dropped);
          const them = users.length === 1 ? 'it' : 'them';
          statement.report({
            message: `DROP COLUMN ${column} on ${displayName(table)} while ${listTriggers(users)} still use${users.length === 1 ? 's' : ''} it: from then on every INSERT and UPDATE on ${displayName(table)} that fires ${them} fails with 'record "new" has no field "${dropped}"'.`,
            help: [
              '-- In the same migration, first the triggers that use the column, then the column:',
              ...triggerDrops(statement, table, users),
              // The contract step of a rename is the one drop of a column in use that drop-column accepts.
              ...(isContractStep(statement, table, statement.schema.column(table, dropped)) ? [] : [columnUnusedDirective(column)]),
              `ALTER TABLE ${displayName(table)} DROP COLUMN ${column};`,
            ].join('\n'),
          });
        }
      },
    };
  },
});

function listTriggers(triggers: readonly TableObjectState[]): string {
  const names = triggers.map((trigger) => `trigger ${quoteIdentifier(trigger.name)}`);
  return names.length === 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}
