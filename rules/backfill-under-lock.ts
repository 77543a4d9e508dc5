import { type LockAcquisition, type StatementContext, blocksTraffic, defineRule, describeImpact, displayName, lockStrength } from '../src/api.js';
import { GUIDE_BACKFILL_IN_BATCHES, batchedWriteHelp, rowWriteOf } from './support/backfill.js';
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
      '`WHERE id = ...`), which hold the lock only briefly.',
    ].join('\n'),
    bad: ['BEGIN;', 'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);', "UPDATE agents SET new_field = 'default_value' WHERE new_field IS NULL;", 'COMMIT;'].join('\n'),
    good: [
      '-- Migration 1: the schema change alone; the lock is released when it commits',
      'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);',
      migrationStep(2, 'backfill in batches', GUIDE_BACKFILL_IN_BATCHES),
    ].join('\n'),
  },
  create() {
    return {
      Statement(_node, statement) {
        if (!statement.transaction.inBlock) return;
        const write = rowWriteOf(statement);
        if (!write || write.bounded || statement.schema.isNewTable(write.relation)) return;
        const held = blockingHeldLock(statement, statement.schema.key(write.table));
        if (!held) return;
        const heldName = displayName(held.relation);
        statement.report({
          message: `${write.verb} of ${displayName(write.table)} runs while this transaction holds ${held.mode} on ${heldName} (taken by ${held.form.title}), which ${describeImpact(held.mode)} of ${heldName} until the whole ${write.verb} commits.`,
          help: [
            `-- Migration 1: the statements before this one, committed on their own: the lock on ${heldName} is released at the commit`,
            migrationStep(2, 'the backfill, in a later migration (or after a COMMIT)', batchedWriteHelp(statement, write)),
          ].join('\n'),
          lock: held,
        });
      },
    };
  },
});

/** The held lock that blocks traffic on an existing table: the one on the written table first, else the strongest. */
function blockingHeldLock(statement: StatementContext, writtenKey: string): LockAcquisition | undefined {
  const blocking = statement.transaction.heldLocks.filter(
    (lock) => lock.role !== 'index' && blocksTraffic(lock.mode) && !statement.schema.isNewTable(lock.relation),
  );
  const byStrength = [...blocking].sort((left, right) => lockStrength(right.mode) - lockStrength(left.mode));
  return byStrength.find((lock) => lock.key === writtenKey) ?? byStrength[0];
}
