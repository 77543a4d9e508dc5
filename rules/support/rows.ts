import { type QualifiedName, type RangeVar, type StatementContext, nameOfRangeVar } from '../../src/api.js';

/** Rows below which a scan, rewrite or index build under lock is over in moments. */
export const FEW_ROWS = 10_000;

/**
 * At most how many rows a table holds for this statement, when the migration itself makes sure: none
 * after every row was deleted earlier in the transaction, or the bound of the PL/pgSQL branch it runs
 * in (`IF (SELECT count(*) FROM t) > 1000 THEN RAISE EXCEPTION ... ELSE <here>`). Undefined: any number.
 */
export function rowsAtMost(statement: StatementContext, relation: QualifiedName | RangeVar | undefined): number | undefined {
  if (relation === undefined) return undefined;
  if (statement.schema.isEmptyTable(relation)) return 0;
  const table = 'relname' in relation ? nameOfRangeVar(relation) : (relation as QualifiedName);
  if (!table) return undefined;
  const key = statement.schema.key(table);
  const bounds = (statement.routine?.rowBounds ?? []).flatMap((bound) => {
    const counted = nameOfRangeVar(bound.relation);
    return counted && statement.schema.key(counted) === key ? [bound.rows] : [];
  });
  return bounds.length === 0 ? undefined : Math.min(...bounds);
}

/** Whether the migration makes sure the table holds few rows here: what costs time per row (a scan, a rewrite, an index build) is over in moments. */
export function holdsFewRows(statement: StatementContext, relation: QualifiedName | RangeVar | undefined): boolean {
  const rows = rowsAtMost(statement, relation);
  return rows !== undefined && rows <= FEW_ROWS;
}
