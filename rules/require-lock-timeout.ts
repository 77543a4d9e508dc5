import { type LockAcquisition, type StatementContext, blocksTraffic, defineRule, describeImpact, displayName, lockStrength, parseDuration, v } from '../src/api.js';
import { lockTimeoutFix } from './support/fixes.js';
import { lockTimeoutHelp } from './support/help.js';

const DEFAULT_MAX_LOCK_TIMEOUT = '5s';

export default defineRule({
  id: 'require-lock-timeout',
  meta: {
    description: 'A statement that takes a lock blocking reads or writes of an existing table while no lock_timeout (or too long a one) is in effect.',
    severity: 'warn',
    preset: 'strict',
    category: 'locking',
    hazard: [
      'A statement waits for its lock behind every query already running on the table, and PostgreSQL queues every',
      'later query whose lock conflicts with the one it waits for behind it (the lock queue). An `ALTER TABLE` that',
      'needs ACCESS EXCLUSIVE and waits behind one slow report stops all reads and writes of the table for as long',
      'as that report runs, although the ALTER itself takes a millisecond. `SET lock_timeout` bounds the wait: the',
      'statement fails instead, the traffic resumes, and the migration is retried later.',
      '',
      'Reported: a statement that takes SHARE or a stronger lock (anything that blocks writes, or reads and writes)',
      'on a table that existed before the migration, while the session has no `lock_timeout` (`SET`, `SET LOCAL`',
      'and `set_config` are followed; 0 means no limit) or one above `maxLockTimeout`. A lock the transaction',
      'already holds is not waited for again. `statement_timeout` also ends a lock wait, but it is sized for the',
      'work, not the wait, so it does not count.',
      '',
      'Why this rule is in `strict` and not `recommended`: common safe patterns (`ADD COLUMN` nullable,',
      '`CREATE POLICY`) take ACCESS EXCLUSIVE without a lock_timeout, and many teams set it once for the migration',
      'role (`ALTER ROLE migrator SET lock_timeout = \'5s\'`), which a linter cannot see. Turn it on when your',
      'migrations set it themselves.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);',
    good: ["SET lock_timeout = '5s';", 'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);'].join('\n'),
    options: v.object({
      maxLockTimeout: v.optional(
        v.pipe(
          v.string(),
          v.check((value) => parseDuration(value) !== undefined, 'expected a duration such as "5s", "500ms" or "1min"'),
          v.description('The longest lock_timeout accepted, as PostgreSQL writes a duration ("500ms", "5s", "1min"); a longer one is reported like a missing one.'),
        ),
        DEFAULT_MAX_LOCK_TIMEOUT,
      ),
    }),
  },
  create(context) {
    const maxText = context.options.maxLockTimeout;
    const max = parseDuration(maxText) ?? Infinity;
    return {
      Statement(_node, statement) {
        const waited = locksWaitedFor(statement);
        const [strongest] = waited;
        if (!strongest) return;
        const timeout = statement.settings.lockTimeout;
        const milliseconds = timeout?.milliseconds;
        // A value this linter cannot read is PostgreSQL's to judge.
        if (timeout && milliseconds === undefined) return;
        if (milliseconds !== undefined && milliseconds > 0 && milliseconds <= max) return;
        const names = [...new Set(waited.map((lock) => displayName(lock.relation)))].join(', ');
        const setting = milliseconds === undefined || milliseconds === 0 ? 'with no lock_timeout' : `with lock_timeout = '${timeout?.text ?? ''}', above the maximum of ${maxText}`;
        statement.report({
          message: `${strongest.form.title} takes ${strongest.mode} on ${displayName(strongest.relation)}, which ${describeImpact(strongest.mode)}, ${setting}: while it waits behind a running query, every later query of ${names} queues behind it.`,
          help: lockTimeoutHelp(statement.transaction.inBlock, maxText, names),
          lock: strongest,
          // The value and a retry on timeout are the team's choice: never applied unattended.
          suggestions: [lockTimeoutFix(statement, maxText)],
        });
      },
    };
  },
});

/** The locks this statement may have to wait for that block traffic: on existing tables, not already held, strongest first. */
function locksWaitedFor(statement: StatementContext): LockAcquisition[] {
  const candidates = statement.locks.filter((lock) => lock.role !== 'index' && blocksTraffic(lock.mode) && !statement.schema.isNewTable(lock.relation));
  // The held locks only for a statement that may wait: in a long transaction they are many.
  if (candidates.length === 0) return [];
  const held = statement.transaction.heldLocks;
  return candidates
    // From SHARE up, a stronger lock conflicts with everything a weaker one does: holding it means no wait.
    .filter((lock) => !held.some((other) => other.key === lock.key && lockStrength(other.mode) >= lockStrength(lock.mode)))
    .sort((left, right) => lockStrength(right.mode) - lockStrength(left.mode));
}
