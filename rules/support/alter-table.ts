import { type AlterTableCmd, type AlterTableStmt, type ColumnDef, type Constraint, type QualifiedName, type StatementContext, constraintsOf, formatTypeName, nameOfRangeVar, nodeOf } from '../../src/api.js';
import { rewritesTable } from './locks.js';
import { holdsFewRows } from './rows.js';

/** An ALTER TABLE of a table that holds rows and serves the application. */
export interface ExistingTableChange {
  readonly table: QualifiedName;
  readonly commands: readonly AlterTableCmd[];
}

/** The table and subcommands of an ALTER TABLE, unless the table was created earlier in this migration (no rows, no users yet). */
export function changeOfExistingTable(node: AlterTableStmt, statement: StatementContext): ExistingTableChange | undefined {
  const table = nameOfRangeVar(node.relation);
  if (!table || statement.schema.isNewTable(node.relation)) return undefined;
  return { table, commands: (node.cmds ?? []).flatMap((command) => nodeOf(command, 'AlterTableCmd') ?? []) };
}

/**
 * The same, unless the table has no rows at this point either: every row was deleted earlier in
 * the same transaction. For what fails on any row (a NOT NULL column to fill), not on locks.
 */
export function changeOfTableWithRows(node: AlterTableStmt, statement: StatementContext): ExistingTableChange | undefined {
  return statement.schema.isEmptyTable(node.relation) ? undefined : changeOfExistingTable(node, statement);
}

/**
 * The same, unless the migration makes sure the table holds few rows here (none, or a row-count guard
 * around the statement: `holdsFewRows`). For what takes time per row: a scan, a rewrite, an index build.
 */
export function changeOfTableWithManyRows(node: AlterTableStmt, statement: StatementContext): ExistingTableChange | undefined {
  return holdsFewRows(statement, node.relation) ? undefined : changeOfExistingTable(node, statement);
}

/** The names of the columns an ALTER TABLE drops, in order. */
export function columnsDroppedBy(node: AlterTableStmt): string[] {
  return (node.cmds ?? []).flatMap((command) => {
    const drop = nodeOf(command, 'AlterTableCmd');
    return drop?.subtype === 'AT_DropColumn' && drop.name !== undefined ? [drop.name] : [];
  });
}

/** The named columns an ALTER TABLE adds, in order. */
export function columnsAddedBy(change: ExistingTableChange): NamedColumn[] {
  return change.commands.flatMap((command) => {
    const column = addedColumn(command);
    return column && isNamed(column) ? [column] : [];
  });
}

export type NamedColumn = ColumnDef & { readonly colname: string };

function isNamed(column: ColumnDef): column is NamedColumn {
  return column.colname !== undefined;
}

/** The column of `ADD COLUMN`. */
function addedColumn(command: AlterTableCmd): ColumnDef | undefined {
  return command.subtype === 'AT_AddColumn' ? nodeOf(command.def, 'ColumnDef') : undefined;
}

/** The constraint of `ADD CONSTRAINT` (or of a bare `ADD PRIMARY KEY`, `ADD FOREIGN KEY` ...). */
export function addedConstraint(command: AlterTableCmd): Constraint | undefined {
  return command.subtype === 'AT_AddConstraint' ? nodeOf(command.def, 'Constraint') : undefined;
}

/**
 * What an ALTER TABLE of an existing table with rows adds: its constraints, and its new columns unless the
 * statement rewrites the table (add-column-rewrite reports that, and its help adds their constraints safely).
 */
export function additionsOf(node: AlterTableStmt, statement: StatementContext): { table: QualifiedName; constraints: Constraint[]; columns: ColumnDef[] } | undefined {
  const change = changeOfTableWithManyRows(node, statement);
  if (!change) return undefined;
  return {
    table: change.table,
    constraints: change.commands.flatMap((command) => addedConstraint(command) ?? []),
    columns: rewritesTable(statement) ? [] : columnsAddedBy(change),
  };
}

const SELF_FILLING_TYPES = new Set(['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8']);

/** NOT NULL (or PRIMARY KEY) with nothing that gives existing rows a value. */
export function lacksValuesForExistingRows(column: ColumnDef): boolean {
  const kinds = new Set(constraintsOf(column).map((constraint) => constraint.contype));
  const notNull = kinds.has('CONSTR_NOTNULL') || kinds.has('CONSTR_PRIMARY');
  const filled = kinds.has('CONSTR_DEFAULT') || kinds.has('CONSTR_IDENTITY') || kinds.has('CONSTR_GENERATED');
  const serial = SELF_FILLING_TYPES.has(formatTypeName(column.typeName) ?? '');
  return notNull && !filled && !serial;
}
