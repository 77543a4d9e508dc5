import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { REPOSITORY, jsonReport, project, runCli } from './support/cli.js';

const UNSAFE_INDEX = 'CREATE INDEX idx_agents_status ON agents (status);\n';
const SAFE_INDEX = 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n';
const COMMANDS = ['lint', 'validate', 'up', 'down', 'status', 'history', 'backup', 'restore', 'rules', 'lsp'];

/** Runs the CLI in a new project with these files and returns its one line on standard error (exit code 2). */
function usageError(args: readonly string[], files: Readonly<Record<string, string>>): string {
  const result = runCli(args, { cwd: project(files) });
  expect(result.status, result.stdout).toBe(2);
  return result.stderr;
}

describe('--help', () => {
  it.each(['', ...COMMANDS])('of %s shows examples and speaks in its own words', (command) => {
    const help = runCli(command === '' ? ['--help'] : [command, '--help']).stdout;
    expect(help).toMatch(/\nExamples:\n {2}# .+\n {2}\$ migrate-safe .+\n/);
    expect(help).not.toMatch(/guide/i);
  });

  it("rules' pages and helps speak in the tool's words: the migration safety guide is introduced once, in the README", () => {
    for (const rule of BUILT_IN_RULES) {
      const { description, hazard, bad, good, versions } = rule.meta;
      expect([description, hazard, bad, good, versions].join('\n'), rule.id).not.toMatch(/guide/i);
    }
  });

  it("of lint states the real defaults: --concurrency's threshold, --pg-version from supabase/config.toml, no empty --rule default", () => {
    const help = runCli(['lint', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--concurrency <threads> parser threads: auto (threads only from about 800 KB of SQL, on 3 or more cores)');
    expect(help).toContain('(default: pgVersion from the configuration, else [db] major_version of supabase/config.toml, else 15)');
    expect(help).toContain('--rule <id=severity> set a rule to off, warn (or warning) or error; repeatable -');
    expect(help).not.toContain('{}');
    expect(help).toContain('text, compact, json, sarif, github, gitlab');
  });

  it('examples that lint run as shown', () => {
    const root = project({ 'supabase/migrations/20240101000000_index.sql': UNSAFE_INDEX });
    expect(runCli(['lint', '-f', 'compact'], { cwd: root }).status).toBe(1);
    expect(runCli(['lint', '--rule', 'require-lock-timeout=warning', '--rule', 'require-concurrent-index=off'], { cwd: root }).stdout).toContain('require-lock-timeout');
    expect(runCli(['--dry-run', 'validate'], { cwd: root }).status).toBe(1);
  });
});

describe('did you mean', () => {
  it('an unknown rule id: migrate-safe rules, --rule and the configuration', () => {
    expect(usageError(['rules', 'require-concurent-index'], {})).toBe('migrate-safe: unknown rule "require-concurent-index" (did you mean "require-concurrent-index"?)\n');
    expect(usageError(['rules', 'lock-everything'], {})).toBe('migrate-safe: unknown rule "lock-everything" (migrate-safe rules lists them)\n');
    expect(usageError(['lint', 'm.sql', '--rule', 'rename-colum=off'], { 'm.sql': SAFE_INDEX })).toBe(
      'migrate-safe: --rule rename-colum=off: unknown rule "rename-colum" (did you mean "rename-column"?)\n',
    );
    expect(usageError(['lint', 'm.sql'], { 'm.sql': SAFE_INDEX, '.migrate-saferc.json': JSON.stringify({ rules: { 'prefer-big-int': 'warn' } }) })).toBe(
      'migrate-safe: .migrate-saferc.json: rules.prefer-big-int: unknown rule "prefer-big-int" (did you mean "prefer-bigint"?)\n',
    );
  });

  it('an unknown configuration key, at the top and inside migrations', () => {
    expect(usageError(['lint', 'm.sql'], { 'm.sql': SAFE_INDEX, '.migrate-saferc.json': JSON.stringify({ extend: 'strict' }) })).toBe(
      'migrate-safe: .migrate-saferc.json: unknown key "extend" (did you mean "extends"?)\n',
    );
    expect(usageError(['lint', 'm.sql'], { 'm.sql': SAFE_INDEX, '.migrate-saferc.json': JSON.stringify({ migrations: { folders: 'db' } }) })).toBe(
      'migrate-safe: .migrate-saferc.json: unknown key "migrations.folders" (did you mean "folder"?)\n',
    );
    expect(usageError(['lint', 'm.sql'], { 'm.sql': SAFE_INDEX, '.migrate-saferc.json': JSON.stringify({ colour: true }) })).toBe(
      'migrate-safe: .migrate-saferc.json: unknown key "colour"\n',
    );
  });

  it('a rule name in a migrate-safe-ignore directive', () => {
    const root = project({ 'm.sql': `-- migrate-safe-ignore require-concurent-index: agents is small\n${UNSAFE_INDEX}` });
    const [invalid] = jsonReport(runCli(['lint', 'm.sql', '-f', 'json'], { cwd: root })).findings.filter((finding) => finding.ruleId === 'invalid-directive');
    expect(invalid?.message).toBe('this directive names an unknown rule: "require-concurent-index" (did you mean "require-concurrent-index"?)');
  });
});

describe('severities', () => {
  it('warning is accepted wherever warn is: in the configuration, with options, and in --rule', () => {
    const severity = (args: readonly string[], config: object): string | undefined => {
      const root = project({ 'm.sql': UNSAFE_INDEX, '.migrate-saferc.json': JSON.stringify(config) });
      return jsonReport(runCli(['lint', 'm.sql', '-f', 'json', ...args], { cwd: root })).findings.find((finding) => finding.ruleId === 'require-concurrent-index')?.severity;
    };
    expect(severity([], { rules: { 'require-concurrent-index': 'warning' } })).toBe('warning');
    expect(severity([], { rules: { 'require-concurrent-index': ['warning'] } })).toBe('warning');
    expect(severity([], { rules: { 'require-lock-timeout': ['warning', { maxLockTimeout: '2s' }], 'require-concurrent-index': 'warning' } })).toBe('warning');
    expect(severity(['--rule', 'require-concurrent-index=warning'], {})).toBe('warning');
  });
});

describe('configuration.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(REPOSITORY, 'configuration.schema.json'), 'utf8')) as { properties: { rules: { properties: Record<string, unknown> } } };
  const validate = new Ajv({ strict: false }).compile(schema);

  it('is accepted as $schema by the loader, and accepts what the loader accepts', () => {
    const config = {
      $schema: './node_modules/migrate-safe/configuration.schema.json',
      extends: 'strict',
      rules: { 'require-concurrent-index': 'warning', 'require-lock-timeout': ['warn', { maxLockTimeout: '2s' }], 'acme/plugin-rule': ['error', { any: 1 }] },
      pgVersion: 16,
      migrations: { folder: 'supabase/migrations', layout: 'supabase' },
    };
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    const root = project({ 'm.sql': SAFE_INDEX, '.migrate-saferc.json': JSON.stringify({ ...config, rules: { 'require-concurrent-index': 'warning' } }) });
    expect(runCli(['lint', 'm.sql'], { cwd: root }).status).toBe(0);
  });

  it('rejects what the loader rejects: an unknown key, a bad severity, options of a rule that takes none, a bad option', () => {
    for (const config of [
      { extend: 'strict' },
      { rules: { 'require-concurrent-index': 'loud' } },
      { rules: { 'require-concurrent-index': ['warn', { some: 'option' }] } },
      { rules: { 'require-lock-timeout': ['warn', { maxLockTimeout: 5 }] } },
      { migrations: { layout: 'rails' } },
    ]) {
      expect(validate(config), JSON.stringify(config)).toBe(false);
    }
  });

  it('lists every built-in rule, so editors complete rule ids', () => {
    expect(Object.keys(schema.properties.rules.properties)).toEqual(BUILT_IN_RULES.map((rule) => rule.id));
  });
});

describe('reports', () => {
  it('-f compact prints one line per finding, path:line:column: severity: message [rule], a line per project note, then the summary', () => {
    const root = project({ 'supabase/migrations/20240101000000_index.sql': UNSAFE_INDEX });
    const result = runCli(['lint', 'supabase/migrations', '-f', 'compact'], { cwd: root });
    expect(result.stdout).toBe(
      [
        'supabase/migrations/20240101000000_index.sql:1:1: error: CREATE INDEX without CONCURRENTLY on existing table agents takes a SHARE lock: every INSERT, UPDATE and DELETE on agents waits until the whole index is built. [require-concurrent-index]',
        'supabase/migrations: note: This supabase project keeps no rollbacks (none of its migrations has one), so missing-rollback reports none; set "missing-rollback": ["warn", { "require": true }] to report each migration without one. [missing-rollback]',
        '✖ 1 problem (1 error, 0 warnings) in 1 file',
        '',
      ].join('\n'),
    );
    expect(result.status).toBe(1);
  });

  it('the text and compact summaries count the findings directives suppressed', () => {
    const root = project({ 'm.sql': `-- migrate-safe-ignore require-concurrent-index: agents has 200 rows\n${UNSAFE_INDEX}${UNSAFE_INDEX.replace('idx_agents_status', 'idx_agents_team').replace('status)', 'team_id)')}` });
    expect(runCli(['lint', 'm.sql'], { cwd: root }).stdout).toMatch(/\n✖ 1 problem \(1 error, 0 warnings\) in 1 file, 1 suppressed\n$/);
    expect(runCli(['lint', 'm.sql', '-f', 'compact'], { cwd: root }).stdout).toMatch(/\n✖ 1 problem \(1 error, 0 warnings\) in 1 file, 1 suppressed\n$/);
    const clean = project({ 'm.sql': `-- migrate-safe-ignore require-concurrent-index: agents has 200 rows\n${UNSAFE_INDEX}` });
    expect(runCli(['lint', 'm.sql'], { cwd: clean }).stdout).toMatch(/\n✔ no problems in 1 file, 1 suppressed\n$/);
  });
});
