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
