import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { lint } from '../../src/index.js';
import type { Finding } from '../../src/findings/finding.js';
import { parseSource } from '../../src/parse/parser.js';

/**
 * SQL from rule metadata and finding helps, run the way it tells the user to: each `-- Option N`
 * apart, each `-- Migration N` a migration of its own after the ones before it.
 */
const OPTION = /^\s*--\s*Option\s+\d+\b/;
const MIGRATION = /^\s*--\s*Migration\s+\d+\b/;
/** A help that drafts a rollback names the migration it undoes: `-- Rollback: 20240101_add_x.sql`. */
const ROLLBACK = /^\s*--\s*Rollback:/m;

/** What a placeholder becomes, tried in order until the SQL parses: a value, then a type or a name. */
const PLACEHOLDER_LITERALS = ['0', 'text'];
const PLACEHOLDER = /<[a-z][^<>\n]*>/gi;

/**
 * Examples of file-level rules (missing-rollback, migration-layout) describe files of a project,
 * not SQL: their first line names a file (`-- supabase/migrations/rollback/..._down.sql ...`).
 */
const DESCRIBES_FILES = /^\s*--\s*\S+\.sql\b/;

export function describesFiles(example: string): boolean {
  return DESCRIBES_FILES.test(example);
}

export function isRollbackDraft(sql: string): boolean {
  return ROLLBACK.test(sql);
}

/** The alternatives of a help: text before the first `-- Option N` heading belongs to every option. */
export function optionsOf(sql: string): string[] {
  const [preamble = '', ...options] = sectionsAt(sql, OPTION);
  return options.length === 0 ? [preamble] : options.map((option) => `${preamble}${option}`);
}

/** The migrations of one option; comments before the first heading open the first migration. */
export function migrationsOf(sql: string): string[] {
  const [before = '', ...migrations] = sectionsAt(sql, MIGRATION);
  if (migrations.length === 0) return [before];
  if (!hasStatements(before)) return [`${before}${migrations[0] ?? ''}`, ...migrations.slice(1)];
  return [before, ...migrations];
}

/** The text before the first heading, then each heading with the lines up to the next one. */
function sectionsAt(sql: string, heading: RegExp): string[] {
  const sections: string[][] = [[]];
  for (const line of sql.split('\n')) {
    if (heading.test(line)) sections.push([]);
    sections.at(-1)?.push(`${line}\n`);
  }
  return sections.map((lines) => lines.join(''));
}

function hasStatements(sql: string): boolean {
  return sql.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--'));
}

/** `<value>`, `<type of the column>` ... replaced by the first literals that make the SQL parse. */
export function fillPlaceholders(sql: string): string {
  const names = [...new Set(sql.match(PLACEHOLDER) ?? [])];
  let fallback: string | undefined;
  for (const choice of choices(names.length)) {
    const filled = sql.replace(PLACEHOLDER, (name) => PLACEHOLDER_LITERALS[choice[names.indexOf(name)] ?? 0] ?? name);
    fallback ??= filled;
    if (parseSource(filled).errors.length === 0) return filled;
  }
  return fallback ?? sql;
}

/** Every assignment of a literal to each of `count` placeholders. */
function choices(count: number): number[][] {
  if (count === 0) return [[]];
  return choices(count - 1).flatMap((rest) => PLACEHOLDER_LITERALS.map((_, literal) => [literal, ...rest]));
}

/** Project-wide settings a snippet is linted with (a fixture's, so the help is judged as it was written). */
export interface SnippetSettings {
  readonly pgVersion?: number;
  readonly deprecatedSuffix?: string;
  readonly exposedSchemas?: readonly string[];
  readonly rules?: Readonly<Record<string, 'off' | 'warn' | 'error'>>;
}

export interface SnippetRun {
  readonly root: string;
  /** Findings in the snippet's migrations, silenced ones left out. */
  readonly findings: readonly Finding[];
}

/**
 * Lints migrations that follow a history, in a fresh project: the plain layout (files in version
 * order, no rollback convention), or, for a rollback draft, golang-migrate with the draft as the
 * `.down.sql` of the migration it undoes. A help replaces a statement where it stood, so its first
 * migration continues `before` (the statements of the file before it); only findings in the
 * snippet's own SQL count.
 */
export async function lintSnippet(
  snippet: { readonly history: string; readonly before?: string; readonly migrations: readonly string[]; readonly rollbackOf?: string },
  settings: SnippetSettings,
): Promise<SnippetRun> {
  const before = snippet.before ?? '';
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-snippet-'));
  const folder = join(root, 'migrations');
  mkdirSync(folder);
  // The layout is set, not detected: SQL that holds dbmate's markers must not make it a dbmate project.
  const layout = snippet.rollbackOf === undefined ? 'plain' : 'golang-migrate';
  writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ ...settings, migrations: { layout } }));
  const files: Record<string, string> = {};
  const targets: string[] = [];
  if (snippet.rollbackOf === undefined) {
    if (hasStatements(snippet.history)) files['0_history.sql'] = snippet.history;
    snippet.migrations.forEach((sql, index) => {
      files[`${index + 1}_migration.sql`] = index === 0 ? `${before}${sql}` : sql;
      targets.push(`${index + 1}_migration.sql`);
    });
  } else {
    files['1_history.up.sql'] = snippet.history;
    files['2_migration.up.sql'] = snippet.rollbackOf;
    files['2_migration.down.sql'] = snippet.migrations.join('\n');
    targets.push('2_migration.down.sql');
  }
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(folder, name), sql);
  const result = await lint({ inputs: targets.map((name) => join(folder, name)), cwd: root });
  const firstMigration = join(folder, '1_migration.sql');
  const ownSql = (finding: Finding): boolean => finding.file !== firstMigration || snippet.rollbackOf !== undefined || finding.offset >= before.length;
  return { root, findings: result.findings.filter((finding) => !finding.suppression && ownSql(finding)) };
}

/** Findings as lines a failure message can show. */
export function describeFindings(run: SnippetRun): string {
  return run.findings.map((finding) => `${relative(run.root, finding.file)}:${finding.line} ${finding.ruleId}: ${finding.message}`).join('\n');
}
