import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import type { LockMode } from '../src/analyze/lock-modes.js';
import { type Observation, observeStatement, strongest } from '../src/trace/observe.js';
import { type RunningEngine, testEngines } from './support/engines.js';

/**
 * Each rule's version note (`meta.versions`) made into statements run on every installed PostgreSQL
 * from 11 to 18: what the note says a version does (rewrite, scan, lock, or refuse the statement)
 * is what that version does. A rule that gains a note must gain its claims here.
 */
interface VersionClaim {
  readonly says: string;
  /** Committed before the statement: tables, rows, types. */
  readonly setup: string;
  readonly sql: string;
  /** Runs outside a transaction block (CONCURRENTLY): only refusal or success is seen. */
  readonly alone?: boolean;
  readonly expected: (major: number) => Expected;
}

/** What the version does: refuses the statement (error), or runs it with these effects. */
interface Expected {
  readonly error?: RegExp;
  readonly rewrite?: boolean;
  readonly scan?: boolean;
  readonly lock?: { readonly relation: string; readonly mode: LockMode };
}

/** The statement runs without an error. */
const RUNS: Expected = {};
const ROWS = 'INSERT INTO t (id) SELECT n FROM generate_series(1, 100) AS n';
const TABLE = `CREATE TABLE t (id int, c text, at timestamp); ${ROWS}`;
const PARTITIONED = "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at); CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); INSERT INTO events VALUES (1, '2024-03-01')";
const NOT_SUPPORTED = /syntax error|not supported|does not exist|unrecognized/;

const SECURITY_INVOKER: VersionClaim = {
  says: 'before 15 a view has no security_invoker',
  setup: TABLE,
  sql: 'CREATE VIEW v WITH (security_invoker = true) AS SELECT * FROM t',
  expected: (major) => (major >= 15 ? RUNS : { error: /unrecognized parameter "security_invoker"/ }),
};

const CLAIMS: Readonly<Record<string, readonly VersionClaim[]>> = {
  'add-column-rewrite': [
    { says: 'from 11 a non-volatile DEFAULT does not rewrite', setup: TABLE, sql: 'ALTER TABLE t ADD COLUMN d int DEFAULT 7', expected: () => ({ rewrite: false }) },
    { says: 'a volatile DEFAULT rewrites', setup: TABLE, sql: 'ALTER TABLE t ADD COLUMN r float8 DEFAULT random()', expected: () => ({ rewrite: true }) },
    {
      says: '18 adds VIRTUAL generated columns, the default kind: no rewrite',
      setup: TABLE,
      sql: 'ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (id * 2)',
      expected: (major) => (major >= 18 ? { rewrite: false } : { error: /syntax error|not supported/ }),
    },
  ],
  'blocking-maintenance': [
    {
      says: 'REINDEX ... CONCURRENTLY exists from 12',
      setup: `${TABLE}; CREATE INDEX t_id_idx ON t (id)`,
      sql: 'REINDEX INDEX CONCURRENTLY t_id_idx',
      alone: true,
      expected: (major) => (major >= 12 ? RUNS : { error: /syntax error/ }),
    },
  ],
  'blocking-partition-change': [
    {
      says: 'before 12 ATTACH PARTITION locks the partitioned table ACCESS EXCLUSIVE; from 12 SHARE UPDATE EXCLUSIVE',
      setup: `${PARTITIONED}; CREATE TABLE events_2025 (id int, at date)`,
      sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
      expected: (major) => ({ lock: { relation: 'events', mode: major >= 12 ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE' } }),
    },
    {
      says: 'DETACH PARTITION ... CONCURRENTLY exists from 14',
      setup: PARTITIONED,
      sql: 'ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY',
      alone: true,
      expected: (major) => (major >= 14 ? RUNS : { error: /syntax error/ }),
    },
  ],
  'column-type-change': [
    {
      says: 'timestamp to timestamptz does not rewrite from 12 when the session time zone is UTC',
      setup: `${TABLE}; SET timezone = 'UTC'`,
      sql: 'ALTER TABLE t ALTER COLUMN at TYPE timestamptz',
      expected: (major) => ({ rewrite: major < 12 }),
    },
    {
      says: 'in another time zone timestamp to timestamptz rewrites',
      setup: `${TABLE}; SET timezone = 'Europe/Paris'`,
      sql: 'ALTER TABLE t ALTER COLUMN at TYPE timestamptz',
      expected: () => ({ rewrite: true }),
    },
  ],
  'constraint-without-not-valid': [
    {
      says: 'before 18 a partitioned table cannot take a NOT VALID foreign key',
      setup: `${PARTITIONED}; CREATE TABLE kinds (id int PRIMARY KEY)`,
      sql: 'ALTER TABLE events ADD CONSTRAINT events_kind_fkey FOREIGN KEY (id) REFERENCES kinds (id) NOT VALID',
      expected: (major) => (major >= 18 ? RUNS : { error: /cannot add NOT VALID foreign key on partitioned table/ }),
    },
  ],
  'domain-constraint-without-not-valid': [
    {
      says: 'ADD CONSTRAINT on a domain takes SHARE on each table using it, on 11 to 18',
      setup: "CREATE DOMAIN label AS text; CREATE TABLE d (id int, l label); INSERT INTO d SELECT n, 'x' FROM generate_series(1, 100) AS n",
      sql: "ALTER DOMAIN label ADD CONSTRAINT label_not_empty CHECK (VALUE <> '')",
      expected: () => ({ lock: { relation: 'd', mode: 'SHARE' } }),
    },
    {
      says: 'SET NOT NULL on a domain takes SHARE on each table using it',
      setup: "CREATE DOMAIN label AS text; CREATE TABLE d (id int, l label); INSERT INTO d SELECT n, 'x' FROM generate_series(1, 100) AS n",
      sql: 'ALTER DOMAIN label SET NOT NULL',
      expected: () => ({ lock: { relation: 'd', mode: 'SHARE' } }),
    },
    {
      says: 'VALIDATE CONSTRAINT on a domain takes SHARE on each table using it',
      setup: "CREATE DOMAIN label AS text; CREATE TABLE d (id int, l label); INSERT INTO d SELECT n, 'x' FROM generate_series(1, 100) AS n; ALTER DOMAIN label ADD CONSTRAINT label_not_empty CHECK (VALUE <> '') NOT VALID",
      sql: 'ALTER DOMAIN label VALIDATE CONSTRAINT label_not_empty',
      expected: () => ({ lock: { relation: 'd', mode: 'SHARE' } }),
    },
  ],
  'enum-value-in-transaction': [
    {
      says: 'before 12 ADD VALUE cannot run inside a transaction block; from 12 it can',
      setup: "CREATE TYPE mood AS ENUM ('happy')",
      sql: "ALTER TYPE mood ADD VALUE 'sad'",
      expected: (major) => (major >= 12 ? RUNS : { error: /cannot run inside a transaction block/ }),
    },
    {
      says: 'from 12, using the new value in the same transaction fails',
      setup: "CREATE TYPE mood AS ENUM ('happy')",
      sql: "ALTER TYPE mood ADD VALUE 'sad'; SELECT 'sad'::mood",
      expected: (major) => ({ error: major >= 12 ? /unsafe use of new value "sad"/ : /cannot run inside a transaction block/ }),
    },
  ],
  'not-null-column-without-default': [
    { says: 'from 11 NOT NULL DEFAULT <value> is stored once: no rewrite', setup: TABLE, sql: "ALTER TABLE t ADD COLUMN region text NOT NULL DEFAULT 'eu'", expected: () => ({ rewrite: false }) },
  ],
  'table-rewrite': [
    {
      says: 'SET ACCESS METHOD exists from 15 and rewrites',
      setup: `${TABLE}; CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler`,
      sql: 'ALTER TABLE t SET ACCESS METHOD heap_copy',
      expected: (major) => (major >= 15 ? { rewrite: true } : { error: /syntax error/ }),
    },
    {
      says: 'SET EXPRESSION exists from 17 and rewrites',
      setup: `${TABLE}; ALTER TABLE t ADD COLUMN twice int GENERATED ALWAYS AS (id * 2) STORED`,
      sql: 'ALTER TABLE t ALTER COLUMN twice SET EXPRESSION AS (id * 3)',
      expected: (major) => (major >= 17 ? { rewrite: true } : { error: /syntax error/ }),
    },
  ],
  'prefer-identity': [
    { says: 'identity columns exist from 10', setup: 'SELECT 1', sql: 'CREATE TABLE i (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)', expected: () => RUNS },
  ],
  'rename-table': [SECURITY_INVOKER],
  'view-security-invoker': [
    SECURITY_INVOKER,
    {
      says: 'from 15, CREATE OR REPLACE VIEW without the option turns security_invoker off again',
      setup: `${TABLE}; CREATE VIEW v WITH (security_invoker = true) AS SELECT * FROM t; CREATE OR REPLACE VIEW v AS SELECT * FROM t`,
      sql: "DO $$ BEGIN IF (SELECT reloptions FROM pg_class WHERE relname = 'v') IS NOT NULL THEN RAISE 'still set'; END IF; END $$",
      expected: (major) => (major >= 15 ? RUNS : { error: /unrecognized parameter "security_invoker"/ }),
    },
  ],
  'set-not-null-scan': [
    {
      says: 'before 12 SET NOT NULL scans even with a valid CHECK (col IS NOT NULL); from 12 it does not',
      setup: `${TABLE}; UPDATE t SET c = 'x'; ALTER TABLE t ADD CONSTRAINT t_c_check CHECK (c IS NOT NULL)`,
      sql: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL',
      expected: (major) => ({ scan: major < 12 }),
    },
    {
      says: '18 adds a NOT NULL constraint NOT VALID (no scan), validated later',
      setup: `${TABLE}; UPDATE t SET c = 'x'`,
      sql: 'ALTER TABLE t ADD CONSTRAINT t_c_not_null NOT NULL c NOT VALID',
      expected: (major) => (major >= 18 ? { scan: false } : { error: NOT_SUPPORTED }),
    },
  ],
};

it('every rule with a version note has its claims checked here', () => {
  const noted = BUILT_IN_RULES.filter((rule) => rule.meta.versions !== undefined).map((rule) => rule.id);
  expect(Object.keys(CLAIMS).sort()).toEqual(noted.sort());
});

const ENGINES = await testEngines({ pglite: false });

describe.each(ENGINES.map((engine) => [engine.label, engine] as const))('version notes on %s', (_, engine) => {
  let running: RunningEngine | undefined;
  beforeAll(async () => {
    running = await engine.start();
  }, 120_000);
  afterAll(async () => {
    await running?.stop();
  });

  const claims = Object.entries(CLAIMS).flatMap(([rule, list]) => list.map((claim) => [`${rule}: ${claim.says}`, claim] as const));
  it.each(claims)('%s', async (_, claim) => {
    const session = running?.session;
    if (!session) throw new Error('the server did not start');
    await session.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public; RESET timezone; DROP ACCESS METHOD IF EXISTS heap_copy');
    const setup = await session.run(claim.setup).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    if (setup) {
      // What the setup needs does not exist on this version either (generated columns before 12, table access methods before 12).
      expect(claim.expected(engine.major).error, `the setup failed on PostgreSQL ${engine.major}: ${setup.message}`).toBeDefined();
      return;
    }
    const expected = claim.expected(engine.major);
    let observation: Observation;
    if (claim.alone) {
      observation = await observeStatement(session, claim.sql, false);
    } else {
      await session.run('BEGIN');
      observation = await observeStatement(session, claim.sql, true);
      await session.run('ROLLBACK');
    }
    if (expected.error) {
      expect(observation.error?.message, `PostgreSQL ${engine.major} ran ${claim.sql}`).toMatch(expected.error);
      return;
    }
    expect(observation.error).toBeUndefined();
    const names = (relations: Observation['rewritten']): string[] => (relations ?? []).map((relation) => relation.name);
    if (expected.rewrite !== undefined) expect(names(observation.rewritten).includes('t'), 'rewritten (relfilenode changed)').toBe(expected.rewrite);
    if (expected.scan !== undefined) expect(names(observation.scanned).includes('t'), 'read in full (seq_scan grew)').toBe(expected.scan);
    if (expected.lock) {
      const relation = [...observation.before.values()].find((candidate) => candidate.name === expected.lock?.relation);
      expect(strongest(relation ? observation.newLocks?.get(relation.oid) : undefined)).toBe(expected.lock.mode);
    }
  });
});
