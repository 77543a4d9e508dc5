import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SqlSession, connectSession } from '../src/db/session.js';
import { lint } from '../src/index.js';
import { loadParser } from '../src/parse/parser.js';
import { testServerBinaries, useTestServer } from './support/postgres.js';
import { type SafeMigration, migrationsOf } from './support/safe-sql.js';

/**
 * The expand/contract help simulated with both application versions writing: the old version reads
 * and writes the old column, the new version the new one. The old version runs until the help's
 * "Deploy ..." line, both run side by side at that point (a rolling deploy), the new one alone
 * after. Between every committed step of the help (each migration's statements, each batch of a
 * backfill) the running versions insert and update rows, and each must then read, in its own
 * column, the last value either version wrote to every row, with no error.
 */
await loadParser();

const binaries = testServerBinaries();

/** One application version: the column it reads and writes (none: it no longer uses the column). */
interface AppVersion {
  readonly name: string;
  readonly column: string | undefined;
}

interface Scenario {
  readonly name: string;
  readonly table: string;
  /** The statement whose help is simulated. */
  readonly change: string;
  readonly ruleId: string;
  readonly old: AppVersion;
  readonly new: AppVersion;
  /** A value of the column, as SQL, for the n-th write; compared as text. */
  readonly value: (n: number) => string;
}

const text = (n: number): string => `'value ${n}'`;
const SCENARIOS: readonly Scenario[] = [
  {
    name: 'rename a NOT NULL column',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, email text NOT NULL, note text)',
    change: 'ALTER TABLE agents RENAME COLUMN email TO mail;',
    ruleId: 'rename-column',
    old: { name: 'old version', column: 'email' },
    new: { name: 'new version', column: 'mail' },
    value: text,
  },
  {
    name: 'change a column type (integer to bigint)',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, score integer NOT NULL, note text)',
    change: 'ALTER TABLE agents ALTER COLUMN score TYPE bigint;',
    ruleId: 'column-type-change',
    old: { name: 'old version', column: 'score' },
    new: { name: 'new version', column: 'score_new' },
    value: (n) => String(n * 7),
  },
  {
    name: 'change a column type (text to varchar)',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, email text, note text)',
    change: 'ALTER TABLE agents ALTER COLUMN email TYPE varchar(200);',
    ruleId: 'column-type-change',
    old: { name: 'old version', column: 'email' },
    new: { name: 'new version', column: 'email_new' },
    value: text,
  },
  {
    name: 'drop a NOT NULL column',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, legacy text NOT NULL, note text)',
    change: 'ALTER TABLE agents DROP COLUMN legacy;',
    ruleId: 'drop-column',
    old: { name: 'old version', column: 'legacy' },
    new: { name: 'new version', column: undefined },
    value: text,
  },
  {
    name: 'drop a nullable column',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, legacy text, note text)',
    change: 'ALTER TABLE agents DROP COLUMN legacy;',
    ruleId: 'drop-column',
    old: { name: 'old version', column: 'legacy' },
    new: { name: 'new version', column: undefined },
    value: text,
  },
];

/** The help the rule prints for `scenario.change` after a history that created the table. */
async function helpFor(scenario: Scenario): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-dual-write-'));
  mkdirSync(join(root, 'migrations'));
  writeFileSync(join(root, 'migrations', '001_create.sql'), `${scenario.table};\n`);
  writeFileSync(join(root, 'migrations', '002_change.sql'), `${scenario.change}\n`);
  const result = await lint({ inputs: [join(root, 'migrations')], cwd: root, overrides: { rules: { [scenario.ruleId]: 'error' } } });
  const finding = result.findings.find((candidate) => candidate.ruleId === scenario.ruleId);
  if (finding?.help === undefined) throw new Error(`${scenario.ruleId} gives no help for ${scenario.change}`);
  // Small batches, so that the versions write between batches of the backfill too.
  return finding.help.replaceAll(/LIMIT \d+/g, 'LIMIT 7');
}

/** The two versions writing and reading, with the value each row should show. */
class Applications {
  private readonly expected = new Map<number, string>();
  private writes = 0;

  constructor(
    private readonly session: SqlSession,
    private readonly scenario: Scenario,
  ) {}

  /** Each running version inserts a row, updates its own newest row and the oldest row, then all of them read. */
  async round(running: readonly AppVersion[], when: string): Promise<void> {
    for (const app of running) {
      const id = ++this.writes;
      await this.write(app, when, `INSERT INTO agents (id, note${app.column ? `, ${app.column}` : ''}) VALUES (${id}, '${app.name}'${app.column ? `, ${this.value(id)}` : ''})`, id);
      for (const target of [id, 1]) {
        const n = ++this.writes;
        await this.write(app, when, app.column ? `UPDATE agents SET ${app.column} = ${this.value(n)} WHERE id = ${target}` : `UPDATE agents SET note = 'updated ${n}' WHERE id = ${target}`, target, n);
      }
    }
    for (const app of running) await this.read(app, when);
  }

  private value(n: number): string {
    return this.scenario.value(n);
  }

  private async write(app: AppVersion, when: string, sql: string, id: number, n = id): Promise<void> {
    try {
      await this.session.run(sql);
    } catch (error) {
      throw new Error(`${when}: the ${app.name}'s write failed: ${sql}: ${(error as Error).message}`, { cause: error });
    }
    if (app.column) this.expected.set(id, this.value(n).replaceAll("'", ''));
  }

  private async read(app: AppVersion, when: string): Promise<void> {
    if (!app.column) return;
    const { rows } = await this.session.run<{ id: string; value: string | null }>(`SELECT id, ${app.column}::text AS value FROM agents ORDER BY id`);
    const seen = new Map(rows.map((row) => [Number(row.id), row.value]));
    for (const [id, value] of this.expected) {
      expect(seen.get(id), `${when}: the ${app.name} reads ${app.column} of row ${id}`).toBe(value);
    }
  }
}

/** The help's migrations and the one after which the new version is deployed. */
function plan(help: string): { migrations: SafeMigration[]; deployAfter: number } {
  const deploy = help.search(/^-- Deploy /m);
  const headingsBefore = [...help.slice(0, deploy).matchAll(/^-- Migration \d+:/gm)].length;
  return { migrations: migrationsOf(help), deployAfter: headingsBefore };
}

async function simulate(session: SqlSession, scenario: Scenario, help: string): Promise<void> {
  const apps = new Applications(session, scenario);
  const { migrations, deployAfter } = plan(help);
  expect(migrations.length, help).toBeGreaterThan(1);
  await session.run(scenario.table);
  // Rows enough for a backfill of several batches.
  for (let round = 0; round < 10; round++) await apps.round([scenario.old], 'before the first migration');
  let running: readonly AppVersion[] = [scenario.old];
  for (const [index, migration] of migrations.entries()) {
    const schemaChanges = migration.statements.filter((statement) => !statement.repeat);
    if (schemaChanges.length > 0) {
      await session.run(`BEGIN;\n${schemaChanges.map((statement) => statement.sql).join(';\n')};\nCOMMIT`);
      await apps.round(running, `after ${migration.title}`);
    }
    for (const backfill of migration.statements.filter((statement) => statement.repeat)) {
      for (let batch = 1; (await session.run(backfill.sql)).rowCount; batch++) await apps.round(running, `after batch ${batch} of the backfill`);
    }
    if (index === deployAfter) {
      await apps.round([scenario.old, scenario.new], 'with both versions deployed');
      running = [scenario.new];
    }
  }
  await apps.round(running, 'after the last migration');
  expect(running).toEqual([scenario.new]);
}

describe.skipIf(!binaries)('expand/contract help with both application versions writing', () => {
  const postgres = useTestServer(binaries);

  async function inDatabase(work: (session: SqlSession) => Promise<void>): Promise<void> {
    const session = await connectSession(await postgres.createDatabase());
    try {
      await work(session);
    } finally {
      await session.close();
    }
  }

  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_, scenario) => {
    const help = await helpFor(scenario);
    await inDatabase((session) => simulate(session, scenario, help));
  });

  it("fails the guide's one-way sync trigger, which loses the new version's writes", async () => {
    const [rename] = SCENARIOS;
    if (!rename) throw new Error('no rename scenario');
    const oneWay = [
      '-- Migration 1: the guide\'s pattern',
      'ALTER TABLE agents ADD COLUMN mail text;',
      'CREATE FUNCTION agents_sync_mail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.mail := NEW.email; RETURN NEW; END $$;',
      'CREATE TRIGGER agents_sync_mail BEFORE INSERT OR UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION agents_sync_mail();',
      '-- Repeat until it updates 0 rows:',
      'UPDATE agents SET mail = email WHERE id IN (SELECT id FROM agents WHERE mail IS DISTINCT FROM email LIMIT 7);',
      '-- Deploy the application reading and writing mail',
      '-- Migration 2: drop the old column',
      'DROP TRIGGER agents_sync_mail ON agents;',
      'ALTER TABLE agents DROP COLUMN email;',
    ].join('\n');
    await inDatabase(async (session) => {
      await expect(simulate(session, rename, oneWay)).rejects.toThrow(/new version's write failed|reads/);
    });
  });
});
