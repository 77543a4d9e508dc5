import {
  type ColumnState,
  type QualifiedName,
  type StatementContext,
  defineRule,
  displayName,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
} from '../src/api.js';
import { BACKUP_FIRST, columnUnusedDirective, isContractStep, migrationStep, triggerDrops, triggersUsing } from './support/help.js';
import { columnsDroppedBy } from './support/alter-table.js';
import { columnsRead } from './support/backfill.js';
import { ReportsUntilCommit } from './support/deferred.js';
import { COLUMN_OWNERS } from './support/rewrite.js';
import { isOwnCreation } from './support/objects.js';

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
      'migration added, a column copied into another that is renamed to the dropped name in the same',
      'transaction (`UPDATE t SET r_new = r::text; ALTER TABLE t DROP COLUMN r; ALTER TABLE t RENAME COLUMN',
      'r_new TO r;`: the application never sees the name missing, and the data is kept; its new type is',
      'column-type-change\'s business), and the contract step of a rename: dropping a column that an earlier',
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
    // A drop is reported when its transaction ends: a column copied into another and renamed back to
    // the dropped name before the commit keeps the name and the data for the application.
    const drops = new ReportsUntilCommit<{ readonly table: string; readonly column: string }>();
    /** Copies made in the current transaction, `table\0to\0from`: `UPDATE t SET r_tmp = r::text`. */
    let copies = new Set<string>();
    return {
      Statement(node, statement) {
        if (drops.next(statement)) copies = new Set();
        const update = nodeOf(node, 'UpdateStmt');
        const updated = nameOfRangeVar(update?.relation);
        if (update && updated) {
          const tableKey = statement.schema.key(updated);
          for (const target of update.targetList ?? []) {
            const assignment = nodeOf(target, 'ResTarget');
            for (const source of columnsRead(assignment?.val)) if (assignment?.name !== undefined) copies.add(`${tableKey}\0${assignment.name}\0${source}`);
          }
        }
        const rename = nodeOf(node, 'RenameStmt');
        const renamed = nameOfRangeVar(rename?.relation);
        if (rename?.renameType === 'OBJECT_COLUMN' && renamed && rename.subname !== undefined && rename.newname !== undefined) {
          const tableKey = statement.schema.key(renamed);
          const copied = `${tableKey}\0${rename.subname}\0${rename.newname}`;
          if (copies.has(copied)) drops.withdraw((drop) => drop.table === tableKey && drop.column === rename.newname);
        }
      },
      'File:exit': drops.flush,
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || !COLUMN_OWNERS.has(node.objtype ?? '') || statement.schema.isNewTable(node.relation)) return;
        for (const dropped of columnsDroppedBy(node)) {
          const column = statement.schema.column(table, dropped);
          if (isHarmless(statement, table, column)) continue;
          const name = quoteIdentifier(dropped);
          const report = {
            message: `DROP COLUMN ${name} on ${displayName(table)}: every query of the running application that still reads or writes ${name} fails from the moment the migration commits, and its data is gone for good.`,
            help: help(table, name, column, primaryKeyOf(statement, table, dropped), triggerDrops(statement, table, triggersUsing(statement, table, dropped))),
          };
          drops.hold(statement, report, { table: statement.schema.key(table), column: dropped });
        }
      },
    };
  },
});

function isHarmless(statement: StatementContext, table: QualifiedName, column: ColumnState | undefined): boolean {
  return isOwnCreation(statement, column?.origin) || isContractStep(statement, table, column);
}

/** The primary key constraint a column is part of: PostgreSQL keeps such a column NOT NULL while the key exists. */
function primaryKeyOf(statement: StatementContext, table: QualifiedName, column: string): string | undefined {
  const constraints = statement.schema.table(table)?.constraints.values() ?? [];
  return [...constraints].find((constraint) => constraint.kind === 'primary-key' && constraint.columns.includes(column))?.name;
}

function help(table: QualifiedName, column: string, state: ColumnState | undefined, primaryKey: string | undefined, dropTriggersFirst: readonly string[]): string {
  const tableName = displayName(table);
  const required = state?.notNull === true && !state.hasDefault;
  // While the primary key exists PostgreSQL refuses DROP NOT NULL, and dropping the key early would leave the running code's lookups without their index.
  const allowInserts =
    primaryKey === undefined
      ? migrationStep(1, `let code that no longer writes ${column} insert rows`, `ALTER TABLE ${tableName} ALTER COLUMN ${column} DROP NOT NULL;`)
      : migrationStep(
          1,
          `${column} is in the primary key ${quoteIdentifier(primaryKey)}, which keeps it NOT NULL: give it a default so code that no longer writes it can insert rows`,
          `ALTER TABLE ${tableName} ALTER COLUMN ${column} SET DEFAULT <the expression that gives each new row a unique value>;`,
        );
  const steps = [
    ...(required ? [allowInserts] : []),
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
