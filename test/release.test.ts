import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY, project } from './support/cli.js';
import { git, gitEnv } from './support/git.js';
import { type ReleasedRepository, releasedRepository } from './support/release.js';

const { version } = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as { version: string };
const MAJOR_TAG = `v${version.split('.')[0] ?? ''}`;

interface Manifest {
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
}

function npm(args: readonly string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    // Packages come from the cache `npm ci` filled, without asking the registry about each again.
    env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('npm run release', () => {
  let released: ReleasedRepository;
  beforeAll(() => {
    released = releasedRepository();
  }, 300_000);

  it(`tags v${version} and ${MAJOR_TAG} on a commit after the source whose tree is the built package, the Action and the hook`, () => {
    const { root, release } = released;
    expect(release.tag).toBe(`v${version}`);
    expect(git(root, 'rev-parse', `${release.tag}^{commit}`).trim()).toBe(release.commit);
    expect(git(root, 'rev-parse', `${MAJOR_TAG}^{commit}`).trim()).toBe(release.commit);
    expect(git(root, 'rev-parse', `${release.commit}^`).trim()).toBe(git(root, 'rev-parse', 'HEAD').trim());
    const files = git(root, 'ls-tree', '-r', '--name-only', release.commit).trim().split('\n');
    for (const file of ['dist/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'action.yml', '.pre-commit-hooks.yaml', 'LICENSE', 'CHANGELOG.md', 'README.md', 'package-lock.json', 'docs/rules.md', 'configuration.schema.json']) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((file) => /^(src|test|rules|scripts)\//.test(file) || file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('ships a package.json that nothing builds: no scripts, no development dependencies, and a lock of exactly the production dependencies', () => {
    const { root, release } = released;
    const manifest = JSON.parse(git(root, 'show', `${release.commit}:package.json`)) as Manifest;
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    const source = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as Manifest;
    expect(manifest.dependencies).toEqual(source.dependencies);
    const lock = JSON.parse(git(root, 'show', `${release.commit}:package-lock.json`)) as { packages: Record<string, { dev?: boolean }> };
    expect(Object.keys(lock.packages)).not.toContain('node_modules/typescript');
    expect(Object.values(lock.packages).filter((entry) => entry.dev === true)).toEqual([]);
  });

  it('refuses to release the same version twice, and a version the CHANGELOG does not describe', () => {
    const { root } = released;
    const again = spawnSync(process.execPath, [join(root, 'dist', 'scripts', 'release.js')], { cwd: root, env: gitEnv(), encoding: 'utf8' });
    expect(again.stderr).toBe(`release: the tag v${version} exists already: set the next version first (npm version <version> --no-git-tag-version)\n`);
    expect(again.status).toBe(1);
    const manifest = readFileSync(join(root, 'package.json'), 'utf8');
    writeFileSync(join(root, 'package.json'), manifest.replace(`"version": "${version}"`, '"version": "99.0.0"'));
    git(root, 'commit', '-q', '-am', 'Version 99.0.0 without its CHANGELOG section');
    const undocumented = spawnSync(process.execPath, [join(root, 'dist', 'scripts', 'release.js')], { cwd: root, env: gitEnv(), encoding: 'utf8' });
    expect(undocumented.stderr).toBe('release: CHANGELOG.md has no "## 99.0.0" section\n');
    expect(undocumented.status).toBe(1);
  });

  it('npm pack in a checkout packs the release manifest too (prepack), and puts the source package.json back (postpack)', () => {
    const { root } = released;
    const source = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as Manifest;
    expect(source.scripts?.prepack).toBe('npm run build && node dist/scripts/release.js --prepack');
    expect(source.scripts?.postpack).toBe('node dist/scripts/release.js --postpack');
    // npm runs those scripts around packing; here the build is already done, so they run without it.
    const before = readFileSync(join(root, 'package.json'), 'utf8');
    const script = join(root, 'dist', 'scripts', 'release.js');
    expect(spawnSync(process.execPath, [script, '--prepack'], { cwd: root }).status).toBe(0);
    const destination = project({});
    const packed = npm(['pack', '--ignore-scripts', '--pack-destination', destination], root);
    expect(packed.status, packed.output).toBe(0);
    expect(spawnSync(process.execPath, [script, '--postpack'], { cwd: root }).status).toBe(0);
    expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe(before);
    expect(git(root, 'status', '--porcelain')).toBe('');
    const packedVersion = (JSON.parse(before) as { version: string }).version;
    const tarball = join(destination, `migrate-safe-${packedVersion}.tgz`);
    const manifest = JSON.parse(spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }).stdout) as Manifest;
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n')).toContain('package/dist/cli/main.js');
  });

  describe('the tarball, installed into a new project with npm', () => {
    let app = '';
    let install = { status: null as number | null, output: '' };
    beforeAll(() => {
      app = project({ 'package.json': JSON.stringify({ name: 'app', private: true, type: 'module' }) });
      install = npm(['install', '--save-dev', released.release.tarball], app);
    }, 300_000);

    it('installs without building and without install scripts', () => {
      expect(install.status, install.output).toBe(0);
      expect(install.output).not.toMatch(/install-scripts|prepare|tsc/);
      const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'migrate-safe', 'package.json'), 'utf8')) as Manifest;
      expect(installed.scripts).toBeUndefined();
      expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
      for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md']) expect(existsSync(join(app, 'node_modules', 'migrate-safe', file)), file).toBe(true);
    });

    it('runs: npx migrate-safe lints, and the package entry imports', () => {
      writeFileSync(join(app, 'm.sql'), 'CREATE INDEX idx_agents_status ON agents (status);\n');
      const lint = spawnSync('npx', ['migrate-safe', 'lint', 'm.sql'], { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(lint.stdout).toContain('require-concurrent-index');
      expect(lint.status).toBe(1);
      const entry = spawnSync(process.execPath, ['--input-type=module', '-e', "const api = await import('migrate-safe'); console.log(typeof api.lint, typeof api.defineRule);"], { cwd: app, encoding: 'utf8' });
      expect(entry.stdout, entry.stderr).toBe('function function\n');
    });
  });
});
