import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonReport, project, runCli } from './support/cli.js';

const CREATE = 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\n';
const ADD = 'ALTER TABLE agents ADD COLUMN note text;\n';
const REQUIRE = { rules: { 'missing-rollback': ['warn', { require: true }] } };

/** Three golang-migrate migrations; `rollbacks` says which of them keep a .down.sql. */
function golangMigrate(rollbacks: readonly number[], config?: unknown): string {
  const files: Record<string, string> = {};
  [CREATE, ADD, ADD.replace('note', 'memo')].forEach((sql, index) => {
    files[`db/migrations/${index + 1}_step.up.sql`] = sql;
    if (rollbacks.includes(index + 1)) files[`db/migrations/${index + 1}_step.down.sql`] = 'SELECT 1;\n';
  });
  if (config !== undefined) files['.migrate-saferc.json'] = JSON.stringify(config);
  return project(files);
}

function missingRollbacks(root: string): string[] {
  const report = jsonReport(runCli(['lint', 'db/migrations', '--format', 'json', '--rule', 'incomplete-rollback=off'], { cwd: root }));
  return report.findings.filter((finding) => finding.ruleId === 'missing-rollback').map((finding) => finding.file);
}

describe('a project that keeps no rollbacks', () => {
  it('gets one note instead of a warning per migration, in every report', () => {
    const root = golangMigrate([]);
    expect(missingRollbacks(root)).toEqual([]);
    const json = jsonReport(runCli(['lint', 'db/migrations', '--format', 'json'], { cwd: root }));
    expect(json.notes).toEqual([
      {
        ruleId: 'missing-rollback',
        folder: 'db/migrations',
        message:
          'This golang-migrate project keeps no rollbacks (none of its migrations has one), so missing-rollback reports none; set "missing-rollback": ["warn", { "require": true }] to report each migration without one.',
      },
    ]);
    const text = runCli(['lint', 'db/migrations'], { cwd: root });
    expect(text.stdout.match(/^note {2}db\/migrations {2}missing-rollback {2}This golang-migrate project keeps no rollbacks/gm)).toHaveLength(1);
    expect(text.status).toBe(0);
    const sarif = JSON.parse(runCli(['lint', 'db/migrations', '--format', 'sarif'], { cwd: root }).stdout) as {
      runs: { invocations: { toolExecutionNotifications: { level: string; descriptor: { id: string } }[] }[] }[];
    };
    expect(sarif.runs[0]?.invocations[0]?.toolExecutionNotifications).toMatchObject([{ level: 'note', descriptor: { id: 'missing-rollback' } }]);
    const github = runCli(['lint', 'db/migrations', '--format', 'github'], { cwd: root });
    expect(github.stdout).toMatch(/^::notice title=migrate-safe missing-rollback::db\/migrations: This golang-migrate project keeps no rollbacks/m);
  });

  it('is noted once however many of its files are linted, and not at all when the rule is off', () => {
    const root = golangMigrate([]);
    const json = jsonReport(runCli(['lint', 'db/migrations/2_step.up.sql', 'db/migrations/3_step.up.sql', '--format', 'json'], { cwd: root }));
    expect(json.notes).toHaveLength(1);
    expect(jsonReport(runCli(['lint', 'db/migrations', '--format', 'json', '--rule', 'missing-rollback=off'], { cwd: root })).notes).toEqual([]);
  });

  it('keeps its note when the findings come from the persistent cache', () => {
    const root = golangMigrate([]);
    const run = (): number => jsonReport(runCli(['lint', 'db/migrations', '--format', 'json', '--cache'], { cwd: root })).notes.length;
    expect(run()).toBe(1);
    expect(run()).toBe(1);
  });

  it('reports each migration without one when the configuration requires rollbacks', () => {
    expect(missingRollbacks(golangMigrate([], REQUIRE))).toEqual(['db/migrations/1_step.up.sql', 'db/migrations/2_step.up.sql', 'db/migrations/3_step.up.sql']);
  });
});

describe('a project that keeps some rollbacks', () => {
  it('reports the migrations without one, with no note', () => {
    const root = golangMigrate([1]);
    expect(missingRollbacks(root)).toEqual(['db/migrations/2_step.up.sql', 'db/migrations/3_step.up.sql']);
    expect(jsonReport(runCli(['lint', 'db/migrations', '--format', 'json'], { cwd: root })).notes).toEqual([]);
  });
});

describe('migrations.release', () => {
  it('must be a regular expression', () => {
    const root = golangMigrate([1, 2, 3], { migrations: { release: '^(\\d' } });
    const result = runCli(['lint', 'db/migrations'], { cwd: root });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'migrate-safe: .migrate-saferc.json: migrations.release: expected a regular expression matched against each migration\'s version, such as "^\\d{14}"\n',
    );
  });

  it('judges the rollbacks of a release together, newest first, against everything the release did', () => {
    const root = join(import.meta.dirname, '..', 'fixtures', 'projects', 'releases');
    const findings = jsonReport(runCli(['lint', 'migrations', '--format', 'json'], { cwd: root })).findings.filter((finding) => finding.ruleId === 'incomplete-rollback');
    expect(findings.map((finding) => [finding.file, finding.message])).toEqual([
      [
        'migrations/20240401000000000000_audit.down.sql',
        'The rollback leaves a change of release 20240401000000 (its 2 migrations, rolled back together) in place: table audit (created). The previous application version expects the schema as it was before, and running the migration again fails on what is left (already exists).',
      ],
    ]);
  });
});
