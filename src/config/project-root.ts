import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';

/** What marks the top folder of a project: its git repository, or its package. */
const PROJECT_MARKERS = ['.git', 'package.json'];

/**
 * The project a path belongs to: the nearest folder at or above it holding a git repository or a
 * package.json, never above the user's home folder. Undefined when there is none: a file outside
 * any project.
 */
export function projectRootOf(path: string): string | undefined {
  const home = homedir();
  for (let folder = path; ; folder = dirname(folder)) {
    if (PROJECT_MARKERS.some((marker) => existsSync(join(folder, marker)))) return folder;
    if (folder === home || dirname(folder) === folder) return undefined;
  }
}

/** Whether `path` is `folder` or lies below it. */
export function isInside(path: string, folder: string): boolean {
  const below = relative(folder, path);
  return below === '' || (!below.startsWith('..') && !isAbsolute(below));
}
