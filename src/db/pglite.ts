import { importModule } from '../config/import-module.js';
import type { RunOptions, SqlResult, SqlSession } from './session.js';

/**
 * PostgreSQL compiled to WebAssembly, in this process (PGlite): the zero-install server when no
 * binaries are at hand. One version (PGlite's), one connection, no pg_dump.
 */
export interface PgliteServer {
  readonly session: SqlSession;
  /** `PostgreSQL 17.5 ...` as version() reports it. */
  readonly version: string;
  readonly major: number;
}

interface PgliteInstance {
  exec(sql: string, options?: { onNotice?: (notice: { message?: string }) => void }): Promise<readonly { rows: Record<string, unknown>[]; affectedRows?: number }[]>;
  close(): Promise<void>;
}

/** Starts PGlite, or returns undefined when its package is not installed. */
export async function startPglite(): Promise<PgliteServer | undefined> {
  let module: { PGlite: { create(): Promise<PgliteInstance> } };
  try {
    module = (await importModule('@electric-sql/pglite')) as typeof module;
  } catch {
    return undefined;
  }
  const db = await module.PGlite.create();
  const session: SqlSession = {
    async run<Row>(sql: string, options?: RunOptions): Promise<SqlResult<Row>> {
      const onNotice = options?.onNotice;
      const results = await db.exec(sql, onNotice ? { onNotice: (notice) => { onNotice(notice.message ?? ''); } } : undefined);
      const last = results.at(-1);
      return { rows: (last?.rows ?? []) as Row[], rowCount: last?.affectedRows };
    },
    close: () => db.close(),
  };
  const [row] = (await session.run<{ version: string; major: number }>("SELECT version(), current_setting('server_version_num')::int / 10000 AS major")).rows;
  if (!row) throw new Error('PGlite did not report its version');
  return { session, version: row.version, major: row.major };
}
