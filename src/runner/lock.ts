import { createHash } from 'node:crypto';
import { UsageError } from '../config/errors.js';
import type { Client } from '../db/connect.js';
import type { Output } from './output.js';

/**
 * The advisory lock that keeps two runs against one database from interleaving: one key per
 * history table, held by the migration's session until it ends (a run that dies releases it).
 */
function lockKey(historyTable: string): bigint {
  return createHash('sha256').update(`migrate-safe:${historyTable}`).digest().readBigInt64BE(0);
}

interface Holder {
  readonly pid: number;
  readonly application: string;
  readonly user: string;
  readonly host: string;
  readonly seconds: number;
}

/** Takes the lock, waiting up to `waitMs` and saying for whom; exit 2 (UsageError) when it stays taken. */
export async function takeRunLock(client: Client, historyTable: string, waitMs: number, out: Output): Promise<void> {
  const key = lockKey(historyTable).toString();
  const deadline = performance.now() + waitMs;
  let announced = false;
  for (;;) {
    const taken = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS taken', [key]);
    if (taken.rows[0]?.taken === true) return;
    const holder = await holderOf(client, key);
    const who = holder ? `pid ${holder.pid}, ${holder.application || 'no application name'}, user ${holder.user}${holder.host ? ` from ${holder.host}` : ''}, running for ${holder.seconds} s` : 'a session that just ended';
    if (performance.now() >= deadline) {
      throw new UsageError(`another migrate-safe run against this database holds its lock (${who}); waited ${Math.round(waitMs / 1000)} s (--wait)`);
    }
    if (!announced) {
      out.err(`waiting for another migrate-safe run against this database to finish (${who}), up to ${Math.round(waitMs / 1000)} s (--wait)`);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - performance.now()))));
  }
}

async function holderOf(client: Client, key: string): Promise<Holder | undefined> {
  const result = await client.query<{ pid: number; application: string; user: string; host: string | null; seconds: string }>(
    `SELECT a.pid, coalesce(a.application_name, '') AS application, coalesce(a.usename::text, '') AS user, host(a.client_addr) AS host,
       extract(epoch FROM now() - a.backend_start)::int AS seconds
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [key],
  );
  const row = result.rows[0];
  return row ? { pid: row.pid, application: row.application, user: row.user, host: row.host ?? '', seconds: Number(row.seconds) } : undefined;
}
