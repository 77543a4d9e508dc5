import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader, type ConfigOverrides } from '../config/load.js';
import { lint } from '../engine/index.js';
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
}

/** Where `validate` and a bare `lint` look when the configuration names no migrations folder. */
const DEFAULT_MIGRATION_FOLDERS = ['supabase/migrations', 'migrations', 'db/migrations', 'prisma/migrations', 'db/migration', 'src/main/resources/db/migration'];

const STDIN = '-';

export async function runLint(paths: readonly string[], options: LintCommandOptions): Promise<number> {
  const cwd = process.cwd();
  const started = performance.now();
  const formatter = await loadFormatter(options.format);
  if (!formatter) throw new UsageError(`unknown format "${options.format}"`);
  const overrides: ConfigOverrides = {
    pgVersion: options.pgVersion,
    assumeInTransaction: options.assumeInTransaction,
    rules: options.rule,
  };
  const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides, configFile: options.config, cwd });
  const readsStdin = paths.includes(STDIN) || (paths.length === 0 && options.stdinFilename !== undefined);
  const stdinPath = resolve(cwd, options.stdinFilename ?? 'stdin.sql');
  const inputs = readsStdin ? [...paths.filter((path) => path !== STDIN), stdinPath] : paths.length > 0 ? paths : [await migrationsFolder(configs, cwd)];
  const result = await lint({
    inputs,
    cwd,
    configs,
    texts: readsStdin ? new Map([[stdinPath, readFileSync(0, 'utf8')]]) : undefined,
    reportUnusedDirectives: options.reportUnusedDirectives,
  });
  const shown = options.quiet ? { ...result, findings: result.findings.filter((finding) => finding.severity === 'error') } : result;
  const toFile = options.outputFile !== undefined;
  const report = formatter(shown, { cwd, color: colorEnabled(process.stdout, toFile ? false : options.color) });
  if (options.outputFile === undefined) process.stdout.write(report);
  else writeReport(resolve(cwd, options.outputFile), report);
  for (const problem of result.problems) process.stderr.write(`migrate-safe: ${problem.file ?? ''}: ${problem.message}\n`);
  if (options.verbose) {
    process.stderr.write(`migrate-safe: checked ${result.files.length} files in ${Math.round(performance.now() - started)} ms\n`);
  }
  return exitCode(shown, options.maxWarnings);
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

function writeReport(path: string, report: string): void {
  try {
    writeFileSync(path, report);
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
