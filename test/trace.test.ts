import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY, project, runCli } from './support/cli.js';
import { testServerBinaries, useTestServer } from './support/postgres.js';

interface TraceJson {
  readonly server: { readonly version: string; readonly source: string; readonly notes: readonly string[] };
  readonly findings: readonly { readonly ruleId: string; readonly file: string; readonly line: number; readonly message: string }[];
  readonly statements: readonly {
    readonly file: string;
    readonly line: number;
    readonly sql: string;
    readonly inTransaction: boolean;
    readonly locks: readonly { readonly relation: string; readonly modes: readonly string[] }[] | null;
    readonly rewritten: readonly string[] | null;
    readonly scanned: readonly string[] | null;
    readonly disagreements: readonly { readonly kind: string; readonly relation: string; readonly claimed: string; readonly observed: string }[];
  }[];
}

const traceJson = (stdout: string): TraceJson => JSON.parse(stdout) as TraceJson;

/** A plain-layout project: the history creates and fills nothing; trace puts rows into `agents` before the traced file. */
const HISTORY = {
  'migrations/1_agents.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, name text NOT NULL, status text, score int);\nCREATE INDEX agents_status_idx ON agents (status);\n',
};

const binaries = testServerBinaries(15);

describe.skipIf(!binaries)('migrate-safe trace on a throwaway PostgreSQL 15', () => {
  it('replays the history, fills the tables, and reports each statement\'s locks, rewrites and scans as the server shows them', () => {
    const root = project({
      ...HISTORY,
      'migrate-safe.json': '{ "pgVersion": 15 }',
      'migrations/2_change.sql': [
        'ALTER TABLE agents ADD COLUMN token float8 DEFAULT random();',
        'ALTER TABLE agents ALTER COLUMN status SET NOT NULL;',
        'CREATE INDEX CONCURRENTLY agents_name_idx ON agents (name);',
        'ALTER TABLE agents ALTER COLUMN name SET NOT NULL;',
      ].join('\n'),
    });
    const result = runCli(['trace', 'migrations/2_change.sql', '--format', 'json'], { cwd: root });
    expect(result.stderr).toBe('');
    const report = traceJson(result.stdout);
    expect(report.server.version).toMatch(/^PostgreSQL 15\./);
    const [volatile, notNull, concurrently, alreadyNotNull] = report.statements;
    expect(volatile).toMatchObject({ line: 1, inTransaction: true });
    expect(volatile?.rewritten).toContain('public.agents');
    expect(volatile?.locks?.find((lock) => lock.relation === 'public.agents')?.modes).toContain('ACCESS EXCLUSIVE');
    expect(notNull).toMatchObject({ line: 2, rewritten: [], scanned: ['public.agents'] });
    // CONCURRENTLY runs outside a transaction block: its locks cannot be read from pg_locks afterwards.
    expect(concurrently).toMatchObject({ line: 3, inTransaction: false, locks: null });
    // Created NOT NULL in the history: nothing to read.
    expect(alreadyNotNull).toMatchObject({ line: 4, scanned: [] });
    expect(report.statements.flatMap((statement) => statement.disagreements)).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(result.status).toBe(0);
  });

  it("reports a statement PostgreSQL refuses with its own message, and what it did not run after it", () => {
    const root = project({
      ...HISTORY,
      'migrations/2_region.sql': 'ALTER TABLE agents ADD COLUMN region text NOT NULL;\n',
      'migrations/3_later.sql': 'ALTER TABLE agents ADD COLUMN nickname text;\n',
    });
    const result = runCli(['trace', 'migrations/2_region.sql', 'migrations/3_later.sql'], { cwd: root });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('trace-statement-failed  PostgreSQL refused this statement: column "region" of relation "agents" contains null values (SQLSTATE 23502).');
    expect(result.stdout).toContain('not run, as the migration tool would stop at the failure below: migrations/3_later.sql');
  });

  it('reports where the server disagrees with the static analysis, with the evidence', () => {
    // On an empty table, ADD COLUMN ... NOT NULL without a default succeeds, and PostgreSQL reads the table to check it.
    const root = project({ 'migrations/1_teams.sql': 'CREATE TABLE teams (id bigint);\nALTER TABLE teams ADD COLUMN name text NOT NULL;\n' });
    const result = runCli(['trace', 'migrations', '--format', 'json'], { cwd: root });
    const report = traceJson(result.stdout);
    expect(report.statements[1]?.disagreements).toEqual([{ kind: 'scan', relation: 'teams', claimed: 'no scan', observed: 'read in full: pg_stat_xact_user_tables.seq_scan grew' }]);
    expect(report.findings).toMatchObject([{ ruleId: 'trace-disagreement', line: 2, message: 'The analysis says no scan on teams; PostgreSQL showed read in full: pg_stat_xact_user_tables.seq_scan grew.' }]);
    expect(result.status).toBe(1);
  });

  it('traces the bundled Supabase example: the auth schema stood in for, the guide\'s unsafe ADD COLUMN refused on a table with rows', () => {
    const result = runCli(['trace', 'examples/supabase/migrations', '--format', 'json', '--format', 'sarif=' + join(project({}), 'trace.sarif')], { cwd: REPOSITORY });
    const report = traceJson(result.stdout);
    expect(report.server.notes.join('\n')).toContain("Supabase's auth schema");
    expect(report.statements.find((statement) => /CREATE INDEX idx_agents_status/.test(statement.sql))).toMatchObject({ locks: [{ relation: 'public.agents', modes: ['SHARE'] }], scanned: ['public.agents'] });
    expect(report.findings).toMatchObject([{ ruleId: 'trace-statement-failed', file: 'examples/supabase/migrations/20240103000000_add_new_field.sql', line: 2 }]);
  });
});

describe.skipIf(!binaries)('migrate-safe trace --db-url', () => {
  const server = useTestServer(binaries);

  it('refuses a database with tables unless --yes, and drops its scratch database afterwards', async () => {
    const url = await server.createDatabase();
    await server.query(url, 'CREATE TABLE production_data (id int)');
    const root = project(HISTORY);
    const refused = runCli(['trace', 'migrations', '--db-url', url], { cwd: root });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^migrate-safe: the --db-url database has 1 tables: .* add --yes to go ahead\n$/);
    expect(refused.stderr).not.toContain(server.server.password);

    const traced = runCli(['trace', 'migrations', '--db-url', url, '--yes', '--format', 'json'], { cwd: root });
    expect(traced.stderr).toBe('');
    expect(traceJson(traced.stdout).server.source).toMatch(/^--db-url, in the scratch database migrate_safe_trace_[0-9a-f]+, dropped after$/);
    expect(traced.stdout).not.toContain(server.server.password);
    const left = await server.query(server.server.url(), "SELECT datname FROM pg_database WHERE datname LIKE 'migrate_safe_trace_%'");
    expect(left).toEqual([]);
  });
});

describe('migrate-safe trace without server binaries of the configured version', () => {
  it.skipIf(!existsSync(join(REPOSITORY, 'node_modules', '@electric-sql', 'pglite')))('runs on PGlite in process, and says which version it used', () => {
    const root = project(HISTORY);
    const result = runCli(['trace', 'migrations', '--pg-version', '10', '--format', 'json'], { cwd: root });
    const report = traceJson(result.stdout);
    expect(report.server.source).toBe('PGlite, in process');
    expect(report.server.notes[0]).toMatch(/^no PostgreSQL 10 binaries here: traced on PGlite's PostgreSQL \d+ instead/);
    expect(report.statements.find((statement) => statement.sql.startsWith('CREATE INDEX'))?.locks).toEqual([{ relation: 'public.agents', modes: ['SHARE'] }]);
  });
});
