import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY } from './support/cli.js';
import { snapshotOfThisRepository } from './support/git.js';

function unchanged(root: string): number | null {
  return spawnSync(process.execPath, [join(root, 'scripts', 'build-inputs.js'), '--unchanged'], { cwd: root }).status;
}

/** When dist/ was last built: the build rewrites its record of the inputs. */
function builtAt(root: string): number {
  return statSync(join(root, 'dist', '.build-inputs')).mtimeMs;
}

describe('a checkout right after npm ci (the Quickstart)', () => {
  let checkout = '';
  let npmCache = '';
  beforeAll(() => {
    expect(unchanged(REPOSITORY), 'dist/ is not built from the current sources: npm run build first').toBe(0);
    // The repository's files, its built dist/ and its dependencies: what `npm ci` leaves.
    checkout = snapshotOfThisRepository();
    cpSync(join(REPOSITORY, 'dist'), join(checkout, 'dist'), { recursive: true });
    symlinkSync(join(REPOSITORY, 'node_modules'), join(checkout, 'node_modules'));
    npmCache = mkdtempSync(join(tmpdir(), 'migrate-safe-npm-cache-'));
  }, 120_000);
  afterAll(() => {
    rmSync(checkout, { recursive: true, force: true });
    rmSync(npmCache, { recursive: true, force: true });
  });

  it('runs the first npx migrate-safe without building again: npx runs prepare, which finds dist/ built from these sources', () => {
    const before = builtAt(checkout);
    // An empty npm cache: this is npx's first run in this checkout, when it links the checkout into its cache.
    const run = spawnSync('npx', ['--offline', '--loglevel', 'info', 'migrate-safe', '--version'], {
      cwd: checkout,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: npmCache, npm_config_update_notifier: 'false' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(run.stderr).toMatch(/run migrate-safe@\S+ prepare .*build-inputs\.js --unchanged/);
    expect(builtAt(checkout)).toBe(before);
  });

  it('builds again when a source, the lock file or the record changed, or the build did not finish', () => {
    expect(unchanged(checkout)).toBe(0);
    appendFileSync(join(checkout, 'src', 'index.ts'), '\n');
    expect(unchanged(checkout)).toBe(1);
    spawnSync('git', ['checkout', '--', '.'], { cwd: checkout });
    expect(unchanged(checkout)).toBe(0);
    appendFileSync(join(checkout, 'package-lock.json'), '\n');
    expect(unchanged(checkout)).toBe(1);
    spawnSync('git', ['checkout', '--', '.'], { cwd: checkout });
    rmSync(join(checkout, 'dist', 'cli', 'program.cache'));
    expect(unchanged(checkout)).toBe(1);
    rmSync(join(checkout, 'dist', '.build-inputs'));
    expect(unchanged(checkout)).toBe(1);
  });
});
