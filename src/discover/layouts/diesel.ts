import { basename, dirname, join } from 'node:path';
import { parse } from 'smol-toml';
import { naturalCompare } from '../natural-order.js';
import type { FolderListing, Layout, LayoutProblem, Migration, TransactionPolicy } from '../types.js';
import { duplicateVersions, oneTransaction, ownStatements } from './common.js';

/** `<version>_<name>`: Diesel's versions are timestamps, with or without dashes (2024-01-31-120000). */
const MIGRATION_FOLDER = /^(\d[\d-]*)_(.+)$/;
const UP = 'up.sql';
const DOWN = 'down.sql';

const IN_TRANSACTION = oneTransaction('Diesel runs each migration in one transaction (`run_in_transaction = false` in its metadata.toml opts out)');
const OPTED_OUT = ownStatements('`run_in_transaction = false` in its metadata.toml makes Diesel run it without a transaction');

function versionOf(name: string): string {
  return (name.split('_')[0] ?? name).replaceAll('-', '');
}

function byDieselVersion(left: string, right: string): number {
  const [a, b] = [versionOf(left), versionOf(right)];
  return a < b ? -1 : a > b ? 1 : naturalCompare(left, right);
}

/** A folder per migration, as Diesel lays it out: `<version>_<name>/up.sql` and `down.sql`. */
export const diesel: Layout = {
  id: 'diesel',
  detect(folder) {
    return folder.folders.some((name) => MIGRATION_FOLDER.test(name) && folder.sub(name).files.includes(UP));
  },
  rootOf(fileFolder, fileName) {
    return fileName.endsWith('.sql') && MIGRATION_FOLDER.test(basename(fileFolder)) ? dirname(fileFolder) : undefined;
  },
  collect(folder) {
    const migrations: Migration[] = [];
    const problems: LayoutProblem[] = [];
    for (const file of folder.files.filter((name) => name.endsWith('.sql'))) {
      problems.push({ file: join(folder.path, file), message: `Diesel does not run ${file}: each migration is a folder <version>_<name> holding up.sql and down.sql` });
    }
    // Diesel's version is the name up to the first `_` without its dashes, and migrations run in the
    // order of those versions as text (diesel_migrations `version_from_string`, `MigrationVersion: Ord`):
    // 20170309122510_x runs before 2017-10-08-193512_y.
    for (const name of [...folder.folders].sort(byDieselVersion)) {
      const migrationFolder = folder.sub(name);
      const sqlFiles = migrationFolder.files.filter((file) => file.endsWith('.sql'));
      const match = MIGRATION_FOLDER.exec(name);
      const at = (file: string): string => join(migrationFolder.path, file);
      if (!match) {
        for (const file of sqlFiles) problems.push({ file: at(file), message: `Diesel does not run ${name}/${file}: migration folders are named <version>_<name>` });
        continue;
      }
      for (const file of sqlFiles.filter((file) => file !== UP && file !== DOWN)) {
        problems.push({ file: at(file), message: `Diesel does not run ${name}/${file}: it runs up.sql, and down.sql to revert` });
      }
      const hasUp = sqlFiles.includes(UP);
      const hasDown = sqlFiles.includes(DOWN);
      if (!hasUp) {
        if (hasDown) problems.push({ file: at(DOWN), message: `${name}/down.sql has no up.sql beside it: Diesel cannot run this migration` });
        continue;
      }
      const { transaction, problem } = transactionOf(migrationFolder);
      if (problem !== undefined) problems.push({ file: at('metadata.toml'), message: `Diesel cannot read ${name}/metadata.toml: ${problem}` });
      migrations.push({
        id: name,
        version: versionOf(name),
        name: match[2] ?? name,
        up: { path: at(UP), part: 'up', transaction },
        down: hasDown ? { path: at(DOWN), part: 'down', transaction } : undefined,
        expectedRollbackPath: at(DOWN),
      });
    }
    problems.push(...duplicateVersions(migrations, 'Diesel records migrations by version, so they cannot both run'));
    return { migrations, problems };
  },
};

/** `run_in_transaction = false` in the migration's metadata.toml (Diesel's MigrationMetadata). */
function transactionOf(migrationFolder: FolderListing): { transaction: TransactionPolicy; problem?: string } {
  const text = migrationFolder.files.includes('metadata.toml') ? migrationFolder.read('metadata.toml') : undefined;
  if (text === undefined) return { transaction: IN_TRANSACTION };
  try {
    return { transaction: parse(text).run_in_transaction === false ? OPTED_OUT : IN_TRANSACTION };
  } catch (error) {
    return { transaction: IN_TRANSACTION, problem: (error as Error).message.split('\n')[0] ?? '' };
  }
}
