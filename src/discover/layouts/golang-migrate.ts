import { join } from 'node:path';
import type { Layout, LayoutProblem, Migration } from '../types.js';

const FILE = /^(\d+)_(.+)\.(up|down)\.sql$/;

/** golang-migrate: `<version>_<title>.up.sql` and `<version>_<title>.down.sql`, ordered by version. */
export const golangMigrate: Layout = {
  id: 'golang-migrate',
  detect(folder) {
    return folder.files.some((file) => FILE.test(file));
  },
  collect(folder) {
    const byVersion = new Map<string, { name: string; up?: string; down?: string }>();
    const problems: LayoutProblem[] = [];
    for (const file of folder.files) {
      const match = FILE.exec(file);
      if (!match) continue;
      const [, version = '', name = '', part] = match;
      const entry = byVersion.get(version) ?? { name };
      const existing = part === 'up' ? entry.up : entry.down;
      if (existing !== undefined) {
        problems.push({ file: join(folder.path, file), message: `version ${version} has two ${part} migrations: ${existing} and ${file}` });
        continue;
      }
      byVersion.set(version, part === 'up' ? { ...entry, up: file } : { ...entry, down: file });
    }
    const migrations: Migration[] = [];
    for (const [version, entry] of [...byVersion].sort(([left], [right]) => compareVersions(left, right))) {
      if (entry.up === undefined) {
        problems.push({ file: join(folder.path, entry.down ?? ''), message: `rollback ${entry.down ?? ''} has no ${version}_${entry.name}.up.sql` });
        continue;
      }
      const expectedRollbackPath = join(folder.path, `${version}_${entry.name}.down.sql`);
      migrations.push({
        id: version,
        version,
        name: entry.name,
        up: { path: join(folder.path, entry.up), part: 'up' },
        down: entry.down === undefined ? undefined : { path: join(folder.path, entry.down), part: 'down' },
        expectedRollbackPath,
      });
    }
    return { migrations, problems };
  },
};

function compareVersions(left: string, right: string): number {
  const difference = BigInt(left) - BigInt(right);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
