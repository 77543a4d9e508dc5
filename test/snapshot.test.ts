import { deserialize, serialize } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/analyze/index.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { decodeState, encodeState } from '../src/engine/snapshot.js';
import { loadParser, parseSource } from '../src/parse/parser.js';

beforeAll(loadParser);

/**
 * The persistent cache keeps the schema after a history with each object encoded on its own, and
 * decodes an object only when a later migration reads it (src/engine/snapshot.ts). A state read
 * back must answer every question as the state it was written from, before and after more
 * migrations change it, and written again must still be the same state.
 */

const HISTORY = `
  CREATE TABLE accounts (id bigint PRIMARY KEY, email text UNIQUE, age int CHECK (age > 0));
  CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
  CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE INDEX accounts_email_lower ON accounts (lower(email));
  CREATE INDEX accounts_age ON accounts (age);
  CREATE INDEX events_at ON events (at);
  ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own ON accounts USING (id = 1);
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;
  CREATE TRIGGER touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE TYPE mood AS ENUM ('sad', 'ok');
  CREATE SCHEMA audit;
  CREATE TABLE audit.log (id bigint, CHECK (id > 0));
  DROP INDEX accounts_age;
`;

/** Later migrations: they read some objects, change others, and take names PostgreSQL chooses from those the schema holds. */
const LATER = [
  'ALTER TABLE accounts ADD CHECK (age < 200); ALTER TABLE audit.log ADD CHECK (id < 10);',
  'CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM (\'2025-01-01\') TO (\'2026-01-01\');',
  'ALTER TABLE events RENAME TO happenings; CREATE INDEX ON accounts (email);',
  'DROP INDEX IF EXISTS accounts_age; CREATE INDEX accounts_age ON accounts (age); ALTER TYPE mood ADD VALUE \'happy\';',
  'ALTER TABLE accounts DROP COLUMN age; CREATE POLICY others ON accounts USING (id = 2);',
  // Made again, it comes last among its table's indexes.
  'DROP INDEX accounts_email_lower; CREATE INDEX accounts_email_lower ON accounts (lower(email));',
];

function replay(state: SchemaState, sql: string, name: string): void {
  let transactions = 0;
  analyzeFile(parseSource(sql), state, { pgVersion: 17, assumeInTransaction: false, position: { migration: name, part: 'up' }, newTransactionId: () => ++transactions });
}

/** What the rules can ask a state, in the order it answers. */
function answers(state: SchemaState): unknown {
  const tables = [...state.tables.keys()];
  return {
    tables: [...state.tables],
    indexes: [...state.indexes],
    functions: [...state.functions],
    types: [...state.types],
    policies: [...state.policies],
    triggers: [...state.triggers],
    namespaces: [...state.namespaces],
    indexesOn: tables.map((table) => state.indexesOn(table).map((index) => index.key)),
    policiesOn: tables.map((table) => state.policiesOn(table).map((policy) => policy.key)),
    triggersOn: tables.map((table) => state.triggersOn(table).map((trigger) => trigger.key)),
    partitionsOf: tables.map((table) => state.partitionsOf(table).map((partition) => partition.key)),
    droppedIndex: state.isDroppedIndex('public.accounts_age'),
    constraints: ['accounts_age_check', 'accounts_age_check1', 'log_id_check', 'log_id_check1'].map((name) => [state.hasConstraint('public', name), state.hasConstraint('audit', name)]),
  };
}

/** Through the cache's bytes: encoded, serialized as the cache file holds it, read back. */
function throughCache(state: SchemaState): SchemaState {
  const decoded = decodeState(deserialize(serialize(encodeState(state))));
  if (!decoded) throw new Error('the snapshot did not decode');
  return decoded;
}

describe('a schema snapshot in the persistent cache', () => {
  it('answers as the state it was written from, after each later migration, written again at any point', () => {
    const live = new SchemaState();
    replay(live, HISTORY, 'history');
    // Groupings asked before the snapshot (built) and not asked (kept as written) both come back.
    live.indexesOn('public.accounts');
    let kept = throughCache(live);
    for (const [index, sql] of LATER.entries()) {
      replay(live, sql, `later ${index}`);
      replay(kept, sql, `later ${index}`);
      expect(answers(kept), `after later migration ${index}`).toEqual(answers(live));
      // A state read back, partly decoded, written again: objects never read keep their bytes.
      kept = throughCache(kept);
    }
    expect(answers(kept)).toEqual(answers(live));
  });

  it('is not a state when its bytes are not a snapshot', () => {
    expect(decodeState(undefined)).toBeUndefined();
    expect(decodeState({ fields: {}, maps: { tableMap: { keys: ['a'], ends: new Uint32Array([40]), bytes: new Uint8Array(4) } } })).toBeUndefined();
    expect(decodeState({ state: {}, transactions: 1 })).toBeUndefined();
  });
});
