import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../config/errors.js';
import { redact } from '../db/redact.js';
import { passwordOf } from '../db/url.js';

/**
 * Backups as the guide makes them: `pg_dump --no-owner --no-acl` into
 * `<folder>/backup_YYYYMMDD_HHMMSS.sql`, and restores with `psql` (ON_ERROR_STOP, one transaction).
 * The password goes to the tools in PGPASSWORD, never on their command line.
 */

const BACKUP_NAME = /^backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:_\d+)?\.sql$/;

/** The URL without its password, and the environment that carries it, for pg_dump and psql. */
function toolConnection(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = passwordOf(url);
  parsed.password = '';
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password !== undefined) env.PGPASSWORD = password;
  return { url: parsed.href, env };
}

/** The major version of a PostgreSQL client program on PATH; a UsageError naming the fix when it is missing. */
export function clientMajor(program: 'pg_dump' | 'psql'): number {
  const result = spawnSync(program, ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(result.stdout);
  if (result.error || !match?.[1]) {
    throw new UsageError(`${program} is not installed (or not on PATH): install the PostgreSQL client programs (apt-get install postgresql-client, brew install libpq), or pass --skip-backup`);
  }
  return Number(match[1]);
}

function timestamp(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** Dumps the database into a new backup file and returns its path; pg_dump older than the server is refused first. */
export async function backup(url: string, folder: string, serverMajor: number, now = new Date()): Promise<string> {
  const major = clientMajor('pg_dump');
  if (major < serverMajor) {
    throw new UsageError(
      `pg_dump ${major} cannot dump a PostgreSQL ${serverMajor} server (pg_dump must be the server's version or newer): install postgresql-client-${serverMajor} and put its pg_dump first on PATH, or pass --skip-backup`,
    );
  }
  mkdirSync(folder, { recursive: true });
  const base = `backup_${timestamp(now)}`;
  let path = join(folder, `${base}.sql`);
  for (let suffix = 2; existsSync(path); suffix++) path = join(folder, `${base}_${suffix}.sql`);
  const connection = toolConnection(url);
  await run('pg_dump', ['--no-owner', '--no-acl', '--file', path, '--dbname', connection.url], connection.env, () => {
    rmSync(path, { force: true });
  });
  return path;
}

/** Restores a backup with psql: stops at the first error, in one transaction, so a failed restore changes nothing. */
export async function restore(url: string, file: string): Promise<void> {
  if (!existsSync(file)) throw new UsageError(`no backup file ${file}`);
  clientMajor('psql');
  const connection = toolConnection(url);
  await run('psql', ['--no-psqlrc', '--quiet', '--set', 'ON_ERROR_STOP=1', '--single-transaction', '--file', file, '--dbname', connection.url], connection.env);
}

/** Deletes backups older than `keepDays` (by the time in their name), never the newest; returns the deleted paths. */
export function pruneBackups(folder: string, keepDays: number, now = new Date()): string[] {
  if (!existsSync(folder)) return [];
  const backups = readdirSync(folder)
    .flatMap((name) => {
      const match = BACKUP_NAME.exec(name);
      if (!match) return [];
      const [, year, month, day, hours, minutes, seconds] = match.map(Number);
      return [{ path: join(folder, name), time: new Date(year ?? 0, (month ?? 1) - 1, day, hours, minutes, seconds).getTime() }];
    })
    .sort((left, right) => right.time - left.time);
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const old = backups.slice(1).filter((found) => found.time < cutoff);
  for (const found of old) rmSync(found.path, { force: true });
  return old.map((found) => found.path);
}

/** Runs a client program; its error output, redacted, is the message of a failure (exit 1 for the command). */
function run(program: string, args: readonly string[], env: NodeJS.ProcessEnv, onFailure?: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      onFailure?.();
      reject(new UsageError(`${program} could not run: ${redact(error.message)}`));
    });
    child.on('close', (code) => {
      if (code === 0) {
        resolve();
        return;
      }
      onFailure?.();
      reject(new BackupError(`${program} failed (exit ${code ?? 'signal'}): ${redact(stderr.trim().split('\n').slice(0, 5).join(' / ')) || 'no message'}`));
    });
  });
}

/** A pg_dump or psql run that failed: exit 1, the tool's own words. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}
