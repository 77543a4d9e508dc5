import { basename, dirname, join } from 'node:path';
import { naturalCompare } from '../natural-order.js';
import type { Layout, LayoutProblem, Migration, TransactionPolicy } from '../types.js';
import { migrateSafe, oneTransaction, ownStatements } from './common.js';

const ROLLBACK_FOLDER = 'rollback';
const ROLLBACK_SUFFIX = '_down.sql';
/** The Supabase CLI's own pattern; it skips other files. */
const MIGRATION_FILE = /^(\d+)_.*\.sql$/;

/**
 * The Supabase CLI (`supabase db push`, `migration up`) runs each file in one transaction with its
 * history row, except that a statement PostgreSQL refuses in a block runs on its own between two
 * batches, a file with its own BEGIN/COMMIT runs as written, and a file whose first line is
 * `-- pg-delta: transaction=false` runs statement by statement (supabase/cli, `execMigrationBatch`,
 * `isPipelineIncompatible`, `hasTransactionControl`, `parseMigrationContent`).
 */
const SUPABASE_CLI: TransactionPolicy = {
  ...oneTransaction('the Supabase CLI runs each migration file in one transaction (a statement PostgreSQL refuses in one runs on its own)'),
  nonTransactional: 'alone',
  ownTransactionRunsAsWritten: true,
};

const NO_TRANSACTION_DIRECTIVE = '-- pg-delta: transaction=false';
const SUPABASE_CLI_NO_TRANSACTION = ownStatements(`the Supabase CLI runs a file whose first line is "${NO_TRANSACTION_DIRECTIVE}" statement by statement`);

/** The guide's rollback files: no migration tool but migrate-safe's `down` runs them (the Supabase CLI never reads rollback/). */
const ROLLBACK = migrateSafe();

/** The Supabase CLI's directive: the exact first line, after a byte order mark, ending in LF or CRLF. */
function supabasePolicy(text: string | undefined): TransactionPolicy {
  const firstLine = (text ?? '').replace(/^\uFEFF/, '').split('\n')[0]?.replace(/\r$/, '');
  return firstLine === NO_TRANSACTION_DIRECTIVE ? SUPABASE_CLI_NO_TRANSACTION : SUPABASE_CLI;
}

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
        up: { path: join(folder.path, file), part: 'up', transaction: supabasePolicy(folder.read(file)) },
        down: hasRollback ? { path: expectedRollbackPath, part: 'down', transaction: ROLLBACK } : undefined,
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
