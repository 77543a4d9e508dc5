import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliResult, project, runCli, runCliAsync } from './support/cli.js';
import { IN_CI, testServerBinaries, useTestServer } from './support/postgres.js';

/**
 * up, down, status, history, backup and restore, run as a user runs them (the built CLI) against a
 * real PostgreSQL 15 server (pg_dump and psql on this machine are 15: a dump must come from a
 * pg_dump as new as the server).
 */
const binaries = testServerBinaries(15);
const clientTools = ['pg_dump', 'psql'].every((tool) => spawnSync(tool, ['--version']).status === 0);
if (!clientTools) {
  if (IN_CI) throw new Error('CI must run every test: pg_dump and psql are missing (.ci/run installs postgresql-client)');
  process.stderr.write('\nSKIPPED: the runner tests need pg_dump and psql (apt-get install postgresql-client)\n');
}

/** Every output of every run, to check that the password never appears. */
const outputs: string[] = [];

function record(result: CliResult): CliResult {
  outputs.push(result.stdout, result.stderr);
  return result;
}

function cli(root: string, url: string, args: readonly string[]): CliResult {
  const result = record(runCli(args, { cwd: root, env: { MIGRATE_SAFE_DB_URL: url, SUPABASE_DB_URL: undefined, DATABASE_URL: undefined } }));
  const log = join(root, 'migration.log');
  if (existsSync(log)) outputs.push(readFileSync(log, 'utf8'));
  return result;
}

async function cliAsync(root: string, url: string, args: readonly string[]): Promise<CliResult> {
  return record(await runCliAsync(args, { cwd: root, env: { MIGRATE_SAFE_DB_URL: url, SUPABASE_DB_URL: undefined, DATABASE_URL: undefined } }));
}

const GUIDE_PROJECT = {
  'package.json': JSON.stringify({ name: 'app', private: true }),
  'supabase/migrations/20240101000000_create_agents.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, name text NOT NULL);\nALTER TABLE agents ENABLE ROW LEVEL SECURITY;\n',
  'supabase/migrations/rollback/20240101000000_create_agents_down.sql': 'DROP TABLE agents;\n',
  'supabase/migrations/20240102000000_add_status.sql': "ALTER TABLE agents ADD COLUMN status text;\nCOMMENT ON COLUMN agents.status IS 'what the agent does';\n",
  'supabase/migrations/rollback/20240102000000_add_status_down.sql': 'ALTER TABLE agents DROP COLUMN status;\n',
  'supabase/migrations/20240103000000_index_status.sql': 'CREATE INDEX CONCURRENTLY agents_status_idx ON agents (status);\n',
  'supabase/migrations/rollback/20240103000000_index_status_down.sql': 'DROP INDEX CONCURRENTLY agents_status_idx;\n',
};

describe.skipIf(!binaries || !clientTools)('migrate-safe up, down, status, history, backup and restore on PostgreSQL 15', () => {
  const server = useTestServer(binaries);
  const rows = <Row extends Record<string, unknown>>(url: string, sql: string, values?: readonly unknown[]): Promise<Row[]> => server.query<Row>(url, sql, values);
  const tables = async (url: string): Promise<string[]> =>
    (await rows<{ name: string }>(url, "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")).map(
      (row) => row.name,
    );

  afterAll(() => {
    // No password in any output of any scenario, nor in any migration.log.
    if (!binaries) return;
    expect(outputs.join('\n')).not.toContain(server.server.password);
  });

  it("runs the guide's whole workflow: validate, a dry run, up with a backup, status, down, --rollback-to, history, backup, restore", async () => {
    const root = project(GUIDE_PROJECT);
    const url = await server.createDatabase();

    expect(cli(root, url, ['--dry-run', 'validate']).status).toBe(0);

    const dryRun = cli(root, url, ['up', '--dry-run']);
    expect(dryRun.status).toBe(0);
    expect(dryRun.stdout).toContain('to apply: 3 migrations');
    expect(dryRun.stdout).toMatch(/line 1: ALTER TABLE agents ADD COLUMN status text {2}\[ACCESS EXCLUSIVE on agents\]/);
    expect(dryRun.stdout).toContain('20240103000000_index_status.sql: statement by statement');
    expect(dryRun.stdout).toContain('dry run: nothing was changed');
    expect(await tables(url)).toEqual([]);
    expect(existsSync(join(root, 'backups'))).toBe(false);
    expect(existsSync(join(root, 'migration.log'))).toBe(false);

    const up = cli(root, url, ['up']);
    expect(up.stderr).toMatch(/backup: backups\/backup_\d{8}_\d{6}\.sql/);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('3 migrations applied');
    expect(await tables(url)).toEqual(['migrate_safe.schema_migrations', 'migrate_safe.schema_migrations_log', 'public.agents', 'supabase_migrations.schema_migrations']);
    // As the Supabase CLI records them: version, the name after it, the statements without their semicolons.
    expect(await rows(url, 'SELECT version, name, statements FROM supabase_migrations.schema_migrations ORDER BY version')).toEqual([
      { version: '20240101000000', name: 'create_agents', statements: ['CREATE TABLE agents (id bigint PRIMARY KEY, name text NOT NULL)', 'ALTER TABLE agents ENABLE ROW LEVEL SECURITY'] },
      { version: '20240102000000', name: 'add_status', statements: ['ALTER TABLE agents ADD COLUMN status text', "COMMENT ON COLUMN agents.status IS 'what the agent does'"] },
      { version: '20240103000000', name: 'index_status', statements: ['CREATE INDEX CONCURRENTLY agents_status_idx ON agents (status)'] },
    ]);
    expect(readdirSync(join(root, 'backups'))).toHaveLength(1);

    const status = cli(root, url, ['status', '--format', 'json']);
    expect(status.status).toBe(0);
    const statusReport = JSON.parse(status.stdout) as { migrations: { name: string; state: string; appliedBy: string }[] };
    expect(statusReport.migrations.map((migration) => `${migration.name} ${migration.state}`)).toEqual([
      '20240101000000_create_agents applied',
      '20240102000000_add_status applied',
      '20240103000000_index_status applied',
    ]);

    expect(cli(root, url, ['up']).stdout).toContain('nothing to apply');

    const down = cli(root, url, ['down', '--skip-backup']);
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('rolled back 20240103000000_index_status');
    expect(await rows(url, "SELECT 1 FROM pg_class WHERE relname = 'agents_status_idx'")).toEqual([]);

    const rollbackTo = cli(root, url, ['down', '-s', '--rollback-to', '20240101000000']);
    expect(rollbackTo.status).toBe(0);
    expect(await rows(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'agents' ORDER BY 1")).toEqual([{ column_name: 'id' }, { column_name: 'name' }]);
    expect((await rows(url, 'SELECT version FROM supabase_migrations.schema_migrations')).map((row) => row.version)).toEqual(['20240101000000']);

    const history = cli(root, url, ['history', '--format', 'json']);
    expect(history.status).toBe(0);
    const events = (JSON.parse(history.stdout) as { history: { command: string; migration: string; outcome: string }[] }).history;
    expect(events.map((event) => `${event.command} ${event.migration} ${event.outcome}`)).toEqual([
      'backup - written',
      'up 20240101000000_create_agents applied',
      'up 20240102000000_add_status applied',
      'up 20240103000000_index_status applied',
      'down 20240103000000_index_status rolled back',
      'down 20240102000000_add_status rolled back',
    ]);
    expect(readFileSync(join(root, 'migration.log'), 'utf8').trim().split('\n')).toHaveLength(6);

    // A backup of the database as it is now, restored into an empty database, gives the same schema.
    expect(cli(root, url, ['up', '--skip-backup']).status).toBe(0);
    const backup = cli(root, url, ['backup']);
    expect(backup.status).toBe(0);
    const file = /backup: (backups\/\S+\.sql)/.exec(backup.stdout)?.[1] ?? '';
    const empty = await server.createDatabase();
    expect(cli(root, empty, ['restore', file]).status).toBe(2);
    const restore = cli(root, empty, ['restore', file, '--yes']);
    expect(restore.status).toBe(0);
    expect(schemaOf(empty)).toEqual(schemaOf(url));
    expect(cli(root, empty, ['status']).status).toBe(0);
  }, 300_000);

  it.each<{ layout: string; files: Record<string, string> }>([
    {
      layout: 'golang-migrate',
      files: {
        'db/migrations/000001_create_notes.up.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY);\n',
        'db/migrations/000001_create_notes.down.sql': 'DROP TABLE notes;\n',
        'db/migrations/000002_add_body.up.sql': 'ALTER TABLE notes ADD COLUMN body text;\n',
        'db/migrations/000002_add_body.down.sql': 'ALTER TABLE notes DROP COLUMN body;\n',
      },
    },
    {
      layout: 'dbmate',
      files: {
        'db/migrations/20240101000000_create_notes.sql': '-- migrate:up\nCREATE TABLE notes (id bigint PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE notes;\n',
        'db/migrations/20240102000000_add_body.sql': '-- migrate:up\nALTER TABLE notes ADD COLUMN body text;\n\n-- migrate:down\nALTER TABLE notes DROP COLUMN body;\n',
      },
    },
  ])('layout $layout: applies and rolls back its migrations, recorded in the history table of migrate-safe', async ({ files }) => {
    const root = project(files);
    const url = await server.createDatabase();
    const columns = async (): Promise<unknown[]> => (await rows(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'notes' ORDER BY 1")).map((row) => row.column_name);
    const up = cli(root, url, ['up', '--skip-backup']);
    expect(up.status).toBe(0);
    expect(up.stdout).toContain('2 migrations applied');
    expect(await columns()).toEqual(['body', 'id']);
    const down = cli(root, url, ['down', '--skip-backup']);
    expect(down.status).toBe(0);
    expect(await columns()).toEqual(['id']);
    const status = JSON.parse(cli(root, url, ['status', '--format', 'json']).stdout) as { migrations: { state: string }[] };
    expect(status.migrations.map((migration) => migration.state)).toEqual(['applied', 'pending']);
    expect(await tables(url)).toEqual(['migrate_safe.schema_migrations', 'migrate_safe.schema_migrations_log', 'public.notes']);
    expect(cli(root, url, ['down', '--skip-backup', '--rollback-to', '0']).status).toBe(2);
  });

  it('shows the whole plan in a dry run that lint errors would stop, and exits 1 without changing anything', async () => {
    const root = project({
      'supabase/migrations/20240101000000_create.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n',
      'supabase/migrations/20240102000000_index.sql': 'CREATE INDEX accounts_email_idx ON accounts (email);\n',
    });
    const url = await server.createDatabase();
    const dryRun = cli(root, url, ['up', '--dry-run']);
    expect(dryRun.status).toBe(1);
    expect(dryRun.stderr).toContain('require-concurrent-index');
    expect(dryRun.stdout).toMatch(/line 1: CREATE INDEX accounts_email_idx ON accounts \(email\) {2}\[SHARE on accounts\]/);
    expect(dryRun.stderr).toContain('the real run would stop before changing anything: 1 finding at error level');
    expect(await tables(url)).toEqual([]);
    expect(existsSync(join(root, 'migration.log'))).toBe(false);
    const up = cli(root, url, ['up']);
    expect(up.status).toBe(1);
    expect(up.stderr).toContain('stopped before changing anything: 1 finding at error level');
    expect(up.stdout).not.toContain('to apply');
  });

  it('rolls back a failing migration whole: nothing recorded, the schema unchanged, exit 1 naming the line, the error and the next step', async () => {
    const root = project({
      'supabase/migrations/20240101000000_create.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY);\nALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n',
      'supabase/migrations/20240102000000_broken.sql': 'CREATE TABLE invoices (id bigint PRIMARY KEY);\nALTER TABLE accounts ADD COLUMN owner text;\nALTER TABLE nowhere ADD COLUMN x int;\nALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\n',
    });
    const url = await server.createDatabase();
    const up = cli(root, url, ['up']);
    expect(up.status).toBe(1);
    expect(up.stdout).toContain('applied 20240101000000_create');
    expect(up.stderr).toContain('20240102000000_broken.sql: failed at line 3 (statement 3 of 4): 42P01 relation "nowhere" does not exist');
    expect(up.stderr).toContain('nothing of 20240102000000_broken was applied');
    expect(up.stderr).toMatch(/or restore the backup taken before this run: migrate-safe restore backups\/backup_\d+_\d+\.sql/);
    expect(await tables(url)).not.toContain('public.invoices');
    expect(await rows(url, "SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'owner'")).toEqual([]);
    expect((await rows(url, 'SELECT version FROM supabase_migrations.schema_migrations')).map((row) => row.version)).toEqual(['20240101000000']);
    const status = cli(root, url, ['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/pending\s+20240102000000_broken/);
    expect(readFileSync(join(root, 'migration.log'), 'utf8')).toMatch(/up\t20240102000000_broken\tfailed\t/);
  });

  it('runs a file with CONCURRENTLY statement by statement, says which statements ran when its third fails, and resumes there once it is fixed', async () => {
    const root = project({
      'migrations/001_create.sql': "CREATE TABLE events (id bigint, kind text, at timestamptz);\nINSERT INTO events VALUES (1, 'a', now()), (2, 'a', now());\n",
      'migrations/002_indexes.sql': 'CREATE INDEX CONCURRENTLY events_kind ON events (kind);\nCREATE INDEX CONCURRENTLY events_at ON events (at);\nCREATE UNIQUE INDEX CONCURRENTLY events_kind_key ON events (kind);\nCREATE INDEX CONCURRENTLY events_id ON events (id);\n',
    });
    const url = await server.createDatabase();
    const up = cli(root, url, ['up', '--skip-backup', '--verbose']);
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/ {2}001_create:2 {2}INSERT INTO events VALUES .* \d+ ms\n/);
    expect(up.stderr).toContain('002_indexes.sql: failed at line 3 (statement 3 of 4): 23505 could not create unique index "events_kind_key"');
    expect(up.stderr).toContain('it left the INVALID index public.events_kind_key (a build that failed part-way): DROP INDEX CONCURRENTLY IF EXISTS public.events_kind_key;');
    expect(up.stderr).toContain('statements 1-2 (lines 1, 2) ran and are committed');
    expect(up.stderr).toContain('`migrate-safe up --resume` runs the file from statement 3');
    const indexes = async (): Promise<unknown[]> => (await rows(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY 1")).map((row) => row.indexname);
    expect(await indexes()).toEqual(['events_at', 'events_kind', 'events_kind_key']);
    const status = cli(root, url, ['status', '--format', 'json']);
    expect(status.status).toBe(1);
    const failed = (JSON.parse(status.stdout) as { migrations: { name: string; state: string; detail: string }[] }).migrations[1];
    expect(failed?.state).toBe('failed part-way');
    expect(failed?.detail).toMatch(/^statements 1-2 of 4 ran and are committed .*failed at statement 3/);
    expect(cli(root, url, ['up', '--skip-backup']).status).toBe(1);

    // Changing a statement that ran makes resuming unsafe: refused before anything runs.
    const fixed = 'CREATE INDEX CONCURRENTLY events_kind ON events (kind);\nCREATE INDEX CONCURRENTLY events_at ON events (at);\nDROP INDEX CONCURRENTLY IF EXISTS events_kind_key;\nCREATE INDEX CONCURRENTLY events_kind_id ON events (kind, id);\nCREATE INDEX CONCURRENTLY events_id ON events (id);\n';
    writeFileSync(join(root, 'migrations/002_indexes.sql'), fixed.replace('(at)', '(at DESC)'));
    const refused = cli(root, url, ['up', '--skip-backup', '--resume']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('cannot resume 002_indexes: its first 2 statements differ from the ones that ran');
    writeFileSync(join(root, 'migrations/002_indexes.sql'), fixed);
    const dryRun = cli(root, url, ['up', '--skip-backup', '--resume', '--dry-run']);
    expect(dryRun.stdout).toContain('resumes at statement 3 of 5: statements 1-2 ran in an earlier run and are skipped');
    expect(dryRun.stdout).not.toContain('line 1: CREATE INDEX CONCURRENTLY events_kind ON');
    const resumed = cli(root, url, ['up', '--skip-backup', '--resume']);
    expect(resumed.status).toBe(0);
    expect(await indexes()).toEqual(['events_at', 'events_id', 'events_kind', 'events_kind_id']);
    expect(cli(root, url, ['status']).status).toBe(0);
    expect(cli(root, url, ['up', '--skip-backup', '--resume']).stderr).toContain('nothing to resume: no migration failed part-way');
  });

  it('reports who holds the lock a migration waits for, retries with backoff, then fails cleanly without hanging', async () => {
    const root = project({
      '.migrate-saferc.json': JSON.stringify({ database: { lockTimeout: '300ms', lockRetries: 2, lockRetryDelay: '100ms' } }),
      'migrations/001_create.sql': 'CREATE TABLE agents (id bigint);\n',
    });
    const url = await server.createDatabase();
    expect(cli(root, url, ['up', '--skip-backup']).status).toBe(0);
    writeFileSync(join(root, 'migrations/002_alter.sql'), 'ALTER TABLE agents ADD COLUMN status text;\n');
    const blocker = new pg.Client({ connectionString: url, application_name: 'report-job' });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM agents');
    try {
      const up = cli(root, url, ['up', '--skip-backup']);
      expect(up.status).toBe(1);
      expect(up.stderr).toMatch(/lock timeout: canceling statement due to lock timeout; blocked by:\n\s+pid \d+ {2}application report-job {2}user postgres {2}idle in transaction for \d+ s {2}query: SELECT count\(\*\) FROM agents/);
      expect(up.stderr).toContain('trying again in 100 ms (retry 1 of 2)');
      expect(up.stderr).toContain('trying again in 200 ms (retry 2 of 2)');
      expect(up.stderr).toContain('002_alter.sql: failed at line 1 (statement 1 of 1): 55P03 canceling statement due to lock timeout');
      expect(up.stderr).toMatch(/end them if they are stuck: SELECT pg_terminate_backend\(pid\) FROM pg_stat_activity WHERE pid IN \(\d+\);/);
      expect(await rows(url, "SELECT 1 FROM information_schema.columns WHERE table_name = 'agents' AND column_name = 'status'")).toEqual([]);
    } finally {
      await blocker.end();
    }
    expect(cli(root, url, ['up', '--skip-backup']).status).toBe(0);
  });

  it('makes a second up wait for the first, saying for whom, and gives up after --wait with exit 2', async () => {
    const root = project({
      'migrations/001_slow.sql': 'CREATE TABLE slow (id bigint);\nSELECT pg_sleep(15);\n',
    });
    const url = await server.createDatabase();
    const first = cliAsync(root, url, ['up', '--skip-backup']);
    await waitFor(async () => (await rows(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(15)%' AND application_name = 'migrate-safe'")).length > 0);
    const impatient = cli(root, url, ['up', '--skip-backup', '--wait', '0']);
    expect(impatient.status).toBe(2);
    expect(impatient.stderr).toMatch(/another migrate-safe run against this database holds its lock \(pid \d+, migrate-safe, user postgres/);
    const second = await cliAsync(root, url, ['up', '--skip-backup', '--wait', '30s']);
    expect(second.stderr).toMatch(/waiting for another migrate-safe run against this database to finish \(pid \d+, migrate-safe/);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('nothing to apply');
    expect((await first).status).toBe(0);
    expect(await rows(url, 'SELECT version FROM migrate_safe.schema_migrations')).toEqual([{ version: '001' }]);
  }, 120_000);

  it('keeps nothing of a migration whose connection is killed (pg_terminate_backend) and says so', async () => {
    const root = project({ 'migrations/001_killed.sql': 'CREATE TABLE doomed (id bigint);\nSELECT pg_sleep(60);\n' });
    const url = await server.createDatabase();
    const running = cliAsync(root, url, ['up', '--skip-backup']);
    await waitFor(async () => (await rows(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND application_name = 'migrate-safe'")).length > 0);
    const up = await running;
    expect(up.status).toBe(1);
    expect(up.stderr).toContain('001_killed.sql: failed at line 2 (statement 2 of 2): 57P01 terminating connection due to administrator command');
    expect(up.stderr).toContain('nothing of 001_killed was applied');
    expect(await tables(url)).toEqual(['migrate_safe.schema_migrations', 'migrate_safe.schema_migrations_log']);
    expect(await rows(url, 'SELECT outcome FROM migrate_safe.schema_migrations_log')).toEqual([{ outcome: 'failed' }]);
  });

  it('finds an applied migration edited on disk: status exit 1, and up stops before changing anything', async () => {
    const root = project({ 'migrations/001_create.sql': 'CREATE TABLE notes (id bigint);\n', 'migrations/002_more.sql': 'CREATE TABLE more_notes (id bigint);\n' });
    const url = await server.createDatabase();
    expect(cli(root, url, ['up', '--skip-backup']).status).toBe(0);
    writeFileSync(join(root, 'migrations/001_create.sql'), 'CREATE TABLE notes (id bigint, body text);\n');
    writeFileSync(join(root, 'migrations/003_new.sql'), 'CREATE TABLE newer (id bigint);\n');
    const status = cli(root, url, ['status']);
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(/changed\s+001_create .*\n\s+applied, but the file has changed since \(checksum\)/);
    const up = cli(root, url, ['up', '--skip-backup']);
    expect(up.status).toBe(1);
    expect(up.stderr).toContain('stopped before changing anything');
    expect(await tables(url)).not.toContain('public.newer');
  });

  it('agrees with the Supabase CLI on what is applied: reads its history rows, and finds a file edited since it applied it', async () => {
    const root = project({
      'supabase/migrations/20240101000000_create.sql': '-- accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY);\nALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n',
      'supabase/migrations/20240102000000_more.sql': 'ALTER TABLE accounts ADD COLUMN note text;\n',
    });
    const url = await server.createDatabase();
    // What `supabase db push` leaves after applying the first file (supabase/cli pkg/migration/history.go).
    await rows(url, 'CREATE SCHEMA supabase_migrations');
    await rows(url, 'CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text)');
    await rows(url, 'CREATE TABLE accounts (id bigint PRIMARY KEY)');
    await rows(url, "INSERT INTO supabase_migrations.schema_migrations VALUES ('20240101000000', $1, 'create')", [
      ['-- accounts\nCREATE TABLE accounts (id bigint PRIMARY KEY)', 'ALTER TABLE accounts ENABLE ROW LEVEL SECURITY'],
    ]);
    const status = cli(root, url, ['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/applied\s+20240101000000_create .*by the Supabase CLI/);
    expect(cli(root, url, ['up', '--skip-backup']).stdout).toContain('1 migration applied');
    writeFileSync(join(root, 'supabase/migrations/20240101000000_create.sql'), 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nALTER TABLE accounts ENABLE ROW LEVEL SECURITY;\n');
    const changed = cli(root, url, ['status']);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('applied by the Supabase CLI, but the statements of the file differ from the ones it recorded');
  });

  it('connects or says in one line why not: no URL, refused, bad password, a server older than pgVersion (exit 2, no password)', () => {
    const root = project({ 'migrations/001_create.sql': 'CREATE TABLE notes (id bigint);\n' });
    const none = record(runCli(['status'], { cwd: root, env: { MIGRATE_SAFE_DB_URL: undefined, SUPABASE_DB_URL: undefined, DATABASE_URL: undefined } }));
    expect(none.status).toBe(2);
    expect(none.stderr).toBe('migrate-safe: no database to connect to: pass --db-url, set MIGRATE_SAFE_DB_URL, SUPABASE_DB_URL, DATABASE_URL, or "database": { "url": ... } in the configuration\n');
    const url = new URL(server.server.url());
    const refused = cli(root, `postgresql://postgres:${server.server.password}@127.0.0.1:1/postgres`, ['status']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe('migrate-safe: cannot connect to 127.0.0.1:1 (URL from MIGRATE_SAFE_DB_URL): connection refused; is PostgreSQL running and listening there?\n');
    url.password = `${server.server.password}x`;
    const badPassword = cli(root, url.href, ['status']);
    expect(badPassword.status).toBe(2);
    expect(badPassword.stderr).toMatch(/^migrate-safe: cannot connect to 127\.0\.0\.1:\d+ \(URL from MIGRATE_SAFE_DB_URL\): password authentication failed for user "postgres"; check the user and password in the URL\n$/);
    const old = cli(root, server.server.url(), ['status', '--pg-version', '16']);
    expect(old.status).toBe(2);
    expect(old.stderr).toMatch(/runs PostgreSQL 15, older than the PostgreSQL 16 the migrations are checked for/);
    const fromFlag = record(runCli(['status', '--db-url', server.server.url()], { cwd: root, env: { MIGRATE_SAFE_DB_URL: 'postgresql://nobody@127.0.0.1:1/x' } }));
    expect(fromFlag.status).toBe(0);
  });
});

/** The schema as pg_dump --schema-only prints it, without the lines that name the dump itself. */
function schemaOf(url: string): string {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const result = spawnSync('pg_dump', ['--schema-only', '--no-owner', '--no-acl', '--dbname', parsed.href], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: password } });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('--') && !/^\\(un)?restrict /.test(line))
    .join('\n');
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('waited 20 s for a condition that never came');
}
