import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY } from './support/cli.js';
import { git, gitEnv, repository } from './support/git.js';
import { linkPackages } from './support/packages.js';
import { preCommitReleases } from './support/pre-commit.js';
import { releasedRepository } from './support/release.js';

const MIGRATIONS = 'supabase/migrations';
const HISTORY = {
  [`${MIGRATIONS}/20240101000000_create_agents.sql`]: 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\n',
  [`${MIGRATIONS}/rollback/20240101000000_create_agents_down.sql`]: 'DROP TABLE agents;\n',
};
const NEW_MIGRATION = `${MIGRATIONS}/20240102000000_add_status_index.sql`;
const NEW_ROLLBACK = `${MIGRATIONS}/rollback/20240102000000_add_status_index_down.sql`;
const UNSAFE_INDEX = 'CREATE INDEX idx_agents_status ON agents (status);\n';
const SAFE_INDEX = 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n';
const CI_DOCS = readFileSync(join(REPOSITORY, 'docs', 'ci.md'), 'utf8');

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8' });
}

function commitCount(root: string): number {
  return Number(git(root, 'rev-list', '--count', 'HEAD').trim());
}

/**
 * Stages a migration and its rollback and commits them through the repository's hook: an unsafe
 * index must be refused with the finding shown, the safe one must go through.
 */
function expectHookGuardsCommits(app: string, env: NodeJS.ProcessEnv): void {
  const before = commitCount(app);
  writeFileSync(join(app, NEW_MIGRATION), UNSAFE_INDEX);
  writeFileSync(join(app, NEW_ROLLBACK), 'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_status;\n');
  git(app, 'add', '-A');
  const refused = run('git', ['commit', '-m', 'Index agents by status'], app, env);
  expect(refused.status, refused.stdout + refused.stderr).not.toBe(0);
  expect(refused.stdout + refused.stderr).toContain('require-concurrent-index');
  expect(refused.stdout + refused.stderr).toContain('CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);');
  expect(commitCount(app)).toBe(before);

  writeFileSync(join(app, NEW_MIGRATION), SAFE_INDEX);
  git(app, 'add', '-A');
  const accepted = run('git', ['commit', '-m', 'Index agents by status, concurrently'], app, env);
  expect(accepted.status, accepted.stdout + accepted.stderr).toBe(0);
  expect(commitCount(app)).toBe(before + 1);
}

describe('pre-commit framework', () => {
  const releases = preCommitReleases();

  // Measured on a quiet machine: about 20 s per release, nearly all of it pre-commit installing the
  // hook (npm installing the release's production dependencies; nothing is built).
  describe.each(releases)('with pre-commit $name', ({ command, version }) => {
    it.skipIf(version === undefined)('installs the hook from the release tag without building it, refuses a commit adding an unsafe migration and accepts a safe one', () => {
      // The hook repository is this checkout released as `npm run release` makes it: the tag holds the built package.
      const { root: hooks, release } = releasedRepository();
      const config = ['repos:', `  - repo: ${hooks}`, `    rev: ${release.tag}`, '    hooks:', '      - id: migrate-safe', ''].join('\n');
      const app = repository({ ...HISTORY, '.pre-commit-config.yaml': config });
      const env = gitEnv({
        PRE_COMMIT_HOME: mkdtempSync(join(tmpdir(), 'migrate-safe-pre-commit-home-')),
        // npm install takes packages from the cache `npm ci` filled, without asking the registry about each again.
        npm_config_prefer_offline: 'true',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
      });
      const install = run(command, ['install', '--install-hooks'], app, env);
      expect(install.status, install.stdout + install.stderr).toBe(0);
      expectHookGuardsCommits(app, env);
    }, 600_000);
  });

  it('is the configuration docs/ci.md tells users to write, with the tag the release procedure makes', () => {
    const { version } = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as { version: string };
    expect(CI_DOCS).toContain(`  - repo: https://github.com/migrate-safe/migrate-safe\n    rev: v${version}\n    hooks:\n      - id: migrate-safe\n`);
  });
});

describe('husky and lint-staged', () => {
  const LINT_STAGED = { '*.sql': 'migrate-safe lint' };
  const HOOK = 'npx lint-staged\n';

  it("runs migrate-safe on the staged migrations from husky's pre-commit hook: refuses an unsafe one, accepts a safe one", () => {
    const app = repository({
      ...HISTORY,
      '.gitignore': 'node_modules/\n',
      'package.json': JSON.stringify({ name: 'app', private: true, 'lint-staged': LINT_STAGED }, null, 2),
    });
    linkPackages(app, [REPOSITORY, join(REPOSITORY, 'node_modules', 'husky'), join(REPOSITORY, 'node_modules', 'lint-staged')]);
    const env = gitEnv();
    // docs/ci.md's steps: npx husky init, then the hook runs lint-staged.
    const init = run(join(app, 'node_modules', '.bin', 'husky'), ['init'], app, env);
    expect(init.status, init.stdout + init.stderr).toBe(0);
    writeFileSync(join(app, '.husky', 'pre-commit'), HOOK);
    git(app, 'add', '-A');
    git(app, 'commit', '-q', '-m', 'Set up husky');
    expectHookGuardsCommits(app, env);
  }, 60_000);

  it('is the configuration docs/ci.md tells users to write', () => {
    expect(CI_DOCS).toContain(`"lint-staged": {\n    "*.sql": "migrate-safe lint"\n  }`);
    expect(CI_DOCS).toContain(`echo "${HOOK.trim()}" > .husky/pre-commit`);
  });
});
