import type { TransactionPolicy } from '../discover/types.js';
import type { ParsedSource, ParsedStatement } from '../parse/parser.js';
import { type LockAcquisition, classifyStatement } from './classify.js';
import { type ImplicitNames, implicitNames } from './implicit-names.js';
import { applyStatement, endSession } from './schema-apply.js';
import type { ObjectOrigin, SchemaState } from './schema-state.js';
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
}

export interface FileAnalysisOptions {
  readonly pgVersion: number;
  /** The migration tool runs the whole file in one transaction; `transaction`, when given, says more precisely how. */
  readonly assumeInTransaction: boolean;
  /** How the file runs (transaction-model.ts's `policyFor`); wins over `assumeInTransaction`. */
  readonly transaction?: TransactionPolicy | undefined;
  readonly position: Position;
  readonly newTransactionId: () => number;
}

/**
 * Walks a file's statements in order, handing each one's analysis to `onStatement` before
 * replaying it into the schema state, so every observer sees the state before the statement.
 * Without `onStatement` the file is only replayed (an earlier migration read for context).
 */
export function analyzeFile(
  parsed: ParsedSource,
  state: SchemaState,
  options: FileAnalysisOptions,
  onStatement?: (analysis: StatementAnalysis) => void,
): void {
  const nodes = parsed.statements.map((statement) => statement.node);
  const session = new SessionTracker(options.newTransactionId, options.transaction ? planExecution(options.transaction, nodes) : options.assumeInTransaction);
  // One origin per transaction, shared by the objects its statements create: a copy per statement is garbage.
  let origin: ObjectOrigin | undefined;
  parsed.statements.forEach((statement, index) => {
    const { transaction, settings } = session.enter(statement.node);
    const defaultSchema = defaultSchemaOf(settings);
    // Without an observer (a migration read for history only) nobody needs the locks.
    const locks = onStatement
      ? classifyStatement(statement.node, {
          pgVersion: options.pgVersion,
          schema: state,
          defaultSchema,
          timeZoneIsUtc: timeZoneIsUtc(settings),
        })
      : [];
    const names = implicitNames(statement.node, state, defaultSchema, options.pgVersion);
    onStatement?.({ statement, index, transaction, settings, locks, schema: new SchemaView(state, defaultSchema, options.position), implicitNames: names });
    session.leave(statement.node, locks);
    if (origin?.transaction !== transaction.id) origin = { migration: options.position.migration, part: options.position.part, transaction: transaction.id };
    applyStatement(state, statement.node, { origin, defaultSchema, names });
  });
  endSession(state, options.position, nodes);
}
