import { mkdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineRule } from '../src/plugin/rule.js';
import { ConfigLoader } from '../src/config/load.js';
import { lint } from '../src/engine/index.js';
import { REPOSITORY, jsonReport, project, runCli } from './support/cli.js';
import { loadParser } from './support/expectations.js';

beforeAll(loadParser);

/** Reports what a rule sees of each statement's transaction: `in` (with the tool's block or `own`) or `out`. */
const probe = defineRule({
  id: 'probe/transaction',
  meta: { description: 'test probe', severity: 'warn', preset: 'recommended', category: 'correctness', hazard: '-', bad: '-', good: '-' },
  create: () => ({
    Statement(_node, statement) {
      const { inBlock, wrapper, explicit } = statement.transaction;
      statement.report({ message: inBlock ? (explicit ? 'in own' : `in ${wrapper === undefined ? '?' : 'tool'}`) : 'out', lock: null });
    },
  }),
});

/** Each statement of the project's files, as `file:line in|out`, linted through the engine as the CLI does. */
async function seen(files: Readonly<Record<string, string>>, overrides: { assumeInTransaction?: boolean } = {}): Promise<string[]> {
  const root = project(files);
  const configs = new ConfigLoader({ builtInRules: [probe], cwd: root, overrides });
  const result = await lint({ inputs: Object.keys(files).filter((file) => file.endsWith('.sql')), cwd: root, configs });
  return result.findings.map((finding) => `${relative(root, finding.file)}:${finding.line} ${finding.message}`);
}

const TWO = 'ALTER TABLE agents ADD COLUMN a int;\nALTER TABLE agents ADD COLUMN b int;\n';

describe('each layout runs files the way its tool does', () => {
  it('supabase: one transaction per file; statements refused in a block run alone; a file with its own BEGIN runs as written', async () => {
    expect(
      await seen({
        'supabase/migrations/1_a.sql': 'ALTER TABLE agents ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY i ON agents (a);\nALTER TABLE agents ADD COLUMN b int;\n',
        'supabase/migrations/2_b.sql': 'SELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;\n',
      }),
    ).toEqual([
      'supabase/migrations/1_a.sql:1 in tool',
      'supabase/migrations/1_a.sql:2 out',
      'supabase/migrations/1_a.sql:3 in tool',
      'supabase/migrations/2_b.sql:1 out',
      'supabase/migrations/2_b.sql:2 in own',
      'supabase/migrations/2_b.sql:3 in own',
      'supabase/migrations/2_b.sql:4 in own',
    ]);
  });

  it("supabase with the guide's rollback/ folder: the migrations still run as the Supabase CLI runs them; the rollbacks as migrate-safe down does", async () => {
    expect(
      await seen({
        'supabase/migrations/1_a.sql': TWO,
        'supabase/migrations/rollback/1_a_down.sql': 'ALTER TABLE agents DROP COLUMN b;\nALTER TABLE agents DROP COLUMN a;\n',
        'supabase/migrations/2_b.sql': 'CREATE INDEX CONCURRENTLY i ON agents (a);\n',
        'supabase/migrations/rollback/2_b_down.sql': 'SELECT 1;\nDROP INDEX CONCURRENTLY i;\n',
      }),
    ).toEqual([
      'supabase/migrations/1_a.sql:1 in tool',
      'supabase/migrations/1_a.sql:2 in tool',
      'supabase/migrations/2_b.sql:1 out',
      'supabase/migrations/rollback/1_a_down.sql:1 in tool',
      'supabase/migrations/rollback/1_a_down.sql:2 in tool',
      'supabase/migrations/rollback/2_b_down.sql:1 out',
      'supabase/migrations/rollback/2_b_down.sql:2 out',
    ]);
  });

  it('supabase: a file whose first line is the Supabase CLI\'s "-- pg-delta: transaction=false" runs statement by statement', async () => {
    expect(
      await seen({
        'supabase/migrations/1_a.sql': `-- pg-delta: transaction=false\r\n${TWO}`,
        'supabase/migrations/2_b.sql': `SELECT 1;\n-- pg-delta: transaction=false\n${TWO}`,
      }),
    ).toEqual(['supabase/migrations/1_a.sql:2 out', 'supabase/migrations/1_a.sql:3 out', 'supabase/migrations/2_b.sql:1 in tool', 'supabase/migrations/2_b.sql:3 in tool', 'supabase/migrations/2_b.sql:4 in tool']);
  });

  it('golang-migrate: a file of several statements is one implicit transaction, also after a COMMIT; one statement runs alone', async () => {
    expect(
      await seen({
        'migrations/1_a.up.sql': 'CREATE INDEX CONCURRENTLY i ON agents (a);\n',
        'migrations/2_b.up.sql': 'SELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY j ON agents (b);\n',
      }),
    ).toEqual(['migrations/1_a.up.sql:1 out', 'migrations/2_b.up.sql:1 in tool', 'migrations/2_b.up.sql:2 in tool', 'migrations/2_b.up.sql:3 in tool']);
  });

  it('popx: each migration in a transaction; an .autocommit. file without one, sent as one query string', async () => {
    expect(
      await seen({
        'migrations/1_a.postgres.up.sql': TWO,
        'migrations/1_a.postgres.down.sql': 'SELECT 1;\n',
        'migrations/2_b.autocommit.up.sql': 'CREATE INDEX CONCURRENTLY i ON agents (a);\n',
        'migrations/2_b.autocommit.down.sql': 'SELECT 1;\n',
        'migrations/3_c.postgres.autocommit.up.sql': TWO,
        'migrations/3_c.postgres.autocommit.down.sql': 'SELECT 1;\n',
      }),
    ).toEqual([
      'migrations/1_a.postgres.down.sql:1 in tool',
      'migrations/1_a.postgres.up.sql:1 in tool',
      'migrations/1_a.postgres.up.sql:2 in tool',
      'migrations/2_b.autocommit.down.sql:1 out',
      'migrations/2_b.autocommit.up.sql:1 out',
      'migrations/3_c.postgres.autocommit.down.sql:1 out',
      'migrations/3_c.postgres.autocommit.up.sql:1 in tool',
      'migrations/3_c.postgres.autocommit.up.sql:2 in tool',
    ]);
  });

  it('prisma: migration.sql is one implicit transaction too', async () => {
    expect(await seen({ 'prisma/migrations/1_a/migration.sql': TWO, 'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n' })).toEqual([
      'prisma/migrations/1_a/migration.sql:1 in tool',
      'prisma/migrations/1_a/migration.sql:2 in tool',
    ]);
  });

  it('dbmate: each section in a transaction unless its marker line says transaction:false', async () => {
    const file = '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON agents (a);\n-- migrate:down\nDROP INDEX i;\n';
    expect(await seen({ 'db/migrations/1_a.sql': file })).toEqual(['db/migrations/1_a.sql:2 out', 'db/migrations/1_a.sql:4 in tool']);
  });

  it('diesel: each migration in a transaction unless metadata.toml says run_in_transaction = false', async () => {
    expect(
      await seen({
        'migrations/1_a/up.sql': TWO,
        'migrations/2_b/up.sql': 'CREATE INDEX CONCURRENTLY i ON agents (a);\n',
        'migrations/2_b/metadata.toml': 'run_in_transaction = false\n',
      }),
    ).toEqual(['migrations/1_a/up.sql:1 in tool', 'migrations/1_a/up.sql:2 in tool', 'migrations/2_b/up.sql:1 out']);
  });

  it('flyway: each migration in a transaction, none for one of CONCURRENTLY statements only or with executeInTransaction=false', async () => {
    expect(
      await seen({
        'db/migration/V1__a.sql': TWO,
        'db/migration/V2__b.sql': 'CREATE INDEX CONCURRENTLY i ON agents (a);\nCREATE INDEX CONCURRENTLY j ON agents (b);\n',
        // Flyway refuses a migration that mixes them: the CONCURRENTLY stays in the block, where it fails.
        'db/migration/V3__c.sql': 'SELECT 1;\nCREATE INDEX CONCURRENTLY k ON agents (c);\n',
        'db/migration/V4__d.sql': TWO,
        'db/migration/V4__d.sql.conf': 'executeInTransaction=false\n',
      }),
    ).toEqual([
      'db/migration/V1__a.sql:1 in tool',
      'db/migration/V1__a.sql:2 in tool',
      'db/migration/V2__b.sql:1 out',
      'db/migration/V2__b.sql:2 out',
      'db/migration/V3__c.sql:1 in tool',
      'db/migration/V3__c.sql:2 in tool',
      'db/migration/V4__d.sql:1 out',
      'db/migration/V4__d.sql:2 out',
    ]);
  });

  it('sqitch and plain folders: statement by statement, in a block only between BEGIN and COMMIT', async () => {
    expect(
      await seen({
        'sqitch.plan': 'a 2024-01-01T00:00:00Z A <a@example.com>\n',
        'deploy/a.sql': 'BEGIN;\nSELECT 1;\nCOMMIT;\n',
        'migrations/1_a.sql': TWO,
      }),
    ).toEqual(['deploy/a.sql:1 in own', 'deploy/a.sql:2 in own', 'deploy/a.sql:3 in own', 'migrations/1_a.sql:1 out', 'migrations/1_a.sql:2 out']);
  });
});

describe('the configuration overrides the layout', () => {
  it('assumeInTransaction true puts a plain file in one transaction, false takes a dbmate file out of its', async () => {
    expect(await seen({ 'migrations/1_a.sql': TWO }, { assumeInTransaction: true })).toEqual(['migrations/1_a.sql:1 in tool', 'migrations/1_a.sql:2 in tool']);
    expect(await seen({ 'db/migrations/1_a.sql': `-- migrate:up\n${TWO}-- migrate:down\nSELECT 1;\n` }, { assumeInTransaction: false })).toEqual([
      'db/migrations/1_a.sql:2 out',
      'db/migrations/1_a.sql:3 out',
      'db/migrations/1_a.sql:5 out',
    ]);
  });
});

describe('on the command line', () => {
  it('--assume-in-transaction and --no-assume-in-transaction override the layout', () => {
    const root = project({
      'package.json': JSON.stringify({ name: 'app', type: 'module', 'migrate-safe': { plugins: ['./probe.js'] } }),
      'probe.js': `import { defineRule } from 'migrate-safe';
export const rules = [defineRule({
  id: 'probe/transaction',
  meta: { description: 'probe', severity: 'warn', preset: 'recommended', category: 'correctness', hazard: '-', bad: '-', good: '-' },
  create: () => ({ Statement(_node, statement) { statement.report({ message: statement.transaction.inBlock ? 'in' : 'out', lock: null }); } }),
})];
`,
      'db/migrations/1_a.sql': `-- migrate:up\n${TWO}-- migrate:down\nSELECT 1;\n`,
      'plain/1_a.sql': TWO,
    });
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(REPOSITORY, join(root, 'node_modules', 'migrate-safe'), 'dir');
    const messages = (args: string[]): string[] =>
      jsonReport(runCli(['lint', 'db/migrations', 'plain', '--format', 'json', '--rule', 'missing-rollback=off', '--rule', 'incomplete-rollback=off', ...args], { cwd: root })).findings.map(
        (finding) => `${finding.file}:${finding.line} ${finding.message}`,
      );
    expect(messages([])).toEqual(['db/migrations/1_a.sql:2 in', 'db/migrations/1_a.sql:3 in', 'db/migrations/1_a.sql:5 in', 'plain/1_a.sql:1 out', 'plain/1_a.sql:2 out']);
    expect(messages(['--no-assume-in-transaction']).map((line) => line.split(' ')[1])).toEqual(['out', 'out', 'out', 'out', 'out']);
    expect(messages(['--assume-in-transaction']).map((line) => line.split(' ')[1])).toEqual(['in', 'in', 'in', 'in', 'in']);
  });
});

describe('migrations.appliedBy: "migrate-safe" makes the linter assume what migrate-safe up does', () => {
  const config = JSON.stringify({ migrations: { appliedBy: 'migrate-safe' } });

  it('one transaction per file; a file with a statement refused in a block runs statement by statement, whatever the layout', async () => {
    expect(
      await seen({
        '.migrate-saferc.json': config,
        'supabase/migrations/1_a.sql': 'ALTER TABLE agents ADD COLUMN a int;\nCREATE INDEX CONCURRENTLY i ON agents (a);\nALTER TABLE agents ADD COLUMN b int;\n',
        'supabase/migrations/2_b.sql': TWO,
        'migrations/1_a.sql': TWO,
      }),
    ).toEqual([
      'migrations/1_a.sql:1 in tool',
      'migrations/1_a.sql:2 in tool',
      'supabase/migrations/1_a.sql:1 out',
      'supabase/migrations/1_a.sql:2 out',
      'supabase/migrations/1_a.sql:3 out',
      'supabase/migrations/2_b.sql:1 in tool',
      'supabase/migrations/2_b.sql:2 in tool',
    ]);
  });

  it('sees the lock_timeout up sets, says once how the files run, and gives it in the JSON summary', () => {
    const files = {
      'supabase/migrations/1_create.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY);\nALTER TABLE agents ENABLE ROW LEVEL SECURITY;\n',
      'supabase/migrations/2_alter.sql': 'ALTER TABLE agents ADD COLUMN a int;\nALTER TABLE agents ADD COLUMN b int;\n',
    };
    const args = ['lint', 'supabase/migrations', '--rule', 'require-lock-timeout=error', '--rule', 'missing-rollback=off'];
    const byTool = project(files);
    const text = runCli(args, { cwd: byTool });
    expect(text.stdout).toContain('require-lock-timeout');
    expect(text.stdout.match(/^transactions in supabase\/migrations: .*$/gm)).toEqual([
      'transactions in supabase/migrations: the Supabase CLI runs each migration file in one transaction (a statement PostgreSQL refuses in one runs on its own)',
    ]);
    const byMigrateSafe = project({ ...files, '.migrate-saferc.json': JSON.stringify({ migrations: { appliedBy: 'migrate-safe' }, database: { lockTimeout: '2s' } }) });
    const json = JSON.parse(runCli([...args, '--format', 'json'], { cwd: byMigrateSafe }).stdout) as {
      findings: { ruleId: string }[];
      summary: { transactions: { project: string; layout: string; modes: string[] }[] };
    };
    expect(json.findings.map((finding) => finding.ruleId)).toEqual([]);
    expect(json.summary.transactions).toEqual([
      {
        project: 'supabase/migrations',
        layout: 'supabase',
        modes: ['migrate-safe runs each file in one transaction with lock_timeout 2s and statement_timeout 15min (a file with CONCURRENTLY, VACUUM or its own BEGIN runs statement by statement)'],
      },
    ]);
  });
});
