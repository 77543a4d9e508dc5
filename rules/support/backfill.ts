import {
  type A_Expr,
  type Node,
  type QualifiedName,
  type RangeVar,
  type StatementContext,
  displayName,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
  stringsOf,
  unwrap,
  walk,
} from '../../src/api.js';
import { batchedDelete, batchedUpdate, keyColumn, keyRangeBatches } from './help.js';
import { splitTopLevel, topLevelClauses } from './sql-text.js';

/** The guide's backfill step (`UPDATE agents SET new_field = 'default_value' WHERE new_field IS NULL`) in batches. */
export const GUIDE_BACKFILL_IN_BATCHES = batchedUpdate({ schema: undefined, name: 'agents' }, 'id', "new_field = 'default_value'", 'new_field IS NULL');

/** A statement that writes rows of a table in bulk: UPDATE, DELETE, INSERT ... SELECT or MERGE. */
export interface RowWrite {
  readonly verb: 'UPDATE' | 'DELETE' | 'INSERT' | 'MERGE';
  readonly relation: RangeVar;
  readonly table: QualifiedName;
  /** Whether a bounded set of rows is written: a batch, a key range, a few keys. */
  readonly bounded: boolean;
}

/**
 * The row write a statement is, or undefined for anything else (INSERT ... VALUES is no backfill,
 * and a write to a system catalog is no application table's: system-catalog-write covers it).
 */
export function rowWriteOf(statement: StatementContext): RowWrite | undefined {
  const [type, fields] = unwrap(statement.statement.node);
  const relation = fields.relation as RangeVar | undefined;
  const table = nameOfRangeVar(relation);
  if (!relation || !table || statement.schema.isSystemCatalog(table)) return undefined;
  const keys = keyColumns(statement, table);
  switch (type) {
    case 'UpdateStmt':
      return { verb: 'UPDATE', relation, table, bounded: isBounded(fields.whereClause as Node | undefined, keys) };
    case 'DeleteStmt':
      return { verb: 'DELETE', relation, table, bounded: isBounded(fields.whereClause as Node | undefined, keys) };
    case 'MergeStmt':
      return { verb: 'MERGE', relation, table, bounded: false };
    case 'InsertStmt': {
      const select = nodeOf(fields.selectStmt as Node | undefined, 'SelectStmt');
      const readsRows = select !== undefined && ((select.fromClause ?? []).length > 0 || (select.op ?? 'SETOP_NONE') !== 'SETOP_NONE');
      return readsRows ? { verb: 'INSERT', relation, table, bounded: select.limitCount !== undefined } : undefined;
    }
    default:
      return undefined;
  }
}

/** Columns that identify a row: single-column primary keys and unique constraints, `id` and `ctid`. */
function keyColumns(statement: StatementContext, table: QualifiedName): Set<string> {
  const keys = new Set(['id', 'ctid']);
  for (const constraint of statement.schema.table(table)?.constraints.values() ?? []) {
    const [column] = constraint.columns;
    if ((constraint.kind === 'primary-key' || constraint.kind === 'unique') && constraint.columns.length === 1 && column !== undefined) keys.add(column);
  }
  return keys;
}

/**
 * A WHERE clause that bounds the rows written: `key IN (SELECT ... LIMIT n)`, a range with both
 * ends on one column (`BETWEEN`, or `>=` and `<`), or equality with a key or a list of keys.
 */
function isBounded(expression: Node | undefined, keys: ReadonlySet<string>): boolean {
  const bool = nodeOf(expression, 'BoolExpr');
  const args = bool?.args ?? [];
  if (bool?.boolop === 'AND_EXPR') return args.some((arg) => isBounded(arg, keys)) || hasClosedRange(args);
  if (bool?.boolop === 'OR_EXPR') return args.length > 0 && args.every((arg) => isBounded(arg, keys));
  const sublink = nodeOf(expression, 'SubLink');
  if (sublink) return sublink.subLinkType === 'ANY_SUBLINK' && isLimited(sublink.subselect);
  const comparison = nodeOf(expression, 'A_Expr');
  if (!comparison) return false;
  if (comparison.kind === 'AEXPR_BETWEEN' || comparison.kind === 'AEXPR_BETWEEN_SYM') return true;
  if (operatorOf(comparison) !== '=') return false;
  switch (comparison.kind) {
    case 'AEXPR_IN':
      return isKey(comparison.lexpr, keys);
    case 'AEXPR_OP':
      return (isKey(comparison.lexpr, keys) && !columnOf(comparison.rexpr)) || (isKey(comparison.rexpr, keys) && !columnOf(comparison.lexpr));
    case 'AEXPR_OP_ANY': {
      const array = comparison.rexpr;
      const limitedArray = nodeOf(array, 'SubLink')?.subLinkType === 'ARRAY_SUBLINK' && isLimited(nodeOf(array, 'SubLink')?.subselect);
      return isKey(comparison.lexpr, keys) && (nodeOf(array, 'A_ArrayExpr') !== undefined || limitedArray);
    }
    default:
      return false;
  }
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

/** `col >= a AND col < b` among the conjuncts (either side of each comparison). */
function hasClosedRange(conjuncts: readonly Node[]): boolean {
  const ends = new Map<string, Set<'lower' | 'upper'>>();
  for (const conjunct of conjuncts) {
    const comparison = nodeOf(conjunct, 'A_Expr');
    if (comparison?.kind !== 'AEXPR_OP') continue;
    const operator = operatorOf(comparison) ?? '';
    const left = columnOf(comparison.lexpr);
    const right = columnOf(comparison.rexpr);
    const column = left !== undefined && right === undefined ? left : right !== undefined && left === undefined ? right : undefined;
    if (column === undefined) continue;
    const lower = left !== undefined ? LOWER_BOUNDS.has(operator) : UPPER_BOUNDS.has(operator);
    const upper = left !== undefined ? UPPER_BOUNDS.has(operator) : LOWER_BOUNDS.has(operator);
    const seen = ends.get(column) ?? new Set();
    if (lower) seen.add('lower');
    if (upper) seen.add('upper');
    ends.set(column, seen);
  }
  return [...ends.values()].some((seen) => seen.size === 2);
}

function operatorOf(comparison: A_Expr): string | undefined {
  return stringsOf(comparison.name).at(-1);
}

function columnOf(expression: Node | undefined): string | undefined {
  return stringsOf(nodeOf(expression, 'ColumnRef')?.fields).at(-1);
}

function isKey(expression: Node | undefined, keys: ReadonlySet<string>): boolean {
  const column = columnOf(expression);
  return column !== undefined && keys.has(column);
}

function isLimited(select: Node | undefined): boolean {
  return nodeOf(select, 'SelectStmt')?.limitCount !== undefined;
}

/** The write rewritten as batches, each its own transaction, with the statement's own table and values. */
export function batchedWriteHelp(statement: StatementContext, write: RowWrite): string {
  const key = keyColumn(statement, write.table);
  const text = statement.statement.text;
  if (write.verb === 'UPDATE') {
    const clauses = topLevelClauses(text, ['SET', 'FROM', 'WHERE', 'RETURNING']);
    const head = clauses?.get('');
    const set = clauses?.get('SET');
    if (head === undefined || set === undefined) return copyInBatchesHelp(write);
    const where = clauses?.get('WHERE');
    const from = clauses?.get('FROM');
    const remaining = from === undefined ? rowsStillToUpdate(statement, set, where) : undefined;
    if (remaining !== undefined) return batchedUpdate(write.table, key, set, remaining);
    return keyRangeBatches(`${head} SET ${set}${from === undefined ? '' : ` FROM ${from}`}`, qualifiedKey(write, key, from), where);
  }
  if (write.verb === 'DELETE') {
    const clauses = topLevelClauses(text, ['USING', 'WHERE', 'RETURNING']);
    const head = clauses?.get('');
    if (head === undefined) return copyInBatchesHelp(write);
    const using = clauses?.get('USING');
    if (using === undefined) return batchedDelete(write.table, key, clauses?.get('WHERE'));
    return keyRangeBatches(`${head} USING ${using}`, qualifiedKey(write, key, using), clauses?.get('WHERE'));
  }
  return copyInBatchesHelp(write);
}

/** With a join (FROM, USING) the key is qualified by the written table's alias or name. */
function qualifiedKey(write: RowWrite, key: string, join: string | undefined): string {
  if (join === undefined) return key;
  const alias = write.relation.alias?.aliasname;
  return `${alias === undefined ? displayName(write.table) : quoteIdentifier(alias)}.${key}`;
}

/**
 * A condition true of the rows the UPDATE has not reached yet, so a batch loop can stop at 0
 * rows: its WHERE when that tests an assigned column (`new_field IS NULL`), else each assigned
 * column differing from its value. Undefined when a value is computed anew for each batch
 * (a function, a subquery), where only key ranges terminate.
 */
function rowsStillToUpdate(statement: StatementContext, set: string, where: string | undefined): string | undefined {
  const targets = nodeOf(statement.statement.node, 'UpdateStmt')?.targetList ?? [];
  const assigned = targets.map((target) => nodeOf(target, 'ResTarget'));
  const whereNode = nodeOf(statement.statement.node, 'UpdateStmt')?.whereClause;
  const names = new Set(assigned.flatMap((target) => target?.name ?? []));
  if (where !== undefined && usesColumn(whereNode, names)) return where;
  if (!assigned.every((target) => target !== undefined && isPlainValue(target.val))) return undefined;
  const pairs = splitTopLevel(set, ',')?.map((assignment) => splitTopLevel(assignment, '=', 2) ?? []);
  if (!pairs || pairs.length !== assigned.length) return undefined;
  const differing = pairs.map(([column, value]) => `${column ?? ''} IS DISTINCT FROM ${value ?? ''}`);
  return [...(where === undefined ? [] : [`(${where})`]), ...differing].join(' AND ');
}

function usesColumn(expression: Node | undefined, columns: ReadonlySet<string>): boolean {
  return columnsRead(expression).some((column) => columns.has(column));
}

/** The columns an expression reads, by name. */
export function columnsRead(expression: Node | undefined): string[] {
  const columns: string[] = [];
  walk(expression, (type, fields) => {
    const column = type === 'ColumnRef' ? stringsOf(fields.fields as Node[] | undefined).at(-1) : undefined;
    if (column !== undefined) columns.push(column);
  });
  return columns;
}

const COMPUTED_NODES = new Set(['FuncCall', 'SubLink', 'SQLValueFunction', 'MultiAssignRef', 'SetToDefault', 'ParamRef']);

/** Constants, columns and operators on them: the same value in every batch. */
function isPlainValue(value: Node | undefined): boolean {
  if (value === undefined) return false;
  let plain = !COMPUTED_NODES.has(unwrap(value)[0]);
  walk(value, (type) => {
    if (COMPUTED_NODES.has(type)) plain = false;
  });
  return plain;
}

function copyInBatchesHelp(write: RowWrite): string {
  return [
    `-- Run it in batches, each its own transaction: add a range of the source's key to its ${write.verb === 'MERGE' ? 'USING' : 'SELECT'}`,
    `-- (key >= <start> AND key < <start> + 10000) and repeat up to the highest key, so no batch holds locks on ${displayName(write.table)} for long.`,
  ].join('\n');
}
