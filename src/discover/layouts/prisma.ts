import { basename, dirname, join } from 'node:path';
import type { Layout, LayoutProblem, Migration } from '../types.js';
import { oneQueryString } from './common.js';

const MIGRATION_FOLDER = /^(\d+)_(.+)$/;
const MIGRATION = 'migration.sql';
/** Not a Prisma convention for running, but where Prisma's docs put a generated down migration (`prisma migrate diff ... > down.sql`). */
const DOWN = 'down.sql';

/** The schema engine sends migration.sql with one simple query (sql-schema-connector, `apply_migration_script`). */
const TRANSACTION = oneQueryString('Prisma Migrate sends each migration.sql as one query string, which PostgreSQL runs as one implicit transaction');

/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`, in folder-name order.
 * Prisma has no down migrations, so none is expected; a `down.sql` beside a migration is linted as its rollback.
 */
export const prisma: Layout = {
  id: 'prisma',
  detect(folder) {
    return folder.files.includes('migration_lock.toml') || folder.folders.some((name) => MIGRATION_FOLDER.test(name) && folder.sub(name).files.includes(MIGRATION));
  },
  rootOf(fileFolder, fileName) {
    const inMigrationFolder = MIGRATION_FOLDER.test(basename(fileFolder)) || (fileName === MIGRATION && basename(dirname(fileFolder)) === 'migrations');
    return fileName.endsWith('.sql') && inMigrationFolder ? dirname(fileFolder) : undefined;
  },
  collect(folder) {
    const migrations: Migration[] = [];
    const problems: LayoutProblem[] = [];
    for (const file of folder.files.filter((name) => name.endsWith('.sql'))) {
      problems.push({ file: join(folder.path, file), message: `Prisma does not run ${file}: each migration is a folder <timestamp>_<name> holding migration.sql` });
    }
    // Prisma orders migrations by folder name, character by character.
    for (const name of [...folder.folders].sort()) {
      const migrationFolder = folder.sub(name);
      const at = (file: string): string => join(migrationFolder.path, file);
      const sqlFiles = migrationFolder.files.filter((file) => file.endsWith('.sql'));
      for (const file of sqlFiles.filter((file) => file !== MIGRATION && file !== DOWN)) {
        problems.push({ file: at(file), message: `Prisma does not run ${name}/${file}: it runs migration.sql` });
      }
      const match = MIGRATION_FOLDER.exec(name);
      if (!sqlFiles.includes(MIGRATION)) {
        if (sqlFiles.includes(DOWN)) problems.push({ file: at(DOWN), message: `${name}/down.sql has no migration.sql beside it` });
        continue;
      }
      migrations.push({
        id: name,
        version: match?.[1] ?? name,
        name: match?.[2] ?? name,
        up: { path: at(MIGRATION), part: 'up', transaction: TRANSACTION },
        down: sqlFiles.includes(DOWN) ? { path: at(DOWN), part: 'down' } : undefined,
        expectedRollbackPath: undefined,
      });
    }
    return { migrations, problems };
  },
};
