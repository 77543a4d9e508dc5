import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LockMode } from '../src/analyze/lock-modes.js';
import { connectSession } from '../src/db/session.js';
import { observeStatement, strongest } from '../src/trace/observe.js';
import { SUPPORTED_MAJORS, testServerBinaries, useTestServer } from './support/postgres.js';

/**
 * What the catalogue's rules claim about PostgreSQL, checked on a real server of every supported
 * major version: the locks a statement holds (pg_locks of its own session, inside a transaction
 * rolled back afterwards), whether it rewrites a relation (its relfilenode changes), whether it
 * reads a table (the transaction's sequential scans of it grow), and the statements the server
 * refuses. Where versions differ, the expectation says which; the rules' version notes say the same.
 */

/** Committed once per server: every table, domain, index and object the observations below use. */
const FIXTURE = [
  'SET allow_in_place_tablespaces = on',
  "CREATE TABLESPACE spare LOCATION ''",
  `CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
   INSERT INTO teams SELECT n, 'team ' || n FROM generate_series(1, 10) AS n;
   CREATE TABLE agents (id bigint PRIMARY KEY, name text NOT NULL, status text, code text, score int, team_id bigint);
   CREATE INDEX agents_status_idx ON agents (status);
   CREATE INDEX agents_name_idx ON agents (name);
   CREATE UNIQUE INDEX agents_code_lower_idx ON agents (lower(code));
   CREATE UNIQUE INDEX agents_code_positive_idx ON agents (code) WHERE score > 0;
   CREATE UNIQUE INDEX agents_code_desc_idx ON agents (code DESC);
   INSERT INTO agents SELECT n, 'agent ' || n, 'active', 'A' || n, n, 1 + n % 10 FROM generate_series(1, 100) AS n;
   CREATE DOMAIN checked_score AS int CHECK (VALUE > 0);
   CREATE DOMAIN plain_score AS int;
   CREATE DOMAIN bare_score AS int;
   ALTER TABLE agents ADD COLUMN rank plain_score DEFAULT 1;
   ALTER TABLE teams ADD COLUMN best plain_score DEFAULT 1;
   ALTER DOMAIN plain_score ADD CONSTRAINT plain_score_positive CHECK (VALUE > 0) NOT VALID;
   CREATE TABLE badges (code text);
   INSERT INTO badges SELECT 'b' || n FROM generate_series(1, 10) AS n;
   CREATE UNIQUE INDEX badges_code_idx ON badges (code);
   CREATE TABLE checked_badges (code text CONSTRAINT checked_badges_code_not_null CHECK (code IS NOT NULL));
   INSERT INTO checked_badges SELECT 'c' || n FROM generate_series(1, 10) AS n;
   CREATE UNIQUE INDEX checked_badges_code_idx ON checked_badges (code);
   CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
   CREATE TRIGGER agents_touch BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION touch();
   CREATE SCHEMA archive;
   CREATE VIEW agent_names AS SELECT id, name FROM agents;
   CREATE TABLE duplicates (value int);
   INSERT INTO duplicates VALUES (1), (1), (2);
   CREATE TABLE fk_parents (id bigint PRIMARY KEY);
   INSERT INTO fk_parents SELECT n FROM generate_series(1, 10000) AS n;
   CREATE TABLE fk_children (id bigint, parent_id bigint REFERENCES fk_parents);
   CREATE TABLE fk_indexed_children (id bigint, parent_id bigint REFERENCES fk_parents);
   CREATE INDEX fk_indexed_children_parent_id ON fk_indexed_children (parent_id);
   INSERT INTO fk_children SELECT n, n FROM generate_series(2, 10000) AS n;
   INSERT INTO fk_indexed_children SELECT n, n FROM generate_series(2, 10000) AS n;
   ANALYZE fk_parents, fk_children, fk_indexed_children;
   CREATE TABLE part_events (id bigint, team_id bigint, at date) PARTITION BY RANGE (at);
   CREATE TABLE part_events_2024 PARTITION OF part_events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
   INSERT INTO part_events SELECT n, 1 + n % 10, '2024-03-01' FROM generate_series(1, 100) AS n;
   ALTER TABLE part_events_2024 ADD CONSTRAINT part_events_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id);`,
];

/** What one statement did, by relation name, seen from its own transaction. */
interface Observation {
  /** The strongest lock mode held on each relation. */
  readonly locks: ReadonlyMap<string, LockMode>;
  readonly rewritten: ReadonlySet<string>;
  readonly scanned: ReadonlySet<string>;
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Runs the statement in a transaction, reads what it did as `migrate-safe trace` does (src/trace/observe.ts), and rolls it back. */
async function observe(url: string, sql: string): Promise<Observation> {
  const session = await connectSession(url);
  try {
    await session.run('BEGIN');
    const seen = await observeStatement(session, sql, true);
    if (seen.error) throw new Error(`${sql}: ${seen.error.message}`);
    // A relation the statement renamed or moved has its new name after it.
    const nameOf = (oid: number): string | undefined => (seen.after.get(oid) ?? seen.before.get(oid))?.name;
    const locks = new Map<string, LockMode>();
    for (const [oid, modes] of seen.heldAfter ?? []) {
      const name = nameOf(oid);
      const mode = strongest(modes);
      if (name !== undefined && mode !== undefined) locks.set(name, mode);
    }
    return { locks, rewritten: new Set(seen.rewritten?.map((relation) => relation.name)), scanned: new Set(seen.scanned?.map((relation) => relation.name)) };
  } finally {
    await session.run('ROLLBACK').catch(() => undefined);
    await session.close();
  }
}

/** The error PostgreSQL answers a statement with, or undefined when it runs (rolled back either way). */
async function refusal(url: string, sql: string): Promise<string | undefined> {
  return withClient(url, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(sql);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

describe.each(SUPPORTED_MAJORS.map((major) => [major, testServerBinaries(major)] as const))('PostgreSQL %i', (major, binaries) => {
  describe.skipIf(!binaries)('the catalogue\'s claims', () => {
    const server = useTestServer(binaries);
    let url = '';

    beforeAll(async () => {
      url = await server.createDatabase();
      await withClient(url, async (client) => {
        for (const part of FIXTURE) await client.query(part);
        if (major >= 15) await client.query('CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler');
        if (major >= 12) await client.query('ALTER TABLE agents ADD COLUMN doubled int GENERATED ALWAYS AS (score * 2) STORED');
      });
    }, 120_000);

    it('add-column-rewrite: ADD COLUMN of a domain with a CHECK (even one NOT VALID) rewrites the table, without a default; of a domain without constraints it does not', async () => {
      const checked = await observe(url, 'ALTER TABLE agents ADD COLUMN grade checked_score');
      expect(checked.rewritten.has('agents')).toBe(true);
      expect(checked.locks.get('agents')).toBe('ACCESS EXCLUSIVE');
      expect((await observe(url, 'ALTER TABLE agents ADD COLUMN grade plain_score')).rewritten.has('agents')).toBe(true);
      expect((await observe(url, 'ALTER TABLE agents ADD COLUMN grade bare_score')).rewritten.has('agents')).toBe(false);
    });

    it('domain-constraint-without-not-valid: ADD CONSTRAINT, SET NOT NULL and VALIDATE read every table using the domain under SHARE; NOT VALID reads and locks none', async () => {
      for (const sql of [
        'ALTER DOMAIN plain_score ADD CONSTRAINT plain_score_small CHECK (VALUE < 1000)',
        'ALTER DOMAIN plain_score SET NOT NULL',
        'ALTER DOMAIN plain_score VALIDATE CONSTRAINT plain_score_positive',
      ]) {
        const seen = await observe(url, sql);
        expect([seen.locks.get('agents'), seen.locks.get('teams')], sql).toEqual(['SHARE', 'SHARE']);
        expect([...seen.scanned].sort(), sql).toEqual(['agents', 'teams']);
      }
      const deferred = await observe(url, 'ALTER DOMAIN plain_score ADD CONSTRAINT plain_score_small CHECK (VALUE < 1000) NOT VALID');
      expect([deferred.locks.get('agents'), deferred.locks.get('teams'), [...deferred.scanned]]).toEqual([undefined, undefined, []]);
    });

    it('table-rewrite: SET TABLESPACE, SET UNLOGGED, SET LOGGED copy the table under ACCESS EXCLUSIVE', async () => {
      for (const sql of ['ALTER TABLE agents SET TABLESPACE spare', 'ALTER TABLE agents SET UNLOGGED']) {
        const seen = await observe(url, sql);
        expect([seen.rewritten.has('agents'), seen.locks.get('agents')], sql).toEqual([true, 'ACCESS EXCLUSIVE']);
      }
    });

    it(`table-rewrite: SET ACCESS METHOD ${major >= 15 ? 'copies the table' : 'does not exist before 15'}`, async () => {
      if (major < 15) {
        expect(await refusal(url, 'ALTER TABLE agents SET ACCESS METHOD heap')).toMatch(/syntax error/);
        return;
      }
      const seen = await observe(url, 'ALTER TABLE agents SET ACCESS METHOD heap_copy');
      expect([seen.rewritten.has('agents'), seen.locks.get('agents')]).toEqual([true, 'ACCESS EXCLUSIVE']);
    });

    it(`table-rewrite: SET EXPRESSION ${major >= 17 ? 'recomputes a stored generated column for every row' : 'does not exist before 17'}`, async () => {
      if (major < 17) {
        expect(await refusal(url, 'ALTER TABLE agents ALTER COLUMN score SET EXPRESSION AS (1)')).toMatch(/syntax error/);
        return;
      }
      const seen = await observe(url, 'ALTER TABLE agents ALTER COLUMN doubled SET EXPRESSION AS (score * 3)');
      expect([seen.rewritten.has('agents'), seen.locks.get('agents')]).toEqual([true, 'ACCESS EXCLUSIVE']);
    });

    it('table-rewrite: ALTER INDEX ... SET TABLESPACE copies the index under ACCESS EXCLUSIVE on it', async () => {
      const seen = await observe(url, 'ALTER INDEX agents_status_idx SET TABLESPACE spare');
      expect([seen.rewritten.has('agents_status_idx'), seen.locks.get('agents_status_idx'), seen.rewritten.has('agents')]).toEqual([true, 'ACCESS EXCLUSIVE', false]);
    });

    it(`set-not-null-scan: PRIMARY KEY USING INDEX reads a nullable column; with a valid CHECK (col IS NOT NULL) it ${major >= 12 ? 'skips the scan' : 'still reads it (before 12)'}`, async () => {
      const nullable = await observe(url, 'ALTER TABLE badges ADD CONSTRAINT badges_pkey PRIMARY KEY USING INDEX badges_code_idx');
      expect([nullable.scanned.has('badges'), nullable.locks.get('badges')]).toEqual([true, 'ACCESS EXCLUSIVE']);
      const checked = await observe(url, 'ALTER TABLE checked_badges ADD CONSTRAINT checked_badges_pkey PRIMARY KEY USING INDEX checked_badges_code_idx');
      expect(checked.scanned.has('checked_badges')).toBe(major < 12);
    });

    it('exclusion-constraint: ADD CONSTRAINT ... EXCLUDE reads the table under ACCESS EXCLUSIVE', async () => {
      const seen = await observe(url, 'ALTER TABLE agents ADD CONSTRAINT agents_code_excl EXCLUDE (code WITH =)');
      expect([seen.scanned.has('agents'), seen.locks.get('agents')]).toEqual([true, 'ACCESS EXCLUSIVE']);
    });

    it('disabled-triggers: DISABLE TRIGGER ALL and USER take SHARE ROW EXCLUSIVE', async () => {
      for (const sql of ['ALTER TABLE agents DISABLE TRIGGER ALL', 'ALTER TABLE agents DISABLE TRIGGER USER']) {
        expect((await observe(url, sql)).locks.get('agents'), sql).toBe('SHARE ROW EXCLUSIVE');
      }
    });

    it('rename-table: SET SCHEMA and a view\'s RENAME take ACCESS EXCLUSIVE', async () => {
      expect((await observe(url, 'ALTER TABLE agents SET SCHEMA archive')).locks.get('agents')).toBe('ACCESS EXCLUSIVE');
      expect((await observe(url, 'ALTER VIEW agent_names RENAME TO agent_labels')).locks.get('agent_labels')).toBe('ACCESS EXCLUSIVE');
    });

    it('duplicate-column-assignment, drop-index-concurrently-refused, using-index-refused: the statements the server refuses', async () => {
      const refused: [string, RegExp][] = [
        ["UPDATE agents SET name = 'a', name = 'b' WHERE id = 1", /multiple assignments to same column "name"/],
        ["INSERT INTO agents (id, name, name) VALUES (1000, 'a', 'b')", /column "name" specified more than once/],
        ["INSERT INTO agents (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = 'b', name = 'c'", /multiple assignments to same column "name"/],
        ['CREATE TABLE notes (body text, body jsonb)', /column "body" specified more than once/],
        ['ALTER TABLE agents ADD CONSTRAINT agents_name_key UNIQUE USING INDEX agents_name_idx', /is not a unique index/],
        ['ALTER TABLE agents ADD CONSTRAINT agents_code_key UNIQUE USING INDEX agents_code_positive_idx', /is a partial index/],
        ['ALTER TABLE agents ADD CONSTRAINT agents_code_key UNIQUE USING INDEX agents_code_lower_idx', /contains expressions/],
        ['ALTER TABLE agents ADD CONSTRAINT agents_code_key UNIQUE USING INDEX agents_code_desc_idx', /does not have default sorting behavior/],
        ["SELECT DISTINCT '{}'::json", /could not identify an equality operator for type json/],
      ];
      for (const [sql, error] of refused) expect(await refusal(url, sql), sql).toMatch(error);
      // Refused before any transaction matters: outside one too.
      const outside = async (sql: string): Promise<string> => withClient(url, (client) => client.query(sql).then(() => '', (error: unknown) => (error as Error).message));
      expect(await outside('DROP INDEX CONCURRENTLY agents_status_idx, agents_name_idx')).toMatch(/does not support dropping multiple objects/);
      expect(await outside('DROP INDEX CONCURRENTLY agents_name_idx CASCADE')).toMatch(/does not support CASCADE/);
      // Fields of a composite column and elements of an array are different targets.
      expect(await refusal(url, "CREATE TYPE place AS (city text, zip text); CREATE TABLE sites (p place, tags text[]); UPDATE sites SET p.city = 'Oslo', p.zip = '0150', tags[1] = 'a', tags[2] = 'b'")).toBeUndefined();
    });

    it('identifier-too-long: names are cut to 63 bytes, so two long names collide', async () => {
      const long = 'customer_subscription_billing_cycle_adjustment_history_entries_';
      const error = await refusal(url, `CREATE TABLE ${long}2024 (id int); CREATE TABLE ${long}2025 (id int)`);
      expect(error).toMatch(new RegExp(`relation "${long.slice(0, 63)}" already exists`));
    });

    it('unbalanced-transaction: a nested BEGIN is ignored, so the inner COMMIT ends the outer block; a BEGIN never committed keeps nothing', async () => {
      await withClient(url, async (client) => {
        const notices: string[] = [];
        client.on('notice', (notice) => notices.push(notice.message ?? ''));
        await client.query('BEGIN');
        await client.query('BEGIN');
        await client.query('CREATE TABLE nested_one (id int)');
        await client.query('COMMIT');
        await client.query('CREATE TABLE nested_two (id int)');
        await client.query('ROLLBACK');
        expect(notices).toEqual(['there is already a transaction in progress', 'there is no transaction in progress']);
      });
      await withClient(url, async (client) => {
        await client.query('BEGIN');
        await client.query('CREATE TABLE never_committed (id int)');
      });
      const tables = await server.query<{ name: string }>(url, "SELECT relname AS name FROM pg_class WHERE relname IN ('nested_one', 'nested_two', 'never_committed') ORDER BY 1");
      expect(tables.map((table) => table.name)).toEqual(['nested_one', 'nested_two']);
    });

    it('concurrent-unique-index: a duplicate makes CREATE UNIQUE INDEX CONCURRENTLY fail and leave an INVALID index', async () => {
      await expect(server.query(url, 'CREATE UNIQUE INDEX CONCURRENTLY duplicates_value_key ON duplicates (value)')).rejects.toThrow(/could not create unique index/);
      const [index] = await server.query<{ valid: boolean }>(url, "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'duplicates_value_key'::regclass");
      expect(index?.valid).toBe(false);
      await server.query(url, 'DROP INDEX CONCURRENTLY duplicates_value_key');
    });

    it(`view-security-invoker: ${major >= 15 ? 'CREATE OR REPLACE VIEW without the option turns security_invoker off' : 'security_invoker does not exist before 15'}`, async () => {
      if (major < 15) {
        expect(await refusal(url, 'CREATE VIEW invoker_names WITH (security_invoker = true) AS SELECT name FROM agents')).toMatch(/unrecognized parameter "security_invoker"/);
        return;
      }
      const [view] = await withClient(url, async (client) => {
        await client.query('BEGIN');
        await client.query('CREATE VIEW invoker_names WITH (security_invoker = true) AS SELECT name FROM agents');
        await client.query('CREATE OR REPLACE VIEW invoker_names AS SELECT name FROM agents');
        const { rows } = await client.query<{ options: string[] | null }>("SELECT reloptions AS options FROM pg_class WHERE relname = 'invoker_names'");
        await client.query('ROLLBACK');
        return rows;
      });
      expect(view?.options ?? []).toEqual([]);
    });

    it('foreign-key-without-index: deleting a referenced row reads the whole referencing table, unless its column has an index', async () => {
      const seen = await observe(url, 'DELETE FROM fk_parents WHERE id = 1');
      expect([seen.scanned.has('fk_children'), seen.scanned.has('fk_indexed_children')]).toEqual([true, false]);
    });

    it("require-concurrent-index-drop and drop-column: a primary key's index cannot be dropped, nor its column made nullable, but the column can get a default", async () => {
      expect(await refusal(url, 'DROP INDEX IF EXISTS agents_pkey')).toMatch(/cannot drop index agents_pkey because constraint agents_pkey on table agents requires it/);
      expect(await refusal(url, 'ALTER TABLE agents ALTER COLUMN id DROP NOT NULL')).toMatch(/column "id" is in a primary key/);
      expect(await refusal(url, 'ALTER TABLE agents ALTER COLUMN id SET DEFAULT 0')).toBeUndefined();
    });

    it(`constraint-without-not-valid: a partitioned table ${major >= 18 ? 'accepts' : 'refuses (before 18)'} a NOT VALID foreign key; added to it, the key attaches a partition's valid one without reading its rows`, async () => {
      const add = 'ALTER TABLE part_events ADD CONSTRAINT part_events_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id)';
      const notValid = await refusal(url, `${add} NOT VALID`);
      if (major >= 18) expect(notValid).toBeUndefined();
      else expect(notValid).toMatch(/cannot add NOT VALID foreign key on partitioned table "part_events"/);
      expect((await observe(url, add)).scanned.has('part_events_2024')).toBe(false);
      // Without the partition's own key, the same statement reads the partition's rows.
      expect((await observe(url, `ALTER TABLE part_events_2024 DROP CONSTRAINT part_events_team_id_fkey; ${add}`)).scanned.has('part_events_2024')).toBe(true);
    });

    it('destructive-operation: DELETE without WHERE holds a lock on every row until the transaction ends', async () => {
      const seen = await observe(url, 'DELETE FROM duplicates');
      expect([seen.locks.get('duplicates'), seen.scanned.has('duplicates')]).toEqual(['ROW EXCLUSIVE', true]);
    });
  });
});
