import { basename, dirname, join } from 'node:path';
import { naturalCompare } from '../natural-order.js';
import type { Layout, LayoutProblem, Migration } from '../types.js';

const ROLLBACK_FOLDER = 'rollback';
const ROLLBACK_SUFFIX = '_down.sql';

/**
 * Supabase as the migration safety guide lays it out: `supabase/migrations/<timestamp>_<name>.sql`,
 * with each rollback in `supabase/migrations/rollback/<same name>_down.sql`.
 */
export const supabase: Layout = {
  id: 'supabase',
  detect(folder) {
    const isSupabaseFolder = basename(folder.path) === 'migrations' && basename(dirname(folder.path)) === 'supabase';
    return isSupabaseFolder || folder.folders.includes(ROLLBACK_FOLDER);
  },
  rootOf(fileFolder) {
    return basename(fileFolder) === ROLLBACK_FOLDER ? dirname(fileFolder) : undefined;
  },
  collect(folder) {
    const rollbackFolder = folder.sub(ROLLBACK_FOLDER);
    const rollbacks = new Set(rollbackFolder.files.filter((file) => file.endsWith(ROLLBACK_SUFFIX)));
    const migrations: Migration[] = [];
    for (const file of folder.files.filter((name) => name.endsWith('.sql')).sort(naturalCompare)) {
      const name = file.slice(0, -'.sql'.length);
      const rollbackFile = `${name}${ROLLBACK_SUFFIX}`;
      const expectedRollbackPath = join(rollbackFolder.path, rollbackFile);
      const hasRollback = rollbacks.delete(rollbackFile);
      migrations.push({
        id: name,
        version: /^\d+/.exec(name)?.[0] ?? name,
        name,
        up: { path: join(folder.path, file), part: 'up' },
        down: hasRollback ? { path: expectedRollbackPath, part: 'down' } : undefined,
        expectedRollbackPath,
      });
    }
    const problems: LayoutProblem[] = [...rollbacks].map((file) => ({
      file: join(rollbackFolder.path, file),
      message: `rollback ${file} has no migration ${file.slice(0, -ROLLBACK_SUFFIX.length)}.sql in ${folder.path}`,
    }));
    return { migrations, problems };
  },
};
