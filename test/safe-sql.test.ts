import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { startServer, type ThrowawayServer } from '../src/db/server.js';
import { type SqlSession, connectSession } from '../src/db/session.js';
import { discover, partText } from '../src/discover/index.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { fillTables } from '../src/trace/fill.js';
import { FIXTURES, fixturesOf, lintFixture, ruleFixtureFolders } from './support/fixtures.js';
import { SUPPORTED_MAJORS, testServerBinaries } from './support/postgres.js';
import { type SafeSqlFailure, alternativesOf, migrationsOf, placeholdersOf, runMigrations, runTolerantly } from './support/safe-sql.js';
import { applyScaffold, cleanDatabase, findScaffold } from './support/scaffold.js';

/**
 * Every piece of safe SQL migrate-safe prints, run on a real PostgreSQL: each rule's `good` example,
 * and the help of every finding the fixtures produce, on a schema with rows. The schema is what the
 * SQL needs (test/support/scaffold.ts: built from the server's own "does not exist" errors) plus what
 * the fixture ran before the statement the finding is about; every table gets rows. Rollback drafts
 * are run by test/rollback-drafts.test.ts. Help that leaves a value to the user (`<value>`) is listed,
 * not run.
 */
await loadParser();

const ROWS = 20;

interface SafeSqlCase {
  readonly name: string;
  readonly pgVersion: number;
  /** What the SQL takes as given, beyond what the scaffold finds. */
  readonly setup: readonly string[];
  /** SQL that ran before the help: the history and the fixture's earlier statements. */
  readonly before: readonly string[];
  /** The statement the help replaces (the scaffold must make it runnable too). */
  readonly replaced: readonly string[];
  readonly safeSql: string;
}

/**
 * What a rule's `good` example takes as given and the scaffold cannot guess from an error: a
 * partitioned table, an index, a domain, a tablespace, Supabase's role and auth.uid().
 */
const SUPABASE = [
  "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated; END IF; END $$",
  'CREATE SCHEMA auth',
  "CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$",
];
const GOOD_SETUP: Readonly<Record<string, readonly string[]>> = {
  'rls-disabled': SUPABASE,
  'grant-without-rls': SUPABASE,
  'security-definer-search-path': [...SUPABASE, 'CREATE TABLE public.admins (id bigint PRIMARY KEY, user_id uuid)'],
  'blocking-maintenance': ['CREATE TABLE agents (id bigint PRIMARY KEY, status text)', 'CREATE INDEX agents_status_idx ON agents (status)'],
  'blocking-partition-change': ['CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at)', 'CREATE TABLE events_2025 (id bigint, at timestamptz)'],
  'table-rewrite': ['SET allow_in_place_tablespaces = on', "CREATE TABLESPACE archive_disk LOCATION ''"],
  'domain-constraint-without-not-valid': ['CREATE DOMAIN email_address AS text', 'CREATE TABLE agents (id bigint PRIMARY KEY, email email_address)'],
  'exclusion-constraint': ['CREATE TABLE bookings (id bigint PRIMARY KEY, room_id bigint, during tstzrange)'],
};

/** The same for a fixture's finding: Supabase's auth.uid() is a uuid, compared with a uuid column. */
const FIXTURE_SETUP: Readonly<Record<string, readonly string[]>> = {
  'security-definer-search-path/unsafe.sql: security-definer-search-path at 2': GOOD_SETUP['security-definer-search-path'] ?? [],
};

const goodCases: SafeSqlCase[] = BUILT_IN_RULES.map((rule) => ({ name: `${rule.id}: good`, pgVersion: 15, setup: GOOD_SETUP[rule.id] ?? [], before: [], replaced: [], safeSql: rule.meta.good }));

/** The statements of the migrations before `file`, and of `file` before `offset` and at it. */
async function contextOf(root: string, file: string, offset: number): Promise<{ before: string[]; replaced: string[] }> {
  const discovery = await discover([root], { cwd: root });
  const before: string[] = [];
  for (const migration of discovery.projects.flatMap((project) => project.migrations)) {
    const parts = migration.down?.path === file ? [migration.up, migration.down] : [migration.up];
    for (const part of parts) {
      const parsed = parseSource(partText(part, readFileSync(part.path, 'utf8')));
      if (part.path !== file) {
        before.push(...parsed.statements.map((statement) => statement.text));
        continue;
      }
      const at = parsed.statements.findIndex((statement) => offset >= statement.start && offset <= statement.end);
      const end = at === -1 ? parsed.statements.length : at;
      before.push(...parsed.statements.slice(0, end).map((statement) => statement.text));
      return { before, replaced: at === -1 ? [] : [parsed.statements[at]?.text ?? ''] };
    }
  }
  return { before, replaced: [] };
}

const fixtureCases: SafeSqlCase[] = [];
for (const ruleId of ruleFixtureFolders()) {
  for (const fixture of fixturesOf(ruleId)) {
    const run = await lintFixture(fixture);
    for (const finding of run.result.findings) {
      const rule = BUILT_IN_RULES.find((candidate) => candidate.id === finding.ruleId);
      if (finding.help === undefined || finding.suppression || rule?.meta.category === 'rollback') continue;
      const context = await contextOf(run.root, finding.file, finding.offset);
      const where = finding.file.startsWith(run.root) ? finding.file.slice(run.root.length + 1) : finding.file;
      const name = `${ruleId}/${fixture.name}: ${finding.ruleId} at ${where === fixture.name ? '' : `${where}:`}${finding.line}`;
      fixtureCases.push({
        name,
        pgVersion: run.overrides.pgVersion ?? 15,
        setup: FIXTURE_SETUP[name] ?? [],
        ...context,
        safeSql: finding.help,
      });
    }
  }
}

/**
 * Cases that cannot run, each with the reason: a defect in the help (to fix), or something no
 * server can show. Listed as `todo`, so that they stay visible; empty when every case runs.
 */
const NOT_YET_RUNNABLE: Readonly<Record<string, string>> = {
  'drop-object-without-deprecation/replaced-by-rename: rename-table at migrations/2_replace.sql:6':
    "the fixture's view decided_periods still reads decisions when the help's later DROP runs: the help says to drop the dependents first, and and which ones are left after the monitoring period only the user knows",
};

const cases = [...goodCases, ...fixtureCases];
const runnable = cases.filter((entry) => placeholdersOf(entry.safeSql).length === 0 && NOT_YET_RUNNABLE[entry.name] === undefined);
const templates = cases.filter((entry) => placeholdersOf(entry.safeSql).length > 0);

const servers = new Map<number, Promise<{ server: ThrowawayServer; session: SqlSession }>>();
async function sessionFor(wanted: number): Promise<SqlSession | undefined> {
  // A fixture about an older version (pgVersion 10) runs its SQL on the oldest server there is: 11.
  const major = Math.max(wanted, SUPPORTED_MAJORS[0]);
  const binaries = testServerBinaries(major);
  if (!binaries) return undefined;
  let started = servers.get(major);
  if (!started) {
    started = startServer(binaries).then(async (server) => ({ server, session: await connectSession(server.url()) }));
    servers.set(major, started);
  }
  return (await started).session;
}

afterAll(async () => {
  for (const started of servers.values()) {
    const { server, session } = await started;
    await session.close();
    await server.stop();
  }
});

beforeAll(() => {
  expect(FIXTURES).toBeTruthy();
});

/** The safe SQL on a schema where the fixture's statements and it run, with rows in every table. */
async function runSafeSql(session: SqlSession, entry: SafeSqlCase, safeSql: string): Promise<void> {
  const safe = migrationsOf(safeSql).flatMap((migration) => migration.statements.map((statement) => statement.sql));
  const before = precedingStatements(entry, safe);
  // What the fixture's statements need, then what the safe SQL needs in place of the one it replaces.
  const fixture = await findScaffold(session, [...entry.before, ...entry.replaced], { setup: entry.setup, tolerated: entry.before.length + entry.replaced.length });
  const scaffold = await findScaffold(session, [...before, ...safe], { setup: fixture.scaffold, tolerated: before.length });
  const failed = scaffold.failure ? [...before, ...safe][scaffold.failure.index] : undefined;
  expect(scaffold.failure, `no schema found on which the safe SQL runs; with\n${scaffold.scaffold.join(';\n')}\n\n${failed ?? ''}\nfails: ${scaffold.failure?.message ?? ''}\n\nthe safe SQL:\n${safeSql}`).toBeUndefined();
  const withRows = await runOnScaffold(session, before, scaffold.scaffold, safeSql, ROWS);
  // Rows made up by the harness may break the very rule the SQL checks (a VALIDATE, an ATTACH's bound):
  // PostgreSQL then refuses them, as it should, and the SQL must still run on tables whose rows obey.
  const failure = withRows && /^23/.test(withRows.code ?? '') ? await runOnScaffold(session, before, scaffold.scaffold, safeSql, 0) : withRows;
  expect(failure, `on PostgreSQL ${entry.pgVersion}, after the scaffold:\n${scaffold.scaffold.join(';\n')}\n\nthe safe SQL:\n${safeSql}`).toBeUndefined();
}

const normalised = (sql: string): string => sql.replace(/\s+/g, ' ').replace(/;\s*$/, '').trim();
const CREATES = /^\s*CREATE\b/i;

/**
 * What runs before the safe SQL. A help that only amends what the statement creates (`ALTER FUNCTION
 * f SET search_path` for a `CREATE FUNCTION f`) runs after it, not in its place; a statement of the
 * fixture the help restates in a migration of its own (the rename before a drop) runs there only.
 */
function precedingStatements(entry: SafeSqlCase, safe: readonly string[]): string[] {
  const amends = entry.replaced.some((sql) => CREATES.test(sql)) && !safe.some((sql) => CREATES.test(sql));
  const restated = new Set(safe.map(normalised));
  return [...entry.before, ...(amends ? entry.replaced : [])].filter((sql) => !restated.has(normalised(sql)));
}

async function runOnScaffold(session: SqlSession, before: readonly string[], scaffold: readonly string[], safeSql: string, rows: number): Promise<SafeSqlFailure | undefined> {
  await cleanDatabase(session);
  await applyScaffold(session, scaffold);
  await fillTables(session, rows);
  await runTolerantly(session, before);
  await session.run('COMMIT');
  await fillTables(session, rows);
  return runMigrations(session, migrationsOf(safeSql));
}

describe('safe SQL runs on PostgreSQL, on a schema with rows', () => {
  it.each(runnable.map((entry) => [entry.name, entry] as const))('%s', async (_, entry) => {
    const session = await sessionFor(entry.pgVersion);
    if (!session) return;
    for (const alternative of alternativesOf(entry.safeSql)) await runSafeSql(session, entry, alternative);
  });

  for (const [name, reason] of Object.entries(NOT_YET_RUNNABLE)) it.todo(`${name} (not yet runnable: ${reason})`);

  it('lists as not yet runnable, or with a setup, only cases there are', () => {
    expect([...Object.keys(NOT_YET_RUNNABLE), ...Object.keys(FIXTURE_SETUP)].filter((name) => !cases.some((entry) => entry.name === name))).toEqual([]);
  });

  it('leaves to the user only values it cannot know', () => {
    const placeholders = [...new Set(templates.flatMap((entry) => placeholdersOf(entry.safeSql)))].sort();
    expect(placeholders.every((placeholder) => /^<(value|condition|a condition|argument types|the |its |each )/.test(placeholder)), placeholders.join(', ')).toBe(true);
  });
});
