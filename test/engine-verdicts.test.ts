import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParsedStatement, parseSource } from '../src/parse/parser.js';
import { expectedKeys, loadParser } from './support/expectations.js';

/**
 * Rules whose hazard PostgreSQL shows itself, checked against a real engine (PGlite, PostgreSQL 18):
 * the statements a fixture expects the rule to report are exactly those PostgreSQL fails on
 * (enum-value-in-transaction) or scans a table for (blocking-partition-change). Fixtures run
 * statement by statement, a project's files in order; the fixtures create the tables they use.
 */

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

// The fixtures are parsed while the tests are collected, before any beforeAll: on a busy machine the
// WebAssembly parser may not be ready by then, and every file would parse to nothing.
await loadParser();

// One engine for the file (starting one takes seconds); each fixture starts from an empty public schema.
let engine: PGlite | undefined;
beforeAll(async () => {
  await loadParser();
  engine = new PGlite();
});
afterAll(async () => {
  await engine?.close();
});

interface FixtureFile {
  readonly path: string;
  readonly text: string;
  readonly statements: readonly ParsedStatement[];
  readonly line: (statement: ParsedStatement) => number;
}

function fixtureFile(path: string): FixtureFile {
  const text = readFileSync(path, 'utf8');
  const parsed = parseSource(text);
  return { path, text, statements: parsed.statements, line: (statement) => parsed.source.positionAt(statement.start).line };
}

/** The lines where a file expects `ruleId`. */
function expectedLines(file: FixtureFile, ruleId: string): number[] {
  return expectedKeys(file.text)
    .filter((key) => key.startsWith(`${ruleId}@`))
    .map((key) => Number(key.slice(ruleId.length + 1)))
    .sort((left, right) => left - right);
}

/** Single files that PGlite's PostgreSQL (18) can run (not those judged for an older version), and project folders' files in order. */
function runnableFixtures(ruleId: string): { name: string; files: FixtureFile[]; inTransaction: boolean }[] {
  const folder = join(FIXTURES, ruleId);
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (!statSync(path).isDirectory()) {
      const file = fixtureFile(path);
      const settings = /^--\s*fixture:\s*(\{.*\})/.exec(file.text)?.[1];
      const { pgVersion, assumeInTransaction } = (settings ? JSON.parse(settings) : {}) as { pgVersion?: number; assumeInTransaction?: boolean };
      return pgVersion !== undefined && pgVersion < 12 ? [] : [{ name, files: [file], inTransaction: assumeInTransaction === true }];
    }
    const config = join(path, '.migrate-saferc.json');
    const inTransaction = existsSync(config) && (JSON.parse(readFileSync(config, 'utf8')) as { assumeInTransaction?: boolean }).assumeInTransaction === true;
    const migrations = join(path, 'migrations');
    const files = readdirSync(migrations)
      .filter((file) => file.endsWith('.sql'))
      .sort((left, right) => left.localeCompare(right, 'en', { numeric: true }))
      .map((file) => fixtureFile(join(migrations, file)));
    return [{ name, files, inTransaction }];
  });
}

async function withDatabase(work: (db: PGlite) => Promise<void>): Promise<void> {
  if (!engine) throw new Error('the engine did not start');
  await engine.exec('RESET ALL; DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await work(engine);
}

describe('enum-value-in-transaction on PostgreSQL (PGlite)', () => {
  it.each(runnableFixtures('enum-value-in-transaction'))('$name: the reported statements are exactly the ones that fail', async ({ files, inTransaction }) => {
    await withDatabase(async (db) => {
      for (const file of files) {
        const failed: number[] = [];
        if (inTransaction) await db.query('BEGIN');
        for (const statement of file.statements) {
          try {
            await db.query(statement.text);
          } catch (error) {
            expect((error as Error).message, `${relative(FIXTURES, file.path)}:${file.line(statement)}`).toMatch(/^unsafe use of new value ".*" of enum type/);
            failed.push(file.line(statement));
          }
        }
        if (inTransaction) await db.query(failed.length > 0 ? 'ROLLBACK' : 'COMMIT');
        expect(failed, relative(FIXTURES, file.path)).toEqual(expectedLines(file, 'enum-value-in-transaction'));
      }
    });
  });
});

describe('blocking-partition-change on PostgreSQL (PGlite)', () => {
  const projects = runnableFixtures('blocking-partition-change').filter(({ files }) => files.length > 1);

  it('has projects whose ATTACH statements both scan and skip the scan', () => {
    expect(projects.map(({ name }) => name).sort()).toEqual(['attach-partition', 'default-partition']);
  });

  it.each(projects)('$name: an ATTACH is reported exactly when PostgreSQL reads a table to check the bound', async ({ files }) => {
    await withDatabase(async (db) => {
      await db.query('SET client_min_messages = debug1');
      const attaches: { where: string; scanned: boolean; reported: boolean }[] = [];
      for (const file of files) {
        const reported = expectedLines(file, 'blocking-partition-change');
        for (const statement of file.statements) {
          const command = /ATTACH PARTITION\s+(\w+)/i.exec(statement.text);
          const parent = /^ALTER TABLE\s+(\w+)/i.exec(statement.text)?.[1];
          if (!command?.[1] || parent === undefined) {
            await db.query(statement.text);
            continue;
          }
          const defaults = await db.query<{ has_default: boolean }>('SELECT partdefid <> 0 AS has_default FROM pg_partitioned_table WHERE partrelid = $1::regclass', [parent]);
          const notices: string[] = [];
          await db.query(statement.text, [], { onNotice: (notice) => notices.push(notice.message ?? '') });
          // PostgreSQL says so when valid constraints let it skip reading the partition, or the default partition.
          const partitionProven = notices.some((notice) => notice.startsWith(`partition constraint for table "${command[1] ?? ''}" is implied`));
          const defaultProven = !defaults.rows[0]?.has_default || notices.some((notice) => /^updated partition constraint for default partition ".*" is implied/.test(notice));
          const line = file.line(statement);
          attaches.push({ where: `${relative(FIXTURES, file.path)}:${line}`, scanned: !partitionProven || !defaultProven, reported: reported.includes(line) });
        }
      }
      expect(attaches.length).toBeGreaterThan(1);
      expect(attaches.filter((attach) => attach.scanned !== attach.reported)).toEqual([]);
    });
  });
});
