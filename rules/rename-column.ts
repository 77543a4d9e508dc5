import { type ColumnState, type QualifiedName, type StatementContext, defineRule, displayName, formatTypeName, nameOfRangeVar, quoteIdentifier } from '../src/api.js';
import { expandContract } from './support/expand-contract.js';
import { migrationStep } from './support/help.js';

export default defineRule({
  id: 'rename-column',
  meta: {
    description: 'RENAME COLUMN on an existing table breaks the application version that is still running.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'The rename itself is instant (a brief ACCESS EXCLUSIVE lock), but from the moment it commits every',
      'query of the running application that names the old column fails, until the last instance runs the',
      'new version. Deploys are never atomic: old and new code always overlap.',
      '',
      'Expand and contract instead: add the new column, keep it in sync with a trigger,',
      'backfill it, switch the application to it, and drop the old column in a later migration.',
      '',
      'The sync goes both ways, unlike a one-way trigger (`NEW.new_name := NEW.old_name` on every write):',
      'while both versions run, the old one writes only old_name and the new one only new_name. A one-way',
      'copy overwrites every update of the new version with the old value, and fails its inserts when',
      'old_name is NOT NULL. The two-way trigger copies whichever column the write changed (checked on real',
      'PostgreSQL with both versions writing before, during and after each step).',
    ].join('\n'),
    bad: 'ALTER TABLE agents RENAME COLUMN old_name TO new_name;',
    good: [
      '-- Migration 1: add the new column and keep both columns in sync',
      'ALTER TABLE agents ADD COLUMN new_name VARCHAR(255);',
      'CREATE OR REPLACE FUNCTION agents_sync_new_name() RETURNS trigger LANGUAGE plpgsql AS $$',
      'BEGIN',
      "  IF TG_OP = 'INSERT' THEN",
      '    IF NEW.new_name IS NULL THEN',
      '      NEW.new_name := NEW.old_name;',
      '    ELSE',
      '      NEW.old_name := NEW.new_name;',
      '    END IF;',
      '  ELSIF NEW.new_name IS DISTINCT FROM OLD.new_name THEN',
      '    NEW.old_name := NEW.new_name;',
      '  ELSIF NEW.old_name IS DISTINCT FROM OLD.old_name THEN',
      '    NEW.new_name := NEW.old_name;',
      '  END IF;',
      '  RETURN NEW;',
      'END;',
      '$$;',
      'CREATE TRIGGER agents_sync_new_name BEFORE INSERT OR UPDATE ON agents',
      '  FOR EACH ROW EXECUTE FUNCTION agents_sync_new_name();',
      '-- Backfill in batches (repeat until 0 rows):',
      'UPDATE agents SET new_name = old_name',
      'WHERE id IN (SELECT id FROM agents WHERE new_name IS DISTINCT FROM old_name LIMIT 10000);',
      '-- Deploy the application using new_name; then, once no running code uses old_name:',
      '-- Migration 2: drop the sync trigger and old_name',
      'DROP TRIGGER agents_sync_new_name ON agents;',
      'DROP FUNCTION agents_sync_new_name();',
      'ALTER TABLE agents DROP COLUMN old_name;',
    ].join('\n'),
  },
  create() {
    return {
      RenameStmt(node, statement) {
        if (node.renameType !== 'OBJECT_COLUMN' || node.subname === undefined || node.newname === undefined) return;
        const table = nameOfRangeVar(node.relation);
        if (!table || statement.schema.isNewTable(node.relation)) return;
        const column = statement.schema.column(node.relation, node.subname);
        if (statement.schema.isNew(column?.origin) || isRollbackOfRename(statement, column?.renamedFrom, node.newname)) return;
        const from = quoteIdentifier(node.subname);
        const to = quoteIdentifier(node.newname);
        statement.report({
          message: `RENAME COLUMN ${from} TO ${to} on ${displayName(table)} breaks the running application: every query still using ${from} fails from the moment the migration commits until the last instance runs the new version.`,
          help: isView(node.relationType, statement.schema.table(table)?.kind)
            ? viewBothNames(table, from, to)
            : expandContract(statement, {
                table,
                from,
                to,
                // Where the history does not tell the type, text with a note: a placeholder in its place would not parse.
                ...typeOrText(formatTypeName(column?.type), from),
                value: { inTrigger: `NEW.${from}`, inBackfill: from, back: `NEW.${to}` },
              }),
        });
      },
    };
  },
});

/** A rollback that renames back what its migration renamed restores the old interface: that is its job. */
function isRollbackOfRename(statement: StatementContext, renamedFrom: ColumnState['renamedFrom'], newName: string): boolean {
  return statement.file.part === 'down' && renamedFrom?.name === newName && statement.schema.isOwnedByThisMigration(renamedFrom.origin);
}

function isView(relationType: string | undefined, kind: string | undefined): boolean {
  return relationType === 'OBJECT_VIEW' || relationType === 'OBJECT_MATVIEW' || kind === 'view' || kind === 'materialized-view';
}

/** A view cannot gain a synced column: it shows both names for a while (CREATE OR REPLACE VIEW may add columns at the end). */
function viewBothNames(view: QualifiedName, from: string, to: string): string {
  const name = displayName(view);
  return [
    migrationStep(1, `show ${to} beside ${from}: the same query, with the new name added as the last column`, `CREATE OR REPLACE VIEW ${name} AS SELECT <the view's current columns>, ${from} AS ${to} FROM <its tables>;`),
    `-- Deploy the application reading ${to}; then, once no running code uses ${from}:`,
    migrationStep(2, `recreate the view without ${from}, in one transaction so no query sees it missing (CREATE OR REPLACE VIEW cannot drop a column)`, `DROP VIEW ${name};\nCREATE VIEW ${name} AS SELECT <the other columns>, <the source of ${from}> AS ${to} FROM <its tables>;`),
  ].join('\n');
}

function typeOrText(knownType: string | undefined, from: string): { type: string; typeNote?: string } {
  return knownType ? { type: knownType } : { type: 'text', typeNote: `or the type of ${from}, if it is not text` };
}
