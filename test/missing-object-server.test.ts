import { readFileSync } from 'node:fs';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSource } from '../src/parse/parser.js';
import { loadParser } from './support/expectations.js';
import { fixturesOf, lintFixture } from './support/fixtures.js';
import { SUPPORTED_MAJORS, testServerBinaries, useTestServer } from './support/postgres.js';

/**
 * missing-object's promise, checked on real servers: run statement by statement on an empty
 * database, each of its fixtures fails exactly at the statements the rule reports, with the very
 * error the finding quotes; every other statement runs (the cases the rule must stay quiet on
 * included). A fixture that needs objects made outside the history says `-- server: not run`;
 * `-- server setup: <sql>` lines stand for what existed before the history.
 */

const RULE = 'missing-object';
const QUOTED = /This statement fails with ERROR: (.+?)\. (?=[A-Z])/;

beforeAll(loadParser);

/** The fixtures the server can run, with the error the finding quotes at each top-level statement (by index). */
async function expectations(): Promise<{ name: string; text: string; errors: Map<number, string> }[]> {
  const fixtures = fixturesOf(RULE).filter((fixture) => fixture.kind === 'file' && !readFileSync(fixture.path, 'utf8').includes('-- server: not run'));
  return Promise.all(
    fixtures.map(async (fixture) => {
      const text = readFileSync(fixture.path, 'utf8');
      const statements = parseSource(text).statements;
      const { result } = await lintFixture(fixture);
      const errors = new Map<number, string>();
      for (const finding of result.findings.filter((candidate) => candidate.ruleId === RULE && !candidate.suppression)) {
        const index = statements.findIndex((statement) => finding.offset >= statement.start && finding.offset <= statement.end);
        const quoted = QUOTED.exec(finding.message)?.[1];
        expect(quoted, finding.message).toBeDefined();
        errors.set(index, quoted ?? '');
      }
      return { name: fixture.name, text, errors };
    }),
  );
}

/** Runs the file's statements one by one (autocommit, one session) and collects the errors by statement index. */
async function serverErrors(url: string, text: string): Promise<Map<number, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const [, setup] of text.matchAll(/^-- server setup: (.+)$/gm)) await client.query(setup ?? '');
    const errors = new Map<number, string>();
    const statements = parseSource(text).statements;
    for (const [index, statement] of statements.entries()) {
      try {
        await client.query(statement.text);
      } catch (error) {
        errors.set(index, (error as Error).message);
      }
    }
    return errors;
  } finally {
    await client.end();
  }
}

describe.each(SUPPORTED_MAJORS.map((major) => [major, testServerBinaries(major)] as const))('PostgreSQL %i', (_major, binaries) => {
  describe.skipIf(!binaries)(`${RULE} fixtures fail where the rule says, with its words`, () => {
    const server = useTestServer(binaries);

    it('every fixture', async () => {
      const fixtures = await expectations();
      expect(fixtures.length).toBeGreaterThan(5);
      for (const fixture of fixtures) {
        const errors = await serverErrors(await server.createDatabase(), fixture.text);
        expect(Object.fromEntries(errors), fixture.name).toEqual(Object.fromEntries(fixture.errors));
      }
    }, 120_000);
  });
});
