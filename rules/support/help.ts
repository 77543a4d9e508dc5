import { type QualifiedName, type StatementContext, displayName, quoteIdentifier } from '../../src/api.js';

/** The column that identifies a row, for batching: the primary key when the history shows one. */
export function keyColumn(statement: StatementContext, table: QualifiedName): string {
  for (const constraint of statement.schema.table(table)?.constraints.values() ?? []) {
    if (constraint.kind === 'primary-key' && constraint.columns.length === 1 && constraint.columns[0] !== undefined) {
      return quoteIdentifier(constraint.columns[0]);
    }
  }
  return 'id';
}

/**
 * A backfill that touches a bounded batch of rows per statement, so no statement holds row
 * locks for long or builds up a huge transaction. Run it repeatedly until it updates 0 rows.
 */
export function batchedUpdate(table: QualifiedName, key: string, assignment: string, remaining: string): string {
  return batched(`UPDATE ${displayName(table)} SET ${assignment}`, 'updates', table, key, remaining);
}

/** DELETE in bounded batches; `remaining` undefined deletes every row. */
export function batchedDelete(table: QualifiedName, key: string, remaining: string | undefined): string {
  return batched(`DELETE FROM ${displayName(table)}`, 'deletes', table, key, remaining);
}

function batched(head: string, verb: string, table: QualifiedName, key: string, remaining: string | undefined): string {
  const name = displayName(table);
  return [
    `-- Repeat until it ${verb} 0 rows (a script or a DO loop with COMMIT), each batch its own transaction:`,
    head,
    `WHERE ${key} IN (SELECT ${key} FROM ${name}${remaining === undefined ? '' : ` WHERE ${remaining}`} LIMIT 10000);`,
  ].join('\n');
}

/** The same statement over consecutive ranges of the key, for writes that cannot tell done rows from the rest. */
export function keyRangeBatches(statementHead: string, key: string, condition: string | undefined): string {
  return [
    `-- Repeat for consecutive ranges of ${key}, from its lowest to its highest value, each batch its own transaction:`,
    statementHead,
    `WHERE ${condition === undefined ? '' : `(${condition}) AND `}${key} >= <start> AND ${key} < <start> + 10000;`,
  ].join('\n');
}

/**
 * Bounds the wait for a lock: the statement fails after `timeout` instead of queueing every
 * later query on the table behind it, and the migration is retried.
 */
export function lockTimeoutHelp(inTransaction: boolean, timeout: string, tables: string): string {
  const set = inTransaction ? 'SET LOCAL' : 'SET';
  return [
    `-- Before the statement${inTransaction ? ', inside its transaction' : ''}: wait at most ${timeout} for the lock on ${tables}, then fail instead of`,
    `-- queueing every later query on ${tables} behind it; run the migration again when it times out.`,
    `${set} lock_timeout = '${timeout.replaceAll("'", "''")}';`,
  ].join('\n');
}

/** A migration of a multi-step recipe; the heading tells where one migration ends and the next begins. */
export function migrationStep(number: number, title: string, sql: string): string {
  return `-- Migration ${number}: ${title}\n${sql}`;
}
