import { isAbsolute, relative, sep } from 'node:path';

/** A path as people and CI tools expect it in reports: relative to the working folder, with forward slashes. */
export function reportPath(file: string, cwd: string): string {
  const path = isAbsolute(file) ? relative(cwd, file) : file;
  return sep === '/' ? path : path.split(sep).join('/');
}
