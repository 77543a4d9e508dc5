import type { Node } from '@pgsql/types';
import { migrateSafe, oneTransaction, ownStatements } from '../discover/layouts/common.js';
import type { MigrationFile, TransactionPolicy } from '../discover/types.js';
import { controlsTransaction, refusesTransactionBlock } from './transaction-block.js';

/**
 * The one place that decides how a migration file runs: which tool applies it, which of its
 * statements share a transaction, and what the tool sets before them. The analysis follows the
 * plan statement by statement (src/analyze/session.ts) and `migrate-safe up` and `down` execute
 * the same plan (src/runner/), so what the linter assumes is what `up` does.
 */

/** The settings migrate-safe's `up` and `down` give each migration: SET LOCAL in a transaction, SET for statements run on their own. */
export type RunnerSettings = NonNullable<TransactionPolicy['settings']>;

/** What the configuration says about who applies the files. */
export interface TransactionChoice {
  /** `assumeInTransaction`: true puts each file in one transaction, false runs each statement on its own, whatever the tool does. */
  readonly assumeInTransaction: boolean | undefined;
  /** `migrations.appliedBy`: `migrate-safe` when its own `up` applies the files; otherwise the layout's tool. */
  readonly appliedBy: 'tool' | 'migrate-safe' | undefined;
  /** The timeouts migrate-safe's `up` sets. */
  readonly runner: RunnerSettings;
}

/** psql, and any folder no tool claims: each statement commits on its own; only the file's own BEGIN opens a block. */
export const STATEMENT_BY_STATEMENT: TransactionPolicy = ownStatements("each statement runs on its own, as psql runs a file: only the file's own BEGIN opens a transaction");

const ASSUMED_IN_TRANSACTION = oneTransaction('the file is assumed to run in one transaction (assumeInTransaction)');

const ASSUMED_STATEMENT_BY_STATEMENT = ownStatements('each statement is assumed to run on its own (assumeInTransaction: false)');

/** The choice a project's configuration makes. */
export function transactionChoice(config: {
  readonly assumeInTransaction: boolean | undefined;
  readonly appliedBy: 'tool' | 'migrate-safe' | undefined;
  readonly database: RunnerSettings;
}): TransactionChoice {
  const { lockTimeout, statementTimeout } = config.database;
  return { assumeInTransaction: config.assumeInTransaction, appliedBy: config.appliedBy, runner: { lockTimeout, statementTimeout } };
}

/** How a file runs: migrate-safe's own model when it applies the files, else the configuration's `assumeInTransaction`, else the layout's tool. */
export function policyFor(file: Pick<MigrationFile, 'transaction'>, choice: TransactionChoice): TransactionPolicy {
  // migrate-safe knows exactly what it does: no assumption overrides it.
  if (choice.appliedBy === 'migrate-safe' || file.transaction?.runner === 'migrate-safe') return migrateSafe(choice.runner);
  if (choice.assumeInTransaction !== undefined) return choice.assumeInTransaction ? ASSUMED_IN_TRANSACTION : ASSUMED_STATEMENT_BY_STATEMENT;
  return file.transaction ?? STATEMENT_BY_STATEMENT;
}

/**
 * A run of consecutive statements and how the tool sends them:
 * `block`: in a transaction the tool opens before the first and commits after the last;
 * `each`: one by one, each committing on its own unless the file's own BEGIN opened a block;
 * `query-string`: together as one query string, which PostgreSQL runs as one implicit transaction.
 */
export interface ExecutionUnit {
  readonly kind: 'block' | 'each' | 'query-string';
  /** Statement indexes: the first, and one past the last. */
  readonly start: number;
  readonly end: number;
}

export interface ExecutionPlan {
  readonly policy: TransactionPolicy;
  /** In order; together they cover every statement once. A file without statements has one empty block (the history row's). */
  readonly units: readonly ExecutionUnit[];
}

/** How the policy runs a file with these statements. */
export function planExecution(policy: TransactionPolicy, statements: readonly Node[]): ExecutionPlan {
  return { policy, units: unitsOf(policy, statements) };
}

function unitsOf(policy: TransactionPolicy, statements: readonly Node[]): ExecutionUnit[] {
  const all = (kind: ExecutionUnit['kind']): ExecutionUnit[] => [{ kind, start: 0, end: statements.length }];
  if (policy.mode === 'none') return all('each');
  if (policy.ownTransactionRunsAsWritten && statements.some(controlsTransaction)) return all('each');
  const refused = statements.map(refusesTransactionBlock);
  if (policy.nonTransactional === 'unwrap-file' && statements.length > 0 && refused.every(Boolean)) return all('each');
  if (policy.nonTransactional === 'unwrap-file-if-any' && refused.some(Boolean)) return all('each');
  // PostgreSQL opens an implicit block only for a query string of several statements.
  if (policy.mode === 'query-string') return all(statements.length < 2 ? 'each' : 'query-string');
  if (policy.nonTransactional !== 'alone') return all('block');
  // The tool commits what it has batched, runs the refused statement on its own, and opens a new batch.
  const units: ExecutionUnit[] = [];
  let start = 0;
  refused.forEach((isRefused, index) => {
    if (!isRefused) return;
    if (index > start) units.push({ kind: 'block', start, end: index });
    units.push({ kind: 'each', start: index, end: index + 1 });
    start = index + 1;
  });
  if (start < statements.length || units.length === 0) units.push({ kind: 'block', start, end: statements.length });
  return units;
}

/** Whether a failure part-way leaves some statements committed: any unit but a single tool block. */
export function commitsPartWay(plan: ExecutionPlan): boolean {
  return plan.units.length > 1 || plan.units.some((unit) => unit.kind !== 'block');
}
