import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../src/analyze/index.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { lint } from '../src/index.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { project } from './support/cli.js';
import { testServerBinaries, useTestServer } from './support/postgres.js';

/**
 * What PostgreSQL does implicitly, on a real server, against what migrate-safe's replay and rules
 * make of the same SQL: objects that go with the column or table they depend on, a table emptied
 * in the transaction, a column copied and renamed back, writes to system catalogs.
 */
const binaries = testServerBinaries();

beforeAll(loadParser);

async function run(url: string, sql: string, onNotice?: (message: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  if (onNotice) client.on('notice', (notice) => { onNotice(notice.message ?? ''); });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The rules' findings on a migration after a history, as `rule@line` of the migration. */
async function findingsOf(history: string, migration: string): Promise<string[]> {
  const root = project({ 'migrations/1_history.sql': history, 'migrations/2_change.sql': migration });
  const result = await lint({ inputs: [`${root}/migrations`], cwd: root });
  return result.findings.filter((finding) => finding.file.endsWith('2_change.sql')).map((finding) => `${finding.ruleId}@${finding.line}`);
}

describe.skipIf(!binaries)('what PostgreSQL does implicitly', () => {
  const server = useTestServer(binaries);

  it('drops the indexes and constraints that use a dropped column, and migrate-safe forgets them too', async () => {
    const sql = [
      'CREATE TABLE agents (id bigint PRIMARY KEY, name text, region text)',
      'CREATE INDEX agents_region_idx ON agents (region)',
      'CREATE INDEX agents_name_lower_region_idx ON agents (name, lower(region))',
      'CREATE INDEX agents_named_idx ON agents (name) WHERE region IS NOT NULL',
      'CREATE INDEX agents_name_incl_idx ON agents (name) INCLUDE (region)',
      'CREATE INDEX agents_name_idx ON agents (name)',
      'ALTER TABLE agents ADD CONSTRAINT agents_name_region_key UNIQUE (name, region), ADD CONSTRAINT agents_region_check CHECK (region <> \'\')',
      'ALTER TABLE agents DROP COLUMN region',
    ].join(';\n');
    const url = await server.createDatabase();
    await run(url, sql);
    const indexes = await server.query<{ name: string }>(url, "SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'agents'::regclass ORDER BY 1");
    // PostgreSQL 18 lists a primary key's NOT NULL as a constraint of its own: not modelled, left out.
    const constraints = await server.query<{ name: string }>(url, "SELECT conname AS name FROM pg_constraint WHERE conrelid = 'agents'::regclass AND contype <> 'n' ORDER BY 1");

    const state = new SchemaState();
    analyzeFile(parseSource(sql), state, { pgVersion: 18, assumeInTransaction: false, position: { migration: '1', part: 'up' }, newTransactionId: counter() });
    expect(state.indexesOn('public.agents').map((index) => index.name.name).sort()).toEqual(indexes.map((row) => row.name));
    expect([...(state.tables.get('public.agents')?.constraints.keys() ?? [])].sort()).toEqual(constraints.map((row) => row.name));
  }, 60_000);

  it('does nothing for DROP INDEX IF EXISTS of an index gone with its table, and migrate-safe reports no lock', async () => {
    const history = 'CREATE TABLE sessions (id bigint PRIMARY KEY, token text);\n';
    const migration = 'DROP TABLE sessions;\nDROP INDEX IF EXISTS sessions_pkey;\n';
    const url = await server.createDatabase();
    const notices: string[] = [];
    await run(url, history);
    await run(url, migration, (message) => notices.push(message));
    expect(notices).toContain('index "sessions_pkey" does not exist, skipping');
    expect(await findingsOf(history, migration)).not.toContain('require-concurrent-index-drop@2');
  }, 60_000);

  it('drops the index a constraint took over with USING INDEX along with the constraint, under both names', async () => {
    const history = 'CREATE TABLE badges (id bigint NOT NULL, code text);\nCREATE UNIQUE INDEX badges_id_idx ON badges (id);\nALTER TABLE badges ADD CONSTRAINT badges_pkey PRIMARY KEY USING INDEX badges_id_idx;\n';
    const migration = 'ALTER TABLE badges DROP CONSTRAINT badges_pkey;\nDROP INDEX IF EXISTS badges_pkey;\nDROP INDEX IF EXISTS badges_id_idx;\n';
    const url = await server.createDatabase();
    const notices: string[] = [];
    await run(url, history);
    await run(url, migration, (message) => notices.push(message));
    expect(notices).toEqual(['index "badges_pkey" does not exist, skipping', 'index "badges_id_idx" does not exist, skipping']);
    expect((await findingsOf(history, migration)).filter((finding) => finding.startsWith('require-concurrent-index-drop'))).toEqual([]);
  }, 60_000);

  it('adds a NOT NULL column without default to a table emptied earlier in the same transaction, not after it', async () => {
    const history = "CREATE TABLE prices (id bigint PRIMARY KEY, amount numeric);\nINSERT INTO prices VALUES (1, 10), (2, 20);\n";
    const emptied = 'BEGIN;\nDELETE FROM prices;\nALTER TABLE prices ADD COLUMN tier text NOT NULL;\nCOMMIT;\n';
    const url = await server.createDatabase();
    await run(url, history);
    await run(url, emptied);
    await run(url, 'INSERT INTO prices VALUES (3, 30, \'pro\')');
    const later = 'ALTER TABLE prices ADD COLUMN region text NOT NULL;\n';
    await expect(run(url, later)).rejects.toThrow(/contains null values/);
    // The DELETE itself is destructive-operation's business; the column added after it is no hazard.
    expect(await findingsOf(history, emptied)).toEqual(['destructive-operation@2']);
    expect(await findingsOf(history, later)).toContain('not-null-column-without-default@1');
  }, 60_000);

  it('keeps the name and the data of a column copied, dropped and renamed back in one transaction', async () => {
    const history = "CREATE TABLE traces (id bigint PRIMARY KEY, release integer);\nINSERT INTO traces VALUES (1, 7);\n";
    const migration = [
      'BEGIN;',
      'ALTER TABLE traces ADD COLUMN release_tmp text;',
      'UPDATE traces SET release_tmp = release::text;',
      'ALTER TABLE traces DROP COLUMN release;',
      'ALTER TABLE traces RENAME COLUMN release_tmp TO release;',
      'COMMIT;',
    ].join('\n');
    const url = await server.createDatabase();
    await run(url, history);
    await run(url, migration);
    expect(await server.query(url, 'SELECT release FROM traces')).toEqual([{ release: '7' }]);
    expect(await findingsOf(history, migration)).not.toContain('drop-column@4');
  }, 60_000);

  it('refuses a write to a system catalog without superuser rights, as managed services run migrations', async () => {
    const url = await server.createDatabase();
    await run(url, "CREATE TABLE agents (id bigint); CREATE INDEX agents_id_idx ON agents (id); CREATE ROLE app_owner; GRANT ALL ON SCHEMA public TO app_owner;");
    await expect(run(url, "SET ROLE app_owner; UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'agents_id_idx'::regclass")).rejects.toThrow(/permission denied for table pg_index/);
    expect(await findingsOf('CREATE TABLE agents (id bigint);\n', "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'agents_id_idx'::regclass;\n")).toEqual(['system-catalog-write@1']);
  }, 60_000);
});

describe('a lock held by an earlier statement of the transaction', () => {
  it('is reported once, at the first write it holds up, naming the writes that follow', async () => {
    const history = 'CREATE TABLE jobs (id bigint);\nCREATE TABLE artifacts (id bigint, state text);\nCREATE TABLE builds (id bigint, state text);\n';
    const migration = "BEGIN;\nALTER TABLE jobs ADD COLUMN attempts int DEFAULT 0;\nUPDATE artifacts SET state = 'done';\nUPDATE builds SET state = 'done';\nCOMMIT;\n";
    const root = project({ 'migrations/1_history.sql': history, 'migrations/2_change.sql': migration });
    const result = await lint({ inputs: [`${root}/migrations`], cwd: root });
    const findings = result.findings.filter((finding) => finding.ruleId === 'backfill-under-lock');
    expect(findings.map((finding) => finding.line)).toEqual([3]);
    expect(findings[0]?.message).toContain('ACCESS EXCLUSIVE on jobs');
    expect(findings[0]?.message).toContain('The same lock is held through the later write of this transaction: UPDATE of builds.');
  });
});

function counter(): () => number {
  let next = 0;
  return () => ++next;
}
