import { UsageError } from '../config/errors.js';
import { redact, rememberSecret } from './redact.js';

/** The environment variables that name the database, in the order they are read. */
export const DATABASE_URL_VARIABLES = ['MIGRATE_SAFE_DB_URL', 'SUPABASE_DB_URL', 'DATABASE_URL'] as const;

/** Where the database URL came from, for messages ("from SUPABASE_DB_URL"). */
export interface ResolvedUrl {
  readonly url: string;
  readonly source: string;
}

export interface UrlSources {
  /** `--db-url`. */
  readonly flag?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** The configuration's `database.url`: a URL, or `${NAME}` placeholders for environment variables. */
  readonly configured?: string | undefined;
}

/**
 * The database to connect to: `--db-url`, else the first of MIGRATE_SAFE_DB_URL, SUPABASE_DB_URL and
 * DATABASE_URL that is set, else the configuration's `database.url` with its `${NAME}` placeholders
 * filled from the environment. Every password it finds is remembered for redaction.
 */
export function resolveDatabaseUrl(sources: UrlSources): ResolvedUrl {
  const resolved = pick(sources);
  checkUrl(resolved);
  rememberSecret(passwordOf(resolved.url));
  // node-postgres, pg_dump and psql read PGPASSWORD when the URL has no password.
  rememberSecret(sources.env.PGPASSWORD);
  return resolved;
}

function pick({ flag, env, configured }: UrlSources): ResolvedUrl {
  if (flag !== undefined && flag !== '') return { url: flag, source: '--db-url' };
  for (const name of DATABASE_URL_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') return { url: value, source: name };
  }
  if (configured !== undefined && configured !== '') {
    const url = configured.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|^\$([A-Za-z_][A-Za-z0-9_]*)$/g, (_match, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const value = env[name];
      if (value === undefined || value === '') throw new UsageError(`the configuration's database.url uses \${${name}}, which is not set`);
      return value;
    });
    return { url, source: "the configuration's database.url" };
  }
  throw new UsageError(`no database to connect to: pass --db-url, set ${DATABASE_URL_VARIABLES.join(', ')}, or "database": { "url": ... } in the configuration`);
}

function checkUrl({ url, source }: ResolvedUrl): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the database URL from ${source} is not a URL (expected postgresql://user:password@host:port/database)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`the database URL from ${source} starts with ${redact(parsed.protocol)}// (expected postgresql://user:password@host:port/database)`);
  }
}

/** The URL's password, decoded; undefined when it has none. */
export function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** The URL as it may be shown: without its password. */
export function displayUrl(url: string): string {
  return redact(url);
}
