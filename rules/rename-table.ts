import { type QualifiedName, type StatementContext, type TableState, defineRule, displayName, nameOfRangeVar, quoteIdentifier } from '../src/api.js';
import { deprecateThenDrop, migrationStep } from './support/help.js';

export default defineRule({
  id: 'rename-table',
  meta: {
    description: 'RENAME TO on an existing table breaks the application version that is still running.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'The rename itself is instant (a brief ACCESS EXCLUSIVE lock), but from the moment it commits every',
      'query of the running application that names the old table fails with "relation does not exist",',
      'until the last instance runs the new version. Deploys are never atomic: old and new code overlap.',
      '',
      'Keep the old name working during the transition: in one transaction, rename the table and create a',
      'view with the old name (a simple `SELECT *` view is updatable, so old code keeps reading and writing),',
      'deploy the code using the new name, then drop the view in a later migration. When the table is going',
      'away instead, rename it to its deprecation name (`<name>_deprecated`, the `deprecatedSuffix` setting)',
      'and drop it a monitoring period later.',
      '',
      'Not reported: renaming to the deprecation name, renaming a table created earlier in the same',
      'migration or a deprecated one, a rename followed by a view with the old name in the same',
      'transaction, and a rollback renaming back what its migration renamed.',
    ].join('\n'),
    bad: 'ALTER TABLE agents RENAME TO members;',
    good: [
      '-- Migration 1: rename, and keep the old name as an updatable view, in one transaction',
      'BEGIN;',
      'ALTER TABLE agents RENAME TO members;',
      'CREATE VIEW agents WITH (security_invoker = true) AS SELECT * FROM members;',
      'COMMIT;',
      '-- Deploy the application using members; then:',
      '-- Migration 2: drop the compatibility view',
      'DROP VIEW agents;',
    ].join('\n'),
    versions: 'Before PostgreSQL 15 a view has no `security_invoker`: it reads the table with its owner\'s rights, so row level security policies do not apply through it.',
  },
  create(context) {
    const renames: { readonly table: string; readonly transaction: number; readonly report: () => void }[] = [];
    const views: { readonly name: string; readonly transaction: number }[] = [];
    return {
      RenameStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (node.renameType !== 'OBJECT_TABLE' || !table || node.newname === undefined) return;
        const state = statement.schema.table(table);
        if (isHarmless(statement, table, state, node.newname, context.deprecatedSuffix)) return;
        const renamed = { schema: table.schema, name: node.newname };
        renames.push({
          table: statement.schema.key(table),
          transaction: statement.transaction.id,
          report: () => {
            statement.report({
              message: `RENAME TO ${quoteIdentifier(node.newname ?? '')} on ${displayName(table)} breaks the running application: every query still naming ${displayName(table)} fails from the moment the migration commits until the last instance runs the new version.`,
              help: help(table, renamed, context.deprecatedSuffix, context.pgVersion),
            });
          },
        });
      },
      ViewStmt(node, statement) {
        const view = nameOfRangeVar(node.view);
        if (view) views.push({ name: statement.schema.key(view), transaction: statement.transaction.id });
      },
      'File:exit'() {
        for (const rename of renames) {
          const keptByView = views.some((view) => view.name === rename.table && view.transaction === rename.transaction);
          if (!keptByView) rename.report();
        }
      },
    };
  },
});

function isHarmless(statement: StatementContext, table: QualifiedName, state: TableState | undefined, newName: string, suffix: string): boolean {
  if (newName === `${table.name}${suffix}` || table.name.endsWith(suffix)) return true;
  if (statement.schema.isNew(state?.origin)) return true;
  const rename = state?.renamedFrom;
  return statement.file.part === 'down' && rename?.name === newName && statement.schema.isOwnedByThisMigration(rename.origin);
}

function help(table: QualifiedName, renamed: QualifiedName, suffix: string, pgVersion: number): string {
  const from = displayName(table);
  const to = displayName(renamed);
  const invoker = pgVersion >= 15 ? ' WITH (security_invoker = true)' : '';
  return [
    '-- Option 1, the table stays in use under its new name:',
    migrationStep(
      1,
      `rename, and keep ${from} as an updatable view, in one transaction`,
      ['BEGIN;', `ALTER TABLE ${from} RENAME TO ${quoteIdentifier(renamed.name)};`, `CREATE VIEW ${from}${invoker} AS SELECT * FROM ${to};`, 'COMMIT;'].join('\n'),
    ),
    ...(invoker ? [] : [`-- Before PostgreSQL 15 the view reads ${to} with its owner's rights: row level security policies do not apply through it.`]),
    `-- Deploy the application using ${to}; then, once no running code uses ${from}:`,
    migrationStep(2, 'drop the compatibility view', `DROP VIEW ${from};`),
    '-- Option 2, the table is going away: deprecate it now, drop it later.',
    deprecateThenDrop(table, suffix),
  ].join('\n');
}
