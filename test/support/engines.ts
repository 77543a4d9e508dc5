import { startPglite } from '../../src/db/pglite.js';
import { startServer } from '../../src/db/server.js';
import { type SqlSession, connectSession } from '../../src/db/session.js';
import { SUPPORTED_MAJORS, testServerBinaries } from './postgres.js';

/** A PostgreSQL a test runs statements on: a real server of one major version, or PGlite in process. */
export interface TestEngine {
  /** `PostgreSQL 15 (embedded)`, `PGlite (PostgreSQL 17)`. */
  readonly label: string;
  readonly major: number;
  /** Starts it; `stop` stops it and removes its files. */
  start(): Promise<RunningEngine>;
}

export interface RunningEngine {
  readonly session: SqlSession;
  /** `PostgreSQL 15.18 on ...` as version() reports it. */
  readonly version: string;
  stop(): Promise<void>;
}

/**
 * Every engine this machine can run: the installed real servers, 11 to 18 (a missing one is
 * announced, and fails CI), then PGlite. Autovacuum is off on the real servers: an automatic
 * ANALYZE between two observations would look like the statement had read the table.
 */
export async function testEngines(options: { readonly pglite?: boolean } = {}): Promise<TestEngine[]> {
  const servers = SUPPORTED_MAJORS.flatMap((major): TestEngine[] => {
    const binaries = testServerBinaries(major);
    if (!binaries) return [];
    return [
      {
        label: `PostgreSQL ${major} (${binaries.source})`,
        major,
        async start() {
          const server = await startServer(binaries);
          try {
            const session = await connectSession(server.url());
            await session.run('ALTER SYSTEM SET autovacuum = off');
            await session.run('SELECT pg_reload_conf()');
            const [row] = (await session.run<{ version: string }>('SELECT version()')).rows;
            return {
              session,
              version: row?.version ?? '',
              stop: async () => {
                await session.close();
                await server.stop();
              },
            };
          } catch (error) {
            await server.stop();
            throw error;
          }
        },
      },
    ];
  });
  if (options.pglite === false) return servers;
  const probe = await startPglite();
  if (!probe) return servers;
  const major = probe.major;
  await probe.session.close();
  const pglite: TestEngine = {
    label: `PGlite (PostgreSQL ${major})`,
    major,
    async start() {
      const started = await startPglite();
      if (!started) throw new Error('PGlite went missing');
      return { session: started.session, version: started.version, stop: () => started.session.close() };
    },
  };
  return [...servers, pglite];
}
