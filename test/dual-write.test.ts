import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
 * and writes the old column, the new version the new one (or ones: a split, a merge, whose SQL is
 * read from docs/expand-contract.md). The old version runs until the help's
 * "Deploy ..." line, both run side by side at that point (a rolling deploy), the new one alone
 * after. Between every committed step of the help (each migration's statements, each batch of a
 * backfill) the running versions insert and update rows, and each must then read, in its own
 * column, the last value either version wrote to every row, with no error.
 */
await loadParser();

const binaries = testServerBinaries();

/**
 * One application version: the columns it reads and writes, each with its value (as SQL) for the
 * n-th write, compared as text; none when it no longer uses them. Both versions of a scenario show
 * the same n-th value, each in its own form (`'First 3 Last 3'`, or `'First 3'` and `'Last 3'`).
 */
interface AppVersion {
  readonly name: string;
  readonly columns: (n: number) => Readonly<Record<string, string>>;
}

/** Where the simulated SQL comes from: a rule's help for a statement, or a section of a docs page. */
type Source = { readonly change: string; readonly ruleId: string } | { readonly doc: string; readonly section: string };

interface Scenario {
  readonly name: string;
  readonly table: string;
  readonly source: Source;
  readonly old: AppVersion;
  readonly new: AppVersion;
}

const text = (n: number): string => `'value ${n}'`;
const using = (name: string, column: string, value: (n: number) => string = text): AppVersion => ({ name, columns: (n) => ({ [column]: value(n) }) });
const NOT_USING: AppVersion = { name: 'new version', columns: () => ({}) };
const SCENARIOS: readonly Scenario[] = [
  {
    name: 'rename a NOT NULL column',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, email text NOT NULL, note text)',
    source: { change: 'ALTER TABLE agents RENAME COLUMN email TO mail;', ruleId: 'rename-column' },
    old: using('old version', 'email'),
    new: using('new version', 'mail'),
  },
  {
    name: 'change a column type (integer to bigint)',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, score integer NOT NULL, note text)',
    source: { change: 'ALTER TABLE agents ALTER COLUMN score TYPE bigint;', ruleId: 'column-type-change' },
    old: using('old version', 'score', (n) => String(n * 7)),
    new: using('new version', 'score_new', (n) => String(n * 7)),
  },
  {
    name: 'change a column type (text to varchar)',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, email text, note text)',
    source: { change: 'ALTER TABLE agents ALTER COLUMN email TYPE varchar(200);', ruleId: 'column-type-change' },
    old: using('old version', 'email'),
    new: using('new version', 'email_new'),
  },
  {
    name: 'drop a NOT NULL column',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, legacy text NOT NULL, note text)',
    source: { change: 'ALTER TABLE agents DROP COLUMN legacy;', ruleId: 'drop-column' },
    old: using('old version', 'legacy'),
    new: NOT_USING,
  },
  {
    name: 'drop a nullable column',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, legacy text, note text)',
    source: { change: 'ALTER TABLE agents DROP COLUMN legacy;', ruleId: 'drop-column' },
    old: using('old version', 'legacy'),
    new: NOT_USING,
  },
  {
    name: 'split a NOT NULL column in two (docs/expand-contract.md)',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, full_name text NOT NULL, note text)',
    source: { doc: 'docs/expand-contract.md', section: 'Split a column' },
    old: using('old version', 'full_name', (n) => `'First ${n} Last ${n}'`),
    new: { name: 'new version', columns: (n) => ({ first_name: `'First'`, last_name: `'${n} Last ${n}'` }) },
  },
  {
    name: 'merge two NOT NULL columns into one (docs/expand-contract.md)',
    table: 'CREATE TABLE agents (id bigint PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, note text)',
    source: { doc: 'docs/expand-contract.md', section: 'Merge two columns' },
    old: { name: 'old version', columns: (n) => ({ first_name: `'First'`, last_name: `'${n} Last ${n}'` }) },
    new: using('new version', 'full_name', (n) => `'First ${n} Last ${n}'`),
  },
];

/** The simulated SQL, batches made small so that the versions write between batches of the backfill too. */
async function sqlFor(scenario: Scenario): Promise<string> {
  const sql = 'doc' in scenario.source ? docSection(scenario.source.doc, scenario.source.section) : await helpFor(scenario.source);
  return sql.replaceAll(/LIMIT \d+/g, 'LIMIT 7');
}

/** The first SQL block under a `## <section>` heading of a docs page: what users copy is what runs here. */
function docSection(path: string, section: string): string {
  const page = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
  const heading = page.indexOf(`\n## ${section}\n`);
  const block = /```sql\n([\s\S]*?)```/.exec(page.slice(heading))?.[1];
  if (heading === -1 || block === undefined) throw new Error(`${path} has no SQL block under "## ${section}"`);
  return block;
}

/** The help the rule prints for `source.change` after a history that created the table. */
async function helpFor(source: { readonly change: string; readonly ruleId: string }): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-dual-write-'));
  mkdirSync(join(root, 'migrations'));
  writeFileSync(join(root, 'migrations', '001_create.sql'), `${SCENARIOS.find((scenario) => scenario.source === source)?.table ?? ''};\n`);
  writeFileSync(join(root, 'migrations', '002_change.sql'), `${source.change}\n`);
  const result = await lint({ inputs: [join(root, 'migrations')], cwd: root, overrides: { rules: { [source.ruleId]: 'error' } } });
  const finding = result.findings.find((candidate) => candidate.ruleId === source.ruleId);
  if (finding?.help === undefined) throw new Error(`${source.ruleId} gives no help for ${source.change}`);
  return finding.help;
}

/** The two versions writing and reading, with the value each row should show. */
class Applications {
  private readonly expected = new Map<number, number>();
  private writes = 0;

  constructor(private readonly session: SqlSession) {}

  /** Each running version inserts a row, updates its own newest row and the oldest row, then all of them read. */
  async round(running: readonly AppVersion[], when: string): Promise<void> {
    for (const app of running) {
      const id = ++this.writes;
      const inserted = Object.entries(app.columns(id));
      await this.write(app, when, `INSERT INTO agents (${['id', 'note', ...inserted.map(([column]) => column)].join(', ')}) VALUES (${[String(id), `'${app.name}'`, ...inserted.map(([, value]) => value)].join(', ')})`, id);
      for (const target of [id, 1]) {
        const n = ++this.writes;
        const updated = Object.entries(app.columns(n)).map(([column, value]) => `${column} = ${value}`);
        await this.write(app, when, `UPDATE agents SET ${updated.length > 0 ? updated.join(', ') : `note = 'updated ${n}'`} WHERE id = ${target}`, target, n);
      }
    }
    for (const app of running) await this.read(app, when);
  }

  private async write(app: AppVersion, when: string, sql: string, id: number, n = id): Promise<void> {
    try {
      await this.session.run(sql);
    } catch (error) {
      throw new Error(`${when}: the ${app.name}'s write failed: ${sql}: ${(error as Error).message}`, { cause: error });
    }
    // The row now holds the n-th value, in every version's form; a version using no column leaves it.
    if (Object.keys(app.columns(n)).length > 0) this.expected.set(id, n);
  }

  private async read(app: AppVersion, when: string): Promise<void> {
    for (const column of Object.keys(app.columns(0))) {
      const { rows } = await this.session.run<{ id: string; value: string | null }>(`SELECT id, ${column}::text AS value FROM agents ORDER BY id`);
      const seen = new Map(rows.map((row) => [Number(row.id), row.value]));
      for (const [id, n] of this.expected) {
        expect(seen.get(id), `${when}: the ${app.name} reads ${column} of row ${id}`).toBe(app.columns(n)[column]?.replaceAll("'", ''));
      }
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
  const apps = new Applications(session);
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
    const sql = await sqlFor(scenario);
    await inDatabase((session) => simulate(session, scenario, sql));
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
