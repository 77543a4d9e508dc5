import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findServerBinaries, listServerBinaries, startServer } from '../src/db/server.js';
import { REPOSITORY } from './support/cli.js';
import { SUPPORTED_MAJORS, testServerBinaries } from './support/postgres.js';

/** The throwaway servers that trace and the tests run on: each installed major starts, answers as itself, and leaves nothing behind. */
describe.each(SUPPORTED_MAJORS.map((major) => [major, testServerBinaries(major)] as const))('PostgreSQL %i', (major, binaries) => {
  it.skipIf(!binaries)('starts on a free port with a password, answers as its own version, and is removed when stopped', async () => {
    if (!binaries) return;
    const server = await startServer(binaries);
    const dataFolder = await serverDataFolder(server.url());
    const client = new pg.Client({ connectionString: server.url() });
    await client.connect();
    const { rows } = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    await client.end();
    expect(Math.floor(Number(rows[0]?.server_version_num) / 10_000)).toBe(major);

    const wrongPassword = new pg.Client({ connectionString: server.url().replace(server.password, 'wrong') });
    await expect(wrongPassword.connect()).rejects.toThrow(/password authentication failed/);

    await server.stop();
    await server.stop();
    expect(existsSync(dataFolder)).toBe(false);
    const afterStop = new pg.Client({ connectionString: server.url() });
    await expect(afterStop.connect()).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});

describe('finding servers', () => {
  it('prefers an embedded package of the asked major, and answers nothing for a major that is not installed', () => {
    const installed = listServerBinaries([REPOSITORY]);
    for (const binaries of installed) expect(existsSync(`${binaries.bindir}/initdb`)).toBe(true);
    const newest = findServerBinaries({ searchFrom: [REPOSITORY] });
    expect(newest?.major).toBe(Math.max(...installed.map((binaries) => binaries.major)));
    expect(findServerBinaries({ major: 9, searchFrom: [REPOSITORY] })).toBeUndefined();
  });
});

async function serverDataFolder(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
  await client.end();
  return rows[0]?.data_directory ?? '';
}
