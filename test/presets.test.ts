import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { PRESETS, type PresetName } from '../src/config/schema.js';
import { loadParser } from '../src/parse/parser.js';
import type { RulePreset } from '../src/plugin/rule.js';
import { REPOSITORY, jsonReport, project, runCli } from './support/cli.js';
import { describesFiles, fillPlaceholders, migrationsOf } from './support/snippets.js';

/** What each preset turns on, as docs/configuration.md promises: recommended ⊂ strict ⊂ all. */
const TURNS_ON: Readonly<Record<PresetName, readonly RulePreset[]>> = {
  recommended: ['recommended'],
  strict: ['recommended', 'strict'],
  all: ['recommended', 'strict', 'style'],
};

/** Rules whose bad example is SQL (file-level rules describe files; their fixtures cover them). */
const LINTABLE = BUILT_IN_RULES.filter((rule) => !describesFiles(rule.meta.bad));

beforeAll(loadParser);

/**
 * One project per rule, each holding its bad example (`-- Migration N` steps as successive
 * files), linted through the CLI with `extends` in a real configuration file.
 */
function examplesProject(extendsPreset: PresetName): string {
  const files: Record<string, string> = { '.migrate-saferc.json': JSON.stringify({ extends: extendsPreset }) };
  for (const rule of LINTABLE) {
    migrationsOf(fillPlaceholders(rule.meta.bad)).forEach((sql, index) => {
      files[`${rule.id}/${index + 1}_example.sql`] = sql;
    });
  }
  return project(files);
}

describe.each(PRESETS)('extends: "%s"', (preset) => {
  it('reports the bad example of exactly the rules it turns on, at their own severity', () => {
    const report = jsonReport(runCli(['lint', '.', '--format', 'json'], { cwd: examplesProject(preset) }));
    const reported = new Map(report.findings.filter((finding) => finding.file.startsWith(`${finding.ruleId}/`)).map((finding) => [finding.ruleId, finding.severity]));
    const expected = new Map(
      LINTABLE.filter((rule) => TURNS_ON[preset].includes(rule.meta.preset)).map((rule) => [rule.id, rule.meta.severity === 'warn' ? 'warning' : 'error']),
    );
    expect(reported).toEqual(expected);
  });
});

it('a preset that does not exist stops the run with one line naming the file and key', () => {
  const result = runCli(['lint', '.'], { cwd: project({ '.migrate-saferc.json': JSON.stringify({ extends: 'paranoid' }), 'm.sql': 'SELECT 1;\n' }) });
  expect(result.stderr).toBe('migrate-safe: .migrate-saferc.json: extends: expected one of "recommended", "strict", "all"\n');
  expect(result.status).toBe(2);
});

it('docs/configuration.md documents the three presets', () => {
  const page = readFileSync(join(REPOSITORY, 'docs', 'configuration.md'), 'utf8');
  const section = /^## Presets\n([\s\S]*?)(?=^#)/m.exec(page)?.[1] ?? '';
  for (const preset of PRESETS) expect(section, `docs/configuration.md, section "## Presets": ${preset}`).toContain(`\`${preset}\``);
});
