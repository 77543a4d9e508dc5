import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheStore } from '../src/engine/cache-store.js';
import { CLI, type CliResult, project, runCli } from './support/cli.js';

/**
 * The persistent cache (`--cache`) must never change a report: every test compares a run that
 * uses the cache with a run that does not, byte for byte, after the project changed in ways
 * that invalidate some of what the cache keeps.
 */

/** Statements that make rules speak, that change the schema later migrations are judged against, and that carry directives. */
const STATEMENTS: readonly ((n: number) => string)[] = [
  (n) => `CREATE TABLE t${n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status text, note varchar(20));`,
  (n) => `CREATE INDEX t${n - 1}_status ON t${n - 1} (status);`,
  (n) => `ALTER TABLE t${n - 1} ADD COLUMN flag_${n} boolean NOT NULL;`,
  (n) => `ALTER TABLE t${n - 2} RENAME TO t${n - 2}_deprecated;`,
  (n) => `DROP TABLE t${n - 3}_deprecated;`,
  (n) => `ALTER TABLE t${n - 1} ALTER COLUMN status SET NOT NULL;`,
  (n) => `-- migrate-safe-ignore require-concurrent-index: built at night\nCREATE INDEX t${n - 1}_note ON t${n - 1} (note);`,
  (n) => `ALTER TABLE t${n - 1} ADD CONSTRAINT t${n - 1}_positive CHECK (id > 0);\nALTER TABLE t${n - 1} VALIDATE CONSTRAINT t${n - 1}_positive;`,
  (n) => `BEGIN;\nALTER TYPE mood_${n} ADD VALUE 'happy';\nCOMMIT;`,
  (n) => `CREATE TYPE mood_${n + 1} AS ENUM ('sad');\nUPDATE t${n - 1} SET status = 'x';`,
  (n) => `ALTER TABLE t${n - 1} ALTER COLUMN note TYPE text;`,
  () => 'SELECT 1;',
];

/** A deterministic random number generator (mulberry32), so a failing series can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function migrationText(next: () => number, n: number): string {
  const count = 1 + Math.floor(next() * 3);
  const statements: string[] = [`-- migration ${n}`];
  for (let index = 0; index < count; index++) statements.push(STATEMENTS[Math.floor(next() * STATEMENTS.length)]?.(n + index) ?? 'SELECT 1;');
  return `${statements.join('\n')}\n`;
}

/** `20240101000000`, one day apart: the Supabase layout, with rollback/ beside the migrations. */
function version(day: number): string {
  return `2024${String(1 + Math.floor(day / 28)).padStart(2, '0')}${String(1 + (day % 28)).padStart(2, '0')}000000`;
}

/** Lints with the cache and without, in each format, and expects the same bytes, messages and exit code. */
function expectSameReports(root: string, args: readonly string[], step: string, formats: readonly string[] = ['json']): void {
  for (const format of formats) {
    const fresh: CliResult = runCli(['lint', ...args, '--format', format], { cwd: root });
    const cached: CliResult = runCli(['lint', ...args, '--format', format, '--cache'], { cwd: root });
    expect(fresh.stderr, `${step} (${format})`).toBe('');
    expect(cached.stdout, `${step} (${format})`).toBe(fresh.stdout);
    expect(cached.stderr, `${step} (${format})`).toBe(fresh.stderr);
    expect(cached.status, `${step} (${format})`).toBe(fresh.status);
  }
}

const CACHE = join('node_modules', '.cache', 'migrate-safe');

describe('the persistent cache (--cache)', () => {
  it('reports byte for byte what a run without it reports, across a seeded series of edits, reorders, configuration and version changes', () => {
    const next = random(16);
    const files: Record<string, string> = {};
    for (let day = 0; day < 24; day++) {
      files[`supabase/migrations/${version(day)}_m${day}.sql`] = migrationText(next, day * 3);
      if (day % 3 === 0) files[`supabase/migrations/rollback/${version(day)}_m${day}_down.sql`] = 'SELECT 1;\n';
    }
    const root = project(files);
    const migrations = join(root, 'supabase', 'migrations');
    const list = (): string[] => readdirSync(migrations).filter((name) => name.endsWith('.sql')).sort();
    const pick = (): string => {
      const names = list();
      return names[Math.floor(next() * names.length)] ?? '';
    };
    const last = (): string => list().at(-1) ?? '';
    const edits: readonly { readonly name: string; apply(): void }[] = [
      { name: 'nothing changed', apply: () => undefined },
      { name: 'an edited migration', apply: () => { writeFileSync(join(migrations, pick()), migrationText(next, 200)); } },
      { name: 'a statement appended', apply: () => { writeFileSync(join(migrations, pick()), `${readFileSync(join(migrations, pick()), 'utf8')}ALTER TABLE t1 ADD COLUMN late integer NOT NULL;\n`); } },
      {
        name: 'two migrations swapped',
        apply: () => {
          const [first, second] = [pick(), pick()];
          if (first === second) return;
          renameSync(join(migrations, first), join(migrations, 'swap'));
          renameSync(join(migrations, second), join(migrations, first));
          renameSync(join(migrations, 'swap'), join(migrations, second));
        },
      },
      { name: 'a migration added at the end', apply: () => { writeFileSync(join(migrations, `${version(60)}_late.sql`), migrationText(next, 300)); } },
      { name: 'a migration removed', apply: () => { rmSync(join(migrations, pick())); } },
      { name: 'a rollback added', apply: () => { writeFileSync(join(migrations, 'rollback', `${last().replace(/\.sql$/, '')}_down.sql`), 'DROP TABLE t1;\n'); } },
      { name: 'a rule turned off', apply: () => { writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ rules: { 'require-concurrent-index': 'off' } })); } },
      { name: 'another PostgreSQL version', apply: () => { writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ pgVersion: 10 })); } },
      { name: 'another preset', apply: () => { writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ extends: 'strict', pgVersion: 10 })); } },
      { name: 'the layout given', apply: () => { writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ migrations: { layout: 'plain' } })); } },
      { name: 'the configuration removed', apply: () => { rmSync(join(root, '.migrate-saferc.json'), { force: true }); } },
    ];
    for (let step = 0; step < edits.length + 2; step++) {
      const edit = edits[step < edits.length ? step : Math.floor(next() * edits.length)];
      if (!edit) continue;
      edit.apply();
      const where = `step ${step}: ${edit.name}`;
      expectSameReports(root, ['supabase/migrations'], where, step % 4 === 0 ? ['json', 'text', 'sarif'] : ['json']);
      // One file at the end of the history, as a pre-commit hook lints it; and one in the middle.
      expectSameReports(root, [join('supabase/migrations', last())], `${where}, the last file`);
      expectSameReports(root, [join('supabase/migrations', pick())], `${where}, one file`);
      if (step % 4 === 1) expectSameReports(root, ['supabase/migrations', '--pg-version', step % 8 === 1 ? '11' : '17'], `${where}, --pg-version`);
    }
    // The cache did its work: nothing changed since the last run, nothing is linted again.
    const again = runCli(['lint', 'supabase/migrations', '--cache', '--verbose'], { cwd: root });
    expect(again.stderr, again.stderr).toMatch(new RegExp(`checked (\\d+) files in \\d+ ms \\(\\1 unchanged, from the cache\\)`));
    // About a hundred runs of the CLI: minutes on a loaded 2-core machine.
  }, 600_000);

  it('ignores and rewrites a truncated, damaged, foreign or other build\'s cache file', () => {
    const root = project(Object.fromEntries(Array.from({ length: 6 }, (_, day) => [`migrations/${day + 1}_m.sql`, migrationText(random(day), day * 3)])));
    const fresh = runCli(['lint', 'migrations', '--format', 'json'], { cwd: root });
    expect(runCli(['lint', 'migrations', '--format', 'json', '--cache'], { cwd: root }).stdout).toBe(fresh.stdout);
    const folder = join(root, CACHE);
    const entries = readdirSync(folder);
    expect(entries.some((name) => name.startsWith('results-'))).toBe(true);
    expect(entries.some((name) => name.startsWith('state-'))).toBe(true);

    const damage: readonly ((path: string) => void)[] = [
      (path) => { writeFileSync(path, readFileSync(path).subarray(0, 40)); },
      (path) => {
        const bytes = readFileSync(path);
        bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
        writeFileSync(path, bytes);
      },
      (path) => { writeFileSync(path, '{"not": "a cache entry"}\n'); },
      (path) => { writeFileSync(path, ''); },
      // Whole and well formed, but written by another build of migrate-safe: its findings must not be trusted.
      (path) => { new CacheStore(folder, 'another build', () => undefined).write(path.slice(folder.length + 1), new Map([['key', { files: [], findings: [] }]])); },
    ];
    for (const [index, harm] of damage.entries()) {
      for (const name of readdirSync(folder)) harm(join(folder, name));
      const cached = runCli(['lint', 'migrations', '--format', 'json', '--cache'], { cwd: root });
      expect(cached.stdout, `damage ${index}`).toBe(fresh.stdout);
      expect(cached.stderr, `damage ${index}`).toBe('');
      // Rewritten: the next run reads it.
      const rewritten = readdirSync(folder).find((name) => name.startsWith('results-'));
      expect(rewritten && statSync(join(folder, rewritten)).size, `damage ${index}`).toBeGreaterThan(100);
      expect(runCli(['lint', 'migrations', '--format', 'json', '--cache'], { cwd: root }).stdout).toBe(fresh.stdout);
    }
  }, 300_000);

  it('stays whole when several runs write it at once', async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, day) => [`migrations/${String(day + 1).padStart(3, '0')}_m.sql`, migrationText(random(day), day * 3)]));
    const root = project(files);
    const fresh = runCli(['lint', 'migrations', '--format', 'json'], { cwd: root }).stdout;
    const freshLast = runCli(['lint', 'migrations/040_m.sql', '--format', 'json'], { cwd: root }).stdout;
    const runAsync = (args: readonly string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', () => {
          if (stderr === '') resolve(stdout);
          else reject(new Error(stderr));
        });
      });
    for (let round = 0; round < 2; round++) {
      const outputs = await Promise.all(
        Array.from({ length: 6 }, (_, index) => runAsync(index % 2 === 0 ? ['lint', 'migrations', '--format', 'json', '--cache'] : ['lint', 'migrations/040_m.sql', '--format', 'json', '--cache'])),
      );
      outputs.forEach((output, index) => { expect(output).toBe(index % 2 === 0 ? fresh : freshLast); });
    }
    expect(readdirSync(join(root, CACHE)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(runCli(['lint', 'migrations', '--format', 'json', '--cache'], { cwd: root }).stdout).toBe(fresh);
  }, 300_000);

  it('is turned on by the configuration, kept where --cache-location or cacheLocation says, and refuses a file as its folder', () => {
    const root = project({ 'migrations/1_a.sql': 'CREATE INDEX a ON t (x);\n', '.migrate-saferc.json': JSON.stringify({ cache: true }) });
    const fresh = runCli(['lint', 'migrations', '--no-cache'], { cwd: root });
    expect(existsSync(join(root, CACHE))).toBe(false);
    expect(runCli(['lint', 'migrations'], { cwd: root }).stdout).toBe(fresh.stdout);
    expect(readdirSync(join(root, CACHE)).length).toBeGreaterThan(0);

    expect(runCli(['lint', 'migrations', '--cache-location', 'ci-cache'], { cwd: root }).stdout).toBe(fresh.stdout);
    expect(readdirSync(join(root, 'ci-cache')).length).toBeGreaterThan(0);
    writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ cache: true, cacheLocation: 'from-config' }));
    runCli(['lint', 'migrations'], { cwd: root });
    expect(readdirSync(join(root, 'from-config')).length).toBeGreaterThan(0);

    writeFileSync(join(root, 'a-file'), '');
    const refused = runCli(['lint', 'migrations', '--cache-location', 'a-file'], { cwd: root });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`migrate-safe: the cache location ${join(root, 'a-file')} is a file: give a folder\n`);
  });
});
