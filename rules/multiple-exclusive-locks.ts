import { type LockAcquisition, type StatementContext, defineRule, displayName } from '../src/api.js';

export default defineRule({
  id: 'multiple-exclusive-locks',
  meta: {
    description: 'One transaction takes ACCESS EXCLUSIVE on two or more existing tables.',
    severity: 'warn',
    preset: 'strict',
    category: 'locking',
    hazard: [
      'ACCESS EXCLUSIVE blocks every read and write of a table until the transaction ends. A transaction that takes',
      'it on one table and then on another keeps the first one down while it waits for the second, so both',
      'outages add up; and a session that locks the same tables in the other order (a query joining them, another',
      'migration) deadlocks with it, and PostgreSQL aborts one of the two.',
      '',
      'Change one table per transaction. Reported once per transaction, at the statement that takes ACCESS',
      'EXCLUSIVE on a second table. One statement that locks several tables (`DROP TABLE a, b`, `DETACH PARTITION`)',
      'is not reported on its own, nor are tables created in the same migration.',
    ].join('\n'),
    bad: ['BEGIN;', 'ALTER TABLE agents ADD COLUMN team_name text;', 'ALTER TABLE teams ADD COLUMN agent_count integer;', 'COMMIT;'].join('\n'),
    good: [
      '-- Migration 1:',
      'ALTER TABLE agents ADD COLUMN team_name text;',
      '-- Migration 2:',
      'ALTER TABLE teams ADD COLUMN agent_count integer;',
    ].join('\n'),
  },
  create() {
    const reported = new Set<number>();
    return {
      Statement(_node, statement) {
        if (reported.has(statement.transaction.id)) return;
        // This statement's own locks first: the transaction's held locks, many in a long one, only when it takes one.
        const taken = exclusiveLocks(statement, statement.locks);
        if (taken.length === 0) return;
        const held = exclusiveLocks(statement, statement.transaction.heldLocks);
        const [first] = held;
        if (!first) return;
        const heldKeys = new Set(held.map((lock) => lock.key));
        const second = taken.find((lock) => !heldKeys.has(lock.key));
        if (!second) return;
        reported.add(statement.transaction.id);
        const firstName = displayName(first.relation);
        const secondName = displayName(second.relation);
        statement.report({
          message: `${second.form.title} takes ACCESS EXCLUSIVE on ${secondName} while this transaction already holds ACCESS EXCLUSIVE on ${firstName} (taken by ${first.form.title}): reads and writes of both wait until the transaction commits, and a session that locks them in the other order deadlocks with it.`,
          help: [
            `-- One table per transaction: commit the changes to ${firstName} first (COMMIT, or end the migration there).`,
            `-- Migration 1: the statements that change ${firstName}`,
            `-- Migration 2: the statements that change ${secondName}, from this one on`,
          ].join('\n'),
          lock: second,
        });
      },
    };
  },
});

function exclusiveLocks(statement: StatementContext, locks: readonly LockAcquisition[]): LockAcquisition[] {
  return locks.filter((lock) => lock.role !== 'index' && lock.mode === 'ACCESS EXCLUSIVE' && !statement.schema.isNewTable(lock.relation));
}
