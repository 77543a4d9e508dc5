import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors.js';
import { CONFIG_SCHEMA, firstIssue } from './schema.js';

/** What a Supabase project's `supabase/config.toml` says about the database the migrations run on. */
export interface SupabaseSettings {
  readonly majorVersion: number | undefined;
  /** Schemas the API exposes (`[api] schemas`). */
  readonly exposedSchemas: readonly string[];
}

/** Finds `supabase/config.toml` at or above a migrations folder, up to a few levels. */
export function findSupabaseConfig(folder: string): string | undefined {
  let current = folder;
  for (let level = 0; level < 4; level++) {
    const candidates = basename(current) === 'supabase' ? [join(current, 'config.toml')] : [join(current, 'supabase', 'config.toml')];
    const found = candidates.find((candidate) => existsSync(candidate));
    if (found) return found;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
  return undefined;
}

/** `shownPath`: the file as messages name it. A file that is not TOML, or names no PostgreSQL version, stops the run with one line. */
export async function readSupabaseSettings(configPath: string, shownPath: string): Promise<SupabaseSettings> {
  const { parse } = await import('smol-toml');
  let toml: { db?: { major_version?: unknown }; api?: { schemas?: unknown } };
  try {
    toml = parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new UsageError(`${shownPath}: not valid TOML: ${(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''}`);
  }
  const majorVersion = toml.db?.major_version;
  if (majorVersion !== undefined) {
    const issue = firstIssue(CONFIG_SCHEMA, { pgVersion: majorVersion });
    if (issue !== undefined) throw new UsageError(`${shownPath}: [db] major_version: ${issue.replace(/^pgVersion: /, '')}`);
  }
  const schemas = Array.isArray(toml.api?.schemas) ? toml.api.schemas.filter((schema): schema is string => typeof schema === 'string') : ['public'];
  // graphql_public holds only pg_graphql's resolver function, never application tables.
  return { majorVersion: typeof majorVersion === 'number' ? majorVersion : undefined, exposedSchemas: schemas.filter((schema) => schema !== 'graphql_public') };
}
