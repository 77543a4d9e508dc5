import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { lint } from '../src/index.js';
import { actualKeys, expectedKeys, loadParser } from './support/expectations.js';

const PROJECTS = join(import.meta.dirname, '..', 'fixtures', 'projects');

/**
 * The rules these projects are about: history (what earlier migrations did), layouts and
 * rollbacks. Each lock or breaking-change rule proves itself in its own fixtures; here only the
 * ones the projects name in their expectations run besides these.
 */
const PROJECT_RULES = new Set([
  'migration-layout',
  'missing-rollback',
  'incomplete-rollback',
  'drop-table-without-deprecation',
  'rename-column',
  'require-concurrent-index',
  'syntax-error',
]);

/**
 * Rules written on other branches that the history project already expects (the cross-migration
 * verdicts of issue 5). Their expectations are checked as soon as the rules exist; any other
 * unknown rule id in an expectation is a typo and fails.
 */
const PENDING_RULES = new Set(['set-not-null-scan', 'column-type-change']);

const KNOWN_RULES = new Set(BUILT_IN_RULES.map((rule) => rule.id));

beforeAll(loadParser);

/**
 * Each folder of fixtures/projects is a migrations project of one layout (or the history
 * project), linted whole from its top folder, as `migrate-safe lint <folder>` would: the exact set
 * of (rule, line) of every file must match its `-- expect:` comments.
 */
describe.each(readdirSync(PROJECTS))('project %s', (name) => {
  it('reports exactly what its files expect', async () => {
    const root = join(PROJECTS, name);
    const texts = new Map(sqlFiles(root).map((file) => [file, readFileSync(file, 'utf8')]));
    const expected = new Map([...texts].map(([file, text]) => [file, expectedKeys(text)]));
    const named = new Set([...expected.values()].flat().map((key) => key.slice(0, key.lastIndexOf('@'))));
    expect([...named].filter((id) => !KNOWN_RULES.has(id) && !PENDING_RULES.has(id)), 'unknown rule ids in expectations').toEqual([]);
    const rules = Object.fromEntries(BUILT_IN_RULES.map((rule) => [rule.id, PROJECT_RULES.has(rule.id) || named.has(rule.id) ? rule.meta.severity : 'off'] as const));
    const result = await lint({ inputs: [root], cwd: root, overrides: { rules } });
    expect(result.problems).toEqual([]);
    for (const [file, text] of texts) {
      const findings = result.findings.filter((finding) => finding.file === file && !finding.suppression);
      const wanted = (expected.get(file) ?? []).filter((key) => KNOWN_RULES.has(key.slice(0, key.lastIndexOf('@'))));
      expect(actualKeys(text, findings), relative(PROJECTS, file)).toEqual(wanted);
    }
  });
});

function sqlFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.sql'))
    .map((name) => join(folder, name));
}
