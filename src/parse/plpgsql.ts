import type { Node, RawStmt } from '@pgsql/types';
import { parsePlPgSQLSync, parseSync } from './wasm.js';
import type { Comment } from './comments.js';
import type { ParsedSource, ParsedStatement } from './parser.js';
import { type RowBound, rowBoundOf } from './row-bound.js';
import { SourceText } from './source.js';
import { isCommentToken, scanTokens } from './tokens.js';

/**
 * A PL/pgSQL body read with PostgreSQL's own PL/pgSQL parser: a DO block's, or a function's. Its
 * SQL statements are found at their exact place in the file, each with the branches it sits in,
 * so the analysis can replay them as running where the body runs.
 */
export interface RoutineBody {
  /** The statements in the order they are written. */
  readonly units: readonly BodyUnit[];
  /** Comments between the body's statements (directives can sit there). */
  readonly comments: readonly Comment[];
  /** Where the body is written in the file, between its quotes. */
  readonly start: number;
  readonly end: number;
}

/** Why a body was not read: PostgreSQL's PL/pgSQL parser rejects it. */
export interface UnreadBody {
  readonly error: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A branch a statement sits in: it runs only when the branch does. A `guard` is no branch: the
 * statements after an `IF <condition> THEN RAISE EXCEPTION ... END IF` run whenever the block goes on.
 */
export interface Branch {
  readonly kind: 'if' | 'case' | 'loop' | 'exception' | 'guard';
  /** The branch as written, shortened: `IF NOT EXISTS (SELECT 1 FROM ...)`, `EXCEPTION WHEN duplicate_object`. */
  readonly label: string;
  /** For a loop: what it iterates over, when the analysis may be able to tell (a constant list makes it run for sure). */
  readonly loop?: LoopSource;
  /** The most rows a table can hold where the branch runs, when its condition counts them (`ELSE` of `IF (SELECT count(*) FROM t) > 1000`). */
  readonly rowBound?: RowBound;
}

/** What a FOR / FOREACH loop binds its variable to, as written. */
export type LoopSource =
  | { readonly kind: 'array'; readonly variable: string; readonly expression: string }
  | { readonly kind: 'range'; readonly variable: string; readonly lower: string; readonly upper: string }
  | { readonly kind: 'query'; readonly variable: string; readonly query: string };

/** Static SQL in the body: parsed, with its range in the file. */
export interface BodySql {
  readonly kind: 'sql';
  readonly statement: ParsedStatement;
  readonly branches: readonly Branch[];
}

/** `EXECUTE <expression>`: SQL built at run time; the expression and where it is written. */
export interface BodyExecute {
  readonly kind: 'execute';
  readonly expression: string;
  readonly start: number;
  readonly end: number;
  readonly branches: readonly Branch[];
  /** Variables assigned constant-looking expressions before it (`sql := 'ALTER TABLE ' || t`), latest last. */
  readonly assignments: ReadonlyMap<string, string>;
}

export type BodyUnit = BodySql | BodyExecute;

const bodies = new WeakMap<ParsedStatement, RoutineBody | UnreadBody | null>();

/**
 * The PL/pgSQL body of a DO block or a function definition; undefined for any other statement and
 * for bodies in other languages. Read once per parsed statement.
 */
export function routineBodyOf(parsed: ParsedSource, statement: ParsedStatement): RoutineBody | UnreadBody | undefined {
  if (statement.type !== 'DoStmt' && statement.type !== 'CreateFunctionStmt') return undefined;
  let body = bodies.get(statement);
  if (body === undefined) {
    body = readBody(parsed, statement) ?? null;
    bodies.set(statement, body);
  }
  return body ?? undefined;
}

export function isUnread(body: RoutineBody | UnreadBody): body is UnreadBody {
  return 'error' in body;
}

interface DefElem {
  readonly defname?: string;
  readonly arg?: Node;
}

/** The language and body source of a DO block or a CREATE FUNCTION. */
function sourceOf(statement: ParsedStatement): { language: string; body: string } | undefined {
  const fields = (statement.node as Record<string, { args?: Node[]; options?: Node[]; sql_body?: Node }>)[statement.type];
  const elements = (fields?.args ?? fields?.options ?? []).map((node) => (node as { DefElem?: DefElem }).DefElem ?? {});
  const option = (name: string): Node | undefined => elements.find((element) => element.defname === name)?.arg;
  const language = (option('language') as { String?: { sval?: string } } | undefined)?.String?.sval?.toLowerCase();
  const as = option('as') as { String?: { sval?: string }; List?: { items?: Node[] } } | undefined;
  const body = as?.String?.sval ?? ((as?.List?.items ?? []).length === 1 ? (as?.List?.items?.[0] as { String?: { sval?: string } }).String?.sval : undefined);
  // DO defaults to plpgsql; a function must say its language.
  const effective = language ?? (statement.type === 'DoStmt' ? 'plpgsql' : undefined);
  return body === undefined || effective === undefined ? undefined : { language: effective, body };
}

function readBody(parsed: ParsedSource, statement: ParsedStatement): RoutineBody | UnreadBody | undefined {
  const source = sourceOf(statement);
  if (source?.language !== 'plpgsql') return undefined;
  const literal = bodyLiteral(statement, source.body);
  if (!literal) return undefined;
  let functions: readonly { PLpgSQL_function?: { action?: unknown; datums?: unknown[] } }[];
  try {
    functions = (parsePlPgSQLSync(statement.text) as unknown as { plpgsql_funcs?: typeof functions }).plpgsql_funcs ?? [];
  } catch (error) {
    return { error: (error as Error).message, start: literal.start, end: literal.end };
  }
  const compiled = functions.find((entry) => entry.PLpgSQL_function?.action !== undefined)?.PLpgSQL_function;
  if (!compiled) return undefined;
  const datums = compiled.datums ?? [];
  const reader = new BodyReader(parsed, literal, variableNames(datums), declaredValues(datums));
  reader.statements(compiled.action, []);
  return { units: reader.units, comments: literal.comments(), start: literal.start, end: literal.end };
}

/** `DECLARE t text := 'x'`: each variable's initial value, as written. */
function declaredValues(datums: readonly unknown[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const datum of datums) {
    const variable = (datum as { PLpgSQL_var?: { refname?: string; default_val?: unknown } }).PLpgSQL_var;
    const value = expressionText(variable?.default_val);
    if (variable?.refname !== undefined && value !== undefined) values.set(variable.refname, value);
  }
  return values;
}

/** The names of a function's variables, by their number (`varno`). */
function variableNames(datums: readonly unknown[]): string[] {
  return datums.map((datum) => {
    const [variable] = Object.values(datum as Record<string, { refname?: string }>);
    return variable?.refname ?? '';
  });
}

/**
 * The body as written in the file: between dollar quotes it is the text itself; between single
 * quotes each doubled quote stands for one, which shifts positions after it.
 */
interface BodyLiteral {
  readonly body: string;
  /** The file index of the body's first character, and just past its last. */
  readonly start: number;
  readonly end: number;
  /** Whether the body is written as it is (dollar quotes, or single quotes without doubled ones). */
  readonly verbatim: boolean;
  /** The file index of an index into the body. */
  fileIndex(bodyIndex: number): number;
  comments(): Comment[];
}

function bodyLiteral(statement: ParsedStatement, body: string): BodyLiteral | undefined {
  const tokens = scanTokens(statement.text);
  const positions = new SourceText(statement.text);
  for (const token of tokens ?? []) {
    if (token.kind !== 'SCONST') continue;
    const dollar = /^\$[^$]*\$/.exec(token.text)?.[0];
    const quoted = dollar === undefined && token.text.startsWith("'");
    if (dollar === undefined && !quoted) continue;
    const inner = dollar === undefined ? token.text.slice(1, -1) : token.text.slice(dollar.length, token.text.length - dollar.length);
    const decoded = quoted ? inner.replaceAll("''", "'") : inner;
    if (decoded !== body) continue;
    const start = statement.start + positions.indexOfByte(token.start) + (dollar?.length ?? 1);
    // The body index of every doubled quote: each shifts what follows by one in the file.
    const doubled: number[] = [];
    if (quoted) for (let index = body.indexOf("'"); index !== -1; index = body.indexOf("'", index + 1)) doubled.push(index);
    const fileIndex = (bodyIndex: number): number => start + bodyIndex + countBelow(doubled, bodyIndex);
    return {
      body,
      start,
      end: fileIndex(body.length),
      verbatim: doubled.length === 0,
      fileIndex,
      comments: () => bodyComments(body, fileIndex),
    };
  }
  return undefined;
}

function countBelow(sorted: readonly number[], value: number): number {
  let count = 0;
  while (count < sorted.length && (sorted[count] ?? Infinity) < value) count++;
  return count;
}

function bodyComments(body: string, fileIndex: (bodyIndex: number) => number): Comment[] {
  const tokens = scanTokens(body);
  if (!tokens) return [];
  const positions = new SourceText(body);
  return tokens.filter(isCommentToken).map((token) => {
    const start = positions.indexOfByte(token.start);
    const end = positions.indexOfByte(token.end);
    const text = body.slice(start, end);
    const inner = text.startsWith('--') ? text.slice(2) : text.slice(2, -2);
    return { start: fileIndex(start), end: fileIndex(end), body: inner.trim() };
  });
}

type PlNode = Record<string, unknown>;

/** `{ PLpgSQL_stmt_if: {...} }` as its kind and fields. */
function plUnwrap(node: unknown): [string, PlNode] {
  const [entry] = Object.entries((node ?? {}) as Record<string, PlNode>);
  return entry ?? ['', {}];
}

function expressionText(node: unknown): string | undefined {
  return (node as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query;
}

function statementList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** RAISE's level for EXCEPTION (PostgreSQL's ERROR): it ends the block. */
const ERROR_LEVEL = 21;

/** `IF <condition> THEN RAISE EXCEPTION ... END IF`, when the condition bounds a table's rows: what the statements after it can count on. */
function raiseGuard(node: unknown): Branch | undefined {
  const [kind, fields] = plUnwrap(node);
  if (kind !== 'PLpgSQL_stmt_if' || statementList(fields.elsif_list).length > 0 || statementList(fields.else_body).length > 0) return undefined;
  const then = statementList(fields.then_body).map(plUnwrap);
  if (then.length === 0 || !then.every(([stmt, raise]) => stmt === 'PLpgSQL_stmt_raise' && raise.elog_level === ERROR_LEVEL)) return undefined;
  const condition = expressionText(fields.cond) ?? '';
  const rowBound = rowBoundOf(condition, true);
  return rowBound && { kind: 'guard', label: label(`not IF ${condition}`), rowBound };
}

function withRowBound(branch: Branch, condition: string, negated: boolean): Branch {
  const rowBound = rowBoundOf(condition, negated);
  return rowBound ? { ...branch, rowBound } : branch;
}

const LABEL_LENGTH = 80;

/** A branch label on one line, shortened. */
function label(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > LABEL_LENGTH ? `${line.slice(0, LABEL_LENGTH - 1)}…` : line;
}

/**
 * Walks the PL/pgSQL tree in source order, finding each SQL statement in the body: from the start
 * of the line PL/pgSQL gives it, after the statement before it (several can share a line).
 */
class BodyReader {
  readonly units: BodyUnit[] = [];
  private readonly parsed: ParsedSource;
  private readonly literal: BodyLiteral;
  private readonly lineStarts: number[];
  private readonly variables: readonly string[];
  private readonly assignments: Map<string, string>;
  /** The byte offset of the body's start in the parsed text: AST locations count bytes. */
  private readonly bodyByteStart: number;
  private cursor = 0;

  constructor(parsed: ParsedSource, literal: BodyLiteral, variables: readonly string[], declared: Map<string, string>) {
    this.parsed = parsed;
    this.assignments = declared;
    this.literal = literal;
    this.variables = variables;
    this.lineStarts = [0];
    for (let index = literal.body.indexOf('\n'); index !== -1; index = literal.body.indexOf('\n', index + 1)) this.lineStarts.push(index + 1);
    this.bodyByteStart = Buffer.byteLength(parsed.source.text.slice(0, literal.start));
  }

  statements(list: unknown, branches: readonly Branch[]): void {
    let within = branches;
    for (const item of Array.isArray(list) ? list : [list]) {
      this.statement(item, within);
      const guard = raiseGuard(item);
      if (guard) within = [...within, guard];
    }
  }

  private statement(node: unknown, branches: readonly Branch[]): void {
    const [kind, fields] = plUnwrap(node);
    const line = typeof fields.lineno === 'number' ? fields.lineno : undefined;
    const within = (more: Branch): Branch[] => [...branches, more];
    switch (kind) {
      case 'PLpgSQL_stmt_block': {
        this.statements(fields.body, branches);
        const handlers = ((fields.exceptions as PlNode | undefined)?.PLpgSQL_exception_block as { exc_list?: unknown[] } | undefined)?.exc_list ?? [];
        for (const handler of handlers) {
          const exception = (handler as { PLpgSQL_exception?: { conditions?: unknown[]; action?: unknown } }).PLpgSQL_exception;
          const names = (exception?.conditions ?? []).map((condition) => (condition as { PLpgSQL_condition?: { condname?: string } }).PLpgSQL_condition?.condname ?? '?');
          this.statements(exception?.action ?? [], within({ kind: 'exception', label: label(`EXCEPTION WHEN ${names.join(' OR ')}`) }));
        }
        return;
      }
      case 'PLpgSQL_stmt_if': {
        const condition = expressionText(fields.cond) ?? '';
        this.statements(fields.then_body ?? [], within(withRowBound({ kind: 'if', label: label(`IF ${condition}`) }, condition, false)));
        for (const elsif of statementList(fields.elsif_list)) {
          const branch = (elsif as { PLpgSQL_if_elsif?: { cond?: unknown; stmts?: unknown } }).PLpgSQL_if_elsif;
          this.statements(branch?.stmts ?? [], within({ kind: 'if', label: label(`ELSIF ${expressionText(branch?.cond) ?? ''}`) }));
        }
        this.statements(fields.else_body ?? [], within(withRowBound({ kind: 'if', label: label(`ELSE (not IF ${condition})`) }, condition, true)));
        return;
      }
      case 'PLpgSQL_stmt_case': {
        const subject = expressionText(fields.t_expr);
        for (const when of statementList(fields.case_when_list)) {
          const branch = (when as { PLpgSQL_case_when?: { expr?: unknown; stmts?: unknown } }).PLpgSQL_case_when;
          const test = expressionText(branch?.expr) ?? '';
          this.statements(branch?.stmts ?? [], within({ kind: 'case', label: label(subject === undefined ? `CASE WHEN ${test}` : `CASE ... WHEN ${test}`) }));
        }
        this.statements(fields.else_stmts ?? [], within({ kind: 'case', label: 'CASE ... ELSE' }));
        return;
      }
      case 'PLpgSQL_stmt_loop':
        this.statements(fields.body ?? [], within({ kind: 'loop', label: 'LOOP' }));
        return;
      case 'PLpgSQL_stmt_while':
        this.statements(fields.body ?? [], within({ kind: 'loop', label: label(`WHILE ${expressionText(fields.cond) ?? ''}`) }));
        return;
      case 'PLpgSQL_stmt_fori': {
        const variable = (fields.var as { PLpgSQL_var?: { refname?: string } } | undefined)?.PLpgSQL_var?.refname ?? '';
        const lower = expressionText(fields.lower) ?? '';
        const upper = expressionText(fields.upper) ?? '';
        const loop: LoopSource = { kind: 'range', variable, lower, upper };
        this.statements(fields.body ?? [], within({ kind: 'loop', label: label(`FOR ${variable} IN ${lower}..${upper}`), loop }));
        return;
      }
      case 'PLpgSQL_stmt_foreach_a': {
        const variable = this.variables[typeof fields.varno === 'number' ? fields.varno : -1] ?? '';
        const expression = expressionText(fields.expr) ?? '';
        const loop: LoopSource = { kind: 'array', variable, expression };
        this.statements(fields.body ?? [], within({ kind: 'loop', label: label(`FOREACH ${variable} IN ARRAY ${expression}`), loop }));
        return;
      }
      case 'PLpgSQL_stmt_fors':
      case 'PLpgSQL_stmt_forc': {
        const query = expressionText(fields.query) ?? '';
        this.sql(query, line, branches);
        const variable = this.loopVariable(fields.var);
        const loop: LoopSource = { kind: 'query', variable, query };
        this.statements(fields.body ?? [], within({ kind: 'loop', label: label(`FOR ${variable} IN ${query}`), loop }));
        return;
      }
      case 'PLpgSQL_stmt_dynfors': {
        const expression = expressionText(fields.query) ?? '';
        this.execute(expression, line, branches);
        this.statements(fields.body ?? [], within({ kind: 'loop', label: label(`FOR ${this.loopVariable(fields.var)} IN EXECUTE ${expression}`) }));
        return;
      }
      case 'PLpgSQL_stmt_execsql':
        this.sql(expressionText(fields.sqlstmt), line, branches);
        return;
      case 'PLpgSQL_stmt_perform':
        this.sql(expressionText(fields.expr), line, branches, true);
        return;
      case 'PLpgSQL_stmt_call':
      case 'PLpgSQL_stmt_return_query':
        if (fields.dynquery !== undefined) this.execute(expressionText(fields.dynquery) ?? '', line, branches);
        else this.sql(expressionText(fields.expr ?? fields.query), line, branches);
        return;
      case 'PLpgSQL_stmt_dynexecute':
        this.execute(expressionText(fields.query) ?? '', line, branches);
        return;
      case 'PLpgSQL_stmt_assign':
        this.assign(expressionText(fields.expr), fields.varno);
        return;
      default:
        return;
    }
  }

  private loopVariable(variable: unknown): string {
    const [, fields] = plUnwrap(variable);
    return typeof fields.refname === 'string' ? fields.refname : '';
  }

  /** `sql := 'ALTER TABLE ' || t`: kept, so an EXECUTE of the variable can be read through it. */
  private assign(expression: string | undefined, varno: unknown): void {
    if (expression === undefined) return;
    const match = /^\s*("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*:?=\s*([\s\S]*)$/.exec(expression);
    const name = typeof varno === 'number' ? this.variables[varno] : match?.[1];
    if (name !== undefined && match?.[2] !== undefined) this.assignments.set(name.toLowerCase(), match[2]);
  }

  /** `perform`: PERFORM f() is read as SELECT f(), whose call is written after PERFORM. */
  private sql(query: string | undefined, line: number | undefined, branches: readonly Branch[], perform = false): void {
    if (query === undefined) return;
    const performed = perform ? query.replace(/^SELECT /, '') : undefined;
    const place = this.locate(performed ?? query, line);
    let stmts: readonly RawStmt[];
    try {
      stmts = parseSync(query).stmts ?? [];
    } catch {
      return;
    }
    const exact = place.exact && performed === undefined;
    const start = this.literal.fileIndex(place.start);
    const end = this.literal.fileIndex(place.end);
    for (const raw of stmts) {
      if (!raw.stmt) continue;
      this.units.push({
        kind: 'sql',
        statement: {
          type: Object.keys(raw.stmt)[0] ?? 'Unknown',
          node: raw.stmt,
          start,
          end,
          locationBase: this.bodyByteStart + Buffer.byteLength(this.parsed.source.text.slice(this.literal.start, start)),
          text: exact ? this.parsed.source.text.slice(start, end) : query,
          ...(exact && stmts.length === 1 ? {} : { textSource: 'approximate' as const }),
        },
        branches,
      });
    }
  }

  private execute(expression: string, line: number | undefined, branches: readonly Branch[]): void {
    const place = this.locate(expression, line);
    this.units.push({
      kind: 'execute',
      expression,
      start: this.literal.fileIndex(place.start),
      end: this.literal.fileIndex(place.end),
      branches,
      assignments: new Map(this.assignments),
    });
  }

  /**
   * Where `text` is written in the body: at or after the cursor and the start of its line. PL/pgSQL
   * keeps a statement's text as written, except for an INTO clause it takes out: then only the
   * statement's start is known.
   */
  private locate(text: string, line: number | undefined): { start: number; end: number; exact: boolean } {
    const { body } = this.literal;
    const from = Math.max(this.cursor, line === undefined ? 0 : (this.lineStarts[line - 1] ?? 0));
    const found = body.indexOf(text, from);
    if (found !== -1 && this.literal.verbatim) {
      this.cursor = found + text.length;
      return { start: found, end: found + text.length, exact: true };
    }
    const firstWord = /^\S+/.exec(text)?.[0] ?? '';
    const near = firstWord === '' ? -1 : body.indexOf(firstWord, from);
    const start = found !== -1 ? found : near !== -1 ? near : from;
    const end = Math.min(body.length, start + text.length);
    this.cursor = end;
    return { start, end, exact: false };
  }
}
