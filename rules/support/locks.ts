import { type LockAcquisition, type LockMode, type StatementContext, lockImpact, lockStrength } from '../../src/api.js';

/** Who waits while `mode` is held on a table: `every read and write of agents`. */
export function whoWaits(mode: LockMode, tableName: string): string {
  const impact = lockImpact(mode);
  if (impact.blocksReads) return `every read and write of ${tableName}`;
  if (impact.blocksWrites) return `every INSERT, UPDATE and DELETE on ${tableName}`;
  return `every other schema change of ${tableName}`;
}

/** The strongest of the statement's locks on a relation (by its key), or undefined when it takes none there. */
export function strongestLockOn(locks: readonly LockAcquisition[], key: string): LockAcquisition | undefined {
  let strongest: LockAcquisition | undefined;
  for (const lock of locks) {
    if (lock.key === key && (!strongest || lockStrength(lock.mode) > lockStrength(strongest.mode))) strongest = lock;
  }
  return strongest;
}

/** The lock a statement takes on its own table in a given statement form, for the report. */
export function formLock(statement: StatementContext, form: string): LockAcquisition | undefined {
  return statement.locks.find((lock) => lock.role === 'table' && lock.form.id === form);
}

/** The statement rewrites its table (a volatile default, a serial column ...): that finding covers the rest. */
export function rewritesTable(statement: StatementContext): boolean {
  return statement.locks.some((lock) => lock.role === 'table' && lock.effect === 'rewrite');
}
