/** PostgreSQL's table-level lock modes, weakest first. */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** What a lock held by a migration stops the running application (and other migrations) from doing. */
export interface LockImpact {
  /** Plain SELECT waits. */
  readonly blocksReads: boolean;
  /** INSERT, UPDATE, DELETE wait. */
  readonly blocksWrites: boolean;
  /** Other schema changes and maintenance (CREATE INDEX, VACUUM, ALTER TABLE) wait. */
  readonly blocksDdl: boolean;
}

const IMPACTS: Readonly<Record<LockMode, LockImpact>> = {
  'ACCESS SHARE': { blocksReads: false, blocksWrites: false, blocksDdl: false },
  'ROW SHARE': { blocksReads: false, blocksWrites: false, blocksDdl: false },
  'ROW EXCLUSIVE': { blocksReads: false, blocksWrites: false, blocksDdl: true },
  'SHARE UPDATE EXCLUSIVE': { blocksReads: false, blocksWrites: false, blocksDdl: true },
  SHARE: { blocksReads: false, blocksWrites: true, blocksDdl: true },
  'SHARE ROW EXCLUSIVE': { blocksReads: false, blocksWrites: true, blocksDdl: true },
  EXCLUSIVE: { blocksReads: false, blocksWrites: true, blocksDdl: true },
  'ACCESS EXCLUSIVE': { blocksReads: true, blocksWrites: true, blocksDdl: true },
};

export function lockImpact(mode: LockMode): LockImpact {
  return IMPACTS[mode];
}

export function lockStrength(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

export function strongerLock(left: LockMode, right: LockMode): LockMode {
  return lockStrength(left) >= lockStrength(right) ? left : right;
}

/** Whether the running application notices the lock: it blocks its reads or its writes. */
export function blocksTraffic(mode: LockMode): boolean {
  const impact = IMPACTS[mode];
  return impact.blocksReads || impact.blocksWrites;
}

/** "blocks reads and writes", "blocks writes", "blocks other schema changes". */
export function describeImpact(mode: LockMode): string {
  const impact = IMPACTS[mode];
  if (impact.blocksReads) return 'blocks reads and writes';
  if (impact.blocksWrites) return 'blocks writes (reads continue)';
  if (impact.blocksDdl) return 'reads and writes continue; blocks other schema changes';
  return 'blocks nothing the application does';
}
