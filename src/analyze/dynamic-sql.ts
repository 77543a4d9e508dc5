import type { Node } from '@pgsql/types';
import { parseSync } from '../parse/wasm.js';
import { isReservedWord } from '../parse/tokens.js';
import { nodeOf, stringsOf, unwrap, walk } from './ast.js';

/** Values of PL/pgSQL variables while an expression is evaluated: `t`, or `r.tablename` for a record's field. */
export type Variables = ReadonlyMap<string, string>;

/** How deep assignments are followed (`sql := prefix || t`, `prefix := ...`). */
const MAX_ASSIGNMENT_DEPTH = 4;

/**
 * The text a PL/pgSQL expression builds, when it is made of constants, known variables and the
 * functions that build SQL (`format`, `quote_ident`, `||`, ...); undefined when it depends on
 * anything else (a query, a parameter, a variable without a known value).
 */
export function evaluateText(expression: string, variables: Variables, assignments: ReadonlyMap<string, string> = new Map()): string | undefined {
  const node = expressionNode(expression);
  return node === undefined ? undefined : new Evaluator(variables, assignments).text(node, 0);
}

/** The elements of an array expression made of constants (`ARRAY['a', 'b']`, `'{a,b}'::text[]`); undefined otherwise. */
export function evaluateArray(expression: string, variables: Variables): string[] | undefined {
  const node = expressionNode(expression);
  if (node === undefined) return undefined;
  const evaluator = new Evaluator(variables, new Map());
  const array = nodeOf(node, 'A_ArrayExpr');
  if (array) return allDefined((array.elements ?? []).map((element) => evaluator.text(element, 0)));
  const literal = evaluator.text(nodeOf(node, 'TypeCast')?.arg ?? node, 0);
  return literal === undefined ? undefined : arrayLiteral(literal);
}

/**
 * The rows of a loop's query when they are constants: `SELECT unnest(ARRAY[...])`,
 * `SELECT * FROM unnest(ARRAY[...]) AS t(name)`, `VALUES ('a'), ('b')`. Each row's values by
 * column name (`''` for an unnamed column); undefined for any other query.
 */
export function evaluateRows(query: string): Map<string, string>[] | undefined {
  let stmts: readonly { stmt?: Node }[];
  try {
    stmts = parseSync(query).stmts ?? [];
  } catch {
    return undefined;
  }
  const select = nodeOf(stmts[0]?.stmt, 'SelectStmt');
  if (!select || stmts.length !== 1) return undefined;
  const evaluator = new Evaluator(new Map(), new Map());
  if (select.valuesLists) {
    return rowsOf(select.valuesLists.map((list) => nodeOf(list, 'List')?.items ?? []), [], evaluator);
  }
  const [from, ...more] = select.fromClause ?? [];
  const targets = (select.targetList ?? []).map((target) => nodeOf(target, 'ResTarget'));
  if (from === undefined) {
    // SELECT unnest(ARRAY[...]) [AS name]
    const [target] = targets;
    const values = targets.length === 1 ? unnestValues(target?.val, evaluator) : undefined;
    return values?.map((value) => new Map([[target?.name ?? 'unnest', value], ['', value]]));
  }
  if (more.length > 0 || !targets.every((target) => nodeOf(target?.val, 'ColumnRef')?.fields?.some((field) => nodeOf(field, 'A_Star')) === true)) return undefined;
  const range = nodeOf(from, 'RangeFunction');
  const call = nodeOf(nodeOf(range?.functions?.[0], 'List')?.items?.[0], 'FuncCall');
  const subselect = nodeOf(nodeOf(from, 'RangeSubselect')?.subquery, 'SelectStmt');
  const alias = nodeOf(from, 'RangeFunction')?.alias ?? nodeOf(from, 'RangeSubselect')?.alias;
  const columns = stringsOf(alias?.colnames);
  if (call) {
    const values = unnestValues({ FuncCall: call }, evaluator);
    const name = columns[0] ?? alias?.aliasname ?? 'unnest';
    return values?.map((value) => new Map([[name, value], ['', value]]));
  }
  if (subselect?.valuesLists) return rowsOf(subselect.valuesLists.map((list) => nodeOf(list, 'List')?.items ?? []), columns, evaluator);
  return undefined;
}

function rowsOf(lists: readonly (readonly Node[])[], columns: readonly string[], evaluator: Evaluator): Map<string, string>[] | undefined {
  const rows: Map<string, string>[] = [];
  for (const list of lists) {
    const values = allDefined(list.map((value) => evaluator.text(value, 0)));
    if (!values) return undefined;
    // VALUES names its columns column1, column2, ... unless an alias names them.
    const row = new Map(values.map((value, index) => [columns[index] ?? `column${index + 1}`, value] as const));
    if (values.length === 1 && values[0] !== undefined) row.set('', values[0]);
    rows.push(row);
  }
  return rows;
}

function unnestValues(node: Node | undefined, evaluator: Evaluator): string[] | undefined {
  const call = nodeOf(node, 'FuncCall');
  if (stringsOf(call?.funcname).at(-1) !== 'unnest' || call?.args?.length !== 1) return undefined;
  const [argument] = call.args;
  const array = nodeOf(argument, 'A_ArrayExpr');
  if (array) return allDefined((array.elements ?? []).map((element) => evaluator.text(element, 0)));
  const literal = evaluator.text(nodeOf(argument, 'TypeCast')?.arg ?? argument, 0);
  return literal === undefined ? undefined : arrayLiteral(literal);
}

/** `{a,b,"c d"}`: the elements of an array literal of plain values. */
function arrayLiteral(literal: string): string[] | undefined {
  const match = /^\s*\{(.*)\}\s*$/s.exec(literal);
  if (!match) return undefined;
  const inner = match[1]?.trim() ?? '';
  if (inner === '') return [];
  return inner.split(',').map((element) => element.trim().replace(/^"(.*)"$/s, '$1'));
}

function allDefined(values: readonly (string | undefined)[]): string[] | undefined {
  return values.every((value) => value !== undefined) ? (values as string[]) : undefined;
}

function expressionNode(expression: string): Node | undefined {
  try {
    const [statement] = parseSync(`SELECT ${expression}`).stmts ?? [];
    const targets = nodeOf(statement?.stmt, 'SelectStmt')?.targetList ?? [];
    return targets.length === 1 ? nodeOf(targets[0], 'ResTarget')?.val : undefined;
  } catch {
    return undefined;
  }
}

/** PostgreSQL's quote_ident: quotes unless the name is lower case and not a keyword that needs it. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !isReservedWord(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return value.includes('\\') ? `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'` : `'${value.replaceAll("'", "''")}'`;
}

class Evaluator {
  private readonly variables: Variables;
  private readonly assignments: ReadonlyMap<string, string>;

  constructor(variables: Variables, assignments: ReadonlyMap<string, string>) {
    this.variables = variables;
    this.assignments = assignments;
  }

  text(node: Node | undefined, depth: number): string | undefined {
    if (node === undefined) return undefined;
    const [type, fields] = unwrap(node);
    switch (type) {
      case 'A_Const': {
        const constant = nodeOf(node, 'A_Const');
        if (constant?.isnull) return undefined;
        if (constant?.sval) return constant.sval.sval ?? '';
        if (constant?.ival) return String(constant.ival.ival ?? 0);
        if (constant?.fval) return constant.fval.fval;
        return constant?.boolval ? String(constant.boolval.boolval ?? false) : undefined;
      }
      case 'TypeCast':
        return this.text(fields.arg as Node | undefined, depth);
      case 'A_Expr': {
        const expression = nodeOf(node, 'A_Expr');
        if (expression?.kind !== 'AEXPR_OP' || stringsOf(expression.name).at(-1) !== '||') return undefined;
        const left = this.text(expression.lexpr, depth);
        const right = this.text(expression.rexpr, depth);
        return left === undefined || right === undefined ? undefined : left + right;
      }
      case 'ColumnRef':
        return this.variable(stringsOf(nodeOf(node, 'ColumnRef')?.fields), depth);
      case 'FuncCall':
        return this.call(node, depth);
      default:
        return undefined;
    }
  }

  private variable(parts: readonly string[], depth: number): string | undefined {
    const name = parts.join('.');
    const known = this.variables.get(name) ?? (parts.length === 2 ? this.variables.get(`${parts[0] ?? ''}.`) : undefined);
    if (known !== undefined) return known;
    const assigned = this.assignments.get(name);
    if (assigned === undefined || depth >= MAX_ASSIGNMENT_DEPTH) return undefined;
    const node = expressionNode(assigned);
    return node === undefined ? undefined : this.text(node, depth + 1);
  }

  private call(node: Node, depth: number): string | undefined {
    const call = nodeOf(node, 'FuncCall');
    const name = stringsOf(call?.funcname).at(-1);
    const values = allDefined((call?.args ?? []).map((arg) => this.text(arg, depth)));
    if (!values) return undefined;
    switch (name) {
      case 'format':
        return values.length === 0 ? undefined : format(values[0] ?? '', values.slice(1));
      case 'quote_ident':
        return values.length === 1 ? quoteIdent(values[0] ?? '') : undefined;
      case 'quote_literal':
      case 'quote_nullable':
        return values.length === 1 ? quoteLiteral(values[0] ?? '') : undefined;
      case 'concat':
        return values.join('');
      case 'concat_ws':
        return values.length === 0 ? undefined : values.slice(1).join(values[0] ?? '');
      case 'lower':
        return values.length === 1 ? values[0]?.toLowerCase() : undefined;
      case 'upper':
        return values.length === 1 ? values[0]?.toUpperCase() : undefined;
      default:
        return undefined;
    }
  }
}

/** PostgreSQL's format(): `%s`, `%I`, `%L`, `%%`, and positions (`%1$I`); undefined for widths and flags. */
function format(template: string, args: readonly string[]): string | undefined {
  let result = '';
  let next = 0;
  let last = 0;
  for (const match of template.matchAll(/%(?:(\d+)\$)?([-\d*]*)([sIL%])/g)) {
    const [whole, position, flags, kind] = match;
    result += template.slice(last, match.index);
    last = match.index + whole.length;
    if (kind === '%' && position === undefined && flags === '') {
      result += '%';
      continue;
    }
    const index = position === undefined ? next : Number(position) - 1;
    next = index + 1;
    const value = args[index];
    if (flags !== '' || kind === '%' || value === undefined) return undefined;
    result += kind === 'I' ? quoteIdent(value) : kind === 'L' ? quoteLiteral(value) : value;
  }
  return result + template.slice(last);
}

/** Statements that change the schema, by their first word. */
const SCHEMA_VERBS = new Set(['ALTER', 'CREATE', 'DROP', 'TRUNCATE', 'COMMENT', 'GRANT', 'REVOKE', 'REINDEX', 'CLUSTER', 'VACUUM', 'LOCK', 'REFRESH', 'SECURITY', 'IMPORT']);
/** Statements that only read or write rows, or set the session up. */
const ROW_VERBS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'WITH', 'VALUES', 'TABLE', 'SET', 'RESET', 'SHOW', 'NOTIFY', 'ANALYZE', 'EXPLAIN', 'COPY', 'CALL', 'PERFORM']);

/**
 * Whether SQL built by an expression changes the schema, from the first word of its first constant:
 * `'ALTER TABLE ' || t` does, `format('UPDATE %I ...', t)` does not, and an expression without
 * constants (`EXECUTE sql_text`) may.
 */
export function changesSchema(expression: string, assignments: ReadonlyMap<string, string>): 'yes' | 'no' | 'unknown' {
  const first = firstConstant(expression, assignments, 0);
  const verb = first === undefined ? undefined : /^\s*\(?\s*([A-Za-z]+)/.exec(first)?.[1]?.toUpperCase();
  if (verb === undefined) return 'unknown';
  if (SCHEMA_VERBS.has(verb)) return 'yes';
  return ROW_VERBS.has(verb) ? 'no' : 'unknown';
}

function firstConstant(expression: string, assignments: ReadonlyMap<string, string>, depth: number): string | undefined {
  const node = expressionNode(expression);
  let first: { location: number; text: string } | undefined;
  walk(node, (type, fields) => {
    const location = typeof fields.location === 'number' ? fields.location : Infinity;
    if (first && location >= first.location) return;
    if (type === 'A_Const' && (fields.sval as { sval?: string } | undefined)?.sval !== undefined) {
      first = { location, text: (fields.sval as { sval: string }).sval };
    } else if (type === 'ColumnRef' && depth < MAX_ASSIGNMENT_DEPTH) {
      const assigned = assignments.get(stringsOf(fields.fields as Node[] | undefined).join('.'));
      const text = assigned === undefined ? undefined : firstConstant(assigned, assignments, depth + 1);
      if (text !== undefined) first = { location, text };
    }
  });
  return first?.text;
}
