import type { TypeName } from '@pgsql/types';
import { baseTypeName, formatTypeName, typeModifiers } from './ast.js';

export type TypeChangeVerdict =
  | { readonly rewrites: false; readonly reason: string }
  | { readonly rewrites: true; readonly reason: string }
  | { readonly rewrites: 'unknown'; readonly reason: string };

const VARCHAR = new Set(['varchar']);
const TEXT_LIKE = new Set(['text', 'varchar']);

/**
 * Whether `ALTER COLUMN ... TYPE` rewrites the table: it does not when the stored values are
 * already valid for the new type (binary coercible, no USING) and the new type is at least as wide.
 */
export function typeChangeVerdict(oldType: TypeName | undefined, newType: TypeName | undefined, hasUsing: boolean, sessionTimeZoneIsUtc: boolean): TypeChangeVerdict {
  const to = formatTypeName(newType) ?? 'the new type';
  if (hasUsing) return { rewrites: true, reason: `a USING expression recomputes every value as ${to}` };
  if (!oldType) return { rewrites: 'unknown', reason: `the old type is unknown here; only binary-compatible widenings (such as varchar(n) to varchar(m ≥ n) or to text, numeric(p,s) to numeric(q ≥ p,s)) avoid the rewrite` };
  const from = formatTypeName(oldType) ?? 'the old type';
  if (!newType) return { rewrites: 'unknown', reason: `the new type of ${from} is unknown` };
  if (isArray(oldType) !== isArray(newType)) return { rewrites: true, reason: `${from} to ${to} converts every value` };
  const widening = wideningReason(oldType, newType, sessionTimeZoneIsUtc);
  if (widening) return { rewrites: false, reason: `${from} to ${to} is ${widening}` };
  return { rewrites: true, reason: `${from} to ${to} is not binary compatible, so every row is rewritten` };
}

function isArray(type: TypeName | undefined): boolean {
  return (type?.arrayBounds?.length ?? 0) > 0;
}

function wideningReason(oldType: TypeName, newType: TypeName, sessionTimeZoneIsUtc: boolean): string | undefined {
  const from = baseTypeName(oldType) ?? '';
  const to = baseTypeName(newType) ?? '';
  const oldModifiers = typeModifiers(oldType);
  const newModifiers = typeModifiers(newType);
  if (from === to && sameOrWider(from, oldModifiers, newModifiers)) return 'a widening of the same type';
  if (TEXT_LIKE.has(from) && to === 'text') return 'binary compatible';
  if (from === 'text' && VARCHAR.has(to) && newModifiers.length === 0) return 'binary compatible';
  if (VARCHAR.has(from) && VARCHAR.has(to) && sameOrWider('varchar', oldModifiers, newModifiers)) return 'a widening';
  if (from === 'cidr' && to === 'inet') return 'binary compatible';
  if (from === 'timestamp' && to === 'timestamp with time zone' && sessionTimeZoneIsUtc) {
    return 'free when the session time zone is UTC (PostgreSQL 12+)';
  }
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
