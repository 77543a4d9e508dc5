import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { UsageError } from '../config/errors.js';
import type { FileChange } from '../plugin/rule.js';

export interface ChangeOptions {
  /**
   * What is linted (absolute files or folders, existing or not): the repositories they sit in are
   * compared, not the one of the working folder. Paths come back absolute, spelled as these are.
   */
  readonly locations: readonly string[];
  /** Compare with the merge base of HEAD and this ref (`--since`). */
  readonly since?: string | undefined;
  /** Compare the index (what `git commit` would record) instead of the working tree (`--staged`). */
  readonly staged: boolean;
}

export interface GitChanges {
  /** Files added or modified against the base, by absolute path; deleted files are not there. */
  readonly files: ReadonlyMap<string, FileChange>;
  /** With `staged`: the staged text of every `.sql` file whose index content differs from the working tree. */
  readonly stagedTexts: ReadonlyMap<string, string>;
}

/** Diff output as git prints it without the user's configuration: no colors, external tools, text conversion or rename pairs. */
const PLAIN_DIFF = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'];

/**
 * What changed in the git repositories the locations sit in: against the merge base with `since`,
 * or with HEAD for staged changes alone. Files git does not track yet count as added (not with
 * `staged`: they are not part of the commit).
 */
export function gitChanges(options: ChangeOptions): GitChanges {
  const option = options.since === undefined ? '--staged' : `--since ${options.since}`;
  const files = new Map<string, FileChange>();
  const stagedTexts = new Map<string, string>();
  const roots = new Set<string>();
  for (const location of options.locations) {
    const repository = new Repository(existingFolderOf(location), option);
    if (roots.has(repository.root)) continue;
    roots.add(repository.root);
    for (const [path, change] of changesIn(repository, options)) files.set(path, change);
    if (options.staged) for (const [path, text] of repository.stagedTexts()) stagedTexts.set(path, text);
  }
  return { files, stagedTexts };
}

function changesIn(repository: Repository, options: ChangeOptions): Map<string, FileChange> {
  const base = options.since === undefined ? repository.headOrEmptyTree() : repository.mergeBase(options.since);
  const staged = options.staged ? ['--cached'] : [];
  const files = new Map<string, FileChange>();
  const entries = repository.run(['diff', ...PLAIN_DIFF, '--name-status', '-z', ...staged, base]).split('\0');
  for (let index = 0; index + 1 < entries.length; index += 2) {
    const status = entries[index];
    const path = entries[index + 1] ?? '';
    if (status === 'A') files.set(repository.absolute(path), { kind: 'added', since: options.since, firstChangedLine: undefined });
    if (status === 'M' || status === 'T') {
      const firstChangedLine = firstChangedLineOf(repository.run(['diff', ...PLAIN_DIFF, '-U0', ...staged, base, '--', path]));
      files.set(repository.absolute(path), { kind: 'modified', since: options.since, firstChangedLine });
    }
  }
  if (!options.staged) {
    for (const path of nulSeparated(repository.run(['ls-files', '--others', '--exclude-standard', '-z']))) {
      files.set(repository.absolute(path), { kind: 'added', since: options.since, firstChangedLine: undefined });
    }
  }
  return files;
}

/** The folder git is asked from: the location itself when it is one, else the nearest existing folder above it. */
function existingFolderOf(location: string): string {
  let folder = location;
  while (!isFolder(folder)) {
    const parent = dirname(folder);
    if (parent === folder) return folder;
    folder = parent;
  }
  return folder;
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** The files of the base a repository's work is compared with, as absolute paths, and the base's name. */
export interface BaseFiles {
  readonly base: string;
  readonly files: ReadonlySet<string>;
}

/**
 * The files the base has, for the repository around `folder`: the merge base of HEAD and `since`,
 * or without it of HEAD and the default branch (origin's HEAD, `init.defaultBranch`, main, master), else HEAD
 * itself (before the first commit, the empty tree). An editor counts what the base lacks as never
 * deployed. Undefined outside a repository; an unknown `since` is a usage error.
 */
export function filesAtBase(folder: string, since: string | undefined): BaseFiles | undefined {
  const option = since === undefined ? 'the editor\'s base' : `since ${since}`;
  let repository: Repository;
  try {
    repository = new Repository(existingFolderOf(folder), option);
  } catch {
    return undefined;
  }
  const head = repository.headOrEmptyTree();
  let base: string;
  let name: string;
  if (since !== undefined) {
    base = repository.mergeBase(since);
    name = since;
  } else {
    const ref = repository.defaultBranch();
    base = (ref === undefined ? undefined : repository.mergeBaseIfAny(ref)) ?? head;
    name = ref ?? 'HEAD';
  }
  const files = new Set(nulSeparated(repository.run(['ls-tree', '-r', '--name-only', '-z', base])).map((path) => repository.absolute(path)));
  return { base: name, files };
}

/** Where a migration counts as applied: the branch it is committed on, and whether a file is there. */
export interface AppliedInGit {
  /** The ref that says so, as shown to people: `origin/main`, or the base commit of `--since`. */
  readonly ref: string;
  has(path: string): boolean;
}

/**
 * The files committed on the repository's default branch (the remote's HEAD, `origin/main`;
 * else the local branch `init.defaultBranch` names, `main` or `master`): merged there, a
 * migration has been or will be applied as it is. Undefined outside a repository, or when no
 * default branch is known.
 */
export function committedOnDefaultBranch(folder: string): AppliedInGit | undefined {
  let repository: Repository;
  try {
    repository = new Repository(folder, '--fix');
  } catch {
    return undefined;
  }
  const ref = repository.defaultBranch();
  if (ref === undefined) return undefined;
  const known = new Map<string, boolean>();
  return {
    ref,
    has(path) {
      let committed = known.get(path);
      if (committed === undefined) {
        committed = repository.succeeds(['cat-file', '-e', `${ref}:${repository.relative(path)}`]);
        known.set(path, committed);
      }
      return committed;
    },
  };
}

/** Runs git in a repository's top folder, turning git's failures into one-line usage errors. */
class Repository {
  readonly root: string;
  private readonly option: string;

  constructor(folder: string, option: string) {
    this.option = option;
    let up: string;
    try {
      up = runGit(['rev-parse', '--show-cdup'], folder).trim();
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${option} needs a git repository, and ${folder} is not in one`);
    }
    // Relative to the folder, so paths keep the spelling the rest of the run uses (symlinked temp folders).
    this.root = resolve(folder, up);
  }

  absolute(path: string): string {
    return resolve(this.root, path);
  }

  /** A path in the repository as git names it (forward slashes, from the top folder). */
  relative(path: string): string {
    return relative(this.root, path).split(sep).join('/');
  }

  /** Whether a git command succeeds (quietly). */
  succeeds(args: readonly string[]): boolean {
    try {
      runGit(['--literal-pathspecs', ...args], this.root);
      return true;
    } catch {
      return false;
    }
  }

  /** The branch a pull request merges into: the remote's HEAD, else a local `init.defaultBranch`, `main` or `master`. */
  defaultBranch(): string | undefined {
    try {
      const remoteHead = runGit(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], this.root).trim();
      if (remoteHead !== '') return remoteHead;
    } catch {
      // No remote, or a remote without a HEAD: look for the usual local branches.
    }
    let configured: string | undefined;
    try {
      configured = runGit(['config', 'init.defaultBranch'], this.root).trim() || undefined;
    } catch {
      configured = undefined;
    }
    return [configured, 'main', 'master'].find((branch) => branch !== undefined && this.succeeds(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]));
  }

  run(args: readonly string[]): string {
    try {
      return runGit(['--literal-pathspecs', ...args], this.root);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${this.option}: git ${args[0] ?? ''} failed: ${firstLine((error as Error).message)}`);
    }
  }

  /** The commit both HEAD and `ref` descend from: the branch point of a pull request. */
  mergeBase(ref: string): string {
    let commit: string;
    try {
      commit = runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], this.root).trim();
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${this.option}: no commit "${ref}" in this repository (in CI, fetch it: a shallow checkout has only the last commit)`);
    }
    try {
      return runGit(['merge-base', commit, 'HEAD'], this.root).trim();
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${this.option}: HEAD and "${ref}" have no common history here (a shallow clone? fetch the full history)`);
    }
  }

  /** The merge base of HEAD and a ref, when they share history. */
  mergeBaseIfAny(ref: string): string | undefined {
    try {
      return this.mergeBase(ref);
    } catch {
      return undefined;
    }
  }

  /** HEAD, or before the first commit the empty tree, so every staged file counts as added. */
  headOrEmptyTree(): string {
    try {
      return runGit(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], this.root).trim();
    } catch {
      return this.run(['hash-object', '-t', 'tree', '--stdin']).trim();
    }
  }

  stagedTexts(): Map<string, string> {
    const texts = new Map<string, string>();
    // Files whose working copy differs from the index (or is gone): the index holds what gets committed.
    for (const path of nulSeparated(this.run(['diff', ...PLAIN_DIFF, '--name-only', '-z']))) {
      if (path.endsWith('.sql')) texts.set(this.absolute(path), this.run(['cat-file', 'blob', `:${path}`]));
    }
    return texts;
  }
}

function runGit(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: '', maxBuffer: 1 << 30 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError('git is not installed, and --since and --staged need it');
    const stderr = (error as { stderr?: string }).stderr;
    throw new Error(stderr !== undefined && stderr.trim() !== '' ? stderr.trim() : (error as Error).message, { cause: error });
  }
}

/** The first line of the new side in a `-U0` diff: where the edit starts. */
function firstChangedLineOf(diff: string): number | undefined {
  const match = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/m.exec(diff);
  if (!match?.[1]) return undefined;
  const start = Number(match[1]);
  // A pure deletion names the line before the removed ones.
  return match[2] === '0' ? start + 1 : Math.max(start, 1);
}

function nulSeparated(output: string): string[] {
  return output.split('\0').filter((entry) => entry !== '');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
