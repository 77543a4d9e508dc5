import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run release` (see docs/releasing.md): turns the built checkout into a release that installs
 * without building. The tag `v<version>` points at a commit whose tree is the package as npm ships
 * it (dist/ built, a package.json without scripts or development dependencies, a lock file of the
 * production dependencies) plus action.yml and .pre-commit-hooks.yaml: `uses: <owner>/migrate-safe@v1`
 * and a pre-commit `rev: v<version>` get the built CLI, and neither runs TypeScript. Its parent is
 * the source commit, so the tag's history is main's. `v<major>` moves to it, and the tarball
 * `migrate-safe-<version>.tgz` is what `npm publish` uploads.
 */

interface Manifest {
  name: string;
  version: string;
  files?: string[];
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** Files of the release besides the package's `files`: npm adds package.json, README and LICENSE itself. */
const RELEASE_FILES = ['README.md', 'LICENSE', 'CHANGELOG.md', 'package-lock.json', 'action.yml', '.pre-commit-hooks.yaml'];

export class ReleaseError extends Error {}

function readManifest(root: string): Manifest {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
}

/** The package.json of a release: what consumers, the Action and pre-commit need, no build. */
function releaseManifest(manifest: Manifest): Manifest {
  const released = { ...manifest };
  delete released.scripts;
  delete released.devDependencies;
  return released;
}

/** Where `npm pack` in a checkout keeps the source package.json while the release manifest stands in for it. */
const SOURCE_MANIFEST = join('node_modules', '.cache', 'migrate-safe-pack', 'package.json');

/**
 * `npm pack` and `npm publish` in a checkout (the prepack script, after the build): package.json
 * becomes the release manifest, so the tarball carries no build script for npm 11 to warn about on
 * install, until postpack puts the source one back. A source copy left by a pack that failed half
 * way is kept, never overwritten by the release manifest.
 */
export function useReleaseManifest(root: string): void {
  const saved = join(root, SOURCE_MANIFEST);
  if (!existsSync(saved)) {
    mkdirSync(join(saved, '..'), { recursive: true });
    cpSync(join(root, 'package.json'), saved);
  }
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(releaseManifest(readManifest(root)), null, 2)}\n`);
}

/** postpack: the source package.json again. */
export function restoreSourceManifest(root: string): void {
  const saved = join(root, SOURCE_MANIFEST);
  if (existsSync(saved)) renameSync(saved, join(root, 'package.json'));
}

/**
 * Writes the release tree of the built checkout `root` into `target`: the package's files, the
 * release manifest and a lock file pruned to the production dependencies (so `npm ci` there
 * installs exactly those, as the Action does).
 */
export function writeReleaseTree(root: string, target: string): void {
  const manifest = readManifest(root);
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new ReleaseError('dist/cli/main.js is missing: build first (npm run build)');
  for (const file of new Set([...(manifest.files ?? []), ...RELEASE_FILES])) {
    if (!existsSync(join(root, file))) throw new ReleaseError(`${file} is missing`);
    cpSync(join(root, file), join(target, file), { recursive: true });
  }
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(releaseManifest(manifest), null, 2)}\n`);
  // npm prunes the lock to the manifest's dependencies, keeping every version it had.
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: target, stdio: ['ignore', 'ignore', 'pipe'] });
}

function git(root: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('git', args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function tagExists(root: string, tag: string): boolean {
  try {
    git(root, ['rev-parse', '--verify', '--quiet', `refs/tags/${tag}`]);
    return true;
  } catch {
    return false;
  }
}

export interface Release {
  readonly tag: string;
  readonly majorTag: string;
  readonly commit: string;
  readonly tarball: string;
}

/** Makes the release commit of `root`'s HEAD, tags it, and packs the tarball into `root`. */
export function release(root: string): Release {
  const { version } = readManifest(root);
  const tag = `v${version}`;
  const majorTag = `v${version.split('.')[0] ?? ''}`;
  if (git(root, ['status', '--porcelain', '--untracked-files=no']) !== '') throw new ReleaseError('the work tree has uncommitted changes: commit the version and CHANGELOG first');
  if (tagExists(root, tag)) throw new ReleaseError(`the tag ${tag} exists already: set the next version first (npm version <version> --no-git-tag-version)`);
  if (!new RegExp(`^## ${version.replaceAll('.', '\\.')}\\b`, 'm').test(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'))) {
    throw new ReleaseError(`CHANGELOG.md has no "## ${version}" section`);
  }
  const tree = mkdtempSync(join(tmpdir(), 'migrate-safe-release-'));
  try {
    writeReleaseTree(root, tree);
    // The release tree becomes a commit of this repository without touching its index or work tree.
    const gitDir = git(root, ['rev-parse', '--absolute-git-dir']);
    const env = { ...process.env, GIT_DIR: gitDir, GIT_WORK_TREE: tree, GIT_INDEX_FILE: `${tree}.index` };
    git(tree, ['add', '--all', '--force', '.'], env);
    const treeId = git(tree, ['write-tree'], env);
    const commit = git(root, ['commit-tree', treeId, '-p', 'HEAD', '-m', `migrate-safe ${version}: the package as released, dist/ built`]);
    git(root, ['tag', '--annotate', tag, commit, '--message', `migrate-safe ${version}`]);
    git(root, ['tag', '--force', '--annotate', majorTag, commit, '--message', `migrate-safe ${version} (latest ${majorTag}.x)`]);
    const packed = execFileSync('npm', ['pack', '--pack-destination', root, '--silent'], { cwd: tree, encoding: 'utf8' }).trim();
    return { tag, majorTag, commit, tarball: join(root, packed.split('\n').pop() ?? '') };
  } finally {
    rmSync(tree, { recursive: true, force: true });
    rmSync(`${tree}.index`, { force: true });
  }
}

/** `npm run release`; `--prepack` and `--postpack` are the package's prepack and postpack scripts. */
function runFromCommandLine(root: string, argument: string | undefined): void {
  if (argument === '--prepack') {
    useReleaseManifest(root);
    return;
  }
  if (argument === '--postpack') {
    restoreSourceManifest(root);
    return;
  }
  try {
    const made = release(root);
    process.stdout.write(
      [
        `Tagged ${made.tag} (and moved ${made.majorTag}) at ${made.commit}; packed ${made.tarball}.`,
        'Publish with:',
        `  git push origin main ${made.tag} && git push --force origin ${made.majorTag}`,
        `  npm publish ${made.tarball}`,
        '',
      ].join('\n'),
    );
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    process.stderr.write(`release: ${error.message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] === import.meta.filename) runFromCommandLine(join(import.meta.dirname, '..', '..'), process.argv[2]);
