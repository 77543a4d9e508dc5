import { type QualifiedName, type StatementContext, type TableState, defineRule, displayName, nameOfRangeVar, quoteIdentifier } from '../src/api.js';
import { deprecateThenDrop, deprecateThenDropObject, migrationStep } from './support/help.js';

export default defineRule({
  id: 'rename-table',
  meta: {
    description: 'RENAME TO or SET SCHEMA on an existing table or view breaks the application version that is still running.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'The rename itself is instant (a brief ACCESS EXCLUSIVE lock), but from the moment it commits every',
      'query of the running application that names the old table fails with "relation does not exist",',
      'until the last instance runs the new version. Deploys are never atomic: old and new code overlap.',
      'The same holds for views and materialized views (`ALTER VIEW ... RENAME`), and for `ALTER TABLE | VIEW',
      '... SET SCHEMA`, which moves the name out of the schema the application names it by (or finds it in',
      'through its `search_path`).',
      '',
      'Keep the old name working during the transition: in one transaction, rename (or move) the table and create',
      'a view with the old name (a simple `SELECT *` view is updatable, so old code keeps reading and writing),',
      'deploy the code using the new name, then drop the view in a later migration. When the table is going',
      'away instead, rename it to its deprecation name (`<name>_deprecated`, the `deprecatedSuffix` setting)',
      'and drop it a monitoring period later.',
      '',
      'Not reported: renaming to the deprecation name, renaming a table created earlier in the same',
      'migration or a deprecated one, a rename followed by a view with the old name in the same',
      'transaction, a rollback renaming back what its migration renamed, and `SET SCHEMA` in a rollback.',
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
    const track = (statement: StatementContext, table: QualifiedName, moved: QualifiedName, kind: RelationWords, verb: string): void => {
      renames.push({
        table: statement.schema.key(table),
        transaction: statement.transaction.id,
        report: () => {
          statement.report({
            message: `${verb} on ${kind.keyword === 'TABLE' ? '' : `${kind.noun} `}${displayName(table)} breaks the running application: every query still naming ${displayName(table)} fails from the moment the migration commits until the last instance runs the new version.`,
            help: help(table, moved, kind, context.deprecatedSuffix, context.pgVersion, inOpenBlock(statement)),
          });
        },
      });
    };
    return {
      RenameStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        const kind = RELATIONS[node.renameType ?? ''];
        if (!kind || !table || node.newname === undefined) return;
        const state = statement.schema.table(table);
        if (isHarmless(statement, table, state, node.newname, context.deprecatedSuffix)) return;
        track(statement, table, { schema: table.schema, name: node.newname }, wordsFor(kind, state), `RENAME TO ${quoteIdentifier(node.newname)}`);
      },
      AlterObjectSchemaStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        const kind = RELATIONS[node.objectType ?? ''];
        // A rollback moves back what the version it returns to expects.
        if (!kind || !table || node.newschema === undefined || statement.file.part === 'down') return;
        const state = statement.schema.table(table);
        if (statement.schema.isNew(state?.origin) || table.name.endsWith(context.deprecatedSuffix)) return;
        track(statement, table, { schema: node.newschema, name: table.name }, wordsFor(kind, state), `SET SCHEMA ${quoteIdentifier(node.newschema)}`);
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

/**
 * Inside a block of the file's own or of a tool that wraps the file in one transaction, where a BEGIN
 * would be ignored and a COMMIT would end the block (a query string's implicit block takes a BEGIN).
 */
function inOpenBlock(statement: StatementContext): boolean {
  return statement.transaction.explicit || (statement.transaction.inBlock && statement.file.transactionMode === 'file');
}

/** How a relation is named in messages and in the statements of the help. */
interface RelationWords {
  readonly noun: string;
  /** The word of its ALTER and DROP statements: TABLE, VIEW, MATERIALIZED VIEW. */
  readonly keyword: string;
}

const RELATIONS: Readonly<Record<string, 'table' | 'view' | 'materialized-view'>> = {
  OBJECT_TABLE: 'table',
  OBJECT_FOREIGN_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized-view',
};

/** ALTER TABLE also renames views: the history says what the relation is. */
function wordsFor(written: 'table' | 'view' | 'materialized-view', state: TableState | undefined): RelationWords {
  const kind = state?.kind === 'view' || state?.kind === 'materialized-view' ? state.kind : written;
  if (kind === 'view') return { noun: 'view', keyword: 'VIEW' };
  if (kind === 'materialized-view') return { noun: 'materialized view', keyword: 'MATERIALIZED VIEW' };
  return { noun: 'table', keyword: 'TABLE' };
}

function isHarmless(statement: StatementContext, table: QualifiedName, state: TableState | undefined, newName: string, suffix: string): boolean {
  if (newName === `${table.name}${suffix}` || table.name.endsWith(suffix)) return true;
  if (statement.schema.isNew(state?.origin)) return true;
  const rename = state?.renamedFrom;
  return statement.file.part === 'down' && rename?.name === newName && statement.schema.isOwnedByThisMigration(rename.origin);
}

function help(table: QualifiedName, moved: QualifiedName, kind: RelationWords, suffix: string, pgVersion: number, inBlock: boolean): string {
  const from = displayName(table);
  const to = displayName(moved);
  const invoker = pgVersion >= 15 ? ' WITH (security_invoker = true)' : '';
  const move = moved.name === table.name ? `SET SCHEMA ${quoteIdentifier(moved.schema ?? '')}` : `RENAME TO ${quoteIdentifier(moved.name)}`;
  const original = table.name.endsWith(suffix) ? table.name.slice(0, -suffix.length) : table.name;
  const deprecated = { schema: table.schema, name: `${original}${suffix}` };
  return [
    `-- Option 1, the ${kind.noun} stays in use under its new name:`,
    migrationStep(
      1,
      `${moved.name === table.name ? 'move it' : 'rename'}, and keep ${from} as ${kind.keyword === 'MATERIALIZED VIEW' ? 'a view' : 'an updatable view'}, in ${inBlock ? 'this' : 'one'} transaction`,
      // Inside a transaction block already, a BEGIN of its own would be ignored and its COMMIT would end the block.
      [...(inBlock ? [] : ['BEGIN;']), `ALTER ${kind.keyword} ${from} ${move};`, `CREATE VIEW ${from}${invoker} AS SELECT * FROM ${to};`, ...(inBlock ? [] : ['COMMIT;'])].join('\n'),
    ),
    ...(invoker ? [] : [`-- Before PostgreSQL 15 the view reads ${to} with its owner's rights: row level security policies do not apply through it.`]),
    `-- Deploy the application using ${to}; then, once no running code uses ${from}:`,
    migrationStep(2, 'drop the compatibility view', `DROP VIEW ${from};`),
    `-- Option 2, the ${kind.noun} is going away: deprecate it now, drop it later.`,
    kind.keyword === 'TABLE'
      ? // A view reading the table makes the later DROP fail (without CASCADE, which would take the view along).
        deprecateThenDrop(table, suffix, ['-- First drop what still depends on it (views reading it, foreign keys to it): PostgreSQL refuses the DROP, naming them, while any remain.'])
      : deprecateThenDropObject(
          `ALTER ${kind.keyword} ${displayName({ schema: table.schema, name: original })} RENAME TO ${quoteIdentifier(deprecated.name)};`,
          `DROP ${kind.keyword} IF EXISTS ${displayName(deprecated)};`,
          `the ${kind.noun}`,
        ),
  ].join('\n');
}
