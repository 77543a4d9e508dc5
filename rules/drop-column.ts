import {
  type AlterTableStmt,
  type ColumnState,
  type QualifiedName,
  type ReportDescriptor,
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
      'with `record "new" has no field "old_name"`. A column dropped and added again under its name in the same',
      'transaction (`DROP COLUMN c, ADD COLUMN c <new type>`) keeps the name: its finding is the values lost.',
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
    const drops = new ReportsUntilCommit<{ readonly table: string; readonly column: string; readonly name: QualifiedName; readonly at: StatementContext; readonly readded: boolean }>();
    /** A column dropped and added again under its name: the name stays, the values go. */
    const readd = (table: QualifiedName, column: string, at: StatementContext): void => {
      const tableKey = at.schema.key(table);
      drops.withdraw((drop) => drop.table === tableKey && drop.column === column && !drop.readded);
      drops.hold(at, replacedReport(table, column), { table: tableKey, column, name: table, at, readded: true });
    };
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
        const alter = nodeOf(node, 'AlterTableStmt');
        const altered = nameOfRangeVar(alter?.relation);
        if (alter && altered) {
          const tableKey = statement.schema.key(altered);
          for (const column of columnsAddedIn(alter)) {
            const dropped = drops.find((drop) => drop.table === tableKey && drop.column === column && !drop.readded);
            if (dropped) readd(dropped.name, column, dropped.at);
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
          // Added again by the same ALTER TABLE (`DROP COLUMN c, ADD COLUMN c <new type>`, as Prisma changes a type it cannot cast).
          if (columnsAddedIn(node).includes(dropped)) readd(table, dropped, statement);
          else drops.hold(statement, report, { table: statement.schema.key(table), column: dropped, name: table, at: statement, readded: false });
        }
      },
    };
  },
});

/** The names of the columns an ALTER TABLE adds. */
function columnsAddedIn(node: AlterTableStmt): string[] {
  return (node.cmds ?? []).flatMap((command) => {
    const add = nodeOf(command, 'AlterTableCmd');
    const column = add?.subtype === 'AT_AddColumn' ? nodeOf(add.def, 'ColumnDef')?.colname : undefined;
    return column === undefined ? [] : [column];
  });
}

function replacedReport(table: QualifiedName, column: string): ReportDescriptor {
  const name = quoteIdentifier(column);
  return {
    message: `DROP COLUMN ${name} on ${displayName(table)}, added again in the same transaction: queries naming ${name} keep working, but every value it held is gone for good (from the commit each row reads NULL or the new column's default).`,
    help: [
      BACKUP_FIRST,
      `-- To change the type of ${name} and keep its values, take column-type-change's path instead: a new column, backfilled`,
      `-- in batches and kept in sync, the code switched to it, the old one dropped in a later migration.`,
      `-- If the values may go, say so where it happens:`,
      `-- migrate-safe-ignore drop-column: <why the values of ${name} may go>`,
    ].join('\n'),
  };
}

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
