import { defaultConfig } from '../config/defaults.js';
import { plain } from '../discover/layouts/plain.js';
import type { FolderListing, MigrationProject } from '../discover/types.js';
import { Run, type TextReader } from '../engine/run.js';
import type { Finding } from '../findings/finding.js';
import { loadParser } from '../parse/parser.js';
import type { AnyRule } from '../plugin/rule.js';
import { statementLocks } from '../report/statement-locks.js';

/*
 * The web playground's linting: one migration, the SQL in the text box, linted by the engine's own
 * run (src/engine/run.ts) as a plain migrations folder with that one file, on the recommended rules.
 * No Node module is reached from here: this runs in a browser.
 */

const ROOT = '/playground';
const FILE_NAME = 'migration.sql';
export const PLAYGROUND_FILE = `${ROOT}/${FILE_NAME}`;

export interface PlaygroundOptions {
  readonly rules: readonly AnyRule[];
  readonly pgVersion: number;
  /** The migration tool runs the file in one transaction (most do); false: each statement on its own, as psql runs it. */
  readonly inTransaction: boolean;
}

/** A statement of the migration and what it does to the running database, in Markdown (the editor's hover text). */
export interface PlaygroundStatement {
  readonly line: number;
  readonly text: string;
  readonly locks: string;
}

export interface PlaygroundResult {
  readonly findings: readonly Finding[];
  readonly statements: readonly PlaygroundStatement[];
}

export async function lintSql(sql: string, options: PlaygroundOptions): Promise<PlaygroundResult> {
  await loadParser();
  const reader: TextReader = {
    read: (path) => (path === PLAYGROUND_FILE ? { text: sql } : { error: 'not in the playground' }),
    text: (path) => (path === PLAYGROUND_FILE ? sql : undefined),
  };
  const config = defaultConfig({ allRules: options.rules, root: ROOT, pgVersion: options.pgVersion, assumeInTransaction: options.inTransaction });
  const project: MigrationProject = { root: ROOT, layout: plain.id, ...plain.collect(oneFileFolder(reader)) };
  const run = new Run(reader, { reportUnusedDirectives: false, changes: undefined, undeployed: undefined, keepAnalyses: true, cache: undefined, pool: undefined, keptProject: undefined });
  run.lintProject(project, config, new Set([PLAYGROUND_FILE]));
  const result = run.result();
  const analysis = result.analyses?.get(PLAYGROUND_FILE);
  const statements = (analysis?.statements ?? [])
    .filter((statement) => statement.routine === undefined)
    .map((statement) => ({
      line: lineOf(sql, statement.statement.start),
      text: statement.statement.text,
      locks: statementLocks(statement, options.pgVersion),
    }));
  return { findings: result.findings.filter((finding) => finding.suppression === undefined), statements };
}

function oneFileFolder(reader: TextReader): FolderListing {
  const empty: FolderListing = { path: `${ROOT}/-`, files: [], folders: [], sub: () => empty, read: () => undefined };
  return { path: ROOT, files: [FILE_NAME], folders: [], sub: () => empty, read: (name) => reader.text(`${ROOT}/${name}`) };
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}
