import { type ColumnDef, type QualifiedName, type StatementContext, constraintsOf, defineRule, displayName, formatTypeName, quoteIdentifier } from '../src/api.js';
import { changeOfTableWithRows, columnsAddedBy } from './support/alter-table.js';
import { constraintSteps } from './support/constraints.js';
import { batchedUpdate, keyColumn, migrationStep } from './support/help.js';
import { dropNotNullSuggestion } from './support/fixes.js';

export default defineRule({
  id: 'not-null-column-without-default',
  meta: {
    description: 'ADD COLUMN ... NOT NULL without a DEFAULT on an existing table fails as soon as the table has rows.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'Existing rows get NULL in a new column unless it has a default, so `ADD COLUMN ... NOT NULL` without',
      '`DEFAULT` fails with "column contains null values" on any table with rows: the migration works on an',
      'empty development database and fails in production. While it waits for and holds its ACCESS EXCLUSIVE',
      'lock, every read and write of the table waits too.',
      '',
      'Add the column nullable, backfill it in batches, then enforce NOT NULL in a later migration (three',
      'steps). When one value suits every existing row, `NOT NULL DEFAULT <value>` is instant on',
      'PostgreSQL 11+.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255) NOT NULL;',
    good: [
      '-- Migration 1: add the column as nullable',
      'ALTER TABLE agents ADD COLUMN new_field VARCHAR(255);',
      '-- Backfill in batches (repeat until 0 rows):',
      "UPDATE agents SET new_field = 'default_value'",
      'WHERE id IN (SELECT id FROM agents WHERE new_field IS NULL LIMIT 10000);',
      '-- Migration 2: enforce NOT NULL without a long lock',
      'ALTER TABLE agents ADD CONSTRAINT agents_new_field_not_null_check CHECK (new_field IS NOT NULL) NOT VALID;',
      '-- Migration 3:',
      'ALTER TABLE agents VALIDATE CONSTRAINT agents_new_field_not_null_check;',
      '-- Migration 4:',
      'ALTER TABLE agents ALTER COLUMN new_field SET NOT NULL;',
      'ALTER TABLE agents DROP CONSTRAINT agents_new_field_not_null_check;',
    ].join('\n'),
    versions: 'From PostgreSQL 11 a non-volatile DEFAULT is stored once instead of rewriting the table, so `NOT NULL DEFAULT <value>` is safe; before 11 it rewrites.',
  },
  create(context) {
    return {
      AlterTableStmt(node, statement) {
        const change = changeOfTableWithRows(node, statement);
        if (!change) return;
        for (const column of columnsAddedBy(change)) {
          if (!lacksValuesForExistingRows(column)) continue;
          const table = displayName(change.table);
          statement.report({
            node: column,
            message: `ADD COLUMN ${quoteIdentifier(column.colname)} ... NOT NULL without a DEFAULT on existing table ${table} fails with "column contains null values" as soon as the table has a row; while it waits for and holds its lock, all reads and writes of ${table} wait.`,
            help: help(statement, change.table, column.colname, formatTypeName(column.typeName) ?? '<type>', context.pgVersion),
            suggestions: dropNotNullSuggestion(statement, column),
          });
        }
      },
    };
  },
});

const SELF_FILLING_TYPES = new Set(['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8']);

/** NOT NULL (or PRIMARY KEY) with nothing that gives existing rows a value. */
function lacksValuesForExistingRows(column: ColumnDef): boolean {
  const kinds = new Set(constraintsOf(column).map((constraint) => constraint.contype));
  const notNull = kinds.has('CONSTR_NOTNULL') || kinds.has('CONSTR_PRIMARY');
  const filled = kinds.has('CONSTR_DEFAULT') || kinds.has('CONSTR_IDENTITY') || kinds.has('CONSTR_GENERATED');
  const serial = SELF_FILLING_TYPES.has(formatTypeName(column.typeName) ?? '');
  return notNull && !filled && !serial;
}

function help(statement: StatementContext, table: QualifiedName, column: string, type: string, pgVersion: number): string {
  const tableName = displayName(table);
  const name = quoteIdentifier(column);
  const steps = [
    migrationStep(1, 'add the column as nullable', `ALTER TABLE ${tableName} ADD COLUMN ${name} ${type};`),
    batchedUpdate(table, keyColumn(statement, table), `${name} = <value>`, `${name} IS NULL`),
    ...constraintSteps(table, { notNull: [column] }, 2, pgVersion),
  ].join('\n');
  if (pgVersion < 11) return steps;
  return [
    '-- Option 1, when one value suits every existing row (stored once, no rewrite):',
    `ALTER TABLE ${tableName} ADD COLUMN ${name} ${type} NOT NULL DEFAULT <value>;`,
    '-- Option 2, in three steps:',
    steps,
  ].join('\n');
}
