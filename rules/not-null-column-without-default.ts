import { type ColumnDef, type QualifiedName, type StatementContext, defineRule, displayName, formatTypeName, quoteIdentifier } from '../src/api.js';
import { changeOfTableWithRows, columnsAddedBy, lacksValuesForExistingRows } from './support/alter-table.js';
import { bareColumn, columnConstraintPlan, constraintSteps } from './support/constraints.js';
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
            help: help(statement, change.table, column, context.pgVersion),
            suggestions: dropNotNullSuggestion(statement, column),
          });
        }
      },
    };
  },
});

/**
 * Adds the column without NOT NULL and its CHECK, REFERENCES, UNIQUE and PRIMARY KEY parts, backfills it,
 * then adds each of those parts the way that holds no long lock, so no part of the original column is lost.
 */
function help(statement: StatementContext, table: QualifiedName, column: ColumnDef, pgVersion: number): string {
  const tableName = displayName(table);
  const name = quoteIdentifier(column.colname ?? '');
  const bare = bareColumn(column, (constraint) => constraint.contype !== 'CONSTR_NOTNULL') ?? `${name} ${formatTypeName(column.typeName) ?? '<type>'}`;
  const plan = columnConstraintPlan(table, column, true, statement.implicitNames);
  const later = constraintSteps(table, plan, 2, pgVersion);
  const steps = [
    migrationStep(1, 'add the column as nullable', `ALTER TABLE ${tableName} ADD COLUMN ${bare};`),
    batchedUpdate(table, keyColumn(statement, table), `${name} = <value>`, `${name} IS NULL`),
    ...later,
  ].join('\n');
  // A unique key cannot take one value for every row: no first option then.
  if (pgVersion < 11 || (plan.indexBacked ?? []).length > 0) return steps;
  const rest = constraintSteps(table, { ...plan, notNull: [] }, 2, pgVersion);
  return [
    `-- Option 1, when one value suits every existing row (stored once, no rewrite)${rest.length > 0 ? ', then the column\'s constraints' : ''}:`,
    `${rest.length > 0 ? '-- Migration 1:\n' : ''}ALTER TABLE ${tableName} ADD COLUMN ${bare} NOT NULL DEFAULT <value>;`,
    ...rest,
    `-- Option 2, in ${1 + later.length} migrations:`,
    steps,
  ].join('\n');
}
