import type { Node } from '@pgsql/types';
import { nameOfList, stringsOf, walk } from './ast.js';
import type { Volatility } from './schema-state.js';

/** Built-in functions whose volatility decides whether a default rewrites the table. */
const BUILT_IN_VOLATILITY: Readonly<Record<string, Volatility>> = {
  // Volatile: a different value for every row.
  random: 'volatile',
  random_normal: 'volatile',
  gen_random_uuid: 'volatile',
  uuidv4: 'volatile',
  uuidv7: 'volatile',
  uuid_generate_v1: 'volatile',
  uuid_generate_v1mc: 'volatile',
  uuid_generate_v4: 'volatile',
  gen_random_bytes: 'volatile',
  clock_timestamp: 'volatile',
  timeofday: 'volatile',
  nextval: 'volatile',
  setval: 'volatile',
  currval: 'volatile',
  lastval: 'volatile',
  setseed: 'volatile',
  txid_current: 'stable',
  // Stable: one value for the whole statement.
  now: 'stable',
  transaction_timestamp: 'stable',
  statement_timestamp: 'stable',
  current_setting: 'stable',
  to_char: 'stable',
  to_json: 'stable',
  to_jsonb: 'stable',
  json_build_object: 'stable',
  jsonb_build_object: 'stable',
  json_build_array: 'stable',
  jsonb_build_array: 'stable',
  concat: 'stable',
  concat_ws: 'stable',
  age: 'stable',
  date_trunc: 'stable',
  // timezone('utc', now()) is the Supabase dashboard's default for created_at; AT TIME ZONE parses as timezone().
  timezone: 'stable',
  date_part: 'stable',
  extract: 'stable',
  date: 'stable',
  to_date: 'stable',
  to_number: 'stable',
  to_tsvector: 'stable',
  array_to_string: 'stable',
  make_timestamptz: 'stable',
  current_schema: 'stable',
  // Supabase Auth's helpers, declared STABLE.
  'auth.uid': 'stable',
  'auth.jwt': 'stable',
  'auth.role': 'stable',
  'auth.email': 'stable',
  // Immutable: the same value for the same arguments.
  lower: 'immutable',
  upper: 'immutable',
  btrim: 'immutable',
  ltrim: 'immutable',
  rtrim: 'immutable',
  substr: 'immutable',
  replace: 'immutable',
  md5: 'immutable',
  abs: 'immutable',
  round: 'immutable',
  floor: 'immutable',
  ceil: 'immutable',
  length: 'immutable',
  char_length: 'immutable',
  array_length: 'immutable',
  make_interval: 'immutable',
  to_timestamp: 'stable',
  jsonb_object: 'immutable',
  jsonb_array_length: 'immutable',
  int4: 'immutable',
  int8: 'immutable',
  numeric: 'immutable',
  text: 'immutable',
  left: 'immutable',
  right: 'immutable',
  lpad: 'immutable',
  rpad: 'immutable',
  initcap: 'immutable',
  translate: 'immutable',
  regexp_replace: 'immutable',
  substring: 'immutable',
  encode: 'immutable',
  decode: 'immutable',
  string_to_array: 'immutable',
  array_append: 'immutable',
  jsonb_set: 'immutable',
  make_date: 'immutable',
  power: 'immutable',
  trunc: 'immutable',
  mod: 'immutable',
};

const RANK: Readonly<Record<Volatility, number>> = { immutable: 0, stable: 1, volatile: 2 };

export interface ExpressionVolatility {
  /** The volatility of the expression, counting only the functions whose volatility is known. */
  readonly volatility: Volatility;
  /** Functions known to be volatile, as called. */
  readonly volatileCalls: readonly string[];
  /** Functions of unknown volatility: the verdict depends on how they were declared. */
  readonly unknownCalls: readonly string[];
}

/**
 * How volatile an expression is. `lookup` knows the functions the migrations created;
 * built-ins are known here; anything else is reported as unknown rather than guessed.
 */
export function expressionVolatility(expression: Node | undefined, lookup: (name: string, schema: string | undefined) => Volatility | undefined): ExpressionVolatility {
  let volatility: Volatility = 'immutable';
  const volatileCalls: string[] = [];
  const unknownCalls: string[] = [];
  const raise = (level: Volatility): void => {
    if (RANK[level] > RANK[volatility]) volatility = level;
  };
  walk(expression, (type, fields) => {
    if (type === 'SQLValueFunction') raise('stable');
    if (type !== 'FuncCall') return;
    const name = nameOfList(fields.funcname as Node[] | undefined);
    if (!name) return;
    const written = stringsOf(fields.funcname as Node[] | undefined).join('.');
    // Extension functions such as uuid_generate_v4() often live in a schema of their own (Supabase: extensions).
    const builtIn = (name.schema === undefined ? undefined : BUILT_IN_VOLATILITY[`${name.schema}.${name.name}`]) ?? BUILT_IN_VOLATILITY[name.name];
    const known = lookup(name.name, name.schema) ?? builtIn;
    if (known === undefined) unknownCalls.push(`${written}()`);
    else {
      raise(known);
      if (known === 'volatile') volatileCalls.push(`${written}()`);
    }
  });
  return { volatility, volatileCalls, unknownCalls };
}
