import { type ColumnState, type QualifiedName, type StatementContext, defineRule, displayName, nameOfRangeVar, quoteIdentifier } from '../src/api.js';
import { BACKUP_FIRST, columnUnusedDirective, isContractStep, migrationStep, triggerDrops, triggersUsing } from './support/help.js';
import { columnsDroppedBy } from './support/alter-table.js';
import { COLUMN_OWNERS } from './support/rewrite.js';

export default defineRule({
  id: 'drop-column',
  meta: {
    description: 'DROP COLUMN on an existing table breaks application code that still reads or writes the column.',
    severity: 'warn',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'From the moment the drop commits, every query of the running application that names the column fails',
      'with "column does not exist", including `INSERT`s that list it and ORMs that select every mapped',
      'column. The data is gone with it: a rollback can add the column back, but not its values. The lock',
      '(ACCESS EXCLUSIVE) is brief: the column is only marked dropped.',
      '',
      'The safe order: first deploy application code that neither reads nor writes the column (if it is',
      'NOT NULL without a default, make it nullable first so that code can insert rows), then drop it in a',
      'later migration (the last step of an expand/contract rename). The linter cannot see the application\'s code, so this',
      'is a warning; once that deploy is out, say so with a directive on the drop.',
      '',
      'Not reported: a column added earlier in the same migration, a rollback dropping a column its own',
      'migration added, and the contract step of a rename: dropping a column that an earlier',
      'migration mirrored into its replacement with a `BEFORE INSERT OR UPDATE` trigger',
      '(`NEW.new_name := NEW.old_name`). Drop that trigger and its function before the column, in the same',
      'migration: a trigger function that still reads `NEW.old_name` makes every INSERT and UPDATE fail',
      'with `record "new" has no field "old_name"`.',
    ].join('\n'),
    bad: 'ALTER TABLE agents DROP COLUMN old_name;',
    good: [
      '-- Deploy application code that neither reads nor writes old_name, then, in a later migration:',
      '-- migrate-safe-ignore drop-column: no running code uses old_name since release 2024.06',
      'ALTER TABLE agents DROP COLUMN old_name;',
    ].join('\n'),
  },
  create() {
    return {
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || !COLUMN_OWNERS.has(node.objtype ?? '') || statement.schema.isNewTable(node.relation)) return;
        for (const dropped of columnsDroppedBy(node)) {
          const column = statement.schema.column(table, dropped);
          if (isHarmless(statement, table, column)) continue;
          const name = quoteIdentifier(dropped);
          statement.report({
            message: `DROP COLUMN ${name} on ${displayName(table)}: every query of the running application that still reads or writes ${name} fails from the moment the migration commits, and its data is gone for good.`,
            help: help(table, name, column, triggerDrops(statement, table, triggersUsing(statement, table, dropped))),
          });
        }
      },
    };
  },
});

function isHarmless(statement: StatementContext, table: QualifiedName, column: ColumnState | undefined): boolean {
  const { schema, file } = statement;
  if (schema.isNew(column?.origin)) return true;
  if (file.part === 'down' && schema.isOwnedByThisMigration(column?.origin)) return true;
  return isContractStep(statement, table, column);
}

function help(table: QualifiedName, column: string, state: ColumnState | undefined, dropTriggersFirst: readonly string[]): string {
  const tableName = displayName(table);
  const required = state?.notNull === true && !state.hasDefault;
  const steps = [
    ...(required ? [migrationStep(1, `let code that no longer writes ${column} insert rows`, `ALTER TABLE ${tableName} ALTER COLUMN ${column} DROP NOT NULL;`)] : []),
    `-- Deploy application code that neither reads nor writes ${column} (queries, INSERT column lists, ORM models).`,
    BACKUP_FIRST,
    migrationStep(
      required ? 2 : 1,
      'once that deploy has fully rolled out, drop the column, saying so where it happens',
      [...dropTriggersFirst, columnUnusedDirective(column), `ALTER TABLE ${tableName} DROP COLUMN ${column};`].join('\n'),
    ),
  ];
  return steps.join('\n');
}
