import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LockAcquisition } from '../src/analyze/classify.js';
import { analyzeFile } from '../src/analyze/index.js';
import { STATEMENT_FORMS, type StatementForm, type StatementFormId, formFactsFor } from '../src/analyze/lock-facts.js';
import type { LockMode } from '../src/analyze/lock-modes.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { lockModeOf, strongest } from '../src/trace/observe.js';
import type { SqlSession } from '../src/db/session.js';
import { type RunningEngine, testEngines } from './support/engines.js';

/**
 * The lock knowledge table, checked against PostgreSQL itself: every installed major version from
 * 11 to 18 (real servers), and PGlite (the real server compiled to WebAssembly, in process). Where a
 * form's facts differ by version (`since`, `olderVersions`), each version checks its own. Each form's example runs after a shared fixture; what the engine does is
 * compared with what the table says: the lock modes (pg_locks of this backend), whether the table is
 * rewritten (pg_class.relfilenode changes), whether it is read (scan counters and statistics), and
 * whether PostgreSQL refuses the statement inside a transaction block. Where they disagree, the
 * engine is right: fix the table, not the test.
 *
 * A scan leaves traces: sequential scans counted in the statistics (validation, index builds),
 * statistics rows (ANALYZE reads a sample), pages marked all-visible (VACUUM reads them first).
 */

/** Every example's tables, indexes and rows; `lock_probe` lets statements that commit on their own show their locks. */
const FIXTURE = `
CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO teams VALUES (1, 'core'), (2, 'operations');
CREATE TABLE agents (id bigint PRIMARY KEY, name text NOT NULL, status text, code varchar(50), score int, team_id bigint);
CREATE INDEX agents_status_idx ON agents (status);
INSERT INTO agents (id, name, status, code, score, team_id) SELECT n, 'agent ' || n, 'active', 'A' || n, n, 1 + n % 2 FROM generate_series(1, 100) AS n;
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO events VALUES (1, '2024-03-01');
CREATE FUNCTION lock_probe(value text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE NOTICE 'held locks: %', (
    SELECT coalesce(json_agg(json_build_object('relation', relation::int, 'mode', mode)), '[]')
    FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
  );
  RETURN value;
END $$;
`;

const RESET = 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;';

/** Event triggers fire inside a statement's last transaction, while it still holds its locks. */
const EVENT_PROBES = `
CREATE FUNCTION lock_probe_event() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM lock_probe(tg_tag); END $$;
CREATE EVENT TRIGGER lock_probe_drop ON sql_drop EXECUTE FUNCTION lock_probe_event();
CREATE EVENT TRIGGER lock_probe_end ON ddl_command_end EXECUTE FUNCTION lock_probe_event();
`;

const PROBE_INDEX = 'CREATE INDEX agents_name_probe_idx ON agents (lock_probe(name))';

/**
 * Statements PostgreSQL refuses inside a transaction block commit before pg_locks could be read in
 * a single-connection engine. Where the statement runs our code while it holds its locks (the
 * expression of an index it builds, an event trigger), that code reports pg_locks as a notice; the
 * lock a statement takes does not depend on the indexed expression, so a probe expression is fair.
 * A probe sees the locks held at its moment: the table lock these statements keep throughout.
 * The others (VACUUM runs no user code) are checked for everything but their lock mode, which
 * comes from the PostgreSQL documentation (explicit-locking.html).
 */
const WATCHED_OUTSIDE_A_TRANSACTION: Readonly<Partial<Record<StatementFormId, { readonly setup?: string; readonly sql?: string }>>> = {
  'create-index-concurrently': { sql: 'CREATE INDEX CONCURRENTLY agents_name_idx ON agents (lock_probe(name))' },
  'reindex-concurrently': { setup: PROBE_INDEX, sql: 'REINDEX INDEX CONCURRENTLY agents_name_probe_idx' },
  'vacuum-full': { setup: PROBE_INDEX },
  'drop-index-concurrently': { setup: EVENT_PROBES },
  'detach-partition-concurrently': { setup: EVENT_PROBES },
};

/** A relation of the public schema as the catalog and the statistics show it. */
interface RelationState {
  readonly oid: number;
  readonly name: string;
  readonly kind: string;
  readonly filenode: number;
  /** Sequential scans so far: flushed statistics plus this session's pending ones. */
  readonly seqScans: number;
  /** Columns with statistics: ANALYZE reads a sample of rows to compute them. */
  readonly statistics: number;
  /** Pages VACUUM has marked all-visible, which it does only after reading them. */
  readonly allVisible: number;
}

const RELATIONS = `
SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, c.relfilenode::int AS filenode, c.relallvisible AS "allVisible",
  (coalesce(s.seq_scan, 0) + coalesce(x.seq_scan, 0))::int AS "seqScans",
  (SELECT count(*) FROM pg_stats p WHERE p.schemaname = 'public' AND p.tablename = c.relname)::int AS statistics
FROM pg_class c
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
LEFT JOIN pg_stat_xact_user_tables x ON x.relid = c.oid
WHERE c.relnamespace = 'public'::regnamespace`;

const HELD_LOCKS = `SELECT relation::int AS relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'`;

interface HeldLock {
  readonly relation: number;
  readonly mode: string;
}

/** What the engine did to the fixture's relations while running one statement. */
interface Observation {
  /** The relations of the public schema before the statement, by name. */
  readonly before: ReadonlyMap<string, RelationState>;
  readonly after: ReadonlyMap<string, RelationState>;
  /** Lock modes held on each relation (by name, dropped ones too); undefined when they could not be seen. */
  readonly locks: ReadonlyMap<string, readonly LockMode[]> | undefined;
}


/** One engine with the fixture loaded; `changed` when an earlier example committed changes to it. */
interface FixtureDatabase {
  readonly session: SqlSession;
  readonly major: number;
  changed: boolean;
}

/** The fixture as FIXTURE left it: rebuilt when an earlier example committed changes. */
async function freshFixture(db: FixtureDatabase): Promise<void> {
  if (db.changed) await db.session.run(`${RESET}${FIXTURE}`);
  db.changed = false;
}

async function relations(db: FixtureDatabase): Promise<Map<string, RelationState>> {
  const result = await db.session.run<RelationState>(RELATIONS);
  return new Map(result.rows.map((row) => [row.name, row]));
}

/**
 * Statistics of a statement that committed on its own reach the views a moment later (at once only
 * from PostgreSQL 15, and there only when forced): wait until the relation shows what it was read, up to a few seconds.
 */
async function settledRelations(db: FixtureDatabase, before: ReadonlyMap<string, RelationState>, expectRead: readonly string[]): Promise<Map<string, RelationState>> {
  for (let attempt = 0; ; attempt++) {
    if (db.major >= 15) await db.session.run('SELECT pg_stat_force_next_flush()');
    await db.session.run('SELECT pg_stat_clear_snapshot()');
    const after = await relations(db);
    if (expectRead.every((name) => wasRead(before.get(name), after.get(name))) || attempt === 30) return after;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The relations before a statement that commits on its own. Before PostgreSQL 15 a backend sends its
 * statistics at most every 500 ms, at the end of a later transaction: the setup's own reads could
 * arrive after the statement and pass for its reads. Wait until two readings, each after a flush,
 * agree.
 */
async function quietRelations(db: FixtureDatabase): Promise<Map<string, RelationState>> {
  if (db.major >= 15) return settledRelations(db, new Map(), []);
  let previous: Map<string, RelationState> | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 600));
    await db.session.run('SELECT 1');
    const current = await settledRelations(db, new Map(), []);
    if (previous && JSON.stringify([...previous]) === JSON.stringify([...current])) return current;
    previous = current;
  }
  return previous ?? new Map();
}

/** A form's setup as the queries to run, each on its own. */
type Setup = string | readonly string[] | undefined;

async function runSetup(db: FixtureDatabase, setup: Setup): Promise<void> {
  for (const query of [setup ?? []].flat()) await db.session.run(query);
}

/** Runs a statement inside a transaction, reads its locks from pg_locks, and rolls it back. */
async function observeInTransaction(db: FixtureDatabase, setup: Setup, sql: string): Promise<Observation> {
  await freshFixture(db);
  if (setup !== undefined) {
    await runSetup(db, setup);
    db.changed = true;
  }
  await db.session.run('BEGIN');
  try {
    const before = await relations(db);
    await db.session.run(sql);
    const held = (await db.session.run<HeldLock>(HELD_LOCKS)).rows;
    const after = await relations(db);
    return { before, after, locks: locksByName(held, before, after) };
  } finally {
    await db.session.run('ROLLBACK');
  }
}

/** Runs a statement on its own; locks are known only when a probe in it reported them. */
async function observeOutsideTransaction(db: FixtureDatabase, setup: Setup, sql: string, watched: boolean, expectRead: readonly string[]): Promise<Observation> {
  await freshFixture(db);
  db.changed = true;
  await runSetup(db, setup);
  const before = await quietRelations(db);
  const notices: string[] = [];
  await db.session.run(sql, { onNotice: (message) => notices.push(message) });
  const after = await settledRelations(db, before, expectRead);
  const held = notices.flatMap((message) => {
    const report = /^held locks: (.*)$/s.exec(message)?.[1];
    return report === undefined ? [] : (JSON.parse(report) as HeldLock[]);
  });
  if (watched) expect(held, `no lock probe reported while ${sql} ran`).not.toEqual([]);
  return { before, after, locks: watched ? locksByName(held, before, after) : undefined };
}

function locksByName(held: readonly HeldLock[], before: ReadonlyMap<string, RelationState>, after: ReadonlyMap<string, RelationState>) {
  const names = new Map<number, string>([...before.values(), ...after.values()].map((relation) => [relation.oid, relation.name]));
  const locks = new Map<string, LockMode[]>();
  for (const { relation, mode } of held) {
    const name = names.get(relation);
    if (name !== undefined) locks.set(name, [...(locks.get(name) ?? []), lockModeOf(mode)]);
  }
  return locks;
}

/** The locks migrate-safe's analysis gives a statement run after the fixture and a setup. */
function classify(major: number, setup: Setup, sql: string): readonly LockAcquisition[] {
  const parsed = parseSource([FIXTURE, setup ?? [], sql].flat().join(';\n'));
  expect(parsed.errors).toEqual([]);
  let locks: readonly LockAcquisition[] = [];
  analyzeFile(
    parsed,
    new SchemaState(),
    { pgVersion: major, assumeInTransaction: false, position: { migration: 'fixture', part: 'up' }, newTransactionId: () => 1 },
    (analysis) => {
      if (analysis.index === parsed.statements.length - 1) locks = analysis.locks;
    },
  );
  return locks;
}

/** Whether a statement left evidence of reading a relation's rows. */
function wasRead(before: RelationState | undefined, after: RelationState | undefined): boolean {
  if (!before || !after) return false;
  return after.seqScans > before.seqScans || after.statistics > before.statistics || after.allVisible > before.allVisible;
}

/** Compares one observation with the table: locks, rewrite and scan, relation by relation. */
function expectFactsHold(major: number, form: StatementForm, acquisitions: readonly LockAcquisition[], seen: Observation): void {
  const facts = formFactsFor(form, major);
  const named = new Set(acquisitions.map((lock) => lock.relation.name));
  if (seen.locks) {
    for (const lock of acquisitions) {
      expect(strongest(seen.locks.get(lock.relation.name)), `${form.id}: lock on ${lock.role} ${lock.relation.name}`).toBe(lock.mode);
    }
    // A table the statement locks against writes must be in the table: it blocks the application too.
    const unlisted = [...seen.locks]
      .filter(([name, modes]) => !named.has(name) && isTable(seen.before.get(name)) && strongest(modes) !== 'ACCESS SHARE')
      .map(([name, modes]) => `${name}: ${modes.join(', ')}`);
    expect(unlisted, `${form.id}: locks the table does not mention`).toEqual([]);
  }
  for (const lock of acquisitions) {
    if (lock.role === 'index') continue;
    const before = seen.before.get(lock.relation.name);
    const rewritten = before !== undefined && seen.after.has(lock.relation.name) && seen.after.get(lock.relation.name)?.filenode !== before.filenode;
    expect(rewritten, `${form.id}: ${lock.relation.name} rewritten (relfilenode changed)`).toBe(lock.role === 'table' && facts.effect === 'rewrite');
  }
  if (facts.effect !== 'rewrite') {
    const read = [...named].filter((name) => wasRead(seen.before.get(name), seen.after.get(name)));
    if (facts.effect === 'scan') expect(read, `${form.id}: no relation of the statement was read`).not.toEqual([]);
    else expect(read, `${form.id}: relations read by a statement the table says reads nothing`).toEqual([]);
  }
}

function isTable(relation: RelationState | undefined): boolean {
  return relation !== undefined && ['r', 'p', 'm'].includes(relation.kind);
}

const ENGINES = await testEngines();

describe.each(ENGINES.map((engine) => [engine.label, engine] as const))('the lock table on %s', (_, engine) => {
  const major = engine.major;
  let running: RunningEngine | undefined;
  let db: FixtureDatabase = { session: undefined as unknown as SqlSession, major, changed: true };

  beforeAll(async () => {
    await loadParser();
    running = await engine.start();
    db = { session: running.session, major, changed: true };
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
  });

  describe.each(STATEMENT_FORMS.map((form) => [form.id, form as StatementForm] as const))('%s', (id, form) => {
    // Only what applies to this version is registered, so the run's skipped count means what it says.
    const runsHere = form.since === undefined || form.since <= major;
    if (!runsHere) {
      // A form that does not exist yet on this version: PostgreSQL rejects its example.
      it(`does not exist before PostgreSQL ${form.since ?? ''}: the server rejects the example`, async () => {
        await freshFixture(db);
        db.changed = true;
        // Its setup may need what does not exist yet either (a generated column before 12).
        const attempt = async (): Promise<void> => {
          await runSetup(db, form.example.setup);
          await db.session.run(form.notInTransaction ? form.example.sql : `BEGIN; ${form.example.sql}`);
        };
        await expect(attempt()).rejects.toThrow();
        await db.session.run('ROLLBACK');
      });
      return;
    }
    it(`its example is classified as ${id}`, () => {
      const acquisitions = classify(major, form.example.setup, form.example.sql);
      expect(acquisitions.length, `${form.example.sql} takes no lock in the analysis`).toBeGreaterThan(0);
      expect(acquisitions.map((lock) => lock.form.id)).toEqual(acquisitions.map(() => id));
    });

    const how = form.notInTransaction
      ? WATCHED_OUTSIDE_A_TRANSACTION[id] ? 'locks seen by a probe' : 'lock from the documentation'
      : 'locks from pg_locks';
    const older = form.olderVersions !== undefined && major < form.olderVersions.before ? ` (${form.olderVersions.note})` : '';
    it(`holds: ${how}, rewrite and scan${older}`, async () => {
      expect(form.example.inTransaction, 'example.inTransaction contradicts notInTransaction').toBe(form.notInTransaction !== true);
      if (!form.notInTransaction) {
        const seen = await observeInTransaction(db, form.example.setup, form.example.sql);
        expectFactsHold(major, form, classify(major, form.example.setup, form.example.sql), seen);
        return;
      }
      await freshFixture(db);
      await expect(db.session.run(`BEGIN; ${form.example.sql}`)).rejects.toThrow(/cannot run inside a transaction block/);
      await db.session.run('ROLLBACK');
      const watch = WATCHED_OUTSIDE_A_TRANSACTION[id];
      const setup = [form.example.setup ?? [], watch?.setup ?? []].flat();
      const sql = watch?.sql ?? form.example.sql;
      const acquisitions = classify(major, setup, sql);
      expect(acquisitions.map((lock) => lock.form.id)).toEqual(acquisitions.map(() => id));
      const expectRead = formFactsFor(form, major).effect === 'scan' ? acquisitions.map((lock) => lock.relation.name) : [];
      expectFactsHold(major, form, acquisitions, await observeOutsideTransaction(db, setup, sql, watch !== undefined, expectRead));
    });
  });
});
