import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import type { Finding, LintResult, Suggestion } from '../src/api.js';
import { type ConfigOverrides, ConfigLoader } from '../src/config/load.js';
import { applyEdits } from '../src/engine/edits.js';
import { lintAndFix } from '../src/engine/fix.js';
import { lint } from '../src/index.js';
import { loadParser } from './support/expectations.js';
import { project, runCli } from './support/cli.js';

beforeAll(loadParser);

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const RULE_FOLDERS = readdirSync(FIXTURES).filter((name) => !['guide', 'projects'].includes(name) && statSync(join(FIXTURES, name)).isDirectory());

/** Each fixture file or project of a rule, copied to a fresh folder, with the rule on as the fixture test runs it. */
function fixtureCases(): { name: string; root: string; input: string; rules: Record<string, 'warn' | 'error'> }[] {
  return RULE_FOLDERS.flatMap((ruleId) => {
    const rule = BUILT_IN_RULES.find((candidate) => candidate.id === ruleId);
    const rules = { [ruleId]: rule?.meta.severity ?? 'error' };
    return readdirSync(join(FIXTURES, ruleId)).map((name) => {
      const root = mkdtempSync(join(tmpdir(), 'migrate-safe-fix-'));
      cpSync(join(FIXTURES, ruleId, name), join(root, name), { recursive: true });
      return { name: `${ruleId}/${name}`, root, input: join(root, name), rules };
    });
  });
}

const NOT_SILENCEABLE = new Set(['invalid-directive', 'unused-directive', 'migration-layout']);

function active(result: LintResult, file: string, ruleId: string): Finding[] {
  return result.findings.filter((finding) => finding.file === file && finding.ruleId === ruleId && !finding.suppression);
}

describe('every fix and suggestion of a finding, applied alone', () => {
  it.each(fixtureCases())('silences that finding and breaks nothing: $name', async ({ root, input, rules }) => {
    const options = { inputs: [input], cwd: root, overrides: { rules } };
    const result = await lint(options);
    for (const finding of result.findings.filter((candidate) => !candidate.suppression)) {
      const text = result.sources.get(finding.file) ?? '';
      const changes: Suggestion[] = [...(finding.fix ? [finding.fix] : []), ...(finding.suggestions ?? [])];
      // Findings about directives and layouts cannot be silenced by a directive; every other one can at least be.
      expect(changes.length > 0, `${finding.ruleId} at line ${finding.line} offers the ignore directive`).toBe(!NOT_SILENCEABLE.has(finding.ruleId));
      for (const change of changes) {
        const fixed = applyEdits(text, change.edits);
        // A file the change creates (a drafted rollback) is there for the next run, and is linted too.
        const created = change.createFile ? [change.createFile] : [];
        const texts = new Map([[finding.file, fixed], ...created.map(({ path, text }): [string, string] => [path, text])]);
        const after = await lint({ ...options, inputs: [input, ...created.map(({ path }) => path)], texts });
        const where = `${finding.ruleId} at line ${finding.line}, "${change.title}":\n${[fixed, ...created.map(({ text }) => text)].join('\n')}`;
        for (const { path } of created) expect(active(after, path, 'syntax-error'), where).toEqual([]);
        // The finding is gone; so may be others (a directive silences its statement's, a SET lock_timeout covers the statements after it).
        expect(active(after, finding.file, finding.ruleId).length, where).toBeLessThan(active(result, finding.file, finding.ruleId).length);
        for (const broken of ['syntax-error', 'invalid-directive'].filter((ruleId) => ruleId !== finding.ruleId)) {
          expect(active(after, finding.file, broken).length, where).toBe(active(result, finding.file, broken).length);
        }
      }
    }
  });
});

describe('built-in fixes', () => {
  it('add CONCURRENTLY unattended only outside a transaction block, and suggest it inside one', async () => {
    // golang-migrate sends a file as one query string: a file of one statement runs alone, several share an implicit transaction.
    const root = project({
      'migrations/1_alone.up.sql': 'CREATE INDEX idx_agents_status ON agents (status);\n',
      'migrations/2_with_others.up.sql': 'ALTER TABLE agents ADD COLUMN team_id bigint;\nCREATE UNIQUE INDEX idx_agents_team ON agents (team_id);\n',
    });
    const { result, fixed } = await lintAndFix({ inputs: ['migrations'], cwd: root, configs: builtInConfigs(root) });
    expect([...fixed.values()]).toEqual(['CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n']);
    const [left] = active(result, join(root, 'migrations/2_with_others.up.sql'), 'require-concurrent-index');
    expect(left?.fix).toBeUndefined();
    expect(left?.suggestions?.[0]?.title).toMatch(/^Add CONCURRENTLY \(then move the statement to a migration of its own/);
  });

  it('suggest the nullable column and the rename to the deprecation name', async () => {
    const root = project({ 'm.sql': 'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255)  NOT NULL;\nDROP TABLE IF EXISTS old_table CASCADE;\n' });
    const result = await lint({ inputs: ['m.sql'], cwd: root });
    const text = result.sources.get(join(root, 'm.sql')) ?? '';
    const notNull = result.findings.find((finding) => finding.ruleId === 'not-null-column-without-default');
    const drop = result.findings.find((finding) => finding.ruleId === 'drop-table-without-deprecation');
    expect(applyEdits(text, notNull?.suggestions?.[0]?.edits ?? [])).toBe(
      'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);\nDROP TABLE IF EXISTS old_table CASCADE;\n',
    );
    expect(applyEdits(text, drop?.suggestions?.[0]?.edits ?? [])).toBe(
      'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255)  NOT NULL;\nALTER TABLE IF EXISTS old_table RENAME TO old_table_deprecated;\n',
    );
  });

  it('place the ignore directive above the statement, after it when it shares its line, and file-wide for a file finding', async () => {
    const root = project({
      'supabase/migrations/20240101000000_a.sql': 'SELECT 1;\n  CREATE INDEX i ON agents (a);\nSELECT 2; CREATE INDEX j ON agents (b);\r\n',
      // A file finding: missing-rollback, required although the project keeps no rollback.
      '.migrate-saferc.json': JSON.stringify({ rules: { 'missing-rollback': ['warn', { require: true }] } }),
    });
    const result = await lint({ inputs: ['supabase/migrations'], cwd: root });
    const text = result.sources.get(join(root, 'supabase/migrations/20240101000000_a.sql')) ?? '';
    const ignored = result.findings.map((finding) => applyEdits(text, finding.suggestions?.at(-1)?.edits ?? []));
    expect(result.findings.map((finding) => finding.ruleId)).toEqual(['missing-rollback', 'require-concurrent-index', 'require-concurrent-index']);
    expect(ignored).toEqual([
      `-- migrate-safe-ignore-file missing-rollback: <reason>\n${text}`,
      text.replace('  CREATE INDEX i', '  -- migrate-safe-ignore require-concurrent-index: <reason>\n  CREATE INDEX i'),
      text.replace('(b);', '(b) /* migrate-safe-ignore require-concurrent-index: <reason> */;'),
    ]);
  });
});

function builtInConfigs(cwd: string, overrides?: ConfigOverrides): ConfigLoader {
  return new ConfigLoader({ builtInRules: BUILT_IN_RULES, cwd, overrides });
}

/** A project's migrations linted and fixed with `rule` on (some are in the strict or style presets only). */
async function fixWith(rule: string, files: Record<string, string>): Promise<{ fixed: string; left: Finding[]; texts: string[] }> {
  const root = project(files);
  const { result, fixed } = await lintAndFix({ inputs: ['m'], cwd: root, configs: builtInConfigs(root, { rules: { [rule]: 'error' } }) });
  const texts = Object.keys(files).map((path) => fixed.get(join(root, path)) ?? files[path] ?? '');
  return { fixed: [...fixed.values()].join('\n'), left: result.findings.filter((finding) => finding.ruleId === rule || finding.ruleId === 'syntax-error'), texts };
}

describe('fixes of the catalogue\'s rules', () => {
  let database: PGlite;
  beforeAll(async () => {
    database = await PGlite.create();
  });

  /** Each file as a migration tool sends it: one query string (several statements share an implicit transaction). */
  async function runs(setup: string, texts: readonly string[]): Promise<void> {
    await database.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    if (setup !== '') await database.exec(setup);
    for (const text of texts) await database.exec(text);
  }

  const cases: { name: string; rule: string; setup: string; files: Record<string, string>; fixed: string }[] = [
    {
      name: 'prefer-robust-statements: IF [NOT] EXISTS on creates, drops and ALTER TABLE columns',
      rule: 'prefer-robust-statements',
      setup: '',
      files: {
        'm/1.sql':
          'CREATE TABLE t (id int, a int, "Old" int);\nCREATE UNIQUE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN b int, ADD c int, DROP COLUMN "Old";\nCREATE SEQUENCE s;\nDROP SEQUENCE s;\nDROP INDEX t_a;\n',
      },
      fixed:
        'CREATE TABLE IF NOT EXISTS t (id int, a int, "Old" int);\nCREATE UNIQUE INDEX IF NOT EXISTS t_a ON t (a);\nALTER TABLE t ADD COLUMN IF NOT EXISTS b int, ADD IF NOT EXISTS c int, DROP COLUMN IF EXISTS "Old";\nCREATE SEQUENCE IF NOT EXISTS s;\nDROP SEQUENCE IF EXISTS s;\nDROP INDEX IF EXISTS t_a;\n',
    },
    {
      name: 'blocking-maintenance: REINDEX CONCURRENTLY, for a statement that runs alone',
      rule: 'blocking-maintenance',
      setup: 'CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);',
      files: { 'm/1.sql': 'REINDEX INDEX t_a;' },
      fixed: 'REINDEX INDEX CONCURRENTLY t_a;',
    },
    {
      name: 'require-concurrent-index-drop: DROP INDEX CONCURRENTLY, for a statement that runs alone',
      rule: 'require-concurrent-index-drop',
      setup: '',
      files: { 'm/1.sql': 'CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);', 'm/2.sql': 'DROP INDEX t_a;' },
      fixed: 'DROP INDEX CONCURRENTLY t_a;',
    },
    {
      name: 'constraint-without-not-valid: NOT VALID and VALIDATE CONSTRAINT, for one command among several, and a constraint named as PostgreSQL would',
      rule: 'constraint-without-not-valid',
      setup: '',
      files: {
        'm/1.sql': 'CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int, p_id int);\n',
        'm/2.sql': 'ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE, ADD CHECK (id > 0 AND id <> (1 + 2)) ;\n',
      },
      fixed:
        'ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE NOT VALID, ADD CONSTRAINT t_id_check CHECK (id > 0 AND id <> (1 + 2)) NOT VALID ;\nALTER TABLE t VALIDATE CONSTRAINT t_id_check;\nALTER TABLE t VALIDATE CONSTRAINT t_p_fk;\n',
    },
    {
      // Named ck_check twice, the server refused the second (issue 14, item 2).
      name: 'constraint-without-not-valid: unnamed CHECKs get the names PostgreSQL gives them, unique in the schema as the history knows it',
      rule: 'constraint-without-not-valid',
      setup: '',
      files: {
        'm/1.sql': 'CREATE TABLE ck (a int UNIQUE, b int CHECK (b > 0));\nCREATE TABLE other (a int, CONSTRAINT ck_check CHECK (a > 0));\n',
        'm/2.sql': 'ALTER TABLE ck ADD CHECK (b < 50);\nALTER TABLE ck ADD CHECK (a < b);\nALTER TABLE ck ADD FOREIGN KEY (a) REFERENCES ck (a);\n',
      },
      fixed: [
        'ALTER TABLE ck ADD CONSTRAINT ck_b_check1 CHECK (b < 50) NOT VALID;',
        'ALTER TABLE ck VALIDATE CONSTRAINT ck_b_check1;',
        'ALTER TABLE ck ADD CONSTRAINT ck_check1 CHECK (a < b) NOT VALID;',
        'ALTER TABLE ck VALIDATE CONSTRAINT ck_check1;',
        'ALTER TABLE ck ADD CONSTRAINT ck_a_fkey FOREIGN KEY (a) REFERENCES ck (a) NOT VALID;',
        'ALTER TABLE ck VALIDATE CONSTRAINT ck_a_fkey;',
        '',
      ].join('\n'),
    },
  ];

  it.each(cases)('$name: --fix output lints clean for the rule, and runs on PostgreSQL', async ({ rule, setup, files, fixed }) => {
    const result = await fixWith(rule, files);
    expect(result.fixed).toBe(fixed);
    expect(result.left).toEqual([]);
    await runs(setup, result.texts);
  });

  it('require-lock-timeout suggests SET lock_timeout before the statement, indented like it, and SET LOCAL in a transaction', async () => {
    const text = "CREATE TABLE t (id int);\nALTER TABLE agents ADD COLUMN a int;\nBEGIN;\n  ALTER TABLE agents ADD COLUMN b int;\nCOMMIT;\n";
    const root = project({ 'm/1.sql': text });
    const options = { inputs: ['m'], cwd: root, overrides: { rules: { 'require-lock-timeout': 'warn' as const } } };
    const findings = (await lint(options)).findings.filter((finding) => finding.ruleId === 'require-lock-timeout');
    const suggested = findings.map((finding) => applyEdits(text, finding.suggestions?.[0]?.edits ?? []));
    expect(findings.map((finding) => [finding.fix, finding.suggestions?.[0]?.title])).toEqual([
      [undefined, 'Set lock_timeout to 5s before this statement'],
      [undefined, 'Set lock_timeout to 5s before this statement'],
    ]);
    expect(suggested).toEqual([
      text.replace('ALTER TABLE agents ADD COLUMN a', "SET lock_timeout = '5s';\nALTER TABLE agents ADD COLUMN a"),
      text.replace('  ALTER TABLE agents ADD COLUMN b', "  SET LOCAL lock_timeout = '5s';\n  ALTER TABLE agents ADD COLUMN b"),
    ]);
    // A session's SET covers every later statement; a SET LOCAL only the rest of its transaction.
    const linesLeft = async (fixedText: string): Promise<number[]> =>
      (await lint({ ...options, texts: new Map([[join(root, 'm/1.sql'), fixedText]]) })).findings.filter((finding) => finding.ruleId === 'require-lock-timeout').map((finding) => finding.line);
    expect(await Promise.all(suggested.map(linesLeft))).toEqual([[], [2]]);
    await runs('CREATE TABLE agents (id int);', suggested.slice(1));
  });
});

describe('migrate-safe lint --fix', () => {
  it('writes the fixed files, reports what is left, and keeps a byte order mark', () => {
    const root = project({
      'migrations/1_index.sql': '\uFEFFCREATE INDEX idx_agents_status ON agents (status);\n',
      'migrations/2_rename.sql': 'ALTER TABLE agents RENAME COLUMN old_name TO new_name;\n',
    });
    const result = runCli(['lint', '--fix', 'migrations', '--format', 'json'], { cwd: root });
    expect(readFileSync(join(root, 'migrations/1_index.sql'), 'utf8')).toBe('\uFEFFCREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n');
    expect(readFileSync(join(root, 'migrations/2_rename.sql'), 'utf8')).toBe('ALTER TABLE agents RENAME COLUMN old_name TO new_name;\n');
    expect((JSON.parse(result.stdout) as { findings: { ruleId: string }[] }).findings.map((finding) => finding.ruleId)).toEqual(['rename-column']);
    expect(result.status).toBe(1);
  });

  it('with - prints the fixed standard input instead of a report', () => {
    const root = project({ 'migrations/1_base.sql': 'CREATE TABLE agents (id bigint, status text);\n' });
    const result = runCli(['lint', '--fix', '--stdin-filename', 'migrations/2_index.sql', '-'], { cwd: root, input: 'CREATE INDEX idx ON agents (status);\n' });
    expect(result.stdout).toBe('CREATE INDEX CONCURRENTLY idx ON agents (status);\n');
    expect(result.status).toBe(0);
  });
});
