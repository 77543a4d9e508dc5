import { type LockAcquisition, type StatementContext, blocksTraffic, defineRule, describeImpact, displayName, lockStrength } from '../src/api.js';

export default defineRule({
  id: 'require-statement-timeout',
  meta: {
    description: 'A statement that rewrites or reads a whole existing table while holding a lock that blocks its traffic, with no statement_timeout in effect.',
    severity: 'warn',
    preset: 'strict',
    category: 'locking',
    hazard: [
      '`lock_timeout` bounds how long a statement waits for its lock (`require-lock-timeout`); once it has the lock,',
      'nothing bounds how long it keeps it. A statement that rewrites or reads the whole table while holding a lock',
      'that blocks reads or writes (a type change, a `SET NOT NULL` scan, a constraint validated in place, an',
      'index built without `CONCURRENTLY`) stops the application\'s traffic for as long as it runs, and on a table',
      'larger than expected that is minutes or hours. `SET statement_timeout` turns that into a failed migration',
      'after a known time: the lock is released and the traffic resumes.',
      '',
      'Reported: such a statement on a table that existed before the migration while no `statement_timeout` is set',
      '(`SET`, `SET LOCAL` and `set_config` are followed; 0 means no limit). Most of these statements are reported',
      'by a `recommended` rule too; this one asks that, when one is run anyway (a small table, a maintenance',
      'window), its cost is bounded. Size the timeout from a run on a copy of the data.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ALTER COLUMN status SET NOT NULL;',
    good: [
      "SET statement_timeout = '5s';",
      '-- migrate-safe-ignore set-not-null-scan: agents has 2,000 rows',
      'ALTER TABLE agents ALTER COLUMN status SET NOT NULL;',
      'RESET statement_timeout;',
    ].join('\n'),
  },
  create() {
    return {
      Statement(_node, statement) {
        const lock = blockingWork(statement);
        if (!lock || (statement.settings.statementTimeout?.milliseconds ?? 0) > 0) return;
        // A value this linter cannot read is PostgreSQL's to judge.
        if (statement.settings.statementTimeout && statement.settings.statementTimeout.milliseconds === undefined) return;
        const name = displayName(lock.relation);
        const set = statement.transaction.inBlock ? 'SET LOCAL' : 'SET';
        statement.report({
          message: `${lock.form.title} ${lock.effect === 'rewrite' ? 'rewrites' : 'reads all of'} ${name} while holding ${lock.mode}, which ${describeImpact(lock.mode)}, with no statement_timeout: however long it runs on a large table, the application's traffic on ${name} waits that long.`,
          help: [
            `-- Before the statement${statement.transaction.inBlock ? ', inside its transaction' : ''}: bound how long it can hold the lock; it fails after the timeout and the traffic`,
            `-- resumes (size the timeout from a run on a copy of the data).`,
            `${set} statement_timeout = '5s';`,
            ...(statement.transaction.inBlock ? [] : ['-- and after it: RESET statement_timeout;']),
          ].join('\n'),
          lock,
        });
      },
    };
  },
});

/** The strongest traffic-blocking lock under which the statement rewrites or reads a table that existed before the migration. */
function blockingWork(statement: StatementContext): LockAcquisition | undefined {
  let strongest: LockAcquisition | undefined;
  for (const lock of statement.locks) {
    if (lock.role === 'index' || lock.effect === 'none' || !blocksTraffic(lock.mode) || statement.schema.isNewTable(lock.relation)) continue;
    if (!strongest || lockStrength(lock.mode) > lockStrength(strongest.mode)) strongest = lock;
  }
  return strongest;
}
