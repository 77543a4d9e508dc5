import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader, type ConfigOverrides } from '../config/load.js';
import { type LintOptions, lint } from '../engine/index.js';
import { type LintResult, countFindings } from '../findings/finding.js';
import { colorEnabled } from '../report/color.js';
import { loadFormatter } from '../report/index.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from './program.js';

export interface LintCommandOptions {
  readonly format: string;
  readonly outputFile?: string;
  readonly config?: string;
  readonly pgVersion?: number;
  readonly rule: Record<string, 'off' | 'warn' | 'error'>;
  readonly maxWarnings?: number;
  readonly quiet?: boolean;
  readonly color?: boolean;
  readonly assumeInTransaction?: boolean;
  readonly reportUnusedDirectives?: boolean;
  readonly stdinFilename?: string;
  readonly verbose?: boolean;
  readonly fix?: boolean;
}

/** Where `validate` and a bare `lint` look when the configuration names no migrations folder. */
const DEFAULT_MIGRATION_FOLDERS = ['supabase/migrations', 'migrations', 'db/migrations', 'prisma/migrations'];

const STDIN = '-';

export async function runLint(paths: readonly string[], options: LintCommandOptions): Promise<number> {
  const cwd = process.cwd();
  const started = performance.now();
  const formatter = await loadFormatter(options.format);
  if (!formatter) throw new UsageError(`unknown format "${options.format}"`);
  const overrides: ConfigOverrides = {
    pgVersion: options.pgVersion,
    assumeInTransaction: options.assumeInTransaction === true ? true : undefined,
    rules: options.rule,
  };
  const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides, configFile: options.config, cwd });
  const readsStdin = paths.includes(STDIN) || (paths.length === 0 && options.stdinFilename !== undefined);
  const stdinPath = resolve(cwd, options.stdinFilename ?? 'stdin.sql');
  const inputs = readsStdin ? [...paths.filter((path) => path !== STDIN), stdinPath] : paths.length > 0 ? paths : [await migrationsFolder(configs, cwd)];
  const stdinText = readsStdin ? readFileSync(0, 'utf8') : undefined;
  const lintOptions = {
    inputs,
    cwd,
    configs,
    texts: stdinText === undefined ? undefined : new Map([[stdinPath, stdinText]]),
    reportUnusedDirectives: options.reportUnusedDirectives,
  };
  const result = options.fix ? await fixFiles(lintOptions, stdinText === undefined ? undefined : stdinPath) : await lint(lintOptions);
  const shown = options.quiet ? { ...result, findings: result.findings.filter((finding) => finding.severity === 'error') } : result;
  const toFile = options.outputFile !== undefined;
  const report = formatter(shown, { cwd, color: colorEnabled(process.stdout, toFile ? false : options.color) });
  // With --fix, standard output carries the fixed standard input (what an editor's fixer reads back), not the report.
  if (options.fix && stdinText !== undefined) process.stdout.write(result.sources.get(stdinPath) ?? stdinText);
  else if (options.outputFile === undefined) process.stdout.write(report);
  else writeFile(resolve(cwd, options.outputFile), report);
  for (const problem of result.problems) process.stderr.write(`migrate-safe: ${problem.file ?? ''}: ${problem.message}\n`);
  if (options.verbose) {
    process.stderr.write(`migrate-safe: checked ${result.files.length} files in ${Math.round(performance.now() - started)} ms\n`);
  }
  return exitCode(shown, options.maxWarnings);
}

/**
 * `--fix`: applies the unattended fixes until none is left, writes the files they changed (a file
 * keeps its byte order mark), and returns what is left to report. Standard input is not written:
 * its fixed text is in the result's sources.
 */
async function fixFiles(options: LintOptions, stdinPath: string | undefined): Promise<LintResult> {
  const { lintAndFix } = await import('../engine/fix.js');
  const { result, fixed } = await lintAndFix(options);
  for (const [path, text] of fixed) {
    if (path === stdinPath) continue;
    const byteOrderMark = readFileSync(path, 'utf8').startsWith('\uFEFF');
    writeFile(path, byteOrderMark ? `\uFEFF${text.slice(1)}` : text);
  }
  return result;
}

async function migrationsFolder(configs: ConfigLoader, cwd: string): Promise<string> {
  const configured = (await configs.forFolder(cwd)).migrationsFolder;
  if (configured !== undefined) {
    if (!existsSync(configured)) throw new UsageError(`the configured migrations folder ${configured} does not exist`);
    return configured;
  }
  const found = DEFAULT_MIGRATION_FOLDERS.find((folder) => existsSync(resolve(cwd, folder)));
  if (found === undefined) {
    throw new UsageError(`no migrations folder here (looked for ${DEFAULT_MIGRATION_FOLDERS.join(', ')}): pass paths, or set "migrations": { "folder": ... } in the configuration`);
  }
  return found;
}

function writeFile(path: string, content: string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function exitCode(result: LintResult, maxWarnings: number | undefined): number {
  if (result.problems.length > 0) return EXIT_USAGE;
  const { errors, warnings } = countFindings(result.findings);
  if (errors > 0) return EXIT_FINDINGS;
  if (maxWarnings !== undefined && maxWarnings >= 0 && warnings > maxWarnings) return EXIT_FINDINGS;
  return EXIT_OK;
}
