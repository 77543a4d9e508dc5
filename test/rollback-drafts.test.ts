import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SqlSession, connectSession } from '../src/db/session.js';
import { lint } from '../src/index.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { fillTables } from '../src/trace/fill.js';
import { IN_CI, testServerBinaries, useTestServer } from './support/postgres.js';

/**
 * The rollback drafts of `missing-rollback` and `incomplete-rollback`, executed: on a real server
 * with rows, the history, then the migration, then its rollback (the file's own statements plus the
 * draft, as golang-migrate sends it: one query string) must give back the schema from before, as
 * `pg_dump --schema-only` prints it; a draft that cannot restore something (a dropped column's data)
 * must say so in a comment naming it.
 */
await loadParser();

/** pg_dump refuses servers newer than itself: the server is the major of the pg_dump on PATH. */
function pgDumpMajor(): number | undefined {
  try {
    const version = execFileSync('pg_dump', ['--version'], { encoding: 'utf8' });
    return Number(/\(PostgreSQL\) (\d+)/.exec(version)?.[1]);
  } catch {
    const reason = 'pg_dump is not on PATH (apt-get install postgresql-client)';
    if (IN_CI) throw new Error(`CI must run every test: ${reason}`);
    process.stderr.write(`\nSKIPPED: rollback drafts compared with pg_dump: ${reason}\n`);
    return undefined;
  }
}

const major = pgDumpMajor();
const binaries = major === undefined ? undefined : testServerBinaries(Math.min(Math.max(major, 11), 18));

/** A draft that leaves something to restore by hand says so: "cannot", "restore it from the backup", "recreate it as it was". */
const SAYS_WHAT_IT_CANNOT = /cannot|restore (it|them)? ?from the backup|recreate it as it was|restore the default it had before|change the type back/i;

interface RollbackCase {
  readonly name: string;
  readonly history: string;
  readonly migration: string;
  /** The rollback file the migration already has (incomplete-rollback drafts what it lacks). */
  readonly rollback?: string;
  /** What the draft must say it cannot restore; undefined when it restores everything. */
  readonly cannot?: RegExp;
}

const HISTORY = `
CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'team', score integer DEFAULT 0);
CREATE INDEX teams_name_idx ON teams (lower(name)) WHERE score > 0;
CREATE TABLE agents (id bigint PRIMARY KEY, team_id bigint, email text);
CREATE UNIQUE INDEX CONCURRENTLY agents_email_key ON agents (email);
CREATE TYPE mood AS ENUM ('calm', 'busy');`;

const CASES: readonly RollbackCase[] = [
  { name: 'a new table with an index', history: HISTORY, migration: 'CREATE TABLE reports (id bigint PRIMARY KEY, body text);\nCREATE INDEX reports_body_idx ON reports (body);' },
  { name: 'a new column with a default and NOT NULL', history: HISTORY, migration: "ALTER TABLE agents ADD COLUMN status text NOT NULL DEFAULT 'active';" },
  { name: 'a dropped index the history created', history: HISTORY, migration: 'DROP INDEX CONCURRENTLY IF EXISTS teams_name_idx;\nDROP INDEX agents_email_key;' },
  { name: 'a default changed from the one the history set', history: HISTORY, migration: "ALTER TABLE teams ALTER COLUMN name SET DEFAULT 'unnamed';\nALTER TABLE teams ALTER COLUMN score DROP DEFAULT;" },
  { name: 'a default given to a column the history created without one', history: HISTORY, migration: "ALTER TABLE agents ALTER COLUMN email SET DEFAULT 'nobody@example.com';" },
  { name: 'NOT NULL set and dropped', history: HISTORY, migration: 'ALTER TABLE agents ALTER COLUMN team_id SET NOT NULL;\nALTER TABLE teams ALTER COLUMN name DROP NOT NULL;' },
  { name: 'a renamed column and table', history: HISTORY, migration: 'ALTER TABLE agents RENAME COLUMN email TO mail;\nALTER TABLE teams RENAME TO squads;' },
  { name: 'a foreign key added NOT VALID, then validated', history: HISTORY, migration: 'ALTER TABLE agents ADD CONSTRAINT agents_team_fk FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID;\nALTER TABLE agents VALIDATE CONSTRAINT agents_team_fk;' },
  { name: 'row level security and a policy', history: HISTORY, migration: 'ALTER TABLE agents ENABLE ROW LEVEL SECURITY;\nCREATE POLICY agents_read ON agents FOR SELECT USING (true);' },
  { name: 'a new type, function and trigger', history: HISTORY, migration: "CREATE TYPE level AS ENUM ('low', 'high');\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER agents_touch BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION touch();" },
  { name: 'a changed column type', history: HISTORY, migration: 'ALTER TABLE teams ALTER COLUMN score TYPE bigint;' },
  { name: 'a dropped column', history: HISTORY, migration: 'ALTER TABLE agents DROP COLUMN email;', cannot: /restore it from the backup|cannot/ },
  { name: 'an enum value added', history: HISTORY, migration: "ALTER TYPE mood ADD VALUE 'idle';", cannot: /cannot|enum/i },
  {
    name: 'a rollback that forgets the column',
    history: HISTORY,
    migration: 'ALTER TABLE agents ADD COLUMN team_name text;\nCREATE INDEX CONCURRENTLY agents_team_name_idx ON agents (team_name);',
    rollback: 'DROP INDEX IF EXISTS agents_team_name_idx;',
  },
];

/** The draft a rule prints for the second migration of a golang-migrate project holding `entry`. */
async function draftFor(entry: RollbackCase): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-rollback-'));
  const folder = join(root, 'migrations');
  mkdirSync(folder);
  writeFileSync(join(folder, '1_history.up.sql'), entry.history);
  writeFileSync(join(folder, '1_history.down.sql'), '-- not part of the test\n');
  writeFileSync(join(folder, '2_change.up.sql'), entry.migration);
  if (entry.rollback !== undefined) writeFileSync(join(folder, '2_change.down.sql'), entry.rollback);
  const ruleId = entry.rollback === undefined ? 'missing-rollback' : 'incomplete-rollback';
  const result = await lint({ inputs: [folder], cwd: root, overrides: { rules: { [ruleId]: 'warn' } } });
  const finding = result.findings.find((candidate) => candidate.ruleId === ruleId && candidate.file.includes('2_change'));
  if (finding?.help === undefined) throw new Error(`${ruleId} drafts nothing for:\n${entry.migration}`);
  return finding.help;
}

/** Statements each on its own: the history and the migration, which may hold CONCURRENTLY. */
async function runEach(session: SqlSession, sql: string): Promise<void> {
  for (const statement of parseSource(sql).statements) await session.run(statement.text);
}

function schemaOf(url: string): string {
  const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', url], { encoding: 'utf8' });
  // Comments and blank lines carry nothing about the schema; SET lines are the session pg_dump wants, \restrict a random key.
  return dump
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('--') && !line.startsWith('SET ') && !/^\\(un)?restrict /.test(line) && !line.startsWith('SELECT pg_catalog.set_config'))
    .join('\n');
}

describe.skipIf(!binaries)('rollback drafts executed: migration then rollback gives back the schema from before', () => {
  const postgres = useTestServer(binaries);

  async function roundTrip(history: string, migration: string, rollback: string): Promise<{ before: string; after: string }> {
    const url = await postgres.createDatabase();
    const session = await connectSession(url);
    try {
      await runEach(session, history);
      await fillTables(session, 20);
      const before = schemaOf(url);
      await runEach(session, migration);
      // As golang-migrate runs a rollback: the whole file as one query string, one implicit transaction.
      await session.run(rollback);
      return { before, after: schemaOf(url) };
    } finally {
      await session.close();
    }
  }

  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_, entry) => {
    const draft = await draftFor(entry);
    const { before, after } = await roundTrip(entry.history, entry.migration, `${entry.rollback ?? ''}\n${draft}`);
    if (entry.cannot === undefined) {
      expect(draft).not.toMatch(SAYS_WHAT_IT_CANNOT);
      expect(after, draft).toBe(before);
    } else {
      expect(draft).toMatch(entry.cannot);
      expect(after).not.toBe(before);
    }
  });
});

