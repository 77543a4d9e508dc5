import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The files in the working directory that can hold cosmiconfig's own options (its search places, for one), besides package.json. */
const COSMICONFIG_OPTION_FILES = [
  'package.yaml',
  '.config/config.json',
  '.config/config.yaml',
  '.config/config.yml',
  '.config/config.js',
  '.config/config.ts',
  '.config/config.cjs',
  '.config/config.mjs',
];

/**
 * cosmiconfig's own options file in the working folder when it is code (`.config/config.js` ...):
 * cosmiconfig runs it as soon as it is created, before any search of ours.
 */
export function cosmiconfigCodeOptions(cwd: string): string | undefined {
  return COSMICONFIG_OPTION_FILES.map((file) => join(cwd, file)).find((path) => /\.[cm]?[jt]s$/.test(path) && existsSync(path));
}

/**
 * Whether cosmiconfig's "project" search from `folder` certainly finds no configuration: no
 * search place exists in the folders it visits (up to the first one with a package.json or
 * package.yaml), a package.json among them has no `moduleName` key, and no options file in the
 * working directory could change where it looks. Answered with a few synchronous file checks,
 * so a project without configuration never loads cosmiconfig nor waits for its asynchronous
 * search; whenever the answer is not certain, cosmiconfig searches as usual.
 */
export function certainlyUnconfigured(folder: string, searchPlaces: readonly string[], moduleName: string): boolean {
  const cwd = process.cwd();
  if (COSMICONFIG_OPTION_FILES.some((file) => existsSync(join(cwd, file))) || hasKey(join(cwd, 'package.json'), 'cosmiconfig') !== false) return false;
  for (let current = folder; ; current = dirname(current)) {
    for (const place of searchPlaces) {
      const path = join(current, place);
      if (place === 'package.json' ? hasKey(path, moduleName) !== false : existsSync(path)) return false;
    }
    const projectRoot = existsSync(join(current, 'package.json')) || existsSync(join(current, 'package.yaml'));
    if (projectRoot || dirname(current) === current) return true;
  }
}

/** Whether a JSON file has a top-level key: false when there is no such file, undefined when it cannot be read as JSON. */
function hasKey(path: string, key: string): boolean | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? false : undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && Object.hasOwn(value, key);
  } catch {
    return undefined;
  }
}
