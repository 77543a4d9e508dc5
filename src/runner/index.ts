import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { relative } from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { UsageError } from '../config/errors.js';
import { type Client, type ServerInfo, connect } from '../db/connect.js';
import { type ResolvedUrl, displayUrl } from '../db/url.js';
import { type Migration, partText } from '../discover/index.js';
import { parseSource } from '../parse/parser.js';
import type { LintResult } from '../findings/finding.js';
import { countFindings } from '../findings/finding.js';
import { MigrationFailure, applyFile, durationMs, formatSeconds } from './apply.js';
import { backup, pruneBackups } from './backup.js';
import { type AppliedMigration, History, type RunRecord } from './history.js';
import { takeRunLock } from './lock.js';
import { MigrationLog, type Output } from './output.js';
import { type PlannedFile, type RunnerProject, checksumOf, planParts, ranChecksum } from './project.js';

export { BackupError, backup, pruneBackups, restore } from './backup.js';
export { MigrationFailure } from './apply.js';
export { History } from './history.js';
export { MigrationLog, consoleOutput, type Output } from './output.js';
export { type RunnerProject, loadRunnerProject } from './project.js';

/** A database session of a command: the migration's connection and a bookkeeping one. */
export interface Database {
  readonly url: ResolvedUrl;
  readonly client: Client;
  readonly server: ServerInfo;
  readonly history: History;
  close(): Promise<void>;
}

export async function openDatabase(url: ResolvedUrl, config: ResolvedConfig, layout: string): Promise<Database> {
  const { client, server } = await connect(url, { pgVersion: config.pgVersion });
  return {
    url,
    client,
    server,
    history: new History(config.database.historyTable, layout === 'supabase'),
    close: () => client.end().catch(() => undefined),
  };
}

export function describeDatabase(database: Database): string {
  const url = new URL(database.url.url);
  return `${database.server.user}@${url.hostname}:${url.port || '5432'}/${database.server.database} (PostgreSQL ${database.server.version.split(' ')[0] ?? ''})`;
}

/** Where a migration stands against the database. */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing' | 'out of order' | 'failed part-way';

export interface MigrationStatus {
  readonly version: string;
  readonly name: string;
  /** The migration file, relative to the working folder; undefined when it is missing on disk. */
  readonly file: string | undefined;
  readonly state: MigrationState;
  readonly appliedAt: Date | undefined;
  readonly appliedBy: string | undefined;
  readonly durationMs: number | undefined;
  /** What needs attention, in words. */
  readonly detail: string | undefined;
}

export const NEEDS_ATTENTION: ReadonlySet<MigrationState> = new Set(['changed', 'missing', 'out of order', 'failed part-way']);

/** Every migration, on disk or in the database, in version order, with its state. */
export function statusOf(project: RunnerProject, applied: readonly AppliedMigration[], runs: readonly RunRecord[], cwd: string): MigrationStatus[] {
  const local = new Map(project.project.migrations.map((migration) => [migration.version, migration]));
  const appliedByVersion = new Map(applied.map((row) => [row.version, row]));
  const newestApplied = applied.at(-1)?.version;
  const lastRun = new Map<string, RunRecord>();
  for (const run of runs) if (run.command === 'up') lastRun.set(run.version, run);
  const versions = [...new Set([...local.keys(), ...appliedByVersion.keys()])].sort((left, right) => left.localeCompare(right, 'en', { numeric: true }));
  return versions.map((version) => {
    const migration = local.get(version);
    const row = appliedByVersion.get(version);
    const base = {
      version,
      name: migration?.name ?? row?.name ?? version,
      file: migration ? relative(cwd, migration.up.path) : undefined,
      appliedAt: row?.appliedAt,
      appliedBy: row?.appliedBy,
      durationMs: row?.durationMs,
    };
    if (row && !migration) return { ...base, state: 'missing', detail: 'applied, but no file on disk has this version' };
    if (!migration) throw new Error('a version is either on disk or applied');
    if (row) {
      const changed = changedOnDisk(migration, row);
      return changed ? { ...base, state: 'changed', detail: changed } : { ...base, state: 'applied', detail: undefined };
    }
    const run = lastRun.get(version);
    if (run && (run.outcome === 'partial' || run.outcome === 'running')) {
      const when = run.startedAt.toISOString();
      const how = run.outcome === 'running' ? 'was interrupted' : `failed at statement ${run.statementsRun + 1}: ${run.error?.split('\n')[0] ?? ''}`;
      return { ...base, state: 'failed part-way', detail: `statements 1-${run.statementsRun} of ${run.statementsTotal} ran and are committed (${when}); it ${how}` };
    }
    if (newestApplied !== undefined && version.localeCompare(newestApplied, 'en', { numeric: true }) < 0) {
      return { ...base, state: 'out of order', detail: `older than ${newestApplied}, which is applied: it would run after newer migrations` };
    }
    const failed = run?.outcome === 'failed' ? `its last run failed (${run.startedAt.toISOString()}), nothing of it was kept: ${run.error?.split('\n')[0] ?? ''}` : undefined;
    return { ...base, state: 'pending', detail: failed };
  });
}

/**
 * Why an applied migration differs from its file; undefined when it does not. A migration the
 * Supabase CLI applied has no checksum: its recorded statements are compared with the file's,
 * comments and spacing aside (the parser must be loaded).
 */
function changedOnDisk(migration: Migration, row: AppliedMigration): string | undefined {
  if (row.checksum !== undefined) {
    return checksumOf(migration.up.path) === row.checksum ? undefined : 'applied, but the file has changed since (checksum): the database does not have the new version';
  }
  if (row.statements === undefined) return undefined;
  const onDisk = parseSource(partText(migration.up, readFileSync(migration.up.path, 'utf8'))).statements.map((statement) => comparable(statement.text));
  const recorded = row.statements.map(comparable).filter((statement) => statement !== '');
  const same = onDisk.length === recorded.length && onDisk.every((statement, index) => statement === recorded[index]);
  return same ? undefined : 'applied by the Supabase CLI, but the statements of the file differ from the ones it recorded: the database does not have the new version';
}

function comparable(statement: string): string {
  return statement
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/;\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface RunOptions {
  readonly project: RunnerProject;
  readonly database: Database;
  readonly out: Output;
  readonly cwd: string;
  readonly dryRun: boolean;
  readonly skipBackup: boolean;
  readonly force: boolean;
  readonly verbose: boolean;
  /** `up --resume`: a migration that failed part-way goes on after the statements that ran. */
  readonly resume: boolean;
  /** How long to wait for another run's lock, in milliseconds. */
  readonly waitMs: number;
  /** Lints the files about to run, with the linter's transaction model set to migrate-safe's own. */
  readonly lint: (paths: readonly string[]) => Promise<LintResult>;
  /** Prints a lint result. */
  readonly report: (result: LintResult) => void;
}

/** `up`: lint, back up, lock, apply each pending migration in order. Returns the exit code. */
export async function runUp(options: RunOptions): Promise<number> {
  const { project, database, out } = options;
  const log = new MigrationLog(project.config.migrationLog);
  if (!options.dryRun) await takeRunLock(database.client, database.history.table, options.waitMs, out);
  const runs = await database.history.runs(database.client);
  const statuses = statusOf(project, await database.history.applied(database.client), runs, options.cwd);
  const resumed = options.resume ? statuses.find((status) => status.state === 'failed part-way') : undefined;
  if (options.resume && !resumed) {
    out.err('nothing to resume: no migration failed part-way (see `migrate-safe status`)');
    return 1;
  }
  const blocking = statuses.filter((status) => NEEDS_ATTENTION.has(status.state) && status !== resumed);
  for (const status of blocking) out.err(`${status.state}: ${status.file ?? status.version}: ${status.detail ?? ''}`);
  if (blocking.length > 0 && !options.force) {
    out.err('stopped before changing anything: see `migrate-safe status`; --force applies the pending migrations anyway');
    return 1;
  }
  const pending = statuses.filter(
    (status) => status.state === 'pending' || status === resumed || (options.force && (status.state === 'out of order' || status.state === 'failed part-way')),
  );
  const migrations = pending.flatMap((status) => project.project.migrations.filter((migration) => migration.version === status.version));
  if (migrations.length === 0) {
    out.out(`nothing to apply: ${statuses.length} migrations, all applied (${describeDatabase(database)})`);
    return 0;
  }
  const lastRun = resumed && runs.findLast((candidate) => candidate.command === 'up' && candidate.version === resumed.version);
  return run(options, log, migrations.map((migration) => ({ migration, part: 'up' as const, resumeAfter: migration.version === resumed?.version ? lastRun || undefined : undefined })), 'up');
}

/**
 * Where `up --resume` goes on in a file that failed part-way: after the statements its last run
 * committed, provided the file still begins with exactly those statements (else it would skip
 * statements that never ran); undefined, after saying why, when it cannot.
 */
function resumePoint(file: PlannedFile, lastRun: RunRecord, out: Output): number | undefined {
  const ran = lastRun.statementsRun;
  if (lastRun.ranChecksum === undefined || ranChecksum(file.statements, ran) !== lastRun.ranChecksum) {
    out.err(`cannot resume ${file.migration.name}: its first ${ran} ${ran === 1 ? 'statement differs' : 'statements differ'} from the ones that ran; undo what ran by hand, then \`migrate-safe up --force\``);
    return undefined;
  }
  if (file.plan.units.some((unit) => unit.kind === 'block' && unit.start < ran && unit.end > ran)) {
    out.err(`cannot resume ${file.migration.name} at statement ${ran + 1}: it is inside one of the file's transactions; \`migrate-safe up --force\` runs the file again whole`);
    return undefined;
  }
  return ran;
}

/** `down`: roll back the newest applied migration, or every one newer than `rollbackTo`, newest first. */
export async function runDown(options: RunOptions & { readonly rollbackTo: string | undefined }): Promise<number> {
  const { project, database, out } = options;
  const log = new MigrationLog(project.config.migrationLog);
  if (!options.dryRun) await takeRunLock(database.client, database.history.table, options.waitMs, out);
  const applied = await database.history.applied(database.client);
  if (options.rollbackTo !== undefined && !applied.some((row) => row.version === options.rollbackTo) && !project.project.migrations.some((migration) => migration.version === options.rollbackTo)) {
    throw new UsageError(`--rollback-to ${options.rollbackTo}: no migration has this version`);
  }
  const targets =
    options.rollbackTo === undefined
      ? applied.slice(-1)
      : applied.filter((row) => row.version.localeCompare(options.rollbackTo ?? '', 'en', { numeric: true }) > 0).reverse();
  if (targets.length === 0) {
    out.out(options.rollbackTo === undefined ? 'nothing to roll back: no migration is applied' : `nothing to roll back: no applied migration is newer than ${options.rollbackTo}`);
    return 0;
  }
  const parts: { migration: Migration; part: 'down' }[] = [];
  for (const row of targets) {
    const migration = project.project.migrations.find((candidate) => candidate.version === row.version);
    if (!migration?.down) {
      const expected = migration?.expectedRollbackPath === undefined ? '' : ` (expected ${relative(options.cwd, migration.expectedRollbackPath)})`;
      out.err(`${row.name} has no rollback file${migration ? expected : ' (and no migration file)'}: nothing was rolled back`);
      return 1;
    }
    parts.push({ migration, part: 'down' });
  }
  return run(options, log, parts, 'down');
}

async function run(
  options: RunOptions,
  log: MigrationLog,
  parts: readonly { migration: Migration; part: 'up' | 'down'; resumeAfter?: RunRecord | undefined }[],
  command: 'up' | 'down',
): Promise<number> {
  const { project, database, out } = options;
  const config = project.config;
  const files = parts.map(({ migration, part }) => (part === 'up' ? migration.up.path : (migration.down?.path ?? '')));
  const lintResult = await options.lint(files);
  options.report(lintResult);
  const { errors } = countFindings(lintResult.findings.filter((finding) => !finding.suppression));
  const stopsHere = errors > 0 && !options.force;
  const stopped = `${errors} ${errors === 1 ? 'finding' : 'findings'} at error level; fix them, or --force to ${command === 'up' ? 'apply' : 'roll back'} anyway`;
  // A dry run shows the whole plan even where the real run would stop: that is what it is asked for.
  if (stopsHere && !options.dryRun) {
    out.err(`stopped before changing anything: ${stopped}`);
    return 1;
  }
  const planned = await planParts(project, parts);
  for (const [index, { resumeAfter }] of parts.entries()) {
    const file = planned[index];
    if (!resumeAfter || !file) continue;
    const startAt = resumePoint(file, resumeAfter, out);
    if (startAt === undefined) return 1;
    planned[index] = { ...file, startAt };
  }
  printPlan(options, planned, command);
  if (options.dryRun) {
    out.out('dry run: nothing was changed (no backup, no history row, no schema change)');
    if (stopsHere) out.err(`the real run would stop before changing anything: ${stopped}`);
    return stopsHere ? 1 : 0;
  }
  if (errors > 0) log.append({ time: new Date(), command, migration: '-', outcome: 'forced', durationMs: undefined, detail: `--force past ${errors} lint errors` });
  let backupFile: string | undefined;
  if (!options.skipBackup) {
    const started = performance.now();
    backupFile = await backup(database.url.url, config.backups.folder, database.server.major);
    log.append({ time: new Date(), command: 'backup', migration: '-', outcome: 'written', durationMs: performance.now() - started, detail: relative(options.cwd, backupFile) });
    out.err(`backup: ${relative(options.cwd, backupFile)} (${formatSeconds(performance.now() - started)})`);
    for (const pruned of pruneBackups(config.backups.folder, config.backups.keepDays)) out.err(`backup: removed ${relative(options.cwd, pruned)}, older than ${config.backups.keepDays} days`);
  }
  await database.history.ensure(database.client);
  // The run log and the lock watch use a second session: they must survive the migration's rollback.
  const { client: monitor } = await connect(database.url, { applicationName: 'migrate-safe (monitor)' });
  const context = {
    client: database.client,
    monitor,
    history: database.history,
    log,
    out,
    verbose: options.verbose,
    runBy: `${userInfo().username}@${hostname()} as ${database.server.user}`,
    lockRetries: config.database.lockRetries,
    lockRetryDelayMs: durationMs(config.database.lockRetryDelay),
    progressEveryMs: 10_000,
  };
  const started = performance.now();
  try {
    for (const [index, file] of planned.entries()) {
      const verb = command === 'up' ? 'applying' : 'rolling back';
      out.err(`[${index + 1}/${planned.length}] ${verb} ${relative(options.cwd, file.file.path)} (${file.statements.length} ${file.statements.length === 1 ? 'statement' : 'statements'}, ${unitWords(file)})`);
      try {
        const took = await applyFile(context, file, command);
        out.out(`✔ ${command === 'up' ? 'applied' : 'rolled back'} ${file.migration.name} in ${formatSeconds(took)}`);
      } catch (error) {
        if (!(error instanceof MigrationFailure)) throw error;
        out.err(`✖ ${error.message}`);
        for (const line of nextSteps(options, error, file, planned.slice(0, index), backupFile, command)) out.err(line);
        return 1;
      }
    }
  } finally {
    await monitor.end().catch(() => undefined);
  }
  out.out(`${planned.length} ${planned.length === 1 ? 'migration' : 'migrations'} ${command === 'up' ? 'applied' : 'rolled back'} in ${formatSeconds(performance.now() - started)} (${describeDatabase(database)})`);
  return 0;
}

function unitWords(file: PlannedFile): string {
  const [unit] = file.plan.units;
  if (file.plan.units.length === 1 && unit?.kind === 'block') return 'one transaction';
  return 'statement by statement: it cannot run in one transaction';
}

function nextSteps(options: RunOptions, failure: MigrationFailure, file: PlannedFile, done: readonly PlannedFile[], backupFile: string | undefined, command: 'up' | 'down'): string[] {
  const lines: string[] = [];
  if (failure.committedPartWay) {
    const ran = file.statements.slice(0, failure.statementsRun).map((statement) => statement.line);
    lines.push(`  statements 1-${failure.statementsRun} (lines ${ran.join(', ')}) ran and are committed; the rest did not run; it is not recorded as ${command === 'up' ? 'applied' : 'rolled back'}`);
    lines.push(
      `  \`migrate-safe status\` shows it as failed part-way: fix the failed statement in the file, then \`migrate-safe up --resume\` runs the file from statement ${failure.statementsRun + 1} (the ${failure.statementsRun} that ran are skipped while the file still begins with them)`,
    );
  } else {
    lines.push(`  nothing of ${file.migration.name} was ${command === 'up' ? 'applied' : 'rolled back'}: its transaction was rolled back`);
  }
  if (done.length > 0) lines.push(`  ${done.map((earlier) => earlier.migration.name).join(', ')} ${done.length === 1 ? 'was' : 'were'} ${command === 'up' ? 'applied' : 'rolled back'} before it and stay${done.length === 1 ? 's' : ''} so`);
  lines.push(`  next: fix it and run \`migrate-safe ${command}\` again${command === 'up' && done.length > 0 ? ', or `migrate-safe down` to roll back what this run applied' : ''}`);
  if (backupFile) lines.push(`  or restore the backup taken before this run: migrate-safe restore ${relative(options.cwd, backupFile)}`);
  return lines;
}

function printPlan(options: RunOptions, planned: readonly PlannedFile[], command: 'up' | 'down'): void {
  const { out, database } = options;
  out.out(`${command === 'up' ? 'to apply' : 'to roll back'}: ${planned.length} ${planned.length === 1 ? 'migration' : 'migrations'}, ${describeDatabase(database)}`);
  const [first] = planned;
  if (first) out.out(`transactions: ${first.plan.policy.reason}`);
  const tables = database.history.supabase ? `supabase_migrations.schema_migrations and ${database.history.table}` : database.history.table;
  for (const file of planned) {
    out.out(`  ${relative(options.cwd, file.file.path)}: ${unitWords(file)}`);
    if (file.startAt > 0) out.out(`    resumes at statement ${file.startAt + 1} of ${file.statements.length}: statements 1-${file.startAt} ran in an earlier run and are skipped`);
    const blocks = file.plan.units;
    for (const unit of blocks) {
      if (unit.kind === 'block' && (blocks.length > 1 || unit.end - unit.start === 0)) out.out('    BEGIN');
      for (let index = Math.max(unit.start, file.startAt); index < unit.end; index++) {
        const statement = file.statements[index];
        if (!statement) continue;
        const locks = statement.locks.length > 0 ? statement.locks.join(', ') : 'no table lock';
        out.out(`    line ${statement.line}: ${firstLine(statement.text)}  [${locks}]`);
      }
    }
    out.out(`    ${command === 'up' ? 'records it in' : 'removes it from'} ${tables}${file.plan.units.length === 1 && file.plan.units[0]?.kind === 'block' ? ', in the same transaction' : ', after the last statement'}`);
  }
}

function firstLine(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > 90 ? `${line.slice(0, 87)}...` : line;
}

export { displayUrl };
