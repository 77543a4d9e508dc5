import { join } from 'node:path';
import type { Layout, LayoutProblem, Migration } from '../types.js';

const FILE = /^(\d+)_(.+)\.(up|down)\.sql$/;

interface Parts {
  up?: string;
  down?: string;
}

/** golang-migrate: `<version>_<title>.up.sql` and `<version>_<title>.down.sql`, ordered by version. */
export const golangMigrate: Layout = {
  id: 'golang-migrate',
  detect(folder) {
    return folder.files.some((file) => FILE.test(file));
  },
  collect(folder) {
    const versions = new Map<string, Map<string, Parts>>();
    for (const file of [...folder.files].sort()) {
      const match = FILE.exec(file);
      if (!match) continue;
      const [, version = '', name = '', part = ''] = match;
      const names = versions.get(version) ?? new Map<string, Parts>();
      names.set(name, { ...names.get(name), [part]: file });
      versions.set(version, names);
    }
    const migrations: Migration[] = [];
    const problems: LayoutProblem[] = [];
    const at = (file: string): string => join(folder.path, file);
    for (const [version, names] of [...versions].sort(([left], [right]) => compareVersions(left, right))) {
      const withUp = [...names].filter(([, parts]) => parts.up !== undefined);
      for (const [name, parts] of names) {
        if (parts.up === undefined && parts.down !== undefined) {
          problems.push({ file: at(parts.down), message: `rollback ${parts.down} has no migration ${version}_${name}.up.sql: it will never run` });
        }
      }
      if (withUp.length > 1) {
        const listed = withUp.map(([name]) => name).join(', ');
        for (const [, parts] of withUp) {
          problems.push({ file: at(parts.up ?? ''), message: `version ${version} is used by ${withUp.length} migrations (${listed}): golang-migrate refuses to run them` });
        }
      }
      const [first] = withUp;
      if (!first) continue;
      const [name, parts] = first;
      migrations.push({
        id: version,
        version,
        name,
        up: { path: at(parts.up ?? ''), part: 'up' },
        down: parts.down === undefined ? undefined : { path: at(parts.down), part: 'down' },
        expectedRollbackPath: at(`${version}_${name}.down.sql`),
      });
    }
    return { migrations, problems };
  },
};

function compareVersions(left: string, right: string): number {
  const difference = BigInt(left) - BigInt(right);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
