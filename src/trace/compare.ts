import type { StatementAnalysis } from '../analyze/index.js';
import type { LockAcquisition } from '../analyze/classify.js';
import { type LockMode, blocksTraffic, lockStrength } from '../analyze/lock-modes.js';
import { type Observation, type RelationState, strongest } from './observe.js';

/** What the server did that the static analysis says otherwise. */
export interface Disagreement {
  readonly kind: 'lock' | 'rewrite' | 'scan';
  readonly relation: string;
  /** What the analysis claims, in words ("ACCESS EXCLUSIVE", "no rewrite"). */
  readonly claimed: string;
  /** What the server showed, in words, with the evidence. */
  readonly observed: string;
}

const TABLE_KINDS = new Set(['r', 'p', 'm']);

/**
 * Compares one statement's observation with its analysis: the lock on each relation the analysis
 * names (pg_locks), locks that block traffic on tables it does not name, rewrites (relfilenode)
 * and full scans (pg_stat_xact_user_tables). Nothing is compared where the server showed nothing:
 * a statement that ran outside a transaction block keeps no locks to read.
 */
export function compareWithAnalysis(analysis: StatementAnalysis, observation: Observation): Disagreement[] {
  const { newLocks, heldAfter, rewritten, scanned, before } = observation;
  if (!newLocks || !heldAfter || !rewritten || !scanned) return [];
  const disagreements: Disagreement[] = [];
  const claimedOids = new Set<number>();
  for (const lock of analysis.locks) {
    const relation = resolve(lock, before);
    if (!relation) continue;
    claimedOids.add(relation.oid);
    const name = qualified(relation);
    const lockSeen = lockDisagreement(lock.mode, newLocks.get(relation.oid) ?? [], heldAfter.get(relation.oid) ?? []);
    if (lockSeen) disagreements.push({ kind: 'lock', relation: name, claimed: lock.mode, observed: lockSeen });
    // What a row write reads depends on its plan (an UPDATE ... WHERE on an unindexed column reads the table), not on a lock it holds.
    if (lock.role === 'index' || lock.form.id === 'write-rows') continue;
    const isRewritten = rewritten.some((entry) => entry.oid === relation.oid);
    const claimsRewrite = lock.effect === 'rewrite' && lock.role === 'table';
    if (TABLE_KINDS.has(relation.kind) && relation.kind !== 'p' && isRewritten !== claimsRewrite) {
      disagreements.push({
        kind: 'rewrite',
        relation: name,
        claimed: claimsRewrite ? 'a rewrite' : 'no rewrite',
        observed: isRewritten ? 'rewritten: pg_class.relfilenode changed' : 'not rewritten: pg_class.relfilenode unchanged',
      });
    }
    const isScanned = scanned.some((entry) => entry.oid === relation.oid);
    // A rewrite reads the table too; ATTACH PARTITION's scan falls on the partition, another relation of the statement.
    if (lock.effect !== 'rewrite' && lock.role === 'table' && relation.kind === 'r' && lock.form.effectOn === undefined && isScanned !== (lock.effect === 'scan')) {
      disagreements.push({
        kind: 'scan',
        relation: name,
        claimed: lock.effect === 'scan' ? 'a full scan' : 'no scan',
        observed: isScanned ? 'read in full: pg_stat_xact_user_tables.seq_scan grew' : 'not read: pg_stat_xact_user_tables.seq_scan unchanged',
      });
    }
  }
  for (const [oid, modes] of newLocks) {
    const relation = before.get(oid);
    const mode = strongest(modes);
    if (!relation || claimedOids.has(oid) || !TABLE_KINDS.has(relation.kind) || !mode || !blocksTraffic(mode)) continue;
    disagreements.push({ kind: 'lock', relation: qualified(relation), claimed: 'no lock', observed: `${mode} (pg_locks)` });
  }
  return disagreements;
}

/**
 * The claim holds when the relation is locked in the claimed mode and the statement took nothing
 * stronger; a lock already held from earlier in the transaction hides the statement's own.
 */
function lockDisagreement(claimed: LockMode, fresh: readonly LockMode[], held: readonly LockMode[]): string | undefined {
  const strongestFresh = strongest(fresh);
  if (strongestFresh !== undefined && lockStrength(strongestFresh) > lockStrength(claimed)) return `${strongestFresh} (pg_locks)`;
  if (held.includes(claimed)) return undefined;
  const strongestHeld = strongest(held);
  if (strongestHeld !== undefined && fresh.length === 0 && lockStrength(strongestHeld) >= lockStrength(claimed)) return undefined;
  return strongestHeld === undefined ? 'no lock (pg_locks)' : `${strongestHeld} (pg_locks)`;
}

/** The relation an acquisition names, as it existed before the statement: its schema, or the first with that name. */
function resolve(lock: LockAcquisition, before: ReadonlyMap<number, RelationState>): RelationState | undefined {
  const candidates = [...before.values()].filter((relation) => relation.name === lock.relation.name);
  if (lock.relation.schema !== undefined) return candidates.find((relation) => relation.schema === lock.relation.schema);
  return candidates.find((relation) => relation.schema === 'public') ?? candidates[0];
}

function qualified(relation: RelationState): string {
  return relation.schema === 'public' ? relation.name : `${relation.schema}.${relation.name}`;
}
