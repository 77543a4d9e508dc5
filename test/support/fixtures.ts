import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_RULES } from '../../rules/index.js';
import type { ConfigOverrides } from '../../src/config/load.js';
import { lint } from '../../src/index.js';
import type { LintResult } from '../../src/findings/finding.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
/** Fixture folders that are not about one rule: layouts and the guide's examples have tests of their own. */
const NOT_RULE_FOLDERS = new Set(['projects', 'guide']);

/** A rule's fixture: one `.sql` file linted on its own, or a project folder linted whole. */
export interface Fixture {
  readonly ruleId: string;
  readonly name: string;
  readonly path: string;
  readonly kind: 'file' | 'project';
}

export function ruleFixtureFolders(): string[] {
  return readdirSync(FIXTURES).filter((name) => !NOT_RULE_FOLDERS.has(name) && statSync(join(FIXTURES, name)).isDirectory());
}

export function fixturesOf(ruleId: string): Fixture[] {
  const folder = join(FIXTURES, ruleId);
  return readdirSync(folder).flatMap((name): Fixture[] => {
    const path = join(folder, name);
    if (name.endsWith('.sql')) return [{ ruleId, name, path, kind: 'file' }];
    return statSync(path).isDirectory() ? [{ ruleId, name, path, kind: 'project' }] : [];
  });
}

/** What a fixture was linted as: the folder it ran in and the command-line settings it ran with. */
export interface FixtureRun {
  readonly result: LintResult;
  /** The project folder, or the fresh folder a single file was copied to. */
  readonly root: string;
  readonly overrides: ConfigOverrides;
}

/**
 * Lints a fixture with every recommended rule plus its folder's own rule. A single file is copied
 * to a fresh folder (no history) and honours a first line `-- fixture: {"pgVersion": 11, ...}`.
 */
export async function lintFixture(fixture: Fixture): Promise<FixtureRun> {
  const rule = BUILT_IN_RULES.find((candidate) => candidate.id === fixture.ruleId);
  const rules = { [fixture.ruleId]: rule?.meta.severity ?? 'error' };
  if (fixture.kind === 'project') {
    const overrides = { rules };
    return { result: await lint({ inputs: [fixture.path], cwd: fixture.path, overrides }), root: fixture.path, overrides };
  }
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-fixture-'));
  cpSync(fixture.path, join(root, fixture.name));
  const overrides = { rules, ...fixtureSettings(readFileSync(fixture.path, 'utf8')) };
  return { result: await lint({ inputs: [join(root, fixture.name)], cwd: root, overrides }), root, overrides };
}

/** `-- fixture: {"pgVersion": 11, "assumeInTransaction": true}` on a file's first line. */
function fixtureSettings(text: string): { pgVersion?: number; assumeInTransaction?: boolean } {
  const match = /^--\s*fixture:\s*(\{.*\})\s*$/m.exec(text.split('\n')[0] ?? '');
  return match?.[1] ? (JSON.parse(match[1]) as { pgVersion?: number; assumeInTransaction?: boolean }) : {};
}

export function sqlFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.sql'))
    .map((name) => join(folder, name));
}
