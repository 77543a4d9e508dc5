import type { A_Const, Node, RangeVar, SelectStmt } from '@pgsql/types';
import { parseSync } from './wasm.js';

/** At most how many rows a table holds where a condition holds: `(SELECT count(*) FROM t) <= 1000`. */
export interface RowBound {
  /** The table as the condition names it. */
  readonly relation: RangeVar;
  readonly rows: number;
}

type Comparison = '<' | '<=' | '>' | '>=';

const MIRRORED: Readonly<Record<Comparison, Comparison>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const NEGATED: Readonly<Record<Comparison, Comparison>> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' };

/**
 * The bound on a table's rows that a PL/pgSQL condition sets where it is true (or, `negated`, where it
 * is false: the ELSE of an IF, the statements after `IF ... THEN RAISE EXCEPTION`). Only the plain
 * shape teams write to keep a migration off big tables: `(SELECT count(*) FROM t) > 1000`, the count
 * on either side, no WHERE. Undefined when the condition is anything else or bounds nothing from above.
 */
export function rowBoundOf(condition: string, negated: boolean): RowBound | undefined {
  let target: Node | undefined;
  try {
    target = (parseSync(`SELECT ${condition}`).stmts?.[0]?.stmt as { SelectStmt?: SelectStmt } | undefined)?.SelectStmt?.targetList?.[0];
  } catch {
    return undefined;
  }
  const expression = (target as { ResTarget?: { val?: Node } } | undefined)?.ResTarget?.val as
    | { A_Expr?: { kind?: string; name?: Node[]; lexpr?: Node; rexpr?: Node } }
    | undefined;
  const operator = (expression?.A_Expr?.name?.[0] as { String?: { sval?: string } } | undefined)?.String?.sval;
  if (expression?.A_Expr?.kind !== 'AEXPR_OP' || !isComparison(operator)) return undefined;
  const { lexpr, rexpr } = expression.A_Expr;
  const counted = countedTable(lexpr);
  const mirrored = counted === undefined;
  const relation = counted ?? countedTable(rexpr);
  const limit = integerOf(mirrored ? lexpr : rexpr);
  if (relation === undefined || limit === undefined) return undefined;
  // As `count <op> limit`, true where the branch runs.
  let holds = mirrored ? MIRRORED[operator] : operator;
  if (negated) holds = NEGATED[holds];
  if (holds === '<=') return { relation, rows: limit };
  return holds === '<' ? { relation, rows: Math.max(0, limit - 1) } : undefined;
}

function isComparison(operator: string | undefined): operator is Comparison {
  return operator !== undefined && operator in MIRRORED;
}

/** The table of `(SELECT count(*) FROM t)`, when that is all the subquery does. */
function countedTable(node: Node | undefined): RangeVar | undefined {
  const link = (node as { SubLink?: { subLinkType?: string; subselect?: Node } } | undefined)?.SubLink;
  const select = (link?.subselect as { SelectStmt?: SelectStmt } | undefined)?.SelectStmt;
  if (link?.subLinkType !== 'EXPR_SUBLINK' || !select || select.whereClause || select.groupClause || select.havingClause || select.limitCount) return undefined;
  const [only, ...more] = select.targetList ?? [];
  const call = ((only as { ResTarget?: { val?: Node } } | undefined)?.ResTarget?.val as { FuncCall?: { funcname?: Node[]; agg_star?: boolean } } | undefined)?.FuncCall;
  const name = (call?.funcname?.at(-1) as { String?: { sval?: string } } | undefined)?.String?.sval;
  const [from, ...joined] = select.fromClause ?? [];
  if (more.length > 0 || name?.toLowerCase() !== 'count' || call?.agg_star !== true || joined.length > 0) return undefined;
  return (from as { RangeVar?: RangeVar } | undefined)?.RangeVar;
}

function integerOf(node: Node | undefined): number | undefined {
  const constant = (node as { A_Const?: A_Const } | undefined)?.A_Const;
  if (constant?.ival === undefined) return undefined;
  // The parser leaves out a zero.
  return constant.ival.ival ?? 0;
}
