import { type ColumnState, type QualifiedName, type StatementContext, type TableObjectState, displayName, quoteIdentifier } from '../../src/api.js';

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

/** The first migration of a recipe for a statement in a transaction block: the migration it stood in, without it. */
export const REST_OF_THIS_MIGRATION = '-- Migration 1: this migration, without this statement';

/**
 * SQL that cannot run inside a transaction block (CONCURRENTLY), in a migration of its own. When the
 * statement it replaces sits in a transaction block (BEGIN, or a file the tool runs in one), the
 * migration keeps its other statements and the SQL moves to the next migration.
 */
export function migrationOfItsOwn(statement: StatementContext, sql: string): string {
  const outside = 'run without a transaction block (CONCURRENTLY cannot run inside one)';
  if (!statement.transaction.inBlock) return `-- In a migration of its own, ${outside}:\n${sql}`;
  return [REST_OF_THIS_MIGRATION, migrationStep(2, `a migration of its own, ${outside}`, sql)].join('\n');
}

/** The guide's backup before a change no rollback script can undo. */
export const BACKUP_FIRST = '-- Back up first: pg_dump $SUPABASE_DB_URL --no-owner --no-acl > backup.sql';

/**
 * The guide's way to drop a table: rename it to its deprecation name now (code still using it fails
 * loudly, the data stays for a rollback), drop it in a later migration. `beforeDrop` is SQL or
 * comments that must run right before the drop.
 */
export function deprecateThenDrop(name: QualifiedName, suffix: string, beforeDrop: readonly string[] = []): string {
  const original = name.name.endsWith(suffix) ? name.name.slice(0, -suffix.length) : name.name;
  const deprecated = displayName({ schema: name.schema, name: `${original}${suffix}` });
  return deprecateThenDropObject(
    `ALTER TABLE ${displayName({ schema: name.schema, name: original })} RENAME TO ${quoteIdentifier(`${original}${suffix}`)};`,
    [...beforeDrop, `DROP TABLE IF EXISTS ${deprecated};`].join('\n'),
    'the table',
    ' (code still using it fails loudly, the data stays for a rollback)',
  );
}

/** Deprecate-then-drop for any object: `rename` to its deprecation name now, `drop` in a later migration. */
export function deprecateThenDropObject(rename: string, drop: string, what: string, why = ' (code still using it fails loudly; a rollback renames it back)'): string {
  return [
    migrationStep(1, `rename ${what}${why}`, rename),
    '-- Wait a monitoring period (a week, say); a rollback renames it back.',
    migrationStep(2, 'drop it in a separate, later migration', drop),
  ].join('\n');
}

/**
 * drop-column cannot see the application's code: once a deploy has stopped using the column,
 * the user says so where the drop happens.
 */
export function columnUnusedDirective(column: string): string {
  return `-- migrate-safe-ignore drop-column: no running code uses ${column} since <release>`;
}

/** The triggers on a table whose functions use a column (`NEW.col`, `OLD.col`): dropping the column breaks them. */
export function triggersUsing(statement: StatementContext, table: QualifiedName, column: string): TableObjectState[] {
  return statement.schema.triggersOn(table).filter((trigger) => statement.schema.functionOf(trigger)?.rowColumns?.includes(column));
}

/** DROP TRIGGER (and its function) for each trigger, to run before the column they use is dropped. */
export function triggerDrops(statement: StatementContext, table: QualifiedName, triggers: readonly TableObjectState[]): string[] {
  return triggers.flatMap((trigger) => {
    const fn = statement.schema.functionOf(trigger);
    return [
      `DROP TRIGGER IF EXISTS ${quoteIdentifier(trigger.name)} ON ${displayName(table)};`,
      ...(fn ? [`DROP FUNCTION IF EXISTS ${displayName(fn.name)}();`] : []),
    ];
  });
}

/** The guide's contract step: an earlier migration kept a replacement column in sync with this one. */
export function isContractStep(statement: StatementContext, table: QualifiedName, column: ColumnState | undefined): boolean {
  const mirror = column?.mirroredInto;
  return mirror !== undefined && !statement.schema.isSameDeploy(mirror.origin) && statement.schema.column(table, mirror.name) !== undefined;
}
