import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../config/errors.js';
import { SEVERITIES, normalSeverity } from '../config/severity.js';
import type { RuleSeverity } from '../plugin/rule.js';
import type { Concurrency } from '../parse/pool.js';
import { DEFAULT_MAX_RULE_TIME } from '../engine/watchdog.js';
import { FORMAT_NAMES } from '../report/index.js';
import { packageInfo } from '../version.js';
import type { WorkerData } from './code-worker.js';
import type { DatabaseOptions } from './database-command.js';
import type { DownCommandOptions } from './down-command.js';
import type { HistoryCommandOptions } from './history-command.js';
import type { LintCommandOptions, OutputRequest } from './lint-command.js';
import type { RestoreCommandOptions } from './restore-command.js';
import type { StatusCommandOptions } from './status-command.js';
import type { UpCommandOptions } from './up-command.js';
import type { TraceCommandOptions } from './trace-command.js';

/** Exit codes, as ESLint uses them: findings are 1, anything the user must fix in the invocation is 2. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

function collectRule(value: string, previous: Record<string, RuleSeverity> = {}): Record<string, RuleSeverity> {
  const separator = value.lastIndexOf('=');
  const severity = SEVERITIES.find((name) => name === value.slice(separator + 1));
  if (separator < 1 || severity === undefined) throw new InvalidArgumentError('expected <rule-id>=off|warn|error');
  return { ...previous, [value.slice(0, separator)]: normalSeverity(severity) };
}

/** `--format <name>` or `--format <name>=<path>`; repeatable, so one run writes several reports. */
function collectFormat(value: string, previous: readonly OutputRequest[]): OutputRequest[] {
  const separator = value.indexOf('=');
  const format = separator === -1 ? value : value.slice(0, separator);
  const path = separator === -1 ? undefined : value.slice(separator + 1);
  if (!FORMAT_NAMES.includes(format)) throw new InvalidArgumentError(`Allowed choices are ${FORMAT_NAMES.join(', ')}.`);
  if (path === '') throw new InvalidArgumentError(`expected a file after "${format}="`);
  return [...previous, { format, path }];
}

function parseConcurrency(value: string): Concurrency {
  if (value === 'auto' || value === 'off') return value;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError('expected a number of threads, auto or off');
  return threads;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a number of seconds');
  return seconds;
}

function parseInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new InvalidArgumentError('expected a whole number');
  return number;
}

/** The options lint and validate share. */
function withLintOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-f, --format <format[=path]>', `report format: ${FORMAT_NAMES.join(', ')}; repeatable, =path writes that report to a file`)
        .argParser(collectFormat)
        .default([], 'text'),
    )
    .option('-o, --output-file <path>', 'write the report to a file instead of standard output')
    .option('--since <git-ref>', 'report only on files added or changed since the merge base with this git ref')
    .option('--staged', 'lint the staged version of files (the git index), reporting only on files with staged changes')
    .option('-c, --config <path>', 'use this configuration file instead of looking one up')
    .option(
      '--pg-version <major>',
      'PostgreSQL major version the migrations run on (default: pgVersion from the configuration, else [db] major_version of supabase/config.toml, else 15)',
      parseInteger,
    )
    // No default value: commander would print it as "(default: {})".
    .option('--rule <id=severity>', 'set a rule to off, warn (or warning) or error; repeatable', collectRule)
    .option('--max-warnings <count>', 'exit with 1 when there are more warnings than this', parseInteger)
    .option('--quiet', 'report errors only')
    .option('--color', 'force colored output')
    .option('--no-color', 'disable colored output')
    .option('--assume-in-transaction', 'treat each file as run in one transaction, whatever its layout says of its tool')
    .option('--no-assume-in-transaction', 'treat each statement as run on its own, outside any transaction the tool would open')
    .option('--report-unused-directives', 'report migrate-safe-ignore directives that silence nothing')
    .option('--stdin-filename <path>', 'with the path -: lint standard input as this file (its history is read from disk)')
    .option(
      '--concurrency <threads>',
      'parser threads: auto (threads only from about 800 KB of SQL, on 3 or more cores), a number (that many threads parse every file) or off',
      parseConcurrency,
      'auto',
    )
    .option('--cache', 'keep parses, schema states and findings between runs, and reuse what did not change')
    .option('--no-cache', 'do not use the cache, even when the configuration turns it on')
    .option('--cache-location <folder>', 'where the cache is kept (default: node_modules/.cache/migrate-safe)')
    .option(
      '--max-rule-time <seconds>',
      `stop when one call of a plugin's code (a rule on one statement or file, loading a plugin or a JavaScript configuration) runs longer (default: ${DEFAULT_MAX_RULE_TIME})`,
      parseSeconds,
    );
}

/** An "Examples:" section after a command's options: what each example does, then its command line. */
export function withExamples(command: Command, examples: readonly (readonly [string, string])[]): Command {
  const lines = examples.map(([line, what]) => `  # ${what}\n  $ ${line}`);
  return command.addHelpText('after', `\nExamples:\n${lines.join('\n\n')}\n`);
}

/** `--wait 30s`, `500ms`, `2min`, or seconds. */
function parseWait(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected a duration such as 30s, 500ms or 2min');
  const unit = match[2] ?? 's';
  return Number(match[1]) * (unit === 'ms' ? 1 : unit === 'min' ? 60_000 : 1000);
}

function parseOutputFormat(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('Allowed choices are text, json.');
  return value;
}

/** The options of every command that connects to the database. */
function withDatabaseOptions(command: Command): Command {
  return command
    .option('--db-url <url>', 'the database (default: MIGRATE_SAFE_DB_URL, SUPABASE_DB_URL, DATABASE_URL, then the configuration\'s database.url)')
    .option('-c, --config <path>', 'use this configuration file instead of looking one up')
    .option('--pg-version <major>', 'PostgreSQL major version the migrations are checked for: an older server is refused', parseInteger);
}

/** The guide's options of `up` and `down`; -d and -v may also come before the command, as the guide writes them. */
function withRunOptions(command: Command): Command {
  return withDatabaseOptions(command)
    .option('-d, --dry-run', 'connect, print the plan and the lint findings, change nothing')
    .option('-s, --skip-backup', 'do not take a pg_dump backup first')
    .option('-f, --force', 'go on despite lint errors and status warnings (logged in migration.log)')
    .option('-v, --verbose', 'print each statement with its duration as it runs')
    .option('--wait <duration>', 'how long to wait for another migrate-safe run against the same database', parseWait, 60_000);
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const { version } = packageInfo();
  const program = new Command('migrate-safe')
    // Set before the subcommands are added: they inherit both.
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => {
        write(`migrate-safe: ${message.replace(/^error: /, '').trimEnd()}\n`);
      },
    })
    .description('Static linter for zero-downtime PostgreSQL migrations: lock, rewrite and breaking-change hazards.')
    .version(version, '-V, --version')
    .option('-d, --dry-run', 'accepted for `migrate-safe --dry-run validate`: checking never touches a database')
    .option('-v, --verbose', 'print what was checked and how long it took');
  withExamples(program, [
    ['migrate-safe lint supabase/migrations', 'lint every migration, each judged with the ones before it'],
    ['migrate-safe lint supabase/migrations --since main', 'report only on what the branch adds or changes'],
    ['migrate-safe rules require-concurrent-index', 'why a rule matters, what it reports, the safe SQL'],
  ]).addHelpText('after', `migrate-safe <command> --help shows a command's options and examples.\nDocumentation: https://github.com/migrate-safe/migrate-safe/tree/main/docs\n`);
  withExamples(
    withLintOptions(
      program
        .command('lint')
        .description('lint migration files, folders or globs (- reads standard input)')
        .argument('[paths...]', 'files, folders or globs; default: the configured migrations folder'),
    )
      .option('--fix', 'apply the fixes that are safe unattended and write the files (with -: print the fixed SQL); lists every file it changes')
      .option('--fix-applied', 'with --fix: also change migrations that are already applied (committed on the default branch, or in the base of --since)'),
    [
      ['migrate-safe lint supabase/migrations', 'every migration of the folder; exit 1 on an error-level finding'],
      ['migrate-safe lint supabase/migrations --since origin/main', 'report only on migrations added or changed since the merge base'],
      ['migrate-safe lint --staged supabase/migrations', 'the staged version, as `git commit` records it (a commit hook)'],
      ['migrate-safe lint -f compact', 'one line per finding, for CI logs'],
      ['migrate-safe lint -f text -f sarif=migrate-safe.sarif', 'a readable log and a SARIF file from one run'],
      ['migrate-safe lint --rule require-lock-timeout=warning', 'turn on a rule of the strict preset for this run'],
      ['migrate-safe lint --fix supabase/migrations', 'apply the fixes that are safe unattended to migrations not yet applied'],
      ['migrate-safe lint --stdin-filename supabase/migrations/m.sql -', 'lint standard input as that file (editors)'],
    ],
  ).action(async (paths: string[], options: LintCommandOptions) => {
    const { runLint } = await import('./lint-command.js');
    setExitCode(await runLint(paths, { ...options, ...program.opts() }));
  });
  withExamples(withLintOptions(program.command('validate').description('lint the configured migrations folder')), [
    ['migrate-safe validate', 'lint migrations.folder of the configuration, else supabase/migrations, migrations, ...'],
    ['migrate-safe --dry-run validate', 'the same: checking never touches a database'],
    ['migrate-safe validate -f github', 'as workflow annotations in GitHub Actions'],
  ]).action(async (options: LintCommandOptions) => {
    const { runLint } = await import('./lint-command.js');
    setExitCode(await runLint([], { ...options, ...program.opts() }));
  });
  withExamples(
    withRunOptions(program.command('up').description('apply the pending migrations: lint, back up, then each in order, recorded in the history table')).option(
      '--resume',
      'go on with a migration that failed part-way, after the statements that ran (the file must still begin with them)',
    ),
    [
      ['migrate-safe up --dry-run', 'the plan: each statement, its transaction and the lock it takes; changes nothing'],
      ['migrate-safe up', 'lint, back up, apply every pending migration and record it'],
      ['migrate-safe up --resume', 'after fixing the statement a statement-by-statement file failed at: run it from there'],
      ['migrate-safe up --db-url "$STAGING_DB_URL" --skip-backup', 'another database, without the backup'],
    ],
  ).action(async (options: UpCommandOptions) => {
    const { runUpCommand } = await import('./up-command.js');
    setExitCode(await runUpCommand({ ...program.opts(), ...options }));
  });
  withExamples(
    withRunOptions(program.command('down').description('roll back the newest applied migration with its rollback file')).option(
      '-r, --rollback-to <version>',
      'roll back every applied migration newer than this version, newest first',
    ),
    [
      ['migrate-safe down', 'run the rollback file of the newest applied migration, after a backup'],
      ['migrate-safe down --rollback-to 20240101000000', 'roll back every applied migration newer than that version'],
    ],
  ).action(async (options: DownCommandOptions) => {
    const { runDownCommand } = await import('./down-command.js');
    setExitCode(await runDownCommand({ ...program.opts(), ...options }));
  });
  withExamples(
    withDatabaseOptions(program.command('status').description('every migration as applied, pending, changed, missing, out of order or failed part-way')).option(
      '--format <format>',
      'text or json',
      parseOutputFormat,
      'text',
    ),
    [
      ['migrate-safe status', 'where each migration stands; exit 1 when one needs attention'],
      ['migrate-safe status --format json', 'the same for scripts'],
    ],
  ).action(async (options: StatusCommandOptions) => {
    const { runStatusCommand } = await import('./status-command.js');
    setExitCode(await runStatusCommand(options));
  });
  withExamples(
    withDatabaseOptions(program.command('history').description('what ran, when, by whom, how long, and how it ended')).option(
      '--format <format>',
      'text or json',
      parseOutputFormat,
      'text',
    ),
    [['migrate-safe history', 'every run, backup and restore: when, by whom, how long, how it ended']],
  ).action(async (options: HistoryCommandOptions) => {
    const { runHistoryCommand } = await import('./history-command.js');
    setExitCode(await runHistoryCommand(options));
  });
  withExamples(withDatabaseOptions(program.command('backup').description('pg_dump --no-owner --no-acl into backups/backup_YYYYMMDD_HHMMSS.sql')), [
    ['migrate-safe backup', 'a backup now, into the configured backups folder'],
  ]).action(async (options: DatabaseOptions) => {
    const { runBackupCommand } = await import('./backup-command.js');
    setExitCode(await runBackupCommand(options));
  });
  withExamples(
    withDatabaseOptions(program.command('restore').description('restore a backup with psql (ON_ERROR_STOP, one transaction)').argument('<file>', 'the backup file')).option(
      '-y, --yes',
      'do not ask for confirmation',
    ),
    [
      ['migrate-safe restore backups/backup_20240101_120000.sql', 'asks first, then restores in one transaction'],
      ['migrate-safe restore backups/backup_20240101_120000.sql --yes', 'without asking (scripts)'],
    ],
  ).action(async (file: string, options: RestoreCommandOptions) => {
    const { runRestoreCommand } = await import('./restore-command.js');
    setExitCode(await runRestoreCommand(file, options));
  });
  withExamples(
    program
      .command('trace')
      .description('run migrations on a throwaway PostgreSQL and report the locks, rewrites and scans each statement really takes')
      .argument('[paths...]', 'migration files or folders to trace (the migrations before them are replayed first); default: the configured migrations folder')
      .addOption(
        new Option('-f, --format <format[=path]>', `report format: ${FORMAT_NAMES.join(', ')}; repeatable, =path writes that report to a file`)
          .argParser(collectFormat)
          .default([], 'text'),
      )
      .option('-o, --output-file <path>', 'write the report to a file instead of standard output')
      .option('-c, --config <path>', 'use this configuration file instead of looking one up')
      .option('--pg-version <major>', 'PostgreSQL major version of the throwaway server (default: the configured pgVersion)', parseInteger)
      .option('--db-url <url>', 'trace on this server instead, in a scratch database created and dropped for the run')
      .option('--yes', 'with --db-url: go ahead even though the named database has tables')
      .option('--rows <count>', 'rows to put into every table before the traced migrations', parseInteger, 100)
      .option('--color', 'force colored output')
      .option('--no-color', 'disable colored output'),
    [
      ['migrate-safe trace supabase/migrations', 'every migration on a throwaway server of the configured pgVersion'],
      ['migrate-safe trace migrations/0042_add_region.sql', 'replay the history before it, then trace it alone'],
      ['migrate-safe trace --db-url postgresql://localhost/postgres migrations', 'on your server, in a scratch database dropped after'],
    ],
  ).action(async (paths: string[], options: TraceCommandOptions) => {
    const { runTrace } = await import('./trace-command.js');
    setExitCode(await runTrace(paths, options));
  });
  withExamples(
    program
      .command('rules')
      .description('list every rule, or print the documentation of one')
      .argument('[id]', 'a rule id')
      .option('-c, --config <path>', 'include the rules of the plugins this configuration loads'),
    [
      ['migrate-safe rules', 'every rule with its level, preset and what it reports'],
      ['migrate-safe rules require-concurrent-index', "one rule's page: why, the SQL it reports, the safe SQL, its options"],
      ['migrate-safe rules -c .migrate-saferc.json', 'include the rules of the plugins a configuration loads'],
    ],
  ).action(async (id: string | undefined, options: { config?: string }) => {
    const { runRules } = await import('./rules-command.js');
    setExitCode(await runRules(id, options));
  });
  withExamples(
    program
      .command('lsp')
      .description('run the language server for editors (Language Server Protocol over standard input and output)')
      .option('--stdio', 'talk over standard input and output (the default; editors pass it)'),
    [['migrate-safe lsp --stdio', 'what an editor starts (recipes: docs/editors.md)']],
  ).action(async () => {
    // Loaded only here: linting never pays for the language server packages.
    const { runLanguageServer } = await import('../lsp/server.js');
    runLanguageServer();
  });
  withExamples(
    program
      .command('mcp')
      .description('run the Model Context Protocol server for coding agents (over standard input and output)')
      .argument('[folder]', 'the project folder, when the agent names no workspace (default: the working folder)')
      .option('-c, --config <path>', 'use this configuration file instead of looking one up'),
    [
      ['migrate-safe mcp', 'what an agent starts, in the project folder (setup for Claude Code, VS Code, Cursor and others: docs/mcp.md)'],
      ['migrate-safe mcp ~/code/app', 'for an agent that starts servers elsewhere (Claude Desktop)'],
    ],
  ).action(async (folder: string | undefined, options: { config?: string }) => {
    const { runMcp } = await import('./mcp-command.js');
    setExitCode(await runMcp(folder, options));
  });
  return program;
}

/**
 * A reader that stops early (`migrate-safe lint | head -1`) closes the pipe: the rest of the
 * output has nowhere to go, and that is no error to print a stack trace for.
 */
function exitQuietlyWhenTheReaderLeaves(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
    });
  }
}

/** The work of a worker thread that runs project code under a time limit (src/cli/code-worker.ts). */
export async function runWorker(data: WorkerData): Promise<void> {
  const { serveRequests } = await import('./code-worker.js');
  if (data.task.kind === 'lint-command') {
    const { lintCommandRequest } = await import('./lint-command.js');
    serveRequests(data, lintCommandRequest);
  } else {
    const { projectLintingRequests } = await import('../lsp/project-linting.js');
    serveRequests(data, projectLintingRequests());
  }
}

/** Runs the CLI: one line on standard error and exit code 2 for anything the user must fix, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  exitQuietlyWhenTheReaderLeaves();
  let exitCode = EXIT_OK;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) program.outputHelp();
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof UsageError) {
      process.stderr.write(`migrate-safe: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const detail = error instanceof Error ? ((process.env.MIGRATE_SAFE_DEBUG ? error.stack : undefined) ?? error.message) : `${typeof error === 'string' ? JSON.stringify(error) : String(error)} was thrown`;
    process.stderr.write(`migrate-safe: internal error: ${detail}\n(set MIGRATE_SAFE_DEBUG=1 for the stack trace, and please report it)\n`);
    return EXIT_USAGE;
  }
}
