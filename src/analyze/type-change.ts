import type { TypeName } from '@pgsql/types';
import { baseTypeName, formatTypeName, typeModifiers } from './ast.js';

export type TypeChangeVerdict =
  | {
      readonly rewrites: false;
      readonly reason: string;
      /** The indexes on the column are built again (their operator class changes: timestamp to timestamptz), each reading the whole table. */
      readonly rebuildsIndexes: boolean;
    }
  | { readonly rewrites: true; readonly reason: string }
  | { readonly rewrites: 'unknown'; readonly reason: string };

/** What the verdict depends on besides the types: the server and the session that runs the change. */
export interface TypeChangeSession {
  readonly pgVersion: number;
  /** The session's TimeZone has no offset from UTC (`timeZoneIsUtc`). */
  readonly timeZoneIsUtc: boolean;
  /** The session's TimeZone is known (a SET in the file, or the configuration's `timeZone`). */
  readonly timeZoneKnown?: boolean;
}

const TIMESTAMPS = new Set(['timestamp', 'timestamp with time zone']);
/** timestamp(6) is timestamp. */
const MAX_TIMESTAMP_PRECISION = 6;

const VARCHAR = new Set(['varchar']);
const TEXT_LIKE = new Set(['text', 'varchar']);

/**
 * Whether `ALTER COLUMN ... TYPE` rewrites the table: it does not when the stored values are
 * already valid for the new type (binary coercible, no USING) and the new type is at least as wide.
 * timestamp and timestamptz store the same microseconds: from PostgreSQL 12 a change between them
 * rewrites nothing when the session's time zone is UTC, though the column's indexes are built again.
 */
export function typeChangeVerdict(oldType: TypeName | undefined, newType: TypeName | undefined, hasUsing: boolean, session: TypeChangeSession): TypeChangeVerdict {
  const to = formatTypeName(newType) ?? 'the new type';
  if (hasUsing) return { rewrites: true, reason: `a USING expression recomputes every value as ${to}` };
  if (!oldType) return { rewrites: 'unknown', reason: `the old type is unknown here; only binary-compatible widenings (such as varchar(n) to varchar(m ≥ n) or to text, numeric(p,s) to numeric(q ≥ p,s)) avoid the rewrite` };
  const from = formatTypeName(oldType) ?? 'the old type';
  if (!newType) return { rewrites: 'unknown', reason: `the new type of ${from} is unknown` };
  if (isArray(oldType) !== isArray(newType)) return { rewrites: true, reason: `${from} to ${to} converts every value` };
  const timestamps = timestampChange(oldType, newType, session);
  if (timestamps) return timestamps;
  const widening = wideningReason(oldType, newType);
  if (widening) return { rewrites: false, reason: `${from} to ${to} is ${widening}`, rebuildsIndexes: false };
  return { rewrites: true, reason: `${from} to ${to} is not binary compatible, so every row is rewritten` };
}

/** timestamp to timestamptz or back, same precision: free from PostgreSQL 12 in a session whose time zone is UTC. */
function timestampChange(oldType: TypeName, newType: TypeName, session: TypeChangeSession): TypeChangeVerdict | undefined {
  const from = baseTypeName(oldType) ?? '';
  const to = baseTypeName(newType) ?? '';
  if (from === to || !TIMESTAMPS.has(from) || !TIMESTAMPS.has(to)) return undefined;
  const change = `${formatTypeName(oldType) ?? from} to ${formatTypeName(newType) ?? to}`;
  if (session.pgVersion < 12) return { rewrites: true, reason: `before PostgreSQL 12, ${change} always rewrites every row` };
  // The conversion yields full precision; a lower one is applied to every value again (checked on real servers).
  const [precision] = typeModifiers(newType);
  if (precision !== undefined && precision < MAX_TIMESTAMP_PRECISION) return { rewrites: true, reason: `${change} rounds every value to precision ${precision} again, so every row is rewritten` };
  if (!session.timeZoneIsUtc) {
    const zone = session.timeZoneKnown === false ? "the session's time zone, not known to be UTC here (SET timezone = 'UTC', or the timeZone setting when the server's is UTC)" : "the session's time zone, which is not UTC";
    return { rewrites: true, reason: `${change} converts every value with ${zone}, so every row is rewritten` };
  }
  return { rewrites: false, reason: `in a UTC session ${change} keeps every stored value, PostgreSQL 12+`, rebuildsIndexes: true };
}

function isArray(type: TypeName | undefined): boolean {
  return (type?.arrayBounds?.length ?? 0) > 0;
}

function wideningReason(oldType: TypeName, newType: TypeName): string | undefined {
  const from = baseTypeName(oldType) ?? '';
  const to = baseTypeName(newType) ?? '';
  const oldModifiers = typeModifiers(oldType);
  const newModifiers = typeModifiers(newType);
  if (from === to && sameOrWider(from, oldModifiers, newModifiers)) return 'a widening of the same type';
  if (TEXT_LIKE.has(from) && to === 'text') return 'binary compatible';
  if (from === 'text' && VARCHAR.has(to) && newModifiers.length === 0) return 'binary compatible';
  if (VARCHAR.has(from) && VARCHAR.has(to) && sameOrWider('varchar', oldModifiers, newModifiers)) return 'a widening';
  if (from === 'cidr' && to === 'inet') return 'binary compatible';
  return undefined;
}

/** Same type with modifiers that admit every old value: a longer length, more precision at the same scale. */
function sameOrWider(type: string, oldModifiers: readonly number[], newModifiers: readonly number[]): boolean {
  if (newModifiers.length === 0) return ['varchar', 'numeric', 'bit varying', 'text'].includes(type) || oldModifiers.length === 0;
  if (oldModifiers.length === 0) return false;
  if (type === 'numeric') {
    const [oldPrecision = 0, oldScale = 0] = oldModifiers;
    const [newPrecision = 0, newScale = 0] = newModifiers;
    return newScale === oldScale && newPrecision >= oldPrecision;
  }
  if (['varchar', 'bit varying'].includes(type)) return (newModifiers[0] ?? 0) >= (oldModifiers[0] ?? 0);
  return newModifiers.every((modifier, index) => modifier === oldModifiers[index]);
}
