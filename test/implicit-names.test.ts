import { deserialize, serialize } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/analyze/index.js';
import { MAX_NAME_BYTES, makeObjectName } from '../src/analyze/implicit-names.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { SUPPORTED_MAJORS, testServerBinaries, useTestServer } from './support/postgres.js';

beforeAll(loadParser);

/** Histories whose unnamed constraints and indexes PostgreSQL names; each runs on a real server and is replayed by the analysis. */
const HISTORIES: Readonly<Record<string, string>> = {
  'a CHECK is named after its only column, else after the table; duplicates are numbered': `
    CREATE TABLE ck (a int, b int);
    ALTER TABLE ck ADD CHECK (b < 50);
    ALTER TABLE ck ADD CHECK (a < b);
    ALTER TABLE ck ADD CHECK (a > 0 AND b > 0);
    ALTER TABLE ck ADD CHECK (true);
    ALTER TABLE ck ADD CHECK (b > 0 AND ck.b < 10);
    CREATE TABLE x (a int CHECK (b > 0), b int);`,
  'constraint names are unique in the schema, not only the table': `
    CREATE TABLE s (a int);
    ALTER TABLE s ADD CHECK (a > 0);
    CREATE TABLE u (a int);
    ALTER TABLE u ADD CONSTRAINT s_a_check1 CHECK (a > 0);
    ALTER TABLE s ADD CHECK (a > 1);
    CREATE SCHEMA other;
    CREATE TABLE other.s (a int);
    ALTER TABLE other.s ADD CHECK (a > 0);`,
  'keys, foreign keys and exclusions, in the order CREATE TABLE and ALTER TABLE name them': `
    CREATE TABLE p (id int PRIMARY KEY, u int UNIQUE, v int, UNIQUE (u, v) INCLUDE (id));
    CREATE TABLE t (a int CHECK (a > 0), b int REFERENCES p, c text, EXCLUDE USING btree (lower(c) WITH =), UNIQUE (a), CHECK (a > 1), FOREIGN KEY (a, b) REFERENCES p (u, v));
    CREATE TABLE t_b_key (z int);
    ALTER TABLE t ADD UNIQUE (b);
    ALTER TABLE t ADD CONSTRAINT foo CHECK (a > 2), ADD CHECK (a > 3);
    CREATE TABLE v (a int UNIQUE, CONSTRAINT v_a_key CHECK (a > 0));
    CREATE TABLE w (a int, UNIQUE (a), UNIQUE (a));
    CREATE TABLE z (a int);
    ALTER TABLE z ADD COLUMN b int CHECK (b > 0) UNIQUE REFERENCES p;
    CREATE TABLE pk_pkey (q int);
    CREATE TABLE pk (id int PRIMARY KEY);
    CREATE UNIQUE INDEX uidx ON z (a);
    ALTER TABLE z ADD UNIQUE USING INDEX uidx;`,
  'indexes are named after their columns and expressions, unique among relations': `
    CREATE TABLE t (a int, b int, c text, d int[]);
    CREATE INDEX ON t (a);
    CREATE INDEX ON t (a);
    CREATE TABLE t_a_idx2 (q int);
    CREATE INDEX ON t (a);
    CREATE INDEX ON t (lower(c));
    CREATE INDEX ON t ((a + b));
    CREATE INDEX ON t ((a + b), (a * b));
    CREATE INDEX ON t ((c::text));
    CREATE INDEX ON t ((d[1]));
    CREATE INDEX ON t (a, a);
    CREATE INDEX ON t (a) INCLUDE (b);
    CREATE INDEX ON t ((CASE WHEN a > 0 THEN 1 END));
    CREATE INDEX ON t ((coalesce(a, b)), (greatest(a, b)), (nullif(a, b)), ((ARRAY[a, b])));`,
  'names are cut to 63 bytes, the longer part first, never inside a character': `
    CREATE TABLE "été_très_long_nom_de_table_avec_des_accents_éééééééééééé" ("colonne_avec_un_nom_long_éééééééééééééééééééééé" int PRIMARY KEY CHECK ("colonne_avec_un_nom_long_éééééééééééééééééééééé" > 0));
    CREATE TABLE a_table_name_that_is_quite_long_but_not_the_longest (a_column_name_that_is_longer_than_the_table_name_by_far int UNIQUE);
    CREATE INDEX ON a_table_name_that_is_quite_long_but_not_the_longest (a_column_name_that_is_longer_than_the_table_name_by_far);
    CREATE INDEX ON a_table_name_that_is_quite_long_but_not_the_longest (a_column_name_that_is_longer_than_the_table_name_by_far);`,
  'renamed and dropped constraints, tables and indexes free their names': `
    CREATE TABLE r (a int);
    ALTER TABLE r ADD CHECK (a > 0);
    ALTER TABLE r RENAME CONSTRAINT r_a_check TO kept;
    ALTER TABLE r ADD CHECK (a > 1);
    ALTER TABLE r DROP CONSTRAINT kept;
    ALTER TABLE r ADD CHECK (a > 2);
    CREATE INDEX ON r (a);
    ALTER INDEX r_a_idx RENAME TO r_index;
    CREATE INDEX ON r (a);
    CREATE TABLE gone (a int CHECK (a > 0));
    DROP TABLE gone;
    CREATE TABLE q (a int);
    ALTER TABLE q RENAME TO gone;
    ALTER TABLE gone ADD CHECK (a > 0);`,
};

/** Every constraint and index of the user's schemas, as `table: name`. */
const CATALOG_NAMES = `
  SELECT c.conrelid::regclass::text || ': ' || c.conname AS name FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.contype <> 'n'
  UNION ALL
  SELECT i.indrelid::regclass::text || ': ' || i.indexrelid::regclass::text FROM pg_index i
  JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;

function replayedNames(sql: string, pgVersion: number): string[] {
  const state = new SchemaState();
  let transactions = 0;
  analyzeFile(parseSource(sql), state, { pgVersion, assumeInTransaction: false, position: { migration: 'm', part: 'up' }, newTransactionId: () => ++transactions });
  const shown = (schema: string | undefined, name: string): string => {
    const quoted = (part: string): string => (/^[a-z_][a-z0-9_]*$/.test(part) ? part : `"${part}"`);
    return schema === undefined || schema === 'public' ? quoted(name) : `${quoted(schema)}.${quoted(name)}`;
  };
  const names: string[] = [];
  for (const table of state.tables.values()) {
    for (const constraint of table.constraints.keys()) names.push(`${shown(table.name.schema, table.name.name)}: ${constraint}`);
  }
  for (const index of state.indexes.values()) {
    const table = state.tables.get(index.table);
    if (table) names.push(`${shown(table.name.schema, table.name.name)}: ${shown(index.name.schema, index.name.name)}`);
  }
  return names.sort();
}

describe.each(SUPPORTED_MAJORS.map((major) => [major, testServerBinaries(major)] as const))('names PostgreSQL %i gives unnamed constraints and indexes', (major, binaries) => {
  describe.skipIf(!binaries)('on a real server', () => {
    const server = useTestServer(binaries);

    it.each(Object.entries(HISTORIES))('%s: the analysis names them as the server does', async (_title, sql) => {
      const url = await server.createDatabase();
      await server.query(url, sql);
      const onServer = (await server.query<{ name: string }>(url, CATALOG_NAMES)).map((row) => row.name).sort();
      expect(replayedNames(sql, major)).toEqual(onServer);
    });
  });
});

describe('the schema state kept in the persistent cache', () => {
  it('still knows the names taken in each schema', () => {
    const state = new SchemaState();
    let transactions = 0;
    const replay = (target: SchemaState, sql: string): void => {
      analyzeFile(parseSource(sql), target, { pgVersion: 17, assumeInTransaction: false, position: { migration: 'm', part: 'up' }, newTransactionId: () => ++transactions });
    };
    replay(state, 'CREATE TABLE a (x int CHECK (x > 0)); CREATE TABLE b (x int);');
    const kept = SchemaState.fromData(deserialize(serialize(state.toData())) as Record<string, unknown>);
    replay(kept, 'ALTER TABLE b RENAME TO a_renamed; CREATE TABLE a_x_check (y int); ALTER TABLE a ADD CHECK (x < 10);');
    expect([...(kept.tables.get('public.a')?.constraints.keys() ?? [])]).toEqual(['a_x_check', 'a_x_check1']);
  });
});

describe('makeObjectName', () => {
  it('cuts the longer name first and keeps the label whole', () => {
    const name = makeObjectName('t'.repeat(40), 'c'.repeat(40), 'check');
    expect(Buffer.byteLength(name)).toBe(MAX_NAME_BYTES);
    expect(name).toBe(`${'t'.repeat(28)}_${'c'.repeat(28)}_check`);
  });

  it('never splits a UTF-8 character', () => {
    const name = makeObjectName('é'.repeat(40), undefined, 'pkey');
    expect(name).toBe(`${'é'.repeat(29)}_pkey`);
    expect(Buffer.byteLength(name)).toBe(63);
  });
});
