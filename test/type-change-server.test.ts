import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { lint } from '../src/index.js';
import { project } from './support/cli.js';
import { testServerBinaries, useTestServer } from './support/postgres.js';

/**
 * What ALTER COLUMN ... TYPE does to the table, its indexes and its constraints, seen on real
 * servers (relfilenode before and after, and the server's own DEBUG notices), against what
 * column-type-change reports for the same migration. 11 and 12 are where timestamp to timestamptz
 * changed; the newest is what most projects run.
 */
const TABLE = `CREATE TABLE events (
  id bigint PRIMARY KEY,
  happened_at timestamp NOT NULL,
  logged_at timestamp,
  checked_at timestamp CONSTRAINT events_checked_recent CHECK (checked_at > '2000-01-01'),
  stamped_at timestamp(3),
  code varchar(20) CONSTRAINT events_code_short CHECK (length(code) < 20),
  label varchar(20)
);
CREATE INDEX events_happened_at_idx ON events (happened_at);
CREATE INDEX events_label_idx ON events (label)`;

interface Case {
  readonly name: string;
  readonly migration: string;
}

const CASES: readonly Case[] = [
  { name: 'timestamp to timestamptz in UTC, an index on the column', migration: "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN happened_at TYPE timestamptz;" },
  { name: 'timestamp to timestamptz in UTC, nothing on the column', migration: "SET TIME ZONE 'UTC';\nALTER TABLE events ALTER COLUMN logged_at TYPE timestamptz;" },
  { name: 'timestamp to timestamptz in UTC, a CHECK on the column', migration: "SET timezone = 'Etc/UTC';\nALTER TABLE events ALTER COLUMN checked_at TYPE timestamptz;" },
  { name: 'timestamptz back to timestamp in UTC', migration: "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN logged_at TYPE timestamptz;\nALTER TABLE events ALTER COLUMN logged_at TYPE timestamp;" },
  { name: 'timestamp(3) to timestamptz(3) in UTC', migration: "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN stamped_at TYPE timestamptz(3);" },
  { name: 'timestamp(3) to timestamptz in UTC', migration: "SET timezone = 'UTC';\nALTER TABLE events ALTER COLUMN stamped_at TYPE timestamptz;" },
  { name: 'timestamp to timestamptz in Europe/London', migration: "SET timezone = 'Europe/London';\nALTER TABLE events ALTER COLUMN logged_at TYPE timestamptz;" },
  { name: 'varchar widening, a CHECK on the column', migration: 'ALTER TABLE events ALTER COLUMN code TYPE varchar(50);' },
  { name: 'varchar widening, an index on the column', migration: 'ALTER TABLE events ALTER COLUMN label TYPE varchar(50);' },
];

/** What the server did during the last statement of a migration. */
interface ServerFacts {
  readonly rewritesTable: boolean;
  readonly rebuildsIndexes: boolean;
  readonly checksRows: boolean;
}

async function serverFacts(url: string, migration: string): Promise<ServerFacts> {
  const client = new pg.Client({ connectionString: url });
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS events');
    await client.query(TABLE);
    await client.query("INSERT INTO events SELECT n, now(), now(), now(), now(), 'c', 'l' FROM generate_series(1, 100) AS n");
    const statements = migration.split(';\n').map((statement) => statement.replace(/;$/, ''));
    const last = statements.pop() ?? '';
    for (const statement of statements) await client.query(statement);
    const filenodes = async (): Promise<Map<string, number>> => {
      const { rows } = await client.query<{ relname: string; relfilenode: number }>(
        "SELECT relname, relfilenode::int FROM pg_class WHERE relname = 'events' OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'events'::regclass)",
      );
      return new Map(rows.map((row) => [row.relname, row.relfilenode]));
    };
    const before = await filenodes();
    await client.query('SET client_min_messages = debug1');
    notices.length = 0;
    await client.query(last);
    await client.query('RESET client_min_messages');
    const after = await filenodes();
    return {
      rewritesTable: before.get('events') !== after.get('events'),
      // The primary key's index shows a rewrite of the table; the others, whether an index was built again.
      rebuildsIndexes: [...before].some(([name, filenode]) => name !== 'events' && name !== 'events_pkey' && after.get(name) !== filenode),
      checksRows: notices.some((notice) => notice.startsWith('verifying table')),
    };
  } finally {
    await client.end();
  }
}

/** What column-type-change reports for the migration after the history that creates the table. */
async function linted(major: number, migration: string): Promise<{ reported: boolean; rewrite: boolean | undefined; message: string | undefined }> {
  const root = project({ 'migrations/1_create.sql': `${TABLE};\n`, 'migrations/2_change.sql': `${migration}\n` });
  const result = await lint({ inputs: [`${root}/migrations`], cwd: root, overrides: { pgVersion: major, rules: { 'column-type-change': 'error' } } });
  const finding = result.findings.find((candidate) => candidate.ruleId === 'column-type-change' && candidate.file.endsWith('2_change.sql') && candidate.line === migration.split('\n').length);
  return { reported: finding !== undefined, rewrite: finding?.lock?.effect === 'rewrite' || finding?.message.includes('rewrites the table'), message: finding?.message };
}

describe.each([11, 12, 18].map((major) => [major, testServerBinaries(major)] as const))('PostgreSQL %i', (major, binaries) => {
  describe.skipIf(!binaries)('ALTER COLUMN ... TYPE, as the server does it', () => {
    const server = useTestServer(binaries);

    it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_, testCase) => {
      const facts = await serverFacts(await server.createDatabase(), testCase.migration);
      const finding = await linted(major, testCase.migration);
      // A rewrite is reported as one; work under the lock without a rewrite is reported as that; nothing else is reported.
      expect({ reported: finding.reported, rewrite: finding.reported && finding.rewrite === true }, `${finding.message ?? 'no finding'} / server: ${JSON.stringify(facts)}`).toEqual({
        reported: facts.rewritesTable || facts.rebuildsIndexes || facts.checksRows,
        rewrite: facts.rewritesTable,
      });
      if (finding.reported && !facts.rewritesTable) {
        expect(finding.message).toContain('rewrites no row');
        if (facts.rebuildsIndexes) expect(finding.message).toMatch(/rebuilds index/);
        if (facts.checksRows) expect(finding.message).toMatch(/checks constraints? .* again/);
      }
    }, 60_000);
  });
});
