import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY, jsonReport, project, runCli } from './support/cli.js';

const PLUGIN = `
import { defineRule, displayName, nameOfRangeVar, v } from 'migrate-safe';

export const rules = [
  defineRule({
    id: 'acme/no-unlogged-tables',
    meta: {
      description: 'UNLOGGED tables lose their data on a crash.',
      severity: 'error',
      preset: 'recommended',
      category: 'correctness',
      hazard: 'An UNLOGGED table is truncated after a crash and is empty on replicas.',
      bad: 'CREATE UNLOGGED TABLE events (id bigint);',
      good: 'CREATE TABLE events (id bigint);',
      options: v.object({ allow: v.optional(v.array(v.string()), []) }),
    },
    create(context) {
      return {
        CreateStmt(node, statement) {
          const name = nameOfRangeVar(node.relation);
          if (node.relation?.relpersistence !== 'u' || context.options.allow.includes(name.name)) return;
          const unlogged = /^CREATE\\s+(UNLOGGED\\s+)/i.exec(statement.statement.text);
          const start = statement.statement.start + (unlogged ? unlogged[0].length - unlogged[1].length : 0);
          statement.report({
            message: displayName(name) + ' is UNLOGGED',
            help: 'CREATE TABLE ' + displayName(name) + ' (...);',
            fix: unlogged ? { title: 'Remove UNLOGGED', edits: [{ start, end: start + unlogged[1].length, text: '' }] } : undefined,
          });
        },
      };
    },
  }),
];
`;

/** A user's project with migrate-safe installed (linked to this repository) and a local plugin. */
function projectWithPlugin(config: object): string {
  const root = project({
    'package.json': JSON.stringify({ name: 'app', type: 'module', 'migrate-safe': config }),
    'rules/index.js': PLUGIN,
    'migrations/1_events.sql': 'CREATE UNLOGGED TABLE events (id bigint);\nCREATE UNLOGGED TABLE scratch (id bigint);\n',
  });
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(REPOSITORY, join(root, 'node_modules', 'migrate-safe'), 'dir');
  return root;
}

describe('plugins', () => {
  it('run like built-in rules, with validated options, and are listed by rules', () => {
    const root = projectWithPlugin({ plugins: ['./rules/index.js'], rules: { 'acme/no-unlogged-tables': ['error', { allow: ['scratch'] }] } });
    const result = runCli(['lint', 'migrations', '--format', 'json'], { cwd: root });
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line, finding.message])).toEqual([
      ['acme/no-unlogged-tables', 1, 'events is UNLOGGED'],
    ]);
    expect(result.status).toBe(1);
    expect(runCli(['rules'], { cwd: root }).stdout).toMatch(/^acme\/no-unlogged-tables\s+error/m);
  });

  it('offer fixes that --fix applies', () => {
    const root = projectWithPlugin({ plugins: ['./rules/index.js'], rules: { 'acme/no-unlogged-tables': ['error', { allow: ['scratch'] }] } });
    const result = runCli(['lint', '--fix', 'migrations'], { cwd: root });
    expect(readFileSync(join(root, 'migrations/1_events.sql'), 'utf8')).toBe('CREATE TABLE events (id bigint);\nCREATE UNLOGGED TABLE scratch (id bigint);\n');
    expect(result.status).toBe(0);
  });

  it('with bad options or a missing module stop the run with one line', () => {
    const badOptions = runCli(['lint', 'migrations'], {
      cwd: projectWithPlugin({ plugins: ['./rules/index.js'], rules: { 'acme/no-unlogged-tables': ['error', { allow: 'scratch' }] } }),
    });
    expect(badOptions.stderr).toMatch(/^migrate-safe: package\.json: rules\.acme\/no-unlogged-tables: allow: .*\n$/);
    expect(badOptions.status).toBe(2);
    const missing = runCli(['lint', 'migrations'], { cwd: projectWithPlugin({ plugins: ['./rules/nope.js'] }) });
    expect(missing.stderr).toMatch(/^migrate-safe: package\.json: plugins: cannot load "\.\/rules\/nope\.js": .*\n$/);
    expect(missing.status).toBe(2);
  });
});

/** acme/loop never returns from a statement whose text says LOOP; acme/seen reports every statement. */
const LOOPING_PLUGIN = `
const meta = { description: 'd', severity: 'error', preset: 'recommended', category: 'locking', hazard: 'h', bad: 'SELECT 1;', good: 'SELECT 1;' };
if (process.env.LOOP_ON_LOAD) for (;;);
if (process.env.EXIT_ON_LOAD) process.exit(0);
export const rules = [
  { id: 'acme/loop', meta, create: () => ({ Statement: (_node, statement) => { while (statement.statement.text.includes('LOOP')); } }) },
  { id: 'acme/seen', meta, create: () => ({ Statement: (_node, statement) => statement.report({ message: 'seen by the plugin' }) }) },
];
`;

describe('a plugin that never returns (issue 14, item 15)', () => {
  const looping = (files: Record<string, string> = {}): string =>
    project({ 'package.json': '{ "type": "module" }', 'loop.mjs': LOOPING_PLUGIN, '.migrate-saferc.json': JSON.stringify({ plugins: ['./loop.mjs'] }), ...files });

  it('is stopped after --max-rule-time: one line naming the rule, its plugin and the file, exit 2', () => {
    const root = looping({ 'migrations/1.sql': 'SELECT 1;\n', 'migrations/2.sql': "SELECT 'LOOP';\n" });
    const result = runCli(['lint', 'migrations', '--format', 'json', '--max-rule-time', '0.5'], { cwd: root });
    expect([result.status, result.stdout, result.stderr]).toEqual([2, '', 'migrate-safe: rule acme/loop of plugin ./loop.mjs ran longer than 0.5 s on migrations/2.sql: stopped (--max-rule-time)\n']);
  });

  it('is stopped while its module loads, too', () => {
    const result = runCli(['lint', 'm.sql', '--max-rule-time', '0.5'], { cwd: looping({ 'm.sql': 'SELECT 1;\n' }), env: { LOOP_ON_LOAD: '1' } });
    expect([result.status, result.stderr]).toEqual([2, 'migrate-safe: the code of plugin ./loop.mjs ran longer than 0.5 s: stopped (--max-rule-time)\n']);
  });

  it('and so is a JavaScript configuration that never returns', () => {
    const root = project({ '.migrate-saferc.cjs': 'for (;;);\n', 'package.json': '{}', 'm.sql': 'SELECT 1;\n' });
    const result = runCli(['lint', 'm.sql', '--max-rule-time', '0.5'], { cwd: root });
    expect([result.status, result.stderr]).toEqual([2, 'migrate-safe: the configuration file in . ran longer than 0.5 s: stopped (--max-rule-time)\n']);
  });

  it('runs as usual below the limit: reports, standard input, colors', () => {
    const root = looping({ 'migrations/1.sql': 'SELECT 1;\n' });
    const report = runCli(['lint', 'migrations', '--format', 'json'], { cwd: root });
    expect(jsonReport(report).findings.map((finding) => [finding.ruleId, finding.file])).toEqual([['acme/seen', 'migrations/1.sql']]);
    expect(report.status).toBe(1);
    const stdin = runCli(['lint', '--format', 'json', '--stdin-filename', 'migrations/2.sql', '-'], { cwd: root, input: 'SELECT 2;\n' });
    expect(jsonReport(stdin).findings.map((finding) => [finding.ruleId, finding.file])).toEqual([['acme/seen', 'migrations/2.sql']]);
    expect(runCli(['lint', 'migrations', '--color'], { cwd: root }).stdout).toContain('\u001b[');
    expect(runCli(['lint', 'migrations'], { cwd: root }).stdout).not.toContain('\u001b[');
  });

  it('a plugin that ends the process cannot end the run as a success', () => {
    const result = runCli(['lint', 'm.sql'], { cwd: looping({ 'm.sql': 'SELECT 1;\n' }), env: { EXIT_ON_LOAD: '1' } });
    expect([result.status, result.stdout, result.stderr]).toEqual([
      2,
      '',
      'migrate-safe: project code ended the thread it ran in (process.exit in a plugin or the configuration?) before linting ended\n',
    ]);
  });

  it('--max-rule-time takes a positive number of seconds', () => {
    const result = runCli(['lint', 'm.sql', '--max-rule-time', '0'], { cwd: looping({ 'm.sql': 'SELECT 1;\n' }) });
    expect([result.status, result.stderr]).toEqual([2, "migrate-safe: option '--max-rule-time <seconds>' argument '0' is invalid. expected a number of seconds\n"]);
  });
});
