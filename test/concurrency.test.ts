import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as ParserModule from '../src/parse/parser.js';
import { type ParsedSource, loadParser, parseSource } from '../src/parse/parser.js';
import type * as PoolModule from '../src/parse/pool.js';
import { REPOSITORY, jsonReport, project, runCli } from './support/cli.js';

/**
 * A migration that exercises what crosses from a parser thread: non-ASCII text before findings
 * (byte offsets), a psql meta-command (blanked text), comments and directives, and, every
 * seventh file, a statement PostgreSQL rejects.
 */
function migration(index: number): string {
  const broken = index % 7 === 0 ? `CREATE TABLE broken_${index} (id bigint,,);\n` : '';
  return [
    `-- Миграция ${index} 🚀: тест`,
    '\\set ON_ERROR_STOP on',
    `CREATE TABLE IF NOT EXISTS "tâble_${index}" (id bigint PRIMARY KEY, note text DEFAULT 'ünïcode ✓');`,
    broken,
    `CREATE INDEX orders_${index}_idx ON orders (created_at);`,
    '-- migrate-safe-ignore require-concurrent-index: a small table, built at night',
    `CREATE INDEX orders_${index}_quiet_idx ON orders (status);`,
    `ALTER TABLE orders ADD COLUMN flag_${index} boolean NOT NULL; /* 🚧 */`,
    `CREATE FUNCTION touch_${index}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'ok; really'; RETURN NEW; END; $$;`,
    '',
  ].join('\n');
}

const FILES = 240;

/** Lints `paths` in `root` as JSON with a `--concurrency`, returning the report and the verbose line. */
function lintWith(root: string, paths: readonly string[], concurrency: string): { stdout: string; stderr: string } {
  const result = runCli(['lint', ...paths, '--format', 'json', '--concurrency', concurrency, '--verbose'], { cwd: root });
  expect(result.status).toBe(1);
  return result;
}

describe('parser threads (--concurrency)', () => {
  let root = '';
  beforeAll(() => {
    const files: Record<string, string> = {};
    for (let index = 1; index <= FILES; index++) files[`migrations/${String(index).padStart(4, '0')}_step.sql`] = migration(index);
    // Long enough to be cut into pieces: once where every cut falls between statements, once where they fall inside a function body.
    const statements = Array.from({ length: 2000 }, (_, index) =>
      [
        `-- Шаг ${index} 🚀`,
        `CREATE TABLE "tâble_${index}" (id bigint PRIMARY KEY, note text DEFAULT 'ünïcode; ✓');`,
        `CREATE FUNCTION touch_${index}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'ok;'; RETURN NEW; END; $$;`,
        index % 500 === 499 ? `CREATE INDEX orders_${index}_idx ON orders (created_at);\n` : '',
      ].join('\n'),
    ).join('');
    files['long/migrations/0001_statements.sql'] = statements;
    const body = Array.from({ length: 12_000 }, (_, index) => `  UPDATE orders SET note = 'ë ${index}';`).join('\n');
    files['long/migrations/0002_body.sql'] = `CREATE INDEX orders_idx ON orders (id);\nCREATE FUNCTION big() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n${body}\nEND;\n$$;\nCREATE INDEX orders_late_idx ON orders (note);\n`;
    root = project(files);
  });

  it('reports exactly what the main thread alone reports when 1 or 2 threads parse every file', () => {
    const alone = lintWith(root, ['migrations'], 'off');
    const report = jsonReport({ status: 1, ...alone });
    expect(report.summary.files).toBe(FILES);
    const rules = new Set(report.findings.map((finding) => finding.ruleId));
    expect(rules).toEqual(new Set(['syntax-error', 'require-concurrent-index', 'not-null-column-without-default']));
    expect(report.summary.suppressed).toBe(FILES);
    expect(alone.stderr).not.toMatch(/parser thread/);
    for (const concurrency of ['1', '2']) {
      const threaded = lintWith(root, ['migrations'], concurrency);
      expect(threaded.stdout).toBe(alone.stdout);
      expect(threaded.stderr).toMatch(new RegExp(`checked 240 files in \\d+ ms \\(${concurrency} parser threads? made 240 of 240 parses\\)`));
    }
  });

  it('parses a long file in pieces side by side, and whole when a cut falls inside a statement', () => {
    const alone = lintWith(root, ['long/migrations'], 'off');
    const findings = jsonReport({ status: 1, ...alone }).findings;
    expect(findings.filter((finding) => finding.file.endsWith('0002_body.sql')).map((finding) => finding.line)).toEqual([1, 12_006]);
    expect(findings.filter((finding) => finding.file.endsWith('0001_statements.sql'))).toHaveLength(4);
    const threaded = lintWith(root, ['long/migrations'], '2');
    expect(threaded.stdout).toBe(alone.stdout);
    // Each long file in two pieces, one per thread.
    expect(threaded.stderr).toMatch(/\(2 parser threads made 4 of 4 parses\)/);
    expect(lintWith(root, ['long/migrations'], 'auto').stdout).toBe(alone.stdout);
  });

  it('keeps small runs on the main thread under auto', () => {
    const result = lintWith(root, ['migrations'], 'auto');
    expect(result.stderr).toMatch(/checked 240 files in \d+ ms\n$/);
  });

  it('starts no more threads than there are parses', () => {
    const result = lintWith(root, ['migrations/0001_step.sql'], '4');
    expect(result.stderr).toMatch(/\(1 parser thread made 1 of 1 parses\)/);
  });

  it('rejects a thread count that is not a positive number, auto or off', () => {
    for (const value of ['0', '-1', 'many', '1.5']) {
      const result = runCli(['lint', 'migrations', '--concurrency', value], { cwd: root });
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('--concurrency');
    }
  });
});

function hundredMigrations(): Map<string, string> {
  return new Map(Array.from({ length: 100 }, (_, index) => [`file-${index}`, migration(index + 1)]));
}

/** The pool as built: its thread runs the compiled worker module, which only dist/ has. */
async function builtPool(): Promise<typeof PoolModule.ParserPool> {
  const built = join(REPOSITORY, 'dist', 'src', 'parse');
  await ((await import(join(built, 'parser.js'))) as typeof ParserModule).loadParser();
  return ((await import(join(built, 'pool.js'))) as typeof PoolModule).ParserPool;
}

describe('ParserPool', () => {
  beforeAll(loadParser);

  /** Everything a parse offers the analysis and the reports, as plain data. */
  function observable(parsed: ParsedSource): unknown {
    const { source } = parsed;
    return {
      text: source.text,
      statements: parsed.statements,
      comments: parsed.comments,
      errors: parsed.errors,
      locations: parsed.statements.map((statement) => [0, 5, 20].map((location) => source.positionAt(parsed.indexOfLocation(statement, location)))),
      lines: source.lineCount,
    };
  }

  it('hands out parses made on its threads that equal the main thread’s', async () => {
    const ParserPool = await builtPool();
    const texts = hundredMigrations();
    const pool = new ParserPool(texts, { threads: 2, readerHelps: true });
    try {
      // Nothing is read yet, so the threads take the first window (64 texts) for themselves.
      const deadline = Date.now() + 30_000;
      while (pool.parsedByThreads < 64 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(pool.parsedByThreads).toBe(64);
      for (const [key, text] of texts) expect(observable(pool.parse(key, text))).toEqual(observable(parseSource(text)));
      // A text it was not given, or given under another text, is parsed on the spot.
      expect(observable(pool.parse('elsewhere', 'SELECT 1;'))).toEqual(observable(parseSource('SELECT 1;')));
      expect(observable(pool.parse('file-0', 'SELECT 2;'))).toEqual(observable(parseSource('SELECT 2;')));
    } finally {
      pool.close();
    }
  });

  it('leaves every parse to the threads when the reader does not help', async () => {
    const ParserPool = await builtPool();
    const texts = hundredMigrations();
    const pool = new ParserPool(texts, { threads: 1, readerHelps: false });
    try {
      for (const [key, text] of texts) expect(observable(pool.parse(key, text))).toEqual(observable(parseSource(text)));
      expect(pool.parsedByThreads).toBe(100);
    } finally {
      pool.close();
    }
  });
});
