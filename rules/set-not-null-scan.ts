import {
  type AlterTableStmt,
  type QualifiedName,
  type StatementContext,
  defineRule,
  displayName,
  formatTypeName,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
  stringsOf,
} from '../src/api.js';
import { constraintSteps } from './support/constraints.js';
import { migrationStep } from './support/help.js';
import { holdsFewRows } from './support/rows.js';

export default defineRule({
  id: 'set-not-null-scan',
  meta: {
    description: 'SET NOT NULL on an existing table reads every row while blocking all reads and writes.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      '`ALTER COLUMN ... SET NOT NULL` (and PostgreSQL 18\'s `ADD CONSTRAINT ... NOT NULL col`) reads the whole',
      'table to check for NULLs while holding an ACCESS EXCLUSIVE lock: every read and write of the table',
      'waits until the scan finishes. `PRIMARY KEY USING INDEX` on a nullable column sets NOT NULL too.',
      '',
      'From PostgreSQL 12 the scan is skipped when a valid `CHECK (col IS NOT NULL)` constraint proves there',
      'are no NULLs. Add that check `NOT VALID` (instant), `VALIDATE` it in a later migration (it reads the',
      'table while reads and writes continue), then `SET NOT NULL` and drop the check. On PostgreSQL 18,',
      '`ADD CONSTRAINT ... NOT NULL col NOT VALID` followed by `VALIDATE CONSTRAINT` does the same in two steps.',
      '',
      'A bare `SET NOT NULL` as the last step of adding a column is the usual trap. Not reported: a',
      'table created earlier in the same migration, a column with a valid check, a column the history already',
      'shows NOT NULL (created `NOT NULL`, or set earlier): PostgreSQL reads nothing there, and an ALTER TABLE',
      'that rewrites the table anyway (a type change that is not binary compatible): PostgreSQL checks NOT NULL',
      'on each row it writes, and the rewrite is the finding (`column-type-change`). A column this migration',
      'added to an existing table is reported: its rows are read all the same. When it was added with a',
      'default, declare it NOT NULL on that ADD COLUMN instead: the default fills every row and nothing is read.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ALTER COLUMN new_field SET NOT NULL;',
    good: [
      '-- Migration 1: new rows must have a value; existing rows are checked later',
      'ALTER TABLE agents ADD CONSTRAINT agents_new_field_not_null_check CHECK (new_field IS NOT NULL) NOT VALID;',
      '-- Migration 2: check existing rows while reads and writes continue',
      'ALTER TABLE agents VALIDATE CONSTRAINT agents_new_field_not_null_check;',
      '-- Migration 3: the valid check lets PostgreSQL skip the scan',
      'ALTER TABLE agents ALTER COLUMN new_field SET NOT NULL;',
      'ALTER TABLE agents DROP CONSTRAINT agents_new_field_not_null_check;',
    ].join('\n'),
    versions: [
      'Before PostgreSQL 12 SET NOT NULL scans even with a valid check: keep the check instead of SET NOT NULL.',
      'PostgreSQL 18 can add a NOT NULL constraint NOT VALID and validate it later.',
    ].join(' '),
  },
  create(context) {
    return {
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || statement.schema.isNewTable(node.relation) || holdsFewRows(statement, node.relation)) return;
        // A statement that rewrites the table checks NOT NULL on each row it writes: no scan of its own (the rewrite is reported by its rule).
        if (statement.locks.some((lock) => lock.role === 'table' && lock.effect === 'rewrite')) return;
        for (const { column, primaryKey } of notNullTargets(node, statement)) {
          const state = statement.schema.column(table, column);
          // Already NOT NULL in the history (declared so, or set earlier): PostgreSQL has nothing to check.
          if (state?.notNull === true || hasValidCheck(statement, table, column, context.pgVersion)) continue;
          // Added with its default earlier in this file: NOT NULL belongs on that ADD COLUMN, which reads nothing.
          const addedWithDefault = statement.schema.isNew(state?.origin) && state?.hasDefault === true && !primaryKey;
          statement.report({
            message: message(table, column, primaryKey) + (addedWithDefault ? ` This migration adds ${quoteIdentifier(column)} with a default: declare it NOT NULL on that ADD COLUMN instead, where the default fills every row and nothing is read.` : ''),
            help: addedWithDefault ? notNullOnAddColumn(table, column, formatTypeName(state.type), context.pgVersion) : help(statement, table, column, primaryKey, context.pgVersion),
            lock: statement.locks.find((lock) => lock.role === 'table' && lock.effect === 'scan'),
          });
        }
      },
    };
  },
});

interface NotNullTarget {
  readonly column: string;
  /** NOT NULL comes from `PRIMARY KEY USING INDEX`. */
  readonly primaryKey: boolean;
}

/** The columns a statement makes NOT NULL. */
function notNullTargets(node: AlterTableStmt, statement: StatementContext): NotNullTarget[] {
  const targets: NotNullTarget[] = [];
  for (const command of node.cmds ?? []) {
    const alter = nodeOf(command, 'AlterTableCmd');
    const constraint = nodeOf(alter?.def, 'Constraint');
    if (alter?.subtype === 'AT_SetNotNull' && alter.name !== undefined) targets.push({ column: alter.name, primaryKey: false });
    if (alter?.subtype !== 'AT_AddConstraint' || !constraint) continue;
    if (constraint.contype === 'CONSTR_NOTNULL' && !constraint.skip_validation) {
      targets.push(...stringsOf(constraint.keys).map((column) => ({ column, primaryKey: false })));
    }
    if (constraint.contype === 'CONSTR_PRIMARY' && constraint.indexname !== undefined) {
      targets.push(...nullableIndexColumns(statement, node, constraint.indexname).map((column) => ({ column, primaryKey: true })));
    }
  }
  return targets;
}

/**
 * PRIMARY KEY USING INDEX sets the index's columns NOT NULL: those the history shows nullable.
 * On a table the history did not create, nullability is unknown, so nothing is reported.
 */
function nullableIndexColumns(statement: StatementContext, node: AlterTableStmt, indexName: string): string[] {
  const table = statement.schema.table(node.relation);
  const index = statement.schema.index({ schema: table?.name.schema, name: indexName });
  if (!table?.columnsKnown || !index) return [];
  return index.columns.filter((column) => table.columns.get(column)?.notNull === false);
}

/** PostgreSQL 12+ skips the scan when a valid CHECK (col IS NOT NULL) exists. */
function hasValidCheck(statement: StatementContext, table: QualifiedName, column: string, pgVersion: number): boolean {
  return pgVersion >= 12 && provenNotNull(statement, table, column);
}

function provenNotNull(statement: StatementContext, table: QualifiedName, column: string): boolean {
  return [...(statement.schema.table(table)?.constraints.values() ?? [])].some((constraint) => constraint.validated && constraint.provesNotNull === column);
}

function message(table: QualifiedName, column: string, primaryKey: boolean): string {
  const tableName = displayName(table);
  const target = `${quoteIdentifier(column)} of existing table ${tableName}`;
  const what = primaryKey ? `PRIMARY KEY USING INDEX sets NOT NULL on ${target}, which` : `SET NOT NULL on ${target}`;
  return `${what} reads every row to check for NULLs while holding an ACCESS EXCLUSIVE lock: every read and write of ${tableName} waits until the scan finishes.`;
}

function notNullOnAddColumn(table: QualifiedName, column: string, type: string | undefined, pgVersion: number): string {
  const fast = pgVersion >= 11 ? 'PostgreSQL 11+ stores a non-volatile default once: no scan, no rewrite' : 'before PostgreSQL 11 this rewrites the table: keep it for an empty table';
  return [
    `-- Instead of ADD COLUMN ... DEFAULT followed by SET NOT NULL, one statement (${fast}):`,
    `ALTER TABLE ${displayName(table)} ADD COLUMN ${quoteIdentifier(column)} ${type ?? '<type>'} NOT NULL DEFAULT <its default>;`,
  ].join('\n');
}

function help(statement: StatementContext, table: QualifiedName, column: string, primaryKey: boolean, pgVersion: number): string {
  // Before 12 the valid CHECK the steps would add is there already, and spares nothing.
  if (pgVersion < 12 && !primaryKey && provenNotNull(statement, table, column)) {
    return [
      `-- ${displayName(table)} already has a valid CHECK (${quoteIdentifier(column)} IS NOT NULL): it rejects NULLs as NOT NULL would.`,
      '-- Before PostgreSQL 12, SET NOT NULL scans the table even so: leave it out and keep the CHECK, or run it after upgrading (12+ skips the scan).',
    ].join('\n');
  }
  const steps = constraintSteps(table, { notNull: [column] }, 1, pgVersion);
  if (primaryKey) {
    return [...steps, `-- Then, with the column NOT NULL, the primary key takes no scan:`, `${statement.statement.text};`].join('\n');
  }
  if (pgVersion < 18) return steps.join('\n');
  const tableName = displayName(table);
  const constraint = quoteIdentifier(`${table.name}_${column}_not_null`);
  return [
    '-- Option 1, PostgreSQL 18+: a NOT NULL constraint added NOT VALID, validated later',
    migrationStep(1, 'new rows must have a value; existing rows are checked later', `ALTER TABLE ${tableName} ADD CONSTRAINT ${constraint} NOT NULL ${quoteIdentifier(column)} NOT VALID;`),
    migrationStep(2, 'check existing rows while reads and writes continue; the column is then NOT NULL', `ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${constraint};`),
    '-- Option 2, a CHECK constraint standing in for NOT NULL:',
    ...steps,
  ].join('\n');
}
