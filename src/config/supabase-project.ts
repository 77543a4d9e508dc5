import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

export async function readSupabaseSettings(configPath: string): Promise<SupabaseSettings> {
  const { parse } = await import('smol-toml');
  const toml = parse(readFileSync(configPath, 'utf8')) as { db?: { major_version?: unknown }; api?: { schemas?: unknown } };
  const majorVersion = typeof toml.db?.major_version === 'number' ? toml.db.major_version : undefined;
  const schemas = Array.isArray(toml.api?.schemas) ? toml.api.schemas.filter((schema): schema is string => typeof schema === 'string') : ['public'];
  // graphql_public holds only pg_graphql's resolver function, never application tables.
  return { majorVersion, exposedSchemas: schemas.filter((schema) => schema !== 'graphql_public') };
}
