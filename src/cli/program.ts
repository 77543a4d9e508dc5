import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../config/errors.js';
import type { Concurrency } from '../parse/pool.js';
import { FORMAT_NAMES } from '../report/index.js';
import { packageInfo } from '../version.js';
import type { DatabaseOptions } from './database-command.js';
import type { DownCommandOptions } from './down-command.js';
import type { HistoryCommandOptions } from './history-command.js';
import type { LintCommandOptions, OutputRequest } from './lint-command.js';
import type { RestoreCommandOptions } from './restore-command.js';
import type { StatusCommandOptions } from './status-command.js';
import type { UpCommandOptions } from './up-command.js';

/** Exit codes, as ESLint uses them: findings are 1, anything the user must fix in the invocation is 2. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

function collectRule(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([^=]+)=(off|warn|error)$/.exec(value);
  if (!match?.[1] || !match[2]) throw new InvalidArgumentError('expected <rule-id>=off|warn|error');
  return { ...previous, [match[1]]: match[2] };
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
    .option('--pg-version <major>', 'PostgreSQL major version the migrations run on (default 15)', parseInteger)
    .option('--rule <id=severity>', 'set a rule to off, warn or error (repeatable)', collectRule, {})
    .option('--max-warnings <count>', 'exit with 1 when there are more warnings than this', parseInteger)
    .option('--quiet', 'report errors only')
    .option('--color', 'force colored output')
    .option('--no-color', 'disable colored output')
    .option('--assume-in-transaction', 'treat each file as run in one transaction, whatever its layout says of its tool')
    .option('--no-assume-in-transaction', 'treat each statement as run on its own, outside any transaction the tool would open')
    .option('--report-unused-directives', 'report migrate-safe-ignore directives that silence nothing')
    .option('--stdin-filename <path>', 'the path to lint standard input as (with the path -)')
    .option('--concurrency <threads>', 'parser threads: a number, auto (from 200 files on) or off', parseConcurrency, 'auto')
    .option('--cache', 'keep parses, schema states and findings between runs, and reuse what did not change')
    .option('--no-cache', 'do not use the cache, even when the configuration turns it on')
    .option('--cache-location <folder>', 'where the cache is kept (default: node_modules/.cache/migrate-safe)');
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
  withLintOptions(
    program
      .command('lint')
      .description('lint migration files, folders or globs (- reads standard input)')
      .argument('[paths...]', 'files, folders or globs; default: the configured migrations folder'),
  )
    .option('--fix', 'apply the fixes that are safe unattended and write the files (with -: print the fixed SQL)')
    .action(async (paths: string[], options: LintCommandOptions) => {
    const { runLint } = await import('./lint-command.js');
    setExitCode(await runLint(paths, { ...options, ...program.opts() }));
  });
  withLintOptions(program.command('validate').description('lint the configured migrations folder')).action(
    async (options: LintCommandOptions) => {
      const { runLint } = await import('./lint-command.js');
      setExitCode(await runLint([], { ...options, ...program.opts() }));
    },
  );
  withRunOptions(program.command('up').description('apply the pending migrations: lint, back up, then each in order, recorded in the history table')).action(
    async (options: UpCommandOptions) => {
      const { runUpCommand } = await import('./up-command.js');
      setExitCode(await runUpCommand({ ...program.opts(), ...options }));
    },
  );
  withRunOptions(program.command('down').description('roll back the newest applied migration with its rollback file'))
    .option('-r, --rollback-to <version>', 'roll back every applied migration newer than this version, newest first')
    .action(async (options: DownCommandOptions) => {
      const { runDownCommand } = await import('./down-command.js');
      setExitCode(await runDownCommand({ ...program.opts(), ...options }));
    });
  withDatabaseOptions(program.command('status').description('every migration as applied, pending, changed, missing, out of order or failed part-way'))
    .option('--format <format>', 'text or json', parseOutputFormat, 'text')
    .action(async (options: StatusCommandOptions) => {
      const { runStatusCommand } = await import('./status-command.js');
      setExitCode(await runStatusCommand(options));
    });
  withDatabaseOptions(program.command('history').description('what ran, when, by whom, how long, and how it ended'))
    .option('--format <format>', 'text or json', parseOutputFormat, 'text')
    .action(async (options: HistoryCommandOptions) => {
      const { runHistoryCommand } = await import('./history-command.js');
      setExitCode(await runHistoryCommand(options));
    });
  withDatabaseOptions(program.command('backup').description('pg_dump --no-owner --no-acl into backups/backup_YYYYMMDD_HHMMSS.sql')).action(async (options: DatabaseOptions) => {
    const { runBackupCommand } = await import('./backup-command.js');
    setExitCode(await runBackupCommand(options));
  });
  withDatabaseOptions(program.command('restore').description('restore a backup with psql (ON_ERROR_STOP, one transaction)').argument('<file>', 'the backup file'))
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (file: string, options: RestoreCommandOptions) => {
      const { runRestoreCommand } = await import('./restore-command.js');
      setExitCode(await runRestoreCommand(file, options));
    });
  program
    .command('rules')
    .description('list every rule, or print the documentation of one')
    .argument('[id]', 'a rule id')
    .option('-c, --config <path>', 'include the rules of the plugins this configuration loads')
    .action(async (id: string | undefined, options: { config?: string }) => {
      const { runRules } = await import('./rules-command.js');
      setExitCode(await runRules(id, options));
    });
  program
    .command('lsp')
    .description('run the language server for editors (Language Server Protocol over standard input and output)')
    .option('--stdio', 'talk over standard input and output (the default; editors pass it)')
    .action(async () => {
      // Loaded only here: linting never pays for the language server packages.
      const { runLanguageServer } = await import('../lsp/server.js');
      runLanguageServer();
    });
  program
    .command('mcp')
    .description('run the Model Context Protocol server for coding agents (over standard input and output)')
    .argument('[folder]', 'the project folder, when the agent names no workspace (default: the working folder)')
    .option('-c, --config <path>', 'use this configuration file instead of looking one up')
    .addHelpText('after', '\nExample, in an agent\'s MCP settings:\n  { "command": "npx", "args": ["migrate-safe", "mcp"] }\nTools: lint_sql, lint_files, statement_locks, explain_rule, and migration_status when a database is configured (docs/mcp.md).')
    .action(async (folder: string | undefined, options: { config?: string }) => {
      const { runMcp } = await import('./mcp-command.js');
      setExitCode(await runMcp(folder, options));
    });
  return program;
}

/** Runs the CLI: one line on standard error and exit code 2 for anything the user must fix, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
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
    const detail = process.env.MIGRATE_SAFE_DEBUG ? ((error as Error).stack ?? String(error)) : (error as Error).message;
    process.stderr.write(`migrate-safe: internal error: ${detail}\n(set MIGRATE_SAFE_DEBUG=1 for the stack trace, and please report it)\n`);
    return EXIT_USAGE;
  }
}
