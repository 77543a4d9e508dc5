import type { TypeName } from '@pgsql/types';
import { baseTypeName, typeModifiers } from './ast.js';

const INTEGERS = new Set(['smallint', 'integer', 'bigint']);
const FLOATS = new Set(['real', 'double precision']);
const TIMESTAMPS = new Set(['timestamp', 'timestamp with time zone']);
const TIMES = new Set(['time', 'time with time zone']);
/** Types whose modifier is a number of fractional-second digits (6 when none is written). */
const FRACTIONAL_SECONDS = new Set([...TIMESTAMPS, ...TIMES, 'interval']);

/**
 * What `ALTER COLUMN ... TYPE` throws away converting every value from `oldType` to `newType`,
 * in words (`rounds every value to 2 decimal places`); undefined when the conversion keeps every
 * value, fails instead of losing data (varchar(200) to varchar(50) errors on a long value), or
 * the old type is unknown.
 */
export function lostInConversion(oldType: TypeName | undefined, newType: TypeName | undefined): string | undefined {
  const from = baseTypeName(oldType);
  const to = baseTypeName(newType);
  if (from === undefined || to === undefined || isArray(oldType) !== isArray(newType)) return undefined;
  const [oldFirst, oldSecond] = typeModifiers(oldType);
  const [newFirst, newSecond] = typeModifiers(newType);
  if (from === 'numeric' && to === 'numeric' && newFirst !== undefined) {
    // An unconstrained numeric keeps any number of decimals.
    const oldScale = oldFirst === undefined ? Infinity : (oldSecond ?? 0);
    if ((newSecond ?? 0) < oldScale) return `rounds every value to ${newSecond ?? 0} decimal places`;
  }
  if ((from === 'numeric' || FLOATS.has(from)) && INTEGERS.has(to)) return 'rounds away every fraction';
  if (FLOATS.has(from) && to === 'numeric' && newFirst !== undefined) return `rounds every value to ${newSecond ?? 0} decimal places`;
  if (from === 'double precision' && to === 'real') return 'keeps about 6 significant digits of the 15 a double precision holds';
  if (TIMESTAMPS.has(from) && to === 'date') return 'drops the time of day';
  if (TIMESTAMPS.has(from) && TIMES.has(to)) return 'drops the date';
  if (FRACTIONAL_SECONDS.has(from) && from === to && newFirst !== undefined && newFirst < (oldFirst ?? 6)) {
    return `rounds every value to ${newFirst} fractional digits of a second`;
  }
  return undefined;
}

function isArray(type: TypeName | undefined): boolean {
  return (type?.arrayBounds?.length ?? 0) > 0;
}
