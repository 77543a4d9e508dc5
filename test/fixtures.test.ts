import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { lint } from '../src/engine/index.js';
import { actualKeys, expectedKeys, loadParser } from './support/expectations.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
/** Fixture folders that are not about one rule: layouts and the guide's examples have tests of their own. */
const NOT_RULE_FOLDERS = new Set(['projects', 'guide']);

beforeAll(loadParser);

const ruleFolders = readdirSync(FIXTURES).filter((name) => !NOT_RULE_FOLDERS.has(name) && statSync(join(FIXTURES, name)).isDirectory());

it('every rule has fixtures, and every fixture folder is a rule', () => {
  expect(ruleFolders.sort()).toEqual(BUILT_IN_RULES.map((rule) => rule.id).sort());
});

/**
 * Each `.sql` file of a rule's folder is linted on its own, in a fresh folder (no history); each
 * subfolder is a project linted whole. All recommended rules run, plus the folder's own rule.
 * The exact set of (rule, line) must match the file's expectations: missing and extra both fail.
 */
describe.each(ruleFolders)('%s', (ruleId) => {
  const folder = join(FIXTURES, ruleId);
  const rule = BUILT_IN_RULES.find((candidate) => candidate.id === ruleId);
  const rules = { [ruleId]: rule?.meta.severity ?? 'error' };
  const entries = readdirSync(folder);

  it.each(entries.filter((name) => name.endsWith('.sql')))('%s', async (name) => {
    const text = readFileSync(join(folder, name), 'utf8');
    const isolated = mkdtempSync(join(tmpdir(), 'migrate-safe-fixture-'));
    cpSync(join(folder, name), join(isolated, name));
    const result = await lint({ inputs: [join(isolated, name)], cwd: isolated, overrides: { rules, ...fixtureSettings(text) } });
    expect(actualKeys(text, result.findings.filter((finding) => !finding.suppression))).toEqual(expectedKeys(text));
  });

  it.each(entries.filter((name) => statSync(join(folder, name)).isDirectory()))('project %s', async (name) => {
    const project = join(folder, name);
    const result = await lint({ inputs: [project], cwd: project, overrides: { rules } });
    for (const file of sqlFiles(project)) {
      const text = readFileSync(file, 'utf8');
      const findings = result.findings.filter((finding) => finding.file === file && !finding.suppression);
      expect(actualKeys(text, findings), relative(FIXTURES, file)).toEqual(expectedKeys(text));
    }
  });
});

/** `-- fixture: {"pgVersion": 11, "assumeInTransaction": true}` on a file's first line. */
function fixtureSettings(text: string): { pgVersion?: number; assumeInTransaction?: boolean } {
  const match = /^--\s*fixture:\s*(\{.*\})\s*$/m.exec(text.split('\n')[0] ?? '');
  return match?.[1] ? (JSON.parse(match[1]) as { pgVersion?: number; assumeInTransaction?: boolean }) : {};
}

function sqlFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.sql'))
    .map((name) => join(folder, name));
}
