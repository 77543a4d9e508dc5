import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RULES } from '../rules/index.js';
import { ConfigLoader } from '../src/config/load.js';
import { discover, partText } from '../src/discover/index.js';
import type { Finding } from '../src/findings/finding.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { FIXTURES, type FixtureRun, fixturesOf, lintFixture, ruleFixtureFolders } from './support/fixtures.js';
import { type SnippetSettings, describeFindings, describesFiles, fillPlaceholders, isRollbackDraft, lintSnippet, migrationsOf, optionsOf } from './support/snippets.js';

/**
 * What every rule promises, built in now or later: its documented bad example is reported, its
 * good example passes, and the safe alternative its findings print passes too.
 */

beforeAll(loadParser);

/** An example that describes files cannot be linted alone: a project fixture must show it (test/fixtures runs it). */
function demonstratedByProjectFixture(ruleId: string): boolean {
  return fixturesOf(ruleId).some((fixture) => fixture.kind === 'project');
}

function showSnippet(title: string, sql: string, findings: string): string {
  return `${title}\n--- SQL ---\n${sql}\n--- findings ---\n${findings}`;
}

describe.each(BUILT_IN_RULES.map((rule) => [rule.id, rule] as const))('%s', (id, rule) => {
  /** The rule runs at its own severity whatever its preset; everything else as `recommended` sets it. */
  const settings: SnippetSettings = { rules: { [id]: rule.meta.severity } };

  // Engine rules (syntax-error, invalid-directive, unused-directive) are linted like any other:
  // the engine reports them while linting, so their examples show them.
  it('reports its bad example', async () => {
    const bad = rule.meta.bad;
    if (describesFiles(bad)) {
      expect(demonstratedByProjectFixture(id), `${id}: meta.bad describes files; fixtures/${id}/ needs a project showing it`).toBe(true);
      return;
    }
    const run = await lintSnippet({ history: '', migrations: migrationsOf(fillPlaceholders(bad)) }, settings);
    const ids = run.findings.map((finding) => finding.ruleId);
    expect(ids.includes(id), showSnippet(`${id} does not report its meta.bad`, bad, describeFindings(run))).toBe(true);
  });

  it('accepts its good example: no finding of any recommended rule, nor its own', async () => {
    const good = rule.meta.good;
    if (describesFiles(good)) {
      expect(demonstratedByProjectFixture(id), `${id}: meta.good describes files; fixtures/${id}/ needs a project showing it`).toBe(true);
      return;
    }
    for (const option of optionsOf(fillPlaceholders(good))) {
      const run = await lintSnippet({ history: '', migrations: migrationsOf(option) }, settings);
      expect(run.findings.length === 0 ? '' : showSnippet(`${id}: meta.good raises findings`, option, describeFindings(run))).toBe('');
    }
  });
});

/**
 * Linting the safe alternative printed in any finding's help raises no finding at all under the
 * recommended preset. The help runs where the user pastes it: after the migrations before the
 * finding's file, in place of the statement (its first migration continues the file's statements
 * before it, which may create the tables it uses). Placeholders
 * become literals that parse; each `-- Option N` runs alone; `-- Migration N` headings become
 * successive migrations, so "renamed in an earlier migration" and "validated in an earlier
 * transaction" hold. A help that drafts a rollback (`-- Rollback: <migration>`) is linted as that
 * migration's rollback file; found in a rollback, it is added to that rollback.
 */
describe.each(ruleFixtureFolders())('the helps of fixtures/%s', (ruleId) => {
  it.each(fixturesOf(ruleId).map((fixture) => [fixture.name, fixture] as const))('%s', async (_, fixture) => {
    const run = await lintFixture(fixture);
    const failures: string[] = [];
    for (const finding of run.result.findings) {
      if (finding.help === undefined) continue;
      const { history, before, file, rollback } = await historyOf(finding, run);
      const settings = await snippetSettings(run);
      for (const option of optionsOf(fillPlaceholders(finding.help))) {
        const rollbackOf = isRollbackDraft(option) ? (rollback?.of ?? file) : undefined;
        const migrations = rollback && rollbackOf !== undefined ? [`${rollback.text}\n${option}`] : migrationsOf(option);
        // Any other help in a rollback replaces its statement after the migration it rolls back.
        const historyBefore = rollback && rollbackOf === undefined ? `${history}${rollback.of}\n` : history;
        const snippet = { history: historyBefore, before: rollbackOf === undefined ? before : undefined, migrations, rollbackOf };
        const helpRun = await lintSnippet(snippet, settings);
        if (helpRun.findings.length === 0) continue;
        const where = `${relative(FIXTURES, fixture.path)} (${relative(run.root, finding.file) || fixture.name}:${finding.line})`;
        failures.push(showSnippet(`the help of ${finding.ruleId} in ${where}`, option, describeFindings(helpRun)));
      }
    }
    expect(failures.join('\n\n')).toBe('');
  });
});

/**
 * The migrations that ran before the finding's file, the file's statements before the finding, and
 * the file itself; for a finding in a rollback, the migration it rolls back and the rollback's text.
 */
async function historyOf(finding: Finding, run: FixtureRun): Promise<{ history: string; before: string; file: string; rollback?: { of: string; text: string } }> {
  const configs = configLoader(run);
  const discovery = await discover([run.root], {
    cwd: run.root,
    settingsFor: async (root) => {
      const config = await configs.forFolder(root);
      return { layout: config.layout, isIgnored: config.isIgnored };
    },
  });
  const earlier: string[] = [];
  const file = readFileSync(finding.file, 'utf8');
  let rollback: { of: string; text: string } | undefined;
  for (const migration of discovery.projects.flatMap((project) => project.migrations)) {
    // A section part (dbmate) holds the finding when the finding falls in its own section.
    const { down } = migration;
    const inDown = down?.path === finding.file && (down.sections?.[0] === undefined || finding.offset >= down.sections[0].start);
    if (inDown) {
      rollback = { of: partText(migration.up, readFileSync(migration.up.path, 'utf8')), text: partText(down, file) };
      break;
    }
    if (migration.up.path === finding.file) break;
    earlier.push(partText(migration.up, readFileSync(migration.up.path, 'utf8')));
  }
  const statement = parseSource(file).statements.find((candidate) => candidate.start <= finding.offset && finding.offset <= candidate.end);
  return {
    history: earlier.map((text) => `${text}\n`).join(''),
    before: statement === undefined ? '' : file.slice(0, statement.start),
    file,
    rollback,
  };
}

function configLoader(run: FixtureRun): ConfigLoader {
  return new ConfigLoader({ builtInRules: BUILT_IN_RULES, cwd: run.root, overrides: run.overrides });
}

/** The fixture's project settings (its PostgreSQL version, deprecation suffix), with the recommended rules. */
async function snippetSettings(run: FixtureRun): Promise<SnippetSettings> {
  const config = await configLoader(run).forFolder(run.root);
  return { pgVersion: config.pgVersion, deprecatedSuffix: config.deprecatedSuffix, exposedSchemas: config.exposedSchemas };
}
