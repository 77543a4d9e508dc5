import { LOCK_MODES, type LockMode, lockStrength } from '../analyze/lock-modes.js';
import { type ServerErrorFields, type SqlSession, serverErrorOf } from '../db/session.js';

/** A relation of a user schema as the catalog and this transaction's statistics show it. */
export interface RelationState {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** pg_class.relkind: r table, p partitioned table, m materialized view, i index, ... */
  readonly kind: string;
  /** Its data file; a new one after a rewrite. 0 for relations without storage. */
  readonly filenode: number;
  /** Sequential scans of it in this transaction (pg_stat_xact_user_tables). */
  readonly seqScans: number;
}

/** The user relations (system schemas left out), by oid. */
export type RelationSnapshot = ReadonlyMap<number, RelationState>;

const RELATIONS = `
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relfilenode::int AS filenode,
  coalesce(x.seq_scan, 0)::int AS "seqScans"
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_xact_user_tables x ON x.relid = c.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
  AND c.relkind IN ('r', 'p', 'm', 'i', 'I', 'f', 'v', 'S')`;

const HELD_LOCKS = "SELECT relation::int AS relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted";

export async function relations(session: SqlSession): Promise<Map<number, RelationState>> {
  const rows = (await session.run<RelationState>(RELATIONS)).rows;
  return new Map(rows.map((row) => [row.oid, row]));
}

/** The relation locks this backend holds, as lock modes by relation oid. */
export async function heldLocks(session: SqlSession): Promise<Map<number, LockMode[]>> {
  const rows = (await session.run<{ relation: number; mode: string }>(HELD_LOCKS)).rows;
  const held = new Map<number, LockMode[]>();
  for (const { relation, mode } of rows) held.set(relation, [...(held.get(relation) ?? []), lockModeOf(mode)]);
  return held;
}

/** pg_locks' `ShareUpdateExclusiveLock` is the documentation's SHARE UPDATE EXCLUSIVE. */
export function lockModeOf(pgLocksMode: string): LockMode {
  const mode = pgLocksMode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
  const known = LOCK_MODES.find((candidate) => candidate === mode);
  if (!known) throw new Error(`unexpected lock mode ${pgLocksMode}`);
  return known;
}

export function strongest(modes: readonly LockMode[] | undefined): LockMode | undefined {
  return modes?.reduce<LockMode | undefined>((left, right) => (left !== undefined && lockStrength(left) >= lockStrength(right) ? left : right), undefined);
}

/** What one statement did, seen from inside its transaction before it ends. */
export interface Observation {
  /** The relations before and after the statement. */
  readonly before: RelationSnapshot;
  readonly after: RelationSnapshot;
  /** Locks the statement took that were not held before it, by relation oid; undefined when they could not be seen (outside a transaction block). */
  readonly newLocks: ReadonlyMap<number, readonly LockMode[]> | undefined;
  /** Every lock held after it (earlier statements of the same transaction included), by relation oid. */
  readonly heldAfter: ReadonlyMap<number, readonly LockMode[]> | undefined;
  /** Relations with new data files (rewritten, or an index rebuilt); undefined when not observable. */
  readonly rewritten: readonly RelationState[] | undefined;
  /** Tables read in full (their sequential scan count grew); undefined when not observable. */
  readonly scanned: readonly RelationState[] | undefined;
  readonly milliseconds: number;
  readonly rowCount: number | undefined;
  readonly error: ServerErrorFields | undefined;
}

/**
 * Runs one statement and records what it did. `inBlock`: the session is inside a transaction block
 * that is still open after the statement, so pg_locks and this transaction's statistics still show
 * its effects; otherwise only the duration and the error are known.
 */
export async function observeStatement(session: SqlSession, sql: string, inBlock: boolean): Promise<Observation> {
  const before = inBlock ? await relations(session) : new Map<number, RelationState>();
  const locksBefore = inBlock ? await heldLocks(session) : undefined;
  const started = performance.now();
  let error: ServerErrorFields | undefined;
  let rowCount: number | undefined;
  try {
    rowCount = (await session.run(sql)).rowCount;
  } catch (thrown) {
    error = serverErrorOf(thrown);
    if (!error) throw thrown;
  }
  const milliseconds = performance.now() - started;
  if (!inBlock || error || !locksBefore) {
    return { before, after: before, newLocks: undefined, heldAfter: undefined, rewritten: undefined, scanned: undefined, milliseconds, rowCount, error };
  }
  const heldAfter = await heldLocks(session);
  const after = await relations(session);
  const newLocks = new Map<number, LockMode[]>();
  for (const [relation, modes] of heldAfter) {
    const fresh = modes.filter((mode) => !(locksBefore.get(relation) ?? []).includes(mode));
    if (fresh.length > 0) newLocks.set(relation, fresh);
  }
  const rewritten = [...before.values()].filter((relation) => {
    const now = after.get(relation.oid);
    return now !== undefined && relation.filenode !== 0 && now.filenode !== 0 && now.filenode !== relation.filenode;
  });
  const scanned = [...before.values()].filter((relation) => (after.get(relation.oid)?.seqScans ?? 0) > relation.seqScans);
  return { before, after, newLocks, heldAfter, rewritten, scanned, milliseconds, rowCount, error };
}
