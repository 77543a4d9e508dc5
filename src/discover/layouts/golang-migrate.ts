import { join } from 'node:path';
import type { Layout, LayoutProblem, Migration } from '../types.js';
import { compareNumbers, duplicateVersions, oneQueryString } from './common.js';

const FILE = /^(\d+)_(.+)\.(up|down)\.sql$/;

/** The postgres driver runs a file with one Exec of the whole text (database/postgres/postgres.go). */
const TRANSACTION = oneQueryString(
  'golang-migrate sends each migration file as one query string, which PostgreSQL runs as one implicit transaction (unless x-multi-statement=true)',
);

interface Parts {
  readonly version: string;
  readonly name: string;
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
    const byStem = new Map<string, Parts>();
    const problems: LayoutProblem[] = [];
    const at = (file: string): string => join(folder.path, file);
    for (const file of [...folder.files].sort()) {
      const match = FILE.exec(file);
      if (!match) {
        if (file.endsWith('.sql')) problems.push({ file: at(file), message: `golang-migrate ignores ${file}: it runs only <version>_<title>.up.sql (and .down.sql)` });
        continue;
      }
      const [, version = '', name = '', part = ''] = match;
      const stem = `${version}_${name}`;
      const parts = byStem.get(stem) ?? { version, name };
      parts[part as 'up' | 'down'] = file;
      byStem.set(stem, parts);
    }
    const migrations: Migration[] = [];
    const ordered = [...byStem].sort(([leftStem, left], [rightStem, right]) => compareNumbers(left.version, right.version) || leftStem.localeCompare(rightStem));
    for (const [stem, { version, name, up, down }] of ordered) {
      if (up === undefined) {
        if (down !== undefined) problems.push({ file: at(down), message: `rollback ${down} has no migration ${stem}.up.sql: it will never run` });
        continue;
      }
      migrations.push({
        id: stem,
        version,
        name,
        up: { path: at(up), part: 'up', transaction: TRANSACTION },
        down: down === undefined ? undefined : { path: at(down), part: 'down', transaction: TRANSACTION },
        expectedRollbackPath: at(`${stem}.down.sql`),
      });
    }
    problems.push(...duplicateVersions(migrations, 'golang-migrate refuses to run them'));
    return { migrations, problems };
  },
};
