import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { type Fix, type Finding, type LintResult, defineRule, nameOfRangeVar, nodeOf } from '../src/api.js';
import { ConfigLoader } from '../src/config/load.js';
import { applyEdits } from '../src/engine/edits.js';
import { lintAndFix } from '../src/engine/fix.js';
import { lint } from '../src/engine/index.js';
import { concurrentlyFixes, columnIfExistsFix, dropColumnIfExistsFix, ifExistsFix, lockTimeoutFix, notValidFixes } from '../rules/support/fixes.js';
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
      const changes: Fix[] = [...(finding.fix ? [finding.fix] : []), ...(finding.suggestions ?? [])];
      // Findings about directives and layouts cannot be silenced by a directive; every other one can at least be.
      expect(changes.length > 0, `${finding.ruleId} at line ${finding.line} offers the ignore directive`).toBe(!NOT_SILENCEABLE.has(finding.ruleId));
      for (const change of changes) {
        const fixed = applyEdits(text, change.edits);
        const after = await lint({ ...options, texts: new Map([[finding.file, fixed]]) });
        const where = `${finding.ruleId} at line ${finding.line}, "${change.title}":\n${fixed}`;
        // The finding is gone; so may be others of its rule in the same statement (a directive silences them all).
        const before = active(result, finding.file, finding.ruleId);
        const sameStatement = before.filter((other) => other.endOffset === finding.endOffset).length;
        expect(active(after, finding.file, finding.ruleId).length, where).toBeLessThan(before.length);
        expect(active(after, finding.file, finding.ruleId).length, where).toBeGreaterThanOrEqual(before.length - sameStatement);
        for (const broken of ['syntax-error', 'invalid-directive'].filter((ruleId) => ruleId !== finding.ruleId)) {
          expect(active(after, finding.file, broken).length, where).toBe(active(result, finding.file, broken).length);
        }
      }
    }
  });
});

describe('built-in fixes', () => {
  it('add CONCURRENTLY unattended to a statement that runs alone, and only suggest it elsewhere', async () => {
    const root = project({
      'migrations/1_alone.sql': 'CREATE INDEX idx_agents_status ON agents (status);\n',
      'migrations/2_with_others.sql': 'ALTER TABLE agents ADD COLUMN team_id bigint;\nCREATE UNIQUE INDEX idx_agents_team ON agents (team_id);\n',
    });
    const { result, fixed } = await lintAndFix({ inputs: ['migrations'], cwd: root });
    expect([...fixed.values()]).toEqual(['CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n']);
    const [left] = active(result, join(root, 'migrations/2_with_others.sql'), 'require-concurrent-index');
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

/** A rule of the catalogue that is written on another branch, reduced to what its fix needs: the helpers must serve it. */
const HELPER_RULES = [
  defineRule({
    id: 'test/robust',
    meta: { description: 'IF [NOT] EXISTS', severity: 'warn', preset: 'recommended', category: 'style', hazard: '', bad: '', good: '' },
    create: () => ({
      Statement(_node, statement) {
        const fix = ifExistsFix(statement);
        if (fix) statement.report({ message: 'not robust', fix });
      },
      AlterTableCmd(node, statement) {
        const column = nodeOf(node.def, 'ColumnDef');
        const fix =
          node.missing_ok === true
            ? undefined
            : node.subtype === 'AT_AddColumn' && column
              ? columnIfExistsFix(statement, column)
              : node.subtype === 'AT_DropColumn' && node.name !== undefined
                ? dropColumnIfExistsFix(statement, node.name)
                : undefined;
        if (fix) statement.report({ message: 'not robust', fix });
      },
    }),
  }),
  defineRule({
    id: 'test/not-valid',
    meta: { description: 'NOT VALID', severity: 'warn', preset: 'recommended', category: 'locking', hazard: '', bad: '', good: '' },
    create: () => ({
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        for (const command of node.cmds ?? []) {
          const constraint = nodeOf(nodeOf(command, 'AlterTableCmd')?.def, 'Constraint');
          if (!table || !constraint || constraint.skip_validation || !['CONSTR_CHECK', 'CONSTR_FOREIGN'].includes(constraint.contype ?? '')) continue;
          statement.report({ message: 'validates while locked', ...notValidFixes(statement, constraint, table) });
        }
      },
    }),
  }),
  defineRule({
    id: 'test/concurrently',
    meta: { description: 'CONCURRENTLY', severity: 'warn', preset: 'recommended', category: 'locking', hazard: '', bad: '', good: '' },
    create: () => ({
      DropStmt(node, statement) {
        if (node.removeType === 'OBJECT_INDEX' && !node.concurrent) statement.report({ message: 'blocks', ...concurrentlyFixes(statement) });
      },
      ReindexStmt(_node, statement) {
        if (!/CONCURRENTLY/i.test(statement.statement.text)) statement.report({ message: 'blocks', ...concurrentlyFixes(statement) });
      },
    }),
  }),
  defineRule({
    id: 'test/lock-timeout',
    meta: { description: 'lock_timeout', severity: 'warn', preset: 'recommended', category: 'locking', hazard: '', bad: '', good: '' },
    create: () => {
      let fixOffered = false;
      return {
        Statement(_node, statement) {
          if (statement.locks.length === 0 || statement.settings.lockTimeout) return;
          // Only the file's first such statement gets the unattended fix: the next round of --fix sees the setting cover the rest.
          const fix = fixOffered ? undefined : lockTimeoutFix(statement);
          fixOffered = true;
          statement.report({ message: 'waits forever', ...(fix ? { fix } : { suggestions: [lockTimeoutFix(statement)] }) });
        },
      };
    },
  }),
];

describe('fix helpers for the rules of the catalogue', () => {
  let database: PGlite;
  beforeAll(async () => {
    database = await PGlite.create();
  });

  const cases: { name: string; rule: string; setup?: string; sql: string; fixed: string }[] = [
    {
      name: 'IF [NOT] EXISTS on creates, drops and ALTER TABLE columns',
      rule: 'test/robust',
      sql: 'CREATE TABLE t (id int, a int, "Old" int);\nCREATE UNIQUE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN b int, ADD c int, DROP COLUMN "Old";\nCREATE SEQUENCE s;\nDROP SEQUENCE s;\nDROP INDEX t_a;\n',
      fixed:
        'CREATE TABLE IF NOT EXISTS t (id int, a int, "Old" int);\nCREATE UNIQUE INDEX IF NOT EXISTS t_a ON t (a);\nALTER TABLE t ADD COLUMN IF NOT EXISTS b int, ADD IF NOT EXISTS c int, DROP COLUMN IF EXISTS "Old";\nCREATE SEQUENCE IF NOT EXISTS s;\nDROP SEQUENCE IF EXISTS s;\nDROP INDEX IF EXISTS t_a;\n',
    },
    {
      name: 'NOT VALID and VALIDATE CONSTRAINT, for one command among several',
      rule: 'test/not-valid',
      sql: 'CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int, p_id int);\nALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE, ADD CONSTRAINT "t_id_check" CHECK (id > 0 AND id <> (1 + 2)) ;\n',
      fixed:
        'CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int, p_id int);\nALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE NOT VALID, ADD CONSTRAINT "t_id_check" CHECK (id > 0 AND id <> (1 + 2)) NOT VALID ;\nALTER TABLE t VALIDATE CONSTRAINT t_id_check;\nALTER TABLE t VALIDATE CONSTRAINT t_p_fk;\n',
    },
    {
      name: 'CONCURRENTLY on DROP INDEX and REINDEX running alone',
      rule: 'test/concurrently',
      setup: 'CREATE TABLE t (a int); CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (a);',
      sql: 'DROP INDEX t_a;',
      fixed: 'DROP INDEX CONCURRENTLY t_a;\nREINDEX INDEX CONCURRENTLY t_b;',
    },
    {
      name: 'SET lock_timeout once before the first statement that locks, indented like it',
      rule: 'test/lock-timeout',
      sql: 'CREATE TABLE t (id int);\n  ALTER TABLE t ADD COLUMN a int;\n  ALTER TABLE t ADD COLUMN b int;\n',
      fixed: "CREATE TABLE t (id int);\n  SET lock_timeout = '5s';\n  ALTER TABLE t ADD COLUMN a int;\n  ALTER TABLE t ADD COLUMN b int;\n",
    },
  ];

  it.each(cases)('$name: --fix output lints clean for the rule, and runs on PostgreSQL', async ({ rule, setup, sql, fixed }) => {
    // REINDEX follows DROP INDEX in a second file of its own: each statement must run alone to take CONCURRENTLY.
    const files: Record<string, string> = rule === 'test/concurrently' ? { 'm/1_drop.sql': sql, 'm/2_reindex.sql': 'REINDEX INDEX t_b;' } : { 'm/1.sql': sql };
    const root = project(files);
    const configs = new ConfigLoader({ builtInRules: [...BUILT_IN_RULES, ...HELPER_RULES], overrides: { rules: Object.fromEntries(HELPER_RULES.map((helper) => [helper.id, helper.id === rule ? 'error' : 'off'])) }, cwd: root });
    const { result, fixed: texts } = await lintAndFix({ inputs: ['m'], cwd: root, configs });
    expect([...texts.values()].join('\n')).toBe(fixed);
    expect(result.findings.filter((finding) => finding.ruleId === rule || finding.ruleId === 'syntax-error')).toEqual([]);
    // Each file as a migration tool sends it: one query string (several statements share an implicit transaction).
    await database.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    if (setup) await database.exec(setup);
    for (const text of texts.values()) await database.exec(text);
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
