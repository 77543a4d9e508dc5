import { BUILT_IN_RULES } from '../../rules/index.js';
import { ConfigLoader, type ResolvedConfig } from '../config/load.js';
import { resolveDatabaseUrl } from '../db/url.js';
import { lint } from '../engine/index.js';
import { loadParser } from '../parse/parser.js';
import type { LintResult } from '../findings/finding.js';
import { colorEnabled } from '../report/color.js';
import { formatText } from '../report/text.js';
import { BackupError, type Database, type RunnerProject, consoleOutput, loadRunnerProject, openDatabase } from '../runner/index.js';
import { migrationsFolder } from './lint-command.js';

/** The options every database command shares. */
export interface DatabaseOptions {
  /** The project folder; default: the working folder. */
  readonly cwd?: string;
  readonly dbUrl?: string;
  readonly config?: string;
  readonly pgVersion?: number;
}

/** What a database command works on: the project's configuration, its migrations, the database. */
export interface DatabaseSession {
  readonly cwd: string;
  readonly configs: ConfigLoader;
  readonly config: ResolvedConfig;
  readonly project: RunnerProject;
  readonly database: Database;
}

/**
 * Loads the configuration and the migrations folder (as `validate` finds them), resolves the
 * database URL and connects; the caller closes the database. `appliedBy` is migrate-safe's: the
 * files these commands run are run by migrate-safe.
 */
export async function openSession(options: DatabaseOptions): Promise<DatabaseSession> {
  const cwd = options.cwd ?? process.cwd();
  const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides: { pgVersion: options.pgVersion, appliedBy: 'migrate-safe' }, configFile: options.config, cwd });
  const folder = await migrationsFolder(configs, cwd);
  const config = await configs.forFolder(folder);
  const project = await loadRunnerProject(folder, config, cwd);
  // status compares the statements the Supabase CLI recorded with the files'.
  await loadParser();
  const url = resolveDatabaseUrl({ flag: options.dbUrl, env: process.env, configured: config.database.url });
  const database = await openDatabase(url, config, project.project.layout);
  return { cwd, configs, config, project, database };
}

/** Lints files as the runner is about to run them, with their whole history as context. */
export function lintForRun(session: DatabaseSession): (paths: readonly string[]) => Promise<LintResult> {
  return (paths) => lint({ inputs: paths, cwd: session.cwd, configs: session.configs });
}

/** Prints the findings of a lint before a run (nothing when there are none). */
export function reportFindings(result: LintResult): void {
  if (result.findings.every((finding) => finding.suppression)) return;
  consoleOutput.err(formatText(result, { cwd: process.cwd(), color: colorEnabled(process.stderr, undefined) }).trimEnd());
}

/** Runs a database command: the session is always closed; a failed pg_dump or psql is exit 1 with its own words. */
export async function withSession(options: DatabaseOptions, work: (session: DatabaseSession) => Promise<number>): Promise<number> {
  const session = await openSession(options);
  try {
    return await work(session);
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    consoleOutput.err(`migrate-safe: ${error.message}`);
    return 1;
  } finally {
    await session.database.close();
  }
}
