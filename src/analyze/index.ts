import type { TransactionPolicy } from '../discover/types.js';
import type { ParsedSource, ParsedStatement } from '../parse/parser.js';
import { type QualifiedName, nameOfList } from './ast.js';
import { type LockAcquisition, classifyStatement } from './classify.js';
import { type ImplicitNames, implicitNames } from './implicit-names.js';
import { type RoutineContext, type RoutineRun, type UncheckedSql, routineRun } from './routine.js';
import { applyStatement, callsUnreadFunction, changesRelations, endSession } from './schema-apply.js';
import { type ObjectOrigin, type SchemaState, objectKey } from './schema-state.js';
import { type Position, SchemaView } from './schema-view.js';
import { type SessionSettings, SessionTracker, type TransactionInfo, defaultSchemaOf, timeZoneIsUtc } from './session.js';
import { planExecution } from './transaction-model.js';

/** Everything known about one statement at the moment it runs. */
export interface StatementAnalysis {
  readonly statement: ParsedStatement;
  readonly index: number;
  readonly transaction: TransactionInfo;
  readonly settings: SessionSettings;
  /** The locks it takes and what it does to each table, from the lock knowledge table. */
  readonly locks: readonly LockAcquisition[];
  /** The schema before the statement. */
  readonly schema: SchemaView;
  /**
   * The name of each constraint and index the statement creates (its Constraint or IndexStmt
   * node): the one written, else the one PostgreSQL chooses, unique in the schema as the history knows it.
   */
  readonly implicitNames: ImplicitNames;
  /** For a statement of a PL/pgSQL body (a DO block, a function the file calls): where it runs, and the branches it needs. */
  readonly routine?: RoutineContext | undefined;
  /** SQL the statement runs that cannot be read (EXECUTE of a string built at run time, a body that does not parse). */
  readonly unchecked?: readonly UncheckedSql[] | undefined;
}

export interface FileAnalysisOptions {
  readonly pgVersion: number;
  /** The migration tool runs the whole file in one transaction; `transaction`, when given, says more precisely how. */
  readonly assumeInTransaction: boolean;
  /** How the file runs (transaction-model.ts's `policyFor`); wins over `assumeInTransaction`. */
  readonly transaction?: TransactionPolicy | undefined;
  readonly position: Position;
  readonly newTransactionId: () => number;
  /** The TimeZone the migration tool's session starts with (configuration `timeZone`), when known. */
  readonly timeZone?: string | undefined;
}

/**
 * Walks a file's statements in order, handing each one's analysis to `onStatement` before
 * replaying it into the schema state, so every observer sees the state before the statement.
 * Without `onStatement` the file is only replayed (an earlier migration read for context).
 * Returns the statements nested too deep to analyse: each was skipped, the others were not.
 */
export function analyzeFile(
  parsed: ParsedSource,
  state: SchemaState,
  options: FileAnalysisOptions,
  onStatement?: (analysis: StatementAnalysis) => void,
): ParsedStatement[] {
  const nodes = parsed.statements.map((statement) => statement.node);
  const session = new SessionTracker(options.newTransactionId, options.transaction ? planExecution(options.transaction, nodes) : options.assumeInTransaction, options.timeZone);
  // One origin per transaction, shared by the objects its statements create: a copy per statement is garbage.
  let origin: ObjectOrigin | undefined;
  let conditionalOrigin: ObjectOrigin | undefined;
  // The functions this file defines, which a later statement may run.
  const functions = new Map<string, ParsedStatement>();
  const notAnalysed = new Set<ParsedStatement>();
  // Valid SQL can nest deeper than the call stack goes (psql runs 2,000 nested function calls). The
  // AST walk keeps a stack of its own; what still recurses gives up on that statement alone.
  const unlessTooDeep = (statement: ParsedStatement, step: () => void): void => {
    try {
      step();
    } catch (error) {
      if (!(error instanceof RangeError && error.message.includes('call stack'))) throw error;
      notAnalysed.add(statement);
    }
  };
  parsed.statements.forEach((statement, index) => {
    const { transaction, settings } = session.enter(statement.node);
    const defaultSchema = defaultSchemaOf(settings);
    let locks: LockAcquisition[] = [];
    let names: ImplicitNames = new Map();
    let run: RoutineRun | undefined;
    unlessTooDeep(statement, () => {
      const routine = statement.type === 'DoStmt' || functions.size > 0 ? routineRun(parsed, statement, (name) => functions.get(functionKey(name, defaultSchema))) : undefined;
      // Without an observer (a migration read for history only) nobody needs the locks.
      locks = onStatement ? classifyStatement(statement.node, classifyContext(options, state, settings)) : [];
      names = implicitNames(statement.node, state, defaultSchema, options.pgVersion);
      onStatement?.({ statement, index, transaction, settings, locks, schema: new SchemaView(state, defaultSchema, options.position, transaction.id), implicitNames: names, unchecked: routine?.unchecked });
      run = routine;
    });
    session.leave(statement.node, locks);
    if (origin?.transaction !== transaction.id) {
      origin = { migration: options.position.migration, part: options.position.part, transaction: transaction.id };
      conditionalOrigin = { ...origin, conditional: true };
    }
    const origins = { certain: origin, conditional: conditionalOrigin ?? origin };
    unlessTooDeep(statement, () => { applyStatement(state, statement.node, { origin: origins.certain, defaultSchema, names }); });
    if (statement.type === 'CreateFunctionStmt') {
      const name = nameOfList((statement.node as { CreateFunctionStmt?: { funcname?: [] } }).CreateFunctionStmt?.funcname);
      if (name) functions.set(functionKey(name, defaultSchema), statement);
    }
    const routine = run;
    if (routine) unlessTooDeep(statement, () => { replayRoutine(routine, index, { state, session, options, onStatement, origins }); });
    // SQL built at run time, or a function body that was not read, may have changed anything.
    if ((routine?.unchecked.length ?? 0) > 0 || (routine === undefined && callsUnreadFunction(state, statement.node, defaultSchema))) state.noteUnseenChange();
  });
  endSession(state, options.position, nodes);
  return [...notAnalysed];
}

function functionKey(name: QualifiedName, defaultSchema: string): string {
  return objectKey(name, defaultSchema);
}

function classifyContext(options: FileAnalysisOptions, state: SchemaState, settings: SessionSettings): Parameters<typeof classifyStatement>[1] {
  return { pgVersion: options.pgVersion, schema: state, defaultSchema: defaultSchemaOf(settings), timeZoneIsUtc: timeZoneIsUtc(settings) };
}

interface ReplayContext {
  readonly state: SchemaState;
  readonly session: SessionTracker;
  readonly options: FileAnalysisOptions;
  readonly onStatement: ((analysis: StatementAnalysis) => void) | undefined;
  /** Objects a statement creates come from its transaction; `conditional` when a branch that may not run creates them. */
  readonly origins: { readonly certain: ObjectOrigin; readonly conditional: ObjectOrigin };
}

/**
 * The statements a DO block or a called function runs, replayed where it runs: in its transaction,
 * each seeing the locks and schema changes of those before it. A statement in a branch that may
 * not run changes the schema as if it did, and what it creates may have existed before.
 */
function replayRoutine(run: RoutineRun, index: number, { state, session, options, onStatement, origins }: ReplayContext): void {
  for (const { statement, routine } of run.statements) {
    const { transaction, settings } = session.enterNested();
    const defaultSchema = defaultSchemaOf(settings);
    const locks = onStatement ? classifyStatement(statement.node, classifyContext(options, state, settings)) : [];
    const names = implicitNames(statement.node, state, defaultSchema, options.pgVersion);
    onStatement?.({ statement, index, transaction, settings, locks, schema: new SchemaView(state, defaultSchema, options.position, transaction.id), implicitNames: names, routine });
    session.leaveNested(statement.node, locks);
    applyStatement(state, statement.node, { origin: routine.branches.length > 0 ? origins.conditional : origins.certain, defaultSchema, names });
    // Applied as if it ran, but it may not have: what it changed may or may not exist.
    if ((routine.branches.length > 0 && changesRelations(statement.node)) || callsUnreadFunction(state, statement.node, defaultSchema)) state.noteUnseenChange();
  }
}
