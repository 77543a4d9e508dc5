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
  'security-definer-search-path': [...SUPABASE, 'CREATE TABLE public.admins (id bigint PRIMARY KEY, user_id uuid)'],
  'blocking-maintenance': ['CREATE TABLE agents (id bigint PRIMARY KEY, status text)', 'CREATE INDEX agents_status_idx ON agents (status)'],
  'blocking-partition-change': ['CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at)', 'CREATE TABLE events_2025 (id bigint, at timestamptz)'],
  'table-rewrite': ['SET allow_in_place_tablespaces = on', "CREATE TABLESPACE archive_disk LOCATION ''"],
  'domain-constraint-without-not-valid': ['CREATE DOMAIN email_address AS text', 'CREATE TABLE agents (id bigint PRIMARY KEY, email email_address)'],
  'exclusion-constraint': ['CREATE TABLE bookings (id bigint PRIMARY KEY, room_id bigint, during tstzrange)'],
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
      fixtureCases.push({
        name: `${ruleId}/${fixture.name}: ${finding.ruleId} at ${where === fixture.name ? '' : `${where}:`}${finding.line}`,
        pgVersion: run.overrides.pgVersion ?? 15,
        setup: [],
        ...context,
        safeSql: finding.help,
      });
    }
  }
}

/**
 * Cases the harness cannot build a schema for yet, and why: PostgreSQL's error does not say what the
 * guessed object should have been (a view, a partitioned table, a domain), or the fixture needs an
 * order of objects the scaffold cannot give. Listed as `todo`, so that they stay visible.
 */
const NOT_YET_RUNNABLE: Readonly<Record<string, string>> = {
  'destructive-operation: good': 'the guessed schema does not fit: `active_sessions` is not a view',
  'drop-object-without-deprecation: good': 'the guessed schema does not fit: `active_agents` is not a view',
  'grant-without-rls: good': 'the guessed schema does not fit: operator does not exist: text = bigint',
  'blocking-maintenance: good': 'the guessed schema does not fit: `agent_counts` is not a materialized view',
  'backfill-under-lock/unsafe.sql: backfill-under-lock at 21': 'the guessed schema does not fit: column `team_id` does not exist',
  'blocking-maintenance/unsafe.sql: blocking-maintenance at 14': 'the guessed schema does not fit: `idx_agents_status` is not an index',
  'blocking-maintenance/unsafe.sql: blocking-maintenance at 23': 'the guessed schema does not fit: `agent_counts` is not a materialized view',
  'blocking-partition-change/attach-partition: blocking-partition-change at migrations/4_attach.sql:5': 'the guessed schema does not fit: constraint `measurements_2026_bound` for relation `measurements_2026` already exists',
  'blocking-partition-change/attach-partition: blocking-partition-change at migrations/4_attach.sql:8': 'the guessed schema does not fit: constraint `measurements_2027_bound` for relation `measurements_2027` already exists',
  'blocking-partition-change/unsafe.sql: blocking-partition-change at 2': 'the guessed schema does not fit: table `events` is not partitioned',
  'concurrently-in-transaction/unsafe.sql: concurrently-in-transaction at 10': 'the guessed schema does not fit: `idx_agents_email` is not an index',
  'concurrently-in-transaction/unsafe.sql: concurrently-in-transaction at 16': 'the guessed schema does not fit: table `events` is not partitioned',
  'constraint-without-not-valid/partitioned: constraint-without-not-valid at migrations/2_foreign_key.sql:3': 'the guessed schema does not fit: cannot add NOT VALID foreign key on partitioned table `events` referencing relation `teams`',
  'destructive-operation/unsafe.sql: destructive-operation at 14': 'the guessed schema does not fit: relation `carts` does not exist',
  'destructive-operation/unsafe.sql: drop-table-without-deprecation at 14': 'the guessed schema does not fit: relation `carts` does not exist',
  'domain-constraint-without-not-valid/unsafe.sql: domain-constraint-without-not-valid at 3': 'the guessed schema does not fit: email_address is not a domain',
  'domain-constraint-without-not-valid/unsafe.sql: domain-constraint-without-not-valid at 7': 'the guessed schema does not fit: phone_number is not a domain',
  'domain-constraint-without-not-valid/unsafe.sql: domain-constraint-without-not-valid at 10': 'the guessed schema does not fit: email_address is not a domain',
  'drop-object-without-deprecation/unsafe.sql: drop-object-without-deprecation at 5': 'the guessed schema does not fit: `agent_counts` is not a materialized view',
  'drop-object-without-deprecation/unsafe.sql: drop-object-without-deprecation at 8': 'the guessed schema does not fit: function public.agent_score(bigint) does not exist',
  'drop-object-without-deprecation/unsafe.sql: drop-object-without-deprecation at 11': 'the guessed schema does not fit: function public.agent_score(bigint) does not exist',
  'drop-table-without-deprecation/unsafe.sql: drop-table-without-deprecation at 11': 'the guessed schema does not fit: relation `invoices_deprecated` already exists',
  'drop-table-without-deprecation/unsafe.sql: drop-table-without-deprecation at 16': 'the guessed schema does not fit: relation `payments` does not exist',
  'enum-value-in-transaction/migration-transaction: enum-value-in-transaction at migrations/2_archive_teams.sql:4': 'the guessed schema does not fit: enum label `archived` already exists',
  'exclusion-constraint/unsafe.sql: exclusion-constraint at 2': 'the guessed schema does not fit: operator does not exist: text && text',
  'exclusion-constraint/unsafe.sql: exclusion-constraint at 7': 'the guessed schema does not fit: operator does not exist: text && text',
  'irreversible-migration/unsafe.sql: drop-table-without-deprecation at 6': 'the guessed schema does not fit: relation `old_table` does not exist',
  'mutable-function-search-path/exposed: mutable-function-search-path at migrations/1_unsafe.sql:2': 'the guessed schema does not fit: could not find a function named `public.agent_count`',
  'mutable-function-search-path/exposed: mutable-function-search-path at migrations/1_unsafe.sql:6': 'the guessed schema does not fit: could not find a function named `touch_updated_at`',
  'mutable-function-search-path/exposed: mutable-function-search-path at migrations/1_unsafe.sql:14': 'the guessed schema does not fit: could not find a procedure named `public.archive_agents`',
  'mutable-function-search-path/supabase: mutable-function-search-path at supabase/migrations/20240101000000_functions.sql:3': 'the guessed schema does not fit: could not find a function named `get_leaderboard`',
  'prefer-robust-statements/unsafe.sql: prefer-robust-statements at 28': 'the guessed schema does not fit: column `legacy` of relation `teams` does not exist',
  'prefer-robust-statements/unsafe.sql: prefer-robust-statements at 30': 'the guessed schema does not fit: column `legacy` of relation `teams` does not exist',
  'prefer-robust-statements/unsafe.sql: prefer-robust-statements at 32': 'the guessed schema does not fit: column `legacy` of relation `teams` does not exist',
  'prefer-robust-statements/unsafe.sql: prefer-robust-statements at 34': 'the guessed schema does not fit: column `legacy` of relation `teams` does not exist',
  'rename-object/unsafe.sql: rename-object at 18': 'the guessed schema does not fit: type `agent_status` does not exist',
  'security-definer-search-path/unsafe.sql: security-definer-search-path at 2': 'the guessed schema does not fit: relation `admins` does not exist',
  'security-definer-search-path/unsafe.sql: security-definer-search-path at 17': 'the guessed schema does not fit: relation `sessions` does not exist',
  'set-not-null-scan/pg11.sql: set-not-null-scan at 6': 'the guessed schema does not fit: constraint `agents_name_not_null_check` for relation `agents` already exists',
  'unbatched-backfill/unsafe.sql: unbatched-backfill at 23': 'the guessed schema does not fit: column t.name does not exist',
  'unique-without-index/unsafe.sql: unique-without-index at 10': 'the guessed schema does not fit: relation `legacy_items_pkey` already exists',
  'view-security-invoker/exposed: view-security-invoker at migrations/1_unsafe.sql:5': 'the guessed schema does not fit: argument of WHERE must be type boolean, not type text',
  'view-security-invoker/exposed: view-security-invoker at migrations/1_unsafe.sql:13': 'the guessed schema does not fit: `team_sizes` is not a view',
  'view-security-invoker/exposed: view-security-invoker at migrations/1_unsafe.sql:16': 'the guessed schema does not fit: `team_scores` is not a view',
  'view-security-invoker/exposed: view-security-invoker at migrations/1_unsafe.sql:20': 'the guessed schema does not fit: relation `private.salaries` does not exist',
  'multiple-exclusive-locks/safe.sql: blocking-partition-change at 30': 'the guessed schema does not fit: table `events` is not partitioned',
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
  // What the fixture's statements need, then what the safe SQL needs in place of the one it replaces.
  const fixture = await findScaffold(session, [...entry.before, ...entry.replaced], { setup: entry.setup, tolerated: entry.before.length + entry.replaced.length });
  const scaffold = await findScaffold(session, [...entry.before, ...safe], { setup: fixture.scaffold, tolerated: entry.before.length });
  const failed = scaffold.failure ? [...entry.before, ...safe][scaffold.failure.index] : undefined;
  expect(scaffold.failure, `no schema found on which the safe SQL runs; with\n${scaffold.scaffold.join(';\n')}\n\n${failed ?? ''}\nfails: ${scaffold.failure?.message ?? ''}\n\nthe safe SQL:\n${safeSql}`).toBeUndefined();
  const withRows = await runOnScaffold(session, entry, scaffold.scaffold, safeSql, ROWS);
  // Rows made up by the harness may break the very rule the SQL checks (a VALIDATE, an ATTACH's bound):
  // PostgreSQL then refuses them, as it should, and the SQL must still run on tables whose rows obey.
  const failure = withRows && /^23/.test(withRows.code ?? '') ? await runOnScaffold(session, entry, scaffold.scaffold, safeSql, 0) : withRows;
  expect(failure, `on PostgreSQL ${entry.pgVersion}, after the scaffold:\n${scaffold.scaffold.join(';\n')}\n\nthe safe SQL:\n${safeSql}`).toBeUndefined();
}

async function runOnScaffold(session: SqlSession, entry: SafeSqlCase, scaffold: readonly string[], safeSql: string, rows: number): Promise<SafeSqlFailure | undefined> {
  await cleanDatabase(session);
  await applyScaffold(session, scaffold);
  await fillTables(session, rows);
  await runTolerantly(session, entry.before);
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

  it('leaves to the user only values it cannot know', () => {
    const placeholders = [...new Set(templates.flatMap((entry) => placeholdersOf(entry.safeSql)))].sort();
    expect(placeholders.every((placeholder) => /^<(value|condition|a condition|argument types|the |its )/.test(placeholder)), placeholders.join(', ')).toBe(true);
  });
});
