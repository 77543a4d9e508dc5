import type { LayoutProblem, Migration, TransactionPolicy } from '../types.js';

/** Each statement commits on its own (psql, Sqitch): only the file's own BEGIN opens a block. */
export function ownStatements(reason: string): TransactionPolicy {
  return { mode: 'none', nonTransactional: 'in-block', ownTransactionRunsAsWritten: false, reason };
}

/** The tool wraps each file in one transaction it opens and commits. */
export function oneTransaction(reason: string): TransactionPolicy {
  return { mode: 'file', nonTransactional: 'in-block', ownTransactionRunsAsWritten: false, reason };
}

/** The tool sends each file as one query string: several statements run as one implicit transaction. */
export function oneQueryString(reason: string): TransactionPolicy {
  return { mode: 'query-string', nonTransactional: 'in-block', ownTransactionRunsAsWritten: false, reason };
}

/**
 * migrate-safe's own `up` and `down`: each migration in one transaction, with the history row
 * written in it and lock_timeout and statement_timeout set with SET LOCAL. A file that holds a
 * statement PostgreSQL refuses in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...), or
 * that opens its own transactions, runs statement by statement, as written, its progress recorded.
 */
export function migrateSafe(settings?: TransactionPolicy['settings']): TransactionPolicy {
  const timeouts = settings ? ` with lock_timeout ${settings.lockTimeout} and statement_timeout ${settings.statementTimeout}` : '';
  return {
    mode: 'file',
    nonTransactional: 'unwrap-file-if-any',
    ownTransactionRunsAsWritten: true,
    reason: `migrate-safe runs each file in one transaction${timeouts} (a file with CONCURRENTLY, VACUUM or its own BEGIN runs statement by statement)`,
    runner: 'migrate-safe',
    settings,
  };
}

/** A problem at each migration whose version another migration uses too. */
export function duplicateVersions(migrations: readonly Migration[], consequence: string): LayoutProblem[] {
  const byVersion = new Map<string, Migration[]>();
  for (const migration of migrations) byVersion.set(migration.version, [...(byVersion.get(migration.version) ?? []), migration]);
  return [...byVersion].flatMap(([version, sharing]) => {
    if (sharing.length < 2) return [];
    const names = sharing.map((migration) => migration.name).join(', ');
    return sharing.map((migration) => ({
      file: migration.up.path,
      message: `version ${version} is used by ${sharing.length} migrations (${names}): ${consequence}`,
    }));
  });
}

/** Numeric versions in order, however long (timestamps exceed what a double holds exactly). */
export function compareNumbers(left: string, right: string): number {
  const difference = BigInt(left) - BigInt(right);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
