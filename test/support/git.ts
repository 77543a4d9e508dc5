import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPOSITORY, project } from './cli.js';

/**
 * The environment for git and the tools that call it: no GIT_* variables leaking in from a hook
 * the tests may run under (GIT_INDEX_FILE, GIT_DIR), no user or system configuration, a fixed author.
 */
export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Undefined rather than absent, so the result can also be spread over process.env.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('GIT_')) env[key] = undefined;
  return {
    ...env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    ...extra,
  };
}

/** Runs git in `cwd` and returns its standard output; throws on failure. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh repository on branch `main` whose first commit holds these files. */
export function repository(files: Readonly<Record<string, string>>): string {
  const root = project(files);
  git(root, 'init', '-q', '-b', 'main');
  commitAll(root, 'first');
  return root;
}

export function commitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '--allow-empty', '-m', message);
}

/**
 * This checkout as a repository of its own with one commit: the files git tracks and the new ones
 * it does not ignore, as they are now. Tools that install from a git repository (pre-commit) then
 * test the working tree, uncommitted changes included.
 */
export function snapshotOfThisRepository(): string {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-snapshot-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPOSITORY, env: gitEnv(), encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(REPOSITORY, file)) && !lstatSync(join(REPOSITORY, file)).isDirectory());
  for (const file of new Set(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(join(REPOSITORY, file), join(root, file));
    chmodSync(join(root, file), lstatSync(join(REPOSITORY, file)).mode);
  }
  git(root, 'init', '-q', '-b', 'main');
  commitAll(root, 'snapshot');
  return root;
}
