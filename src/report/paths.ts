import { isAbsolute, relative, sep } from 'node:path';

/** Paths already made relative, per working folder: a report names the same few files thousands of times. */
const shownPaths = new Map<string, Map<string, string>>();

/** A path as people and CI tools expect it in reports: relative to the working folder, with forward slashes. */
export function reportPath(file: string, cwd: string): string {
  let shown = shownPaths.get(cwd);
  if (!shown) shownPaths.set(cwd, (shown = new Map<string, string>()));
  let path = shown.get(file);
  if (path === undefined) {
    path = isAbsolute(file) ? relative(cwd, file) : file;
    if (sep !== '/') path = path.split(sep).join('/');
    shown.set(file, path);
  }
  return path;
}
