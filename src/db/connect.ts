import pg from 'pg';
import { parse as parseConnectionString, toClientConfig } from 'pg-connection-string';
import { UsageError } from '../config/errors.js';
import { redact } from './redact.js';
import type { ResolvedUrl } from './url.js';

export type Client = pg.Client;

/** What the server says about itself once connected. */
export interface ServerInfo {
  readonly major: number;
  /** `server_version`, such as "15.18 (Debian 15.18-0+deb12u1)". */
  readonly version: string;
  readonly database: string;
  readonly user: string;
}

export interface ConnectOptions {
  /** The PostgreSQL major version the migrations are checked for: an older server is refused. */
  readonly pgVersion?: number | undefined;
  /** Shown in pg_stat_activity, so blocked sessions and waiting runs can name migrate-safe. */
  readonly applicationName?: string;
}

/** sslmode values that let libpq fall back to a connection without TLS when the server has none. */
const FALLBACK_MODES = new Set(['prefer', 'allow']);

/**
 * Connects with node-postgres. TLS follows the URL's `sslmode` as libpq reads it (libpq's default,
 * `prefer`, when the URL says nothing: TLS when the server offers it, without verifying the
 * certificate); `verify-ca` and `verify-full` check the certificate against `sslrootcert`. A
 * connection that fails is one line (UsageError, exit 2) that names the host and the reason, never
 * the password; a server older than `pgVersion` is refused the same way.
 */
export async function connect(resolved: ResolvedUrl, options: ConnectOptions = {}): Promise<{ client: Client; server: ServerInfo }> {
  const url = new URL(resolved.url);
  const sslmode = url.searchParams.get('sslmode') ?? 'prefer';
  url.searchParams.set('sslmode', sslmode);
  // node-postgres refuses the option twice; libpq semantics are what migrate-safe asks for anyway.
  url.searchParams.delete('uselibpqcompat');
  let config: pg.ClientConfig;
  try {
    config = toClientConfig(parseConnectionString(url.href, { useLibpqCompat: true }));
  } catch (error) {
    throw new UsageError(`the database URL from ${resolved.source}: ${redact((error as Error).message)}`);
  }
  const base: pg.ClientConfig = {
    ...config,
    application_name: options.applicationName ?? 'migrate-safe',
    connectionTimeoutMillis: 15_000,
  };
  const where = `${config.host ?? 'localhost'}:${config.port ?? 5432}`;
  let client: pg.Client;
  try {
    client = await open(base);
  } catch (error) {
    if (FALLBACK_MODES.has(sslmode) && /does not support SSL/i.test((error as Error).message)) {
      try {
        client = await open({ ...base, ssl: false });
      } catch (plainError) {
        throw connectionError(plainError, where, resolved.source);
      }
    } else {
      throw connectionError(error, where, resolved.source);
    }
  }
  const server = await serverInfo(client);
  if (options.pgVersion !== undefined && server.major < options.pgVersion) {
    await client.end();
    throw new UsageError(
      `the server at ${where} runs PostgreSQL ${server.major}, older than the PostgreSQL ${options.pgVersion} the migrations are checked for (pgVersion): set pgVersion to ${server.major}, or use a newer server`,
    );
  }
  return { client, server };
}

async function open(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  // A connection lost later (the server restarted, pg_terminate_backend) surfaces as the failing query's error.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

async function serverInfo(client: pg.Client): Promise<ServerInfo> {
  const result = await client.query<{ num: string; version: string; database: string; user: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version, current_database() AS database, current_user AS user",
  );
  const row = result.rows[0];
  if (!row) throw new Error('the server answered no row to SELECT current_setting(...)');
  return { major: Math.floor(Number(row.num) / 10_000), version: row.version, database: row.database, user: row.user };
}

/** One line for a connection that failed: where, why, and what to check. */
function connectionError(error: unknown, where: string, source: string): UsageError {
  const { code, message } = error as { code?: string; message?: string };
  const reason = redact(message ?? String(error));
  const from = `(URL from ${source})`;
  switch (code) {
    case 'ECONNREFUSED':
      return new UsageError(`cannot connect to ${where} ${from}: connection refused; is PostgreSQL running and listening there?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UsageError(`cannot connect to ${where} ${from}: unknown host`);
    case '28P01':
      return new UsageError(`cannot connect to ${where} ${from}: ${reason}; check the user and password in the URL`);
    case '3D000':
      return new UsageError(`cannot connect to ${where} ${from}: ${reason}`);
    default:
      if (/timeout/i.test(reason)) return new UsageError(`cannot connect to ${where} ${from}: no answer within 15 s`);
      return new UsageError(`cannot connect to ${where} ${from}: ${reason}`);
  }
}
