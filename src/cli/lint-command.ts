import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { isDynamicPattern } from 'tinyglobby';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { CodeNotRun, ConfigLoader, type ConfigOverrides } from '../config/load.js';
import { LintCache } from '../engine/cache.js';
import { toolIdentity } from '../engine/cache-keys.js';
import { CacheStore } from '../engine/cache-store.js';
import { type LintOptions, lint } from '../engine/index.js';
import { DEFAULT_MAX_RULE_TIME, overrunMessage } from '../engine/watchdog.js';
import type { FixFilesResult } from './fix-files.js';
import { type LintResult, countFindings } from '../findings/finding.js';
import { gitChanges } from '../git/index.js';
import type { Concurrency } from '../parse/pool.js';
import { colorEnabled } from '../report/color.js';
import { type Formatter, loadFormatter } from '../report/index.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE } from './program.js';

/** One report to write: `--format <format>` (standard output, or --output-file) or `--format <format>=<path>`. */
export interface OutputRequest {
  readonly format: string;
  readonly path: string | undefined;
}

export interface LintCommandOptions {
  /** Empty: the text report. */
  readonly format: readonly OutputRequest[];
  readonly outputFile?: string;
  readonly since?: string;
  readonly staged?: boolean;
  readonly config?: string;
  readonly pgVersion?: number;
  readonly rule?: Record<string, 'off' | 'warn' | 'error'>;
  readonly maxWarnings?: number;
  readonly quiet?: boolean;
  readonly color?: boolean;
  readonly assumeInTransaction?: boolean;
  readonly reportUnusedDirectives?: boolean;
  readonly stdinFilename?: string;
  readonly verbose?: boolean;
  readonly fix?: boolean;
  readonly fixApplied?: boolean;
  readonly concurrency?: Concurrency;
  readonly cache?: boolean;
  readonly cacheLocation?: string;
  /** Seconds one call of a plugin's code may run (a rule's handler, loading a plugin or a JavaScript configuration). */
  readonly maxRuleTime?: number;
}

/** How a lint command runs: on this thread, or in the worker thread that runs project code. */
interface LintContext {
  /** In the worker: project code may run here. */
  readonly isolated: boolean;
  /** Standard input, once read (the worker cannot read it again). */
  stdinText?: string | undefined;
}

/** Where the cache is kept unless the command line or the configuration says otherwise, as other tools keep theirs. */
const DEFAULT_CACHE_LOCATION = join('node_modules', '.cache', 'migrate-safe');

/** The persistent cache, when `--cache` or the configuration (`cache: true`) asks for it. */
async function persistentCache(options: LintCommandOptions, configs: ConfigLoader, cwd: string): Promise<LintCache | undefined> {
  const config = options.cache === undefined || options.cacheLocation === undefined ? await configs.forFolder(cwd) : undefined;
  if (!(options.cache ?? config?.cache ?? false)) return undefined;
  const location = options.cacheLocation === undefined ? (config?.cacheLocation ?? resolve(cwd, DEFAULT_CACHE_LOCATION)) : resolve(cwd, options.cacheLocation);
  if (existsSync(location) && !statSync(location).isDirectory()) throw new UsageError(`the cache location ${location} is a file: give a folder`);
  return new LintCache({ store: new CacheStore(location, toolIdentity(), (message) => process.stderr.write(`migrate-safe: ${message}\n`)) });
}

/** Where `validate` and a bare `lint` look when the configuration names no migrations folder. */
const DEFAULT_MIGRATION_FOLDERS = ['supabase/migrations', 'migrations', 'db/migrations', 'prisma/migrations', 'db/migration', 'src/main/resources/db/migration'];

const STDIN = '-';

/** Reports written for people, which quote file names and SQL from the pull request verbatim. */
const HUMAN_FORMATS = new Set(['text', 'compact']);

/**
 * In a GitHub Actions log a line that starts with `::` is a workflow command: a migration or file
 * name of a pull request could forge annotations or stop the real ones. GitHub's own remedy is
 * `stop-commands` with a token nobody can guess, around the quoted text.
 */
function withoutWorkflowCommands(report: string): string {
  if (process.env.GITHUB_ACTIONS !== 'true') return report;
  const token = randomBytes(16).toString('hex');
  return `::stop-commands::${token}\n${report}::${token}::\n`;
}

/**
 * `lint` and `validate`. A project whose configuration runs code (a JavaScript configuration,
 * plugins) is linted in a worker thread, where a call of that code that runs longer than
 * `--max-rule-time` is stopped and named (exit code 2): an endless loop in a plugin must not hang
 * a CI job. Every other run stays on this thread and never loads the worker.
 */
export async function runLint(paths: readonly string[], options: LintCommandOptions): Promise<number> {
  const context: LintContext = { isolated: false };
  try {
    return await lintCommand(paths, options, context);
  } catch (error) {
    if (!(error instanceof CodeNotRun)) throw error;
    return lintInWorker(paths, options, context.stdinText);
  }
}

interface LintCommandRequest {
  readonly paths: readonly string[];
  readonly options: LintCommandOptions;
  readonly stdinText: string | undefined;
}

async function lintInWorker(paths: readonly string[], options: LintCommandOptions, stdinText: string | undefined): Promise<number> {
  const { CodeWorker } = await import('./code-worker.js');
  const limitMs = (options.maxRuleTime ?? DEFAULT_MAX_RULE_TIME) * 1000;
  const cwd = process.cwd();
  const show = (path: string): string => relative(cwd, path) || path;
  const worker = new CodeWorker({ kind: 'lint-command' }, limitMs, (overrun) => `${overrunMessage(overrun, limitMs, show)} (--max-rule-time)`);
  try {
    // The worker's standard output is no terminal: whether to color is decided here.
    const request: LintCommandRequest = { paths, options: { ...options, color: options.color ?? colorEnabled(process.stdout, undefined) }, stdinText };
    return await worker.request<number>(request, true);
  } finally {
    // Its output reaches standard output before it ends.
    await worker.exited;
  }
}

/** The worker thread's side of `lintInWorker`: one lint command. */
export function lintCommandRequest(request: unknown): Promise<number> {
  const { paths, options, stdinText } = request as LintCommandRequest;
  return lintCommand(paths, options, { isolated: true, stdinText });
}

async function lintCommand(paths: readonly string[], options: LintCommandOptions, context: LintContext): Promise<number> {
  const cwd = process.cwd();
  const started = performance.now();
  const outputs = await loadOutputs(options, cwd);
  const overrides: ConfigOverrides = {
    pgVersion: options.pgVersion,
    assumeInTransaction: options.assumeInTransaction,
    rules: options.rule,
  };
  const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides, configFile: options.config, cwd, projectCode: context.isolated ? 'run' : 'refuse' });
  const { stdinPath, ...input } = await sources(paths, options, configs, cwd, context);
  const cache = await persistentCache(options, configs, cwd);
  const lintOptions: LintOptions = { cwd, configs, reportUnusedDirectives: options.reportUnusedDirectives, concurrency: options.concurrency, cache, ...input };
  const fixRun = options.fix ? await fixMigrations(lintOptions, options, stdinPath, cwd) : undefined;
  const result = fixRun?.result ?? (await lint(lintOptions));
  const shown = options.quiet ? { ...result, findings: result.findings.filter((finding) => finding.severity === 'error') } : result;
  // With --fix, standard output carries the fixed standard input (what an editor's fixer reads back), not a report.
  const fixedStdin = options.fix && stdinPath !== undefined ? result.sources.get(stdinPath) : undefined;
  if (fixedStdin !== undefined) process.stdout.write(fixedStdin);
  // One lint, every report from the same result.
  for (const output of outputs) {
    if (fixedStdin !== undefined && output.path === undefined) continue;
    const report = output.formatter(shown, { cwd, color: output.path === undefined ? colorEnabled(process.stdout, options.color) : false });
    if (output.path === undefined) process.stdout.write(HUMAN_FORMATS.has(output.format) ? withoutWorkflowCommands(report) : report);
    else writeFile(output.path, report);
  }
  for (const note of fixRun?.notes ?? []) process.stderr.write(`migrate-safe: ${note}\n`);
  for (const problem of result.problems) process.stderr.write(`migrate-safe: ${problem.file ?? ''}: ${problem.message}\n`);
  if (options.verbose) {
    const { threads, parses, parsedByThreads } = result.parsing;
    const parsing = threads > 0 ? ` (${threads} parser thread${threads === 1 ? '' : 's'} made ${parsedByThreads} of ${parses} parses)` : '';
    const reused = result.reusedFiles === undefined ? '' : ` (${result.reusedFiles} unchanged, from the cache)`;
    process.stderr.write(`migrate-safe: checked ${result.files.length} files in ${Math.round(performance.now() - started)} ms${parsing}${reused}\n`);
  }
  return fixRun?.failed ? EXIT_USAGE : exitCode(shown, options.maxWarnings);
}

/** What to lint: the inputs, texts that replace the files on disk (standard input, the git index), and the git changes to report on. */
async function sources(
  paths: readonly string[],
  options: LintCommandOptions,
  configs: ConfigLoader,
  cwd: string,
  context: LintContext,
): Promise<Pick<LintOptions, 'inputs' | 'texts' | 'changes' | 'undeployed'> & { stdinPath?: string }> {
  const readsStdin = paths.includes(STDIN) || (paths.length === 0 && options.stdinFilename !== undefined);
  // An empty --since (a CI variable outside pull requests) lints everything.
  const since = options.since === '' ? undefined : options.since;
  const fromGit = since !== undefined || options.staged === true;
  if (readsStdin && fromGit) throw new UsageError(`${options.staged ? '--staged' : '--since'} reports on files as git has them: it cannot lint standard input`);
  if (options.fix && options.staged) throw new UsageError('--fix writes the files in the working tree: it cannot fix what --staged reads from the git index');
  if (readsStdin) {
    const stdinPath = resolve(cwd, options.stdinFilename ?? 'stdin.sql');
    context.stdinText ??= readFileSync(0, 'utf8');
    return { inputs: [...paths.filter((path) => path !== STDIN), stdinPath], texts: new Map([[stdinPath, context.stdinText]]), stdinPath };
  }
  const inputs = paths.length > 0 ? paths : [await migrationsFolder(configs, cwd)];
  if (!fromGit) return { inputs };
  const changes = gitChanges({ locations: inputs.map((input) => location(input, cwd)), since, staged: options.staged === true });
  // A migration the base does not have was never deployed: what it creates is new to the migrations after it.
  return { inputs, texts: changes.stagedTexts, changes: changes.files, undeployed: (path) => changes.files.get(path)?.kind === 'added' };
}

/** Where an input sits on disk: a glob's folder before its first pattern, or the path itself. */
function location(input: string, cwd: string): string {
  return resolve(cwd, isDynamicPattern(input) ? picomatch.scan(input).base : input);
}

interface Output {
  readonly format: string;
  readonly formatter: Formatter;
  /** Absolute; undefined for standard output. */
  readonly path: string | undefined;
}

/** The reports to write, checked before linting: `--output-file` goes to the one format without a path of its own. */
async function loadOutputs(options: LintCommandOptions, cwd: string): Promise<Output[]> {
  const requested = options.format.length > 0 ? options.format : [{ format: 'text', path: undefined }];
  if (options.outputFile !== undefined && requested.filter((request) => request.path === undefined).length > 1) {
    throw new UsageError('--output-file can take one report: give each format its own file with --format <format>=<path>');
  }
  const outputs = await Promise.all(
    requested.map(async (request) => {
      const formatter = await loadFormatter(request.format);
      if (!formatter) throw new UsageError(`unknown format "${request.format}"`);
      const path = request.path ?? options.outputFile;
      return { format: request.format, formatter, path: path === undefined ? undefined : resolve(cwd, path) };
    }),
  );
  const files = outputs.flatMap((output) => (output.path === undefined ? [] : [output.path]));
  const twice = files.find((path, index) => files.indexOf(path) !== index);
  if (twice !== undefined) throw new UsageError(`two reports would be written to ${twice}`);
  return outputs;
}

/** `--fix`: fixes and writes the files it may change (src/cli/fix-files.ts); standard input's fixed text is in the result's sources. */
async function fixMigrations(lintOptions: LintOptions, options: LintCommandOptions, stdinPath: string | undefined, cwd: string): Promise<FixFilesResult> {
  const { fixFiles } = await import('./fix-files.js');
  const since = options.since === '' ? undefined : options.since;
  return fixFiles({ ...lintOptions, cwd, fixApplied: options.fixApplied === true, since, stdinPath });
}

/** The configured migrations folder, else the first of the usual ones that exists (what `validate` and a bare `lint` lint). */
export async function migrationsFolder(configs: ConfigLoader, cwd: string): Promise<string> {
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

/** Writes a report, creating its folder as ESLint does (`results/migrate-safe.sarif`). */
function writeFile(path: string, content: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
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
