import { basename, dirname, join } from 'node:path';
import { naturalCompare } from '../natural-order.js';
import type { Layout, LayoutProblem, Migration, TransactionPolicy } from '../types.js';
import { oneTransaction, ownStatements } from './common.js';

const ROLLBACK_FOLDER = 'rollback';
const ROLLBACK_SUFFIX = '_down.sql';
/** The Supabase CLI's own pattern; it skips other files. */
const MIGRATION_FILE = /^(\d+)_.*\.sql$/;

/**
 * The Supabase CLI runs each file in one transaction, except that statements PostgreSQL refuses
 * in a block run on their own between batches, and a file with its own BEGIN/COMMIT runs as
 * written (supabase/cli, `execMigrationBatch` and `isPipelineIncompatible`).
 */
const SUPABASE_CLI: TransactionPolicy = {
  ...oneTransaction('the Supabase CLI runs each migration file in one transaction'),
  nonTransactional: 'alone',
  ownTransactionRunsAsWritten: true,
};

/**
 * A project with the guide's `rollback/` folder is run by the guide's own script
 * (`./scripts/migrate-safe.sh up` and `down`), which migrate-safe cannot see: statement by
 * statement, as psql runs a file, unless `assumeInTransaction` says the script wraps each file.
 */
const GUIDE_SCRIPT = ownStatements("the guide's migrate-safe.sh applies these files; set assumeInTransaction if it runs each in one transaction");

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
    const transaction = folder.folders.includes(ROLLBACK_FOLDER) ? GUIDE_SCRIPT : SUPABASE_CLI;
    const rollbacks = new Set(rollbackFolder.files.filter((file) => file.endsWith(ROLLBACK_SUFFIX)));
    const migrations: Migration[] = [];
    const problems: LayoutProblem[] = [];
    for (const file of folder.files.filter((name) => name.endsWith('.sql')).sort(naturalCompare)) {
      if (!MIGRATION_FILE.test(file)) {
        problems.push({ file: join(folder.path, file), message: `the Supabase CLI skips ${file}: migration files are named <timestamp>_<name>.sql` });
        continue;
      }
      const name = file.slice(0, -'.sql'.length);
      const rollbackFile = `${name}${ROLLBACK_SUFFIX}`;
      const expectedRollbackPath = join(rollbackFolder.path, rollbackFile);
      const hasRollback = rollbacks.delete(rollbackFile);
      migrations.push({
        id: name,
        version: /^\d+/.exec(name)?.[0] ?? name,
        name,
        up: { path: join(folder.path, file), part: 'up', transaction },
        down: hasRollback ? { path: expectedRollbackPath, part: 'down', transaction: GUIDE_SCRIPT } : undefined,
        expectedRollbackPath,
      });
    }
    for (const file of rollbacks) {
      problems.push({
        file: join(rollbackFolder.path, file),
        message: `rollback ${file} has no migration ${file.slice(0, -ROLLBACK_SUFFIX.length)}.sql in the folder above: it will never run`,
      });
    }
    return { migrations, problems };
  },
};
