import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { actualKeys, expectedKeys, loadParser } from './support/expectations.js';
import { FIXTURES, fixturesOf, lintFixture, ruleFixtureFolders, sqlFiles } from './support/fixtures.js';

beforeAll(loadParser);

const ruleFolders = ruleFixtureFolders();

it('every rule has fixtures, and every fixture folder is a rule', () => {
  expect(ruleFolders.sort()).toEqual(BUILT_IN_RULES.map((rule) => rule.id).sort());
});

/**
 * Each `.sql` file of a rule's folder is linted on its own, in a fresh folder (no history); each
 * subfolder is a project linted whole. All recommended rules run, plus the folder's own rule.
 * The exact set of (rule, line) must match the file's expectations: missing and extra both fail.
 */
describe.each(ruleFolders)('%s', (ruleId) => {
  const fixtures = fixturesOf(ruleId);

  it.each(fixtures.filter((fixture) => fixture.kind === 'file').map((fixture) => [fixture.name, fixture] as const))('%s', async (_, fixture) => {
    const text = readFileSync(fixture.path, 'utf8');
    const { result } = await lintFixture(fixture);
    expect(actualKeys(text, result.findings.filter((finding) => !finding.suppression))).toEqual(expectedKeys(text));
  });

  it.each(fixtures.filter((fixture) => fixture.kind === 'project').map((fixture) => [fixture.name, fixture] as const))('project %s', async (_, fixture) => {
    const { result } = await lintFixture(fixture);
    for (const file of sqlFiles(fixture.path)) {
      const text = readFileSync(file, 'utf8');
      const findings = result.findings.filter((finding) => finding.file === file && !finding.suppression);
      expect(actualKeys(text, findings), relative(FIXTURES, file)).toEqual(expectedKeys(text));
    }
  });
});
