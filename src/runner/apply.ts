import { parseDuration } from '../analyze/session.js';
import type { ExecutionUnit } from '../analyze/transaction-model.js';
import type { Client } from '../db/connect.js';
import { redact } from '../db/redact.js';
import type { History } from './history.js';
import type { MigrationLog, Output } from './output.js';
import { type PlannedFile, ranChecksum } from './project.js';

/** What applying a file needs: two connections (the migration's, and one for the run log and for watching locks). */
export interface ApplyContext {
  readonly client: Client;
  /** Autocommit bookkeeping: the run log survives the migration's rollback, and blockers are read while it waits. */
  readonly monitor: Client;
  readonly history: History;
  readonly log: MigrationLog;
  readonly out: Output;
  readonly verbose: boolean;
  readonly runBy: string;
  readonly lockRetries: number;
  readonly lockRetryDelayMs: number;
  /** Longest quiet time before a progress line about a running statement. */
  readonly progressEveryMs: number;
}

/** A session that holds the lock a statement waited for. */
export interface Blocker {
  readonly pid: number;
  readonly application: string;
  readonly user: string;
  readonly state: string;
  readonly seconds: number;
  readonly query: string;
}

/** A migration that failed: what ran, what did not, and why; the message is for people. */
export class MigrationFailure extends Error {
  override readonly name = 'MigrationFailure';
  readonly code: string | undefined;
  readonly statementsRun: number;
  readonly committedPartWay: boolean;

  constructor(message: string, code: string | undefined, statementsRun: number, committedPartWay: boolean) {
    super(message);
    this.code = code;
    this.statementsRun = statementsRun;
    this.committedPartWay = committedPartWay;
  }
}

const LOCK_TIMEOUT = '55P03';

/**
 * Runs one planned file as its plan says, unit by unit: a `block` between BEGIN and COMMIT with
 * lock_timeout and statement_timeout set LOCAL and, in the last block, the history row; `each`
 * statements one by one with the timeouts set for the session, each committed statement counted in
 * the run log. A lock timeout is retried (the whole block, or the statement) after waiting, doubled
 * each time; then, or on any other error, what ran is rolled back where it can be and the failure
 * says exactly what is left.
 */
export async function applyFile(context: ApplyContext, planned: PlannedFile, command: 'up' | 'down'): Promise<number> {
  const { client, monitor, history } = context;
  const started = performance.now();
  const label = planned.file.part === 'down' ? `${planned.migration.name} (rollback)` : planned.migration.name;
  const runId = await history.startRun(monitor, {
    command,
    version: planned.migration.version,
    name: planned.migration.name,
    runBy: context.runBy,
    statementsTotal: planned.statements.length,
    statementsRun: planned.startAt,
    ranChecksum: ranChecksum(planned.statements, planned.startAt),
  });
  let statementsRun = planned.startAt;
  // A failed CONCURRENTLY build leaves an INVALID index behind: the failure names the new ones.
  const invalidBefore = planned.plan.units.some((unit) => unit.kind === 'each') ? await invalidIndexes(monitor) : undefined;
  const units = planned.plan.units.length > 0 ? planned.plan.units : [{ kind: 'block', start: 0, end: 0 } as const];
  const record = async (): Promise<void> => {
    if (command === 'up') {
      await history.recordApplied(client, {
        version: planned.migration.version,
        name: planned.migration.name,
        checksum: planned.checksum,
        statements: planned.statements.map((statement) => statement.text),
        appliedBy: context.runBy,
        durationMs: performance.now() - started,
      });
    } else {
      await history.recordRolledBack(client, planned.migration.version);
    }
  };
  try {
    // Settings a file left for the session must not leak into the next one (the Supabase CLI does the same).
    await client.query('RESET ALL');
    for (const [index, unit] of units.entries()) {
      const last = index === units.length - 1;
      if (unit.end <= planned.startAt && !last) continue;
      if (unit.kind === 'each') {
        statementsRun = await runEach(context, planned, { ...unit, start: Math.max(unit.start, planned.startAt) }, statementsRun, runId);
        if (last) await inBlock(client, record);
      } else {
        await runBlock(context, planned, unit, last ? record : undefined);
        statementsRun = unit.end;
      }
    }
  } catch (error) {
    const failure = withInvalidIndexes(
      error instanceof MigrationFailure ? error : new MigrationFailure(redact((error as Error).message), (error as { code?: string }).code, statementsRun, statementsRun > 0),
      invalidBefore === undefined ? [] : (await invalidIndexes(monitor).catch(() => [])).filter((name) => !invalidBefore.includes(name)),
    );
    const outcome = failure.statementsRun > 0 && failure.committedPartWay ? 'partial' : 'failed';
    await history.finishRun(monitor, runId, { outcome, durationMs: performance.now() - started, statementsRun: failure.statementsRun, error: failure.message }).catch(() => undefined);
    context.log.append({ time: new Date(), command, migration: label, outcome, durationMs: performance.now() - started, detail: failure.message.split('\n')[0] });
    throw failure;
  }
  const duration = performance.now() - started;
  const outcome = command === 'up' ? 'applied' : 'rolled back';
  await history.finishRun(monitor, runId, { outcome, durationMs: duration, statementsRun: planned.statements.length });
  context.log.append({ time: new Date(), command, migration: label, outcome, durationMs: duration });
  return duration;
}

/** A unit in one transaction, tried again from BEGIN after a lock timeout. */
async function runBlock(context: ApplyContext, planned: PlannedFile, unit: ExecutionUnit, record: (() => Promise<void>) | undefined): Promise<void> {
  const { client } = context;
  const settings = planned.plan.policy.settings;
  for (let attempt = 0; ; attempt++) {
    try {
      await inBlock(client, async () => {
        if (settings) {
          await client.query(`SET LOCAL lock_timeout = ${literal(settings.lockTimeout)}`);
          await client.query(`SET LOCAL statement_timeout = ${literal(settings.statementTimeout)}`);
        }
        for (let index = unit.start; index < unit.end; index++) await runStatement(context, planned, index);
        await record?.();
      });
      return;
    } catch (error) {
      if (await retryAfterLockTimeout(context, error, attempt)) continue;
      throw failureOf(context, planned, error, unit.start, false);
    }
  }
}

/** Statements one by one; a lock timeout retries the statement (or the file's own transaction it was in). */
async function runEach(context: ApplyContext, planned: PlannedFile, unit: ExecutionUnit, alreadyRun: number, runId: number): Promise<number> {
  const { client } = context;
  const settings = planned.plan.policy.settings;
  if (settings) {
    await client.query(`SET lock_timeout = ${literal(settings.lockTimeout)}`);
    await client.query(`SET statement_timeout = ${literal(settings.statementTimeout)}`);
  }
  let committed = alreadyRun;
  /** Where the file's own open transaction began: a retry starts there. */
  let ownBlockStart: number | undefined;
  let attempt = 0;
  for (let index = unit.start; index < unit.end; index++) {
    const text = planned.statements[index]?.text ?? '';
    try {
      if (/^\s*(begin|start\s+transaction)\b/i.test(text)) ownBlockStart = index;
      await runStatement(context, planned, index);
      if (/^\s*(commit|end|rollback|abort)\b(?!\s+to\b)/i.test(text)) ownBlockStart = undefined;
      if (ownBlockStart === undefined) {
        committed = index + 1;
        await context.history.progress(context.monitor, runId, committed, ranChecksum(planned.statements, committed)).catch(() => undefined);
      }
    } catch (error) {
      if (ownBlockStart !== undefined) await client.query('ROLLBACK').catch(() => undefined);
      if (await retryAfterLockTimeout(context, error, attempt++)) {
        index = (ownBlockStart ?? index) - 1;
        ownBlockStart = undefined;
        continue;
      }
      throw failureOf(context, planned, error, committed, true);
    }
  }
  return committed;
}

async function runStatement(context: ApplyContext, planned: PlannedFile, index: number): Promise<void> {
  const statement = planned.statements[index];
  if (!statement) return;
  const started = performance.now();
  const watch = watchStatement(context, planned, index);
  try {
    await context.client.query(statement.text);
  } catch (error) {
    (error as { statementIndex?: number }).statementIndex = index;
    (error as { blockers?: Blocker[] }).blockers = watch.blockers;
    throw error;
  } finally {
    watch.stop();
  }
  if (context.verbose) {
    context.out.err(`  ${planned.migration.name}:${statement.line}  ${firstLine(statement.text)}  ${Math.round(performance.now() - started)} ms`);
  }
}

/**
 * While a statement runs: who blocks it (read on the monitor connection, the last ones seen are kept
 * for a lock timeout's message: once the timeout fires they are gone), and a progress line when it
 * runs long.
 */
function watchStatement(context: ApplyContext, planned: PlannedFile, index: number): { blockers: Blocker[]; stop(): void } {
  const watch: { blockers: Blocker[]; stop: () => void } = { blockers: [], stop: () => undefined };
  const pid = (context.client as unknown as { processID?: number }).processID;
  if (pid === undefined) return watch;
  const started = performance.now();
  let lastProgress = started;
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    blockersOf(context.monitor, pid)
      .then((found) => {
        if (found.length > 0) watch.blockers = found;
        const now = performance.now();
        if (now - lastProgress >= context.progressEveryMs) {
          lastProgress = now;
          const statement = planned.statements[index];
          const waiting = found.length > 0 ? `, waiting for a lock held by pid ${found.map((blocker) => blocker.pid).join(', ')}` : '';
          context.out.err(`  … ${planned.migration.name}:${statement?.line ?? '?'} running for ${Math.round((now - started) / 1000)} s${waiting}`);
        }
      })
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, 200);
  watch.stop = () => {
    clearInterval(timer);
  };
  return watch;
}

export async function blockersOf(monitor: Client, pid: number): Promise<Blocker[]> {
  const result = await monitor.query<{ pid: number; application: string; user: string; state: string; seconds: string; query: string }>(
    `SELECT a.pid, coalesce(a.application_name, '') AS application, coalesce(a.usename::text, '') AS user, coalesce(a.state, '') AS state,
       extract(epoch FROM now() - coalesce(a.xact_start, a.query_start, a.backend_start))::int AS seconds, left(coalesce(a.query, ''), 200) AS query
     FROM unnest(pg_blocking_pids($1)) AS blocking(pid) JOIN pg_stat_activity a ON a.pid = blocking.pid`,
    [pid],
  );
  return result.rows.map((row) => ({ ...row, seconds: Number(row.seconds) }));
}

export function describeBlockers(blockers: readonly Blocker[]): string[] {
  return blockers.map(
    (blocker) =>
      `    pid ${blocker.pid}  ${blocker.application === '' ? 'no application name' : `application ${blocker.application}`}  user ${blocker.user}  ${blocker.state} for ${blocker.seconds} s  query: ${firstLine(blocker.query)}`,
  );
}

/** After a lock timeout with tries left: who blocked, then a wait (doubled each time). */
async function retryAfterLockTimeout(context: ApplyContext, error: unknown, attempt: number): Promise<boolean> {
  if ((error as { code?: string }).code !== LOCK_TIMEOUT) return false;
  const blockers = (error as { blockers?: Blocker[] }).blockers ?? [];
  context.out.err(`  lock timeout: ${redact((error as Error).message)}${blockers.length > 0 ? '; blocked by:' : ''}`);
  for (const line of describeBlockers(blockers)) context.out.err(line);
  if (attempt >= context.lockRetries) return false;
  const delay = context.lockRetryDelayMs * 2 ** attempt;
  context.out.err(`  trying again in ${formatSeconds(delay)} (retry ${attempt + 1} of ${context.lockRetries})`);
  await new Promise((resolve) => setTimeout(resolve, delay));
  return true;
}

function failureOf(context: ApplyContext, planned: PlannedFile, error: unknown, committed: number, partWay: boolean): MigrationFailure {
  const { code, message } = error as { code?: string; message?: string };
  const index = (error as { statementIndex?: number }).statementIndex;
  const statement = index === undefined ? undefined : planned.statements[index];
  const where = statement ? `line ${statement.line} (statement ${(index ?? 0) + 1} of ${planned.statements.length})` : 'its history row';
  const reason = `${code === undefined ? '' : `${code} `}${redact(message ?? String(error))}`;
  const lines = [`${planned.file.path}: failed at ${where}: ${reason}`];
  if (code === LOCK_TIMEOUT) {
    const blockers = (error as { blockers?: Blocker[] }).blockers ?? [];
    lines.push(`  the lock was still held after ${context.lockRetries} ${context.lockRetries === 1 ? 'retry' : 'retries'}${blockers.length > 0 ? ' by:' : ''}`);
    lines.push(...describeBlockers(blockers));
    if (blockers.length > 0) lines.push(`  end them if they are stuck: SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (${blockers.map((blocker) => blocker.pid).join(', ')});`);
  }
  if (/terminat|connection/i.test(message ?? '') && code?.startsWith('57P') !== false) lines.push('  the connection to the server was lost while the migration ran');
  return new MigrationFailure(lines.join('\n'), code, partWay ? committed : 0, partWay && committed > 0);
}

/** The INVALID indexes of the database, schema-qualified and quoted as SQL needs them. */
async function invalidIndexes(client: Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    'SELECT format(\'%I.%I\', n.nspname, c.relname) AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid ORDER BY 1',
  );
  return result.rows.map((row) => row.name);
}

function withInvalidIndexes(failure: MigrationFailure, left: readonly string[]): MigrationFailure {
  if (left.length === 0) return failure;
  const lines = left.map((name) => `  it left the INVALID index ${name} (a build that failed part-way): DROP INDEX CONCURRENTLY IF EXISTS ${name};`);
  return new MigrationFailure([failure.message, ...lines].join('\n'), failure.code, failure.statementsRun, failure.committedPartWay);
}

async function inBlock(client: Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function durationMs(text: string): number {
  return parseDuration(text) ?? 0;
}

export function formatSeconds(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(milliseconds < 10_000 ? 1 : 0)} s`;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
