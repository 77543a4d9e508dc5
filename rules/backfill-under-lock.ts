import { type LockAcquisition, type StatementContext, blocksTraffic, defineRule, describeImpact, displayName, lockStrength } from '../src/api.js';
import { GUIDE_BACKFILL_IN_BATCHES, type RowWrite, batchedWriteHelp, rowWriteOf } from './support/backfill.js';
import { migrationStep } from './support/help.js';

export default defineRule({
  id: 'backfill-under-lock',
  meta: {
    description: 'UPDATE, DELETE, INSERT ... SELECT or MERGE in the transaction that holds a lock blocking traffic on an existing table.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'A lock is held until its transaction ends. When a schema change (an `ALTER TABLE` takes ACCESS EXCLUSIVE,',
      'a `CREATE INDEX` SHARE, ...) is followed in the same transaction by a backfill, the lock stays for the',
      'whole backfill: on a large table every read and write of the locked table waits for minutes, although',
      'the schema change itself took milliseconds. This happens when a file opens `BEGIN`, or when the migration',
      'tool runs each file in one transaction (`assumeInTransaction`).',
      '',
      'Commit the schema change first (a migration of its own, or `COMMIT` before the backfill), then backfill in',
      'batches, each its own short transaction. Not reported: writes to tables created in the same migration, locks',
      'on such tables, and writes bounded to a batch or a few keys (`WHERE id IN (SELECT ... LIMIT n)`, a key range,',
      '`WHERE id = ...`), which hold the lock only briefly. Several writes under the same held lock are one finding, at',
      'the first, naming the writes that follow it.',
    ].join('\n'),
    bad: ['BEGIN;', 'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);', "UPDATE agents SET new_field = 'default_value' WHERE new_field IS NULL;", 'COMMIT;'].join('\n'),
    good: [
      '-- Migration 1: the schema change alone; the lock is released when it commits',
      'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);',
      migrationStep(2, 'backfill in batches', GUIDE_BACKFILL_IN_BATCHES),
    ].join('\n'),
  },
  create() {
    // One finding per held lock and transaction, at the first write it holds up: the writes after it
    // wait behind the same lock, and are named in that finding instead of repeating it.
    let pending = new Map<string, HeldUp>();
    let transaction: number | undefined;
    const flush = (): void => {
      for (const held of pending.values()) report(held);
      pending = new Map();
    };
    return {
      Statement(_node, statement) {
        if (statement.transaction.id !== transaction) flush();
        transaction = statement.transaction.id;
        if (!statement.transaction.inBlock) return;
        const write = rowWriteOf(statement);
        if (!write || write.bounded || statement.schema.isNewTable(write.relation)) return;
        const lock = blockingHeldLock(statement, statement.schema.key(write.table));
        if (!lock) return;
        const key = `${lock.key}\0${lock.mode}`;
        const first = pending.get(key);
        if (first) first.later.push(`${write.verb} of ${displayName(write.table)}`);
        else pending.set(key, { statement, write, lock, later: [] });
      },
      'File:exit': flush,
    };
  },
});

/** A held lock and the writes of the transaction that run under it: the first, and what follows. */
interface HeldUp {
  readonly statement: StatementContext;
  readonly write: RowWrite;
  readonly lock: LockAcquisition;
  readonly later: string[];
}

function report({ statement, write, lock, later }: HeldUp): void {
  const heldName = displayName(lock.relation);
  const untilWhen = later.length === 0 ? `the whole ${write.verb} commits` : 'the transaction commits';
  const also = later.length === 0 ? '' : ` The same lock is held through ${later.length === 1 ? 'the later write' : `${later.length} later writes`} of this transaction: ${later.join(', ')}.`;
  statement.report({
    message: `${write.verb} of ${displayName(write.table)} runs while this transaction holds ${lock.mode} on ${heldName} (taken by ${lock.form.title}), which ${describeImpact(lock.mode)} of ${heldName} until ${untilWhen}.${also}`,
    help: [
      `-- Migration 1: the statements before this one, committed on their own: the lock on ${heldName} is released at the commit`,
      migrationStep(2, 'the backfill, in a later migration (or after a COMMIT)', batchedWriteHelp(statement, write)),
      ...(later.length === 0 ? [] : [`-- Batch the later writes the same way, outside the lock's transaction: ${later.join(', ')}`]),
    ].join('\n'),
    lock,
  });
}

/** The held lock that blocks traffic on an existing table: the one on the written table first, else the strongest. */
function blockingHeldLock(statement: StatementContext, writtenKey: string): LockAcquisition | undefined {
  const blocking = statement.transaction.heldLocks.filter(
    (lock) => lock.role !== 'index' && blocksTraffic(lock.mode) && !statement.schema.isNewTable(lock.relation),
  );
  const byStrength = [...blocking].sort((left, right) => lockStrength(right.mode) - lockStrength(left.mode));
  return byStrength.find((lock) => lock.key === writtenKey) ?? byStrength[0];
}
