import { type Dirent, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { LAYOUTS, layoutById } from './layouts/index.js';
import type { FolderListing, Layout, MigrationProject } from './types.js';

export type { FolderListing, Layout, LayoutProblem, Migration, MigrationFile, MigrationProject } from './types.js';

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
    const root = projectRoot(dirname(file));
    byRoot.set(root, [...(byRoot.get(root) ?? []), file]);
  }
  const projects: MigrationProject[] = [];
  const targets = new Set<string>();
  for (const [root, files] of byRoot) {
    const settings = (await options.settingsFor?.(root)) ?? {};
    const kept = files.filter((file) => !settings.isIgnored?.(file));
    if (kept.length === 0) continue;
    for (const file of kept) targets.add(file);
    projects.push(...projectsAt(root, kept, settings.layout, virtualFiles));
  }
  return { projects, targets, unmatched };
}

async function filesOf(input: string, cwd: string, virtualFiles: ReadonlySet<string>): Promise<string[]> {
  if (isDynamicPattern(input)) return (await glob(input, { cwd, absolute: true, ignore: NEVER_WALKED })).sort();
  const path = resolve(cwd, input);
  if (virtualFiles.has(path)) return [path];
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return [];
  if (stats.isFile()) return [path];
  const found = await glob('**/*.sql', { cwd: path, absolute: true, ignore: NEVER_WALKED });
  return found.sort();
}

/** The project in `root`, plus a project of its own for each target no layout claims. */
function projectsAt(root: string, targets: readonly string[], forcedLayout: string | undefined, virtualFiles: ReadonlySet<string>): MigrationProject[] {
  const listing = listFolder(root, virtualFiles);
  const layout = (forcedLayout === undefined ? undefined : layoutById(forcedLayout)) ?? detectLayout(listing);
  const { migrations, problems } = layout.collect(listing);
  const covered = new Set(migrations.flatMap((migration) => [migration.up.path, migration.down?.path]));
  // A target no layout claims (a rollback without its migration, a file without .sql) is linted on its own.
  const strays = targets.filter((file) => !covered.has(file)).map((file) => standaloneProject(file));
  return [{ root, layout: layout.id, migrations, problems }, ...strays];
}

function projectRoot(folder: string): string {
  for (const layout of LAYOUTS) {
    const root = layout.rootOf?.(folder);
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

function listFolder(path: string, virtualFiles: ReadonlySet<string>): FolderListing {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    // A folder that does not exist (yet) lists as empty: a layout then finds nothing in it.
  }
  const files = new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
  for (const file of virtualFiles) if (dirname(file) === path) files.add(basename(file));
  return {
    path,
    files: [...files],
    folders: entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name),
    sub: (name) => listFolder(join(path, name), virtualFiles),
  };
}
