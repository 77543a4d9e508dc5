import { type Dirent, type Stats, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { glob, isDynamicPattern } from 'tinyglobby';
import { LAYOUTS, layoutById } from './layouts/index.js';
import type { FolderListing, Layout, MigrationProject } from './types.js';

export type { FolderListing, Layout, LayoutProblem, Migration, MigrationFile, MigrationProject, TextRange, TransactionPolicy } from './types.js';
export { LAYOUT_IDS } from './layouts/index.js';
export { partText } from './part-text.js';

/** What a project's configuration says about discovering it. */
export interface ProjectSettings {
  /** Use this layout instead of detecting one. */
  readonly layout?: string | undefined;
  readonly isIgnored?: (path: string) => boolean;
}

export interface DiscoverOptions {
  readonly cwd: string;
  /** Files that exist only in memory (stdin, an editor's unsaved document). */
  readonly virtualFiles?: readonly string[];
  /** Reads a file as the linter will (an unsaved text first); undefined when it cannot. Layouts read dbmate's markers and Diesel's metadata.toml with it. */
  readonly readText?: (path: string) => string | undefined;
  /** The settings for the project in a folder (its configuration is looked up from there). */
  readonly settingsFor?: (root: string) => Promise<ProjectSettings>;
}

export interface Discovery {
  /** Each project with its whole history, so the migrations before a target can be read for context. */
  readonly projects: readonly MigrationProject[];
  /** The files to report on. */
  readonly targets: ReadonlySet<string>;
  /** Inputs that matched no file. */
  readonly unmatched: readonly string[];
}

const NEVER_WALKED = ['**/node_modules/**', '**/.git/**'];

/**
 * Finds the files the inputs name (files, folders, globs), the migration project each belongs
 * to, and every migration of those projects in order.
 */
export async function discover(inputs: readonly string[], options: DiscoverOptions): Promise<Discovery> {
  const virtualFiles = new Set((options.virtualFiles ?? []).map((file) => resolve(options.cwd, file)));
  const found = new Set<string>();
  const unmatched: string[] = [];
  for (const input of inputs) {
    const files = await filesOf(input, options.cwd, virtualFiles);
    if (files.length === 0) unmatched.push(input);
    for (const file of files) found.add(file);
  }
  const byRoot = new Map<string, string[]>();
  for (const file of found) {
    const root = projectRoot(file);
    const files = byRoot.get(root);
    if (files) files.push(file);
    else byRoot.set(root, [file]);
  }
  const reader: Reader = { virtualFiles, read: options.readText ?? readFromDisk };
  const projects: MigrationProject[] = [];
  const targets = new Set<string>();
  for (const [root, files] of byRoot) {
    const settings = (await options.settingsFor?.(root)) ?? {};
    const kept = files.filter((file) => !settings.isIgnored?.(file));
    if (kept.length === 0) continue;
    for (const file of kept) targets.add(file);
    projects.push(...projectsAt(root, kept, settings.layout, reader));
  }
  return { projects, targets, unmatched };
}

async function filesOf(input: string, cwd: string, virtualFiles: ReadonlySet<string>): Promise<string[]> {
  if (isDynamicPattern(input)) {
    const matches = picomatch(resolve(cwd, input), { dot: true });
    return withVirtual(await glob(input, { cwd, absolute: true, ignore: NEVER_WALKED }), virtualFiles, matches);
  }
  const path = resolve(cwd, input);
  if (virtualFiles.has(path)) return [path];
  const stats = statsOf(path);
  if (!stats) return [];
  if (stats.isFile()) return [path];
  const found = await glob('**/*.sql', { cwd: path, absolute: true, ignore: NEVER_WALKED });
  const inFolder = (file: string): boolean => file.endsWith('.sql') && !relative(path, file).startsWith('..');
  return withVirtual(found, virtualFiles, inFolder);
}

/** Files found on disk and the in-memory ones that match too: a migration staged and then deleted from the working tree is still committed. */
function withVirtual(found: readonly string[], virtualFiles: ReadonlySet<string>, matches: (file: string) => boolean): string[] {
  const files = new Set(found);
  for (const file of virtualFiles) if (matches(file)) files.add(file);
  return [...files].sort();
}

/** A path's stats; undefined when it does not exist or cannot be followed (a symbolic link loop): it then matches nothing. */
function statsOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}


interface Reader {
  readonly virtualFiles: ReadonlySet<string>;
  read(path: string): string | undefined;
}

function readFromDisk(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The project in `root`, plus a project of its own for each target no layout claims. A file the
 * layout names in a problem without running it (`notes.sql` among golang-migrate's files, a
 * rollback without its migration) is not one: its statements never reach a database, and the
 * problem is its finding.
 */
function projectsAt(root: string, targets: readonly string[], forcedLayout: string | undefined, reader: Reader): MigrationProject[] {
  const listing = listFolder(root, reader);
  const layout = (forcedLayout === undefined ? undefined : layoutById(forcedLayout)) ?? detectLayout(listing);
  const { migrations, problems, unlinted } = layout.collect(listing);
  const covered = new Set([...migrations.flatMap((migration) => [migration.up.path, migration.down?.path]), ...(unlinted ?? []), ...problems.map((problem) => problem.file)]);
  // A target no layout claims (outside a migrations folder's conventions altogether) is linted on its own.
  const strays = targets.filter((file) => !covered.has(file)).map((file) => standaloneProject(file));
  return [{ root, layout: layout.id, migrations, problems, unlinted }, ...strays];
}

/** The project folder of a file: its own folder, unless a layout puts such files below the project's (`rollback/`, `<version>_<name>/up.sql`). */
function projectRoot(file: string): string {
  const folder = dirname(file);
  for (const layout of LAYOUTS) {
    const root = layout.rootOf?.(folder, basename(file));
    if (root !== undefined) return root;
  }
  return folder;
}

function detectLayout(listing: FolderListing): Layout {
  const layout = LAYOUTS.find((candidate) => candidate.detect(listing));
  if (!layout) throw new Error('the plain layout accepts every folder');
  return layout;
}

function standaloneProject(file: string): MigrationProject {
  const name = basename(file).replace(/\.sql$/, '');
  return {
    root: dirname(file),
    layout: 'plain',
    migrations: [{ id: name, version: name, name, up: { path: file, part: 'up' }, down: undefined, expectedRollbackPath: undefined }],
    problems: [],
  };
}

function listFolder(path: string, reader: Reader): FolderListing {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    // A folder that does not exist (yet) lists as empty: a layout then finds nothing in it.
  }
  const files = new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
  const folders = new Set(entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name));
  for (const file of reader.virtualFiles) {
    // An unsaved file, or one in a folder not yet on disk (a new <version>_<name>/up.sql), is listed where it will be.
    const relativeParts = relative(path, file).split(sep);
    if (relativeParts.length === 1 && relativeParts[0] !== '..') files.add(basename(file));
    else if (relativeParts.length > 1 && relativeParts[0] !== '..' && relativeParts[0] !== undefined) folders.add(relativeParts[0]);
  }
  return {
    path,
    files: [...files],
    folders: [...folders],
    sub: (name) => listFolder(join(path, name), reader),
    read: (name) => reader.read(join(path, name)),
  };
}
