import type { Node, RawStmt } from '@pgsql/types';
import { parseSync } from '../parse/wasm.js';
import type { ParsedSource, ParsedStatement } from '../parse/parser.js';
import { type BodyExecute, type Branch, type LoopSource, type RoutineBody, type UnreadBody, isUnread, routineBodyOf } from '../parse/plpgsql.js';
import type { RowBound } from '../parse/row-bound.js';
import { type QualifiedName, nameOfList, stringsOf, walk } from './ast.js';
import { type Variables, changesSchema, evaluateArray, evaluateRows, evaluateText } from './dynamic-sql.js';

/** Where a statement of a PL/pgSQL body runs: in a DO block, or in a function the migration calls. */
export interface RoutineContext {
  readonly kind: 'do' | 'function';
  /** The file's statement that runs it: the DO block, or the statement that calls the function. */
  readonly caller: ParsedStatement;
  /** For `function`: the function whose body holds the statement. */
  readonly functionName: string | undefined;
  /**
   * The branches it sits in, outermost first, as written (`IF NOT EXISTS (...)`, `EXCEPTION WHEN
   * duplicate_object`, a loop that may not run): it runs only when they do. Empty when it runs
   * whenever its caller does; a loop over a constant list runs for sure.
   */
  readonly branches: readonly string[];
  /** Tables the branches (or a RAISE guard before the statement) keep small: `IF (SELECT count(*) FROM t) > 1000 THEN RAISE ... ELSE <here>`. */
  readonly rowBounds: readonly RowBound[];
}

/** Where a body runs within its caller: the branches and row bounds around the call. */
type Surroundings = Pick<RoutineContext, 'branches' | 'rowBounds'>;

/** SQL a statement runs that migrate-safe cannot read, so nothing checks it. */
export interface UncheckedSql {
  /** `dynamic`: EXECUTE of a string built at run time; `unreadable`: a body PostgreSQL's PL/pgSQL parser rejects. */
  readonly kind: 'dynamic' | 'unreadable';
  /** Where it is written in the file: the EXECUTE's expression, or the whole body. */
  readonly start: number;
  readonly end: number;
  /** The expression, or the parser's error. */
  readonly text: string;
  /** Whether the SQL changes the schema: its text starts with ALTER, CREATE, DROP ... (`yes`), or nothing tells (`unknown`). */
  readonly changesSchema: 'yes' | 'unknown';
  readonly routine: RoutineContext;
}

/** A statement a body runs, with where it runs. */
export interface RoutineStatement {
  readonly statement: ParsedStatement;
  readonly routine: RoutineContext;
}

/** What a statement runs besides itself: the statements of a DO block's body, or of the functions it calls. */
export interface RoutineRun {
  readonly statements: readonly RoutineStatement[];
  readonly unchecked: readonly UncheckedSql[];
}

/** The functions of the file so far (CREATE FUNCTION statements), by the name a call uses. */
export type FunctionLookup = (name: QualifiedName) => ParsedStatement | undefined;

/** How deep calls are followed: a function that calls a function that calls ... */
const MAX_CALL_DEPTH = 4;
/** Loop values tried when building dynamic SQL: enough for a list of tables, few enough to stay quick. */
const MAX_COMBINATIONS = 256;

/**
 * The statements a file's statement runs inside PL/pgSQL: a DO block's body, or the bodies of
 * functions created earlier in the same file that it calls (`SELECT f()`, `CALL p()`). Undefined
 * when it runs none.
 */
export function routineRun(parsed: ParsedSource, statement: ParsedStatement, functions: FunctionLookup): RoutineRun | undefined {
  const run = { statements: [] as RoutineStatement[], unchecked: [] as UncheckedSql[] };
  const reader = new RunReader(parsed, statement, functions, run);
  if (statement.type === 'DoStmt') {
    const body = routineBodyOf(parsed, statement);
    if (body) reader.body(body, statement, { kind: 'do', functionName: undefined, branches: [], rowBounds: [] }, []);
  } else {
    reader.calls(statement, { branches: [], rowBounds: [] }, [], 0);
  }
  return run.statements.length === 0 && run.unchecked.length === 0 ? undefined : run;
}

/** The functions a SELECT or CALL calls, by name. */
function calledFunctions(statement: ParsedStatement): QualifiedName[] {
  if (statement.type !== 'SelectStmt' && statement.type !== 'CallStmt') return [];
  const names: QualifiedName[] = [];
  walk(statement.node, (type, fields) => {
    const name = type === 'FuncCall' ? nameOfList(fields.funcname as Node[] | undefined) : undefined;
    if (name) names.push(name);
  });
  return names;
}

/** Values of the variables of the enclosing loops, one map per iteration. */
type Iterations = readonly Variables[];

const loopIterations = new WeakMap<Branch, Iterations | null>();

/** The iterations of a loop over constants (`FOREACH t IN ARRAY ARRAY['a', 'b']`, `FOR i IN 1..3`); undefined when they depend on the data. */
function iterationsOf(branch: Branch): Iterations | undefined {
  if (!branch.loop) return undefined;
  let iterations = loopIterations.get(branch);
  if (iterations === undefined) {
    iterations = evaluateLoop(branch.loop) ?? null;
    loopIterations.set(branch, iterations);
  }
  return iterations ?? undefined;
}

const MAX_RANGE = 1000;

function evaluateLoop(loop: LoopSource): Iterations | undefined {
  switch (loop.kind) {
    case 'array':
      return evaluateArray(loop.expression, new Map())?.map((value) => new Map([[loop.variable, value]]));
    case 'range': {
      const lower = Number(loop.lower.trim());
      const upper = Number(loop.upper.trim());
      if (!Number.isInteger(lower) || !Number.isInteger(upper) || upper - lower > MAX_RANGE) return undefined;
      return Array.from({ length: Math.max(0, upper - lower + 1) }, (_, index) => new Map([[loop.variable, String(lower + index)]]));
    }
    case 'query':
      return evaluateRows(loop.query)?.map((row) => {
        const variables = new Map<string, string>();
        for (const [column, value] of row) {
          // A record's field (`r.name`), or the value itself for a scalar variable and for `r.<any field>` of one column.
          if (column === '') {
            variables.set(loop.variable, value);
            variables.set(`${loop.variable}.`, value);
          } else {
            variables.set(`${loop.variable}.${column}`, value);
          }
        }
        return variables;
      });
  }
}

/** Each combination of the enclosing loops' iterations; undefined when one loop's are unknown or there are too many. */
function combinations(branches: readonly Branch[]): Iterations | undefined {
  let result: Map<string, string>[] = [new Map<string, string>()];
  for (const branch of branches) {
    if (branch.kind !== 'loop') continue;
    const iterations = iterationsOf(branch);
    if (!iterations || result.length * iterations.length > MAX_COMBINATIONS) return undefined;
    result = result.flatMap((outer) => iterations.map((inner) => new Map<string, string>([...outer, ...inner])));
  }
  return result;
}

/** The labels of the branches that may not run: a loop over a constant non-empty list runs for sure, and a guard is no branch. */
function conditionLabels(branches: readonly Branch[]): string[] {
  return branches.flatMap((branch) => {
    if (branch.kind === 'guard') return [];
    const iterations = branch.kind === 'loop' ? iterationsOf(branch) : undefined;
    return iterations !== undefined && iterations.length > 0 ? [] : [branch.label];
  });
}

class RunReader {
  private readonly parsed: ParsedSource;
  private readonly caller: ParsedStatement;
  private readonly functions: FunctionLookup;
  private readonly run: { statements: RoutineStatement[]; unchecked: UncheckedSql[] };

  constructor(parsed: ParsedSource, caller: ParsedStatement, functions: FunctionLookup, run: { statements: RoutineStatement[]; unchecked: UncheckedSql[] }) {
    this.parsed = parsed;
    this.caller = caller;
    this.functions = functions;
    this.run = run;
  }

  /** `owner`: the DO block or CREATE FUNCTION the body belongs to. */
  body(body: RoutineBody | UnreadBody, owner: ParsedStatement, where: Omit<RoutineContext, 'caller'>, calling: readonly ParsedStatement[]): void {
    const context = (branches: readonly Branch[]): RoutineContext => ({
      ...where,
      caller: this.caller,
      branches: [...where.branches, ...conditionLabels(branches)],
      rowBounds: [...where.rowBounds, ...branches.flatMap((branch) => branch.rowBound ?? [])],
    });
    if (isUnread(body)) {
      // Nothing inside can be pointed at: the finding is about the whole block or function.
      this.run.unchecked.push({ kind: 'unreadable', start: owner.start, end: owner.end, text: body.error, changesSchema: 'unknown', routine: context([]) });
      return;
    }
    for (const unit of body.units) {
      if (unit.kind === 'execute') {
        this.execute(unit, context(unit.branches), calling);
        continue;
      }
      const routine = context(unit.branches);
      this.run.statements.push({ statement: unit.statement, routine });
      this.calls(unit.statement, routine, calling, calling.length);
    }
  }

  /** The bodies of the file's functions that `statement` calls. */
  calls(statement: ParsedStatement, around: Surroundings, calling: readonly ParsedStatement[], depth: number): void {
    if (depth >= MAX_CALL_DEPTH) return;
    for (const name of calledFunctions(statement)) {
      const definition = this.functions(name);
      // A function calling itself runs its body once here.
      if (!definition || calling.includes(definition)) continue;
      const body = routineBodyOf(this.parsed, definition);
      const functionName = stringsOf((definition.node as { CreateFunctionStmt?: { funcname?: Node[] } }).CreateFunctionStmt?.funcname).join('.');
      if (body) this.body(body, definition, { kind: 'function', functionName, branches: around.branches, rowBounds: around.rowBounds }, [...calling, definition]);
    }
  }

  /** EXECUTE: the statements it builds when its text is known, else SQL nobody checks. */
  private execute(unit: BodyExecute, routine: RoutineContext, calling: readonly ParsedStatement[]): void {
    const built = this.build(unit);
    if (built) {
      for (const statement of built) {
        this.run.statements.push({ statement, routine });
        this.calls(statement, routine, calling, calling.length);
      }
      return;
    }
    const verdict = changesSchema(unit.expression, unit.assignments);
    if (verdict !== 'no') this.run.unchecked.push({ kind: 'dynamic', start: unit.start, end: unit.end, text: unit.expression, changesSchema: verdict, routine });
  }

  /** The statements an EXECUTE builds, for every iteration of the loops around it; undefined when any text is unknown. */
  private build(unit: BodyExecute): ParsedStatement[] | undefined {
    const iterations = combinations(unit.branches);
    if (!iterations) return undefined;
    const statements: ParsedStatement[] = [];
    for (const variables of iterations) {
      const text = evaluateText(unit.expression, variables, unit.assignments);
      if (text === undefined) return undefined;
      let stmts: readonly RawStmt[];
      try {
        stmts = parseSync(text).stmts ?? [];
      } catch {
        return undefined;
      }
      for (const raw of stmts) {
        if (!raw.stmt) continue;
        // AST locations count bytes of the whole built text, so each statement keeps all of it.
        statements.push({ type: Object.keys(raw.stmt)[0] ?? 'Unknown', node: raw.stmt, start: unit.start, end: unit.end, locationBase: 0, text: text.trimEnd(), textSource: 'built' });
      }
    }
    return statements;
  }
}

/**
 * What a finding about a statement of a PL/pgSQL body says first: the branch it needs
 * (`When this branch runs (IF NOT EXISTS (...)): `), or the function it is in and the call that
 * runs it. Empty for a statement a DO block always runs. `text` is the file's.
 */
export function routinePrefix(routine: RoutineContext, text: string): string {
  const branch = routine.branches.at(-1);
  const when = branch === undefined ? '' : `when this branch runs (${branch})`;
  if (routine.kind === 'do') return branch === undefined ? '' : `W${when.slice(1)}: `;
  const line = lineAt(text, routine.caller.start);
  const called = `In ${routine.functionName ?? 'the function'}(), run by the call on line ${line}`;
  return branch === undefined ? `${called}: ` : `${called}, ${when}: `;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}
