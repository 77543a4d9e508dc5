import { type ColumnDef, type Constraint, type QualifiedName, type StatementContext, constraintsOf, defineRule, displayName, quoteIdentifier } from '../src/api.js';
import { additionsOf, lacksValuesForExistingRows } from './support/alter-table.js';
import { type IndexBackedConstraint, bareColumn, columnConstraintPlan, constraintSteps, indexBackedConstraint } from './support/constraints.js';
import { REST_OF_THIS_MIGRATION, migrationStep } from './support/help.js';

export default defineRule({
  id: 'unique-without-index',
  meta: {
    description: 'ADD CONSTRAINT ... UNIQUE or PRIMARY KEY on an existing table builds its index while blocking all reads and writes.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'A UNIQUE or PRIMARY KEY constraint needs a unique index. Added to a table that has rows, PostgreSQL',
      'builds that index while holding an ACCESS EXCLUSIVE lock: every read and write of the table waits',
      'until the whole table has been read and the index built (`ADD COLUMN ... UNIQUE` does the same).',
      '',
      'Build the index first with `CREATE UNIQUE INDEX CONCURRENTLY` (writes continue; in a migration of its',
      'own, outside a transaction block), then turn it into the constraint with `ADD CONSTRAINT ... UNIQUE',
      'USING INDEX`, which only needs a brief lock. `PRIMARY KEY USING INDEX` also sets its columns NOT NULL,',
      'which reads the table unless they already are NOT NULL or a valid `CHECK (col IS NOT NULL)` exists.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD CONSTRAINT agents_email_key UNIQUE (email);',
    good: [
      '-- Migration 1, run without a transaction block:',
      'CREATE UNIQUE INDEX CONCURRENTLY agents_email_key ON agents (email);',
      '-- Migration 2: brief lock, no scan',
      'ALTER TABLE agents ADD CONSTRAINT agents_email_key UNIQUE USING INDEX agents_email_key;',
    ].join('\n'),
  },
  create(context) {
    return {
      AlterTableStmt(node, statement) {
        const added = additionsOf(node, statement);
        if (!added) return;
        for (const constraint of added.constraints.filter(buildsIndex)) reportConstraint(statement, added.table, constraint, context.pgVersion);
        for (const column of added.columns) reportColumn(statement, added.table, column, context.pgVersion);
      },
    };
  },
});

function buildsIndex(constraint: Constraint): boolean {
  return (constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') && constraint.indexname === undefined;
}

function reportConstraint(statement: StatementContext, table: QualifiedName, constraint: Constraint, pgVersion: number): void {
  const plan = indexBackedConstraint(table, constraint, statement.implicitNames);
  const notNull = plan.primary ? plan.columns.filter((column) => statement.schema.column(table, column)?.notNull !== true) : [];
  statement.report({
    node: constraint,
    message: message(table, `ADD CONSTRAINT ${quoteIdentifier(plan.name)} ${plan.primary ? 'PRIMARY KEY' : 'UNIQUE'}`),
    help: isPartitioned(statement, table) ? partitionedHelp(table, plan) : uniqueIndexFirst(statement, table, plan, notNull, pgVersion),
  });
}

/**
 * `ADD COLUMN ... UNIQUE` builds the index too. A PRIMARY KEY on a new column is left to the rules
 * that see it fail (no value for existing rows) or rewrite the table (serial, identity).
 */
function reportColumn(statement: StatementContext, table: QualifiedName, column: ColumnDef, pgVersion: number): void {
  const constraints = constraintsOf(column);
  const unique = constraints.find((constraint) => constraint.contype === 'CONSTR_UNIQUE');
  if (!unique || column.colname === undefined || constraints.some((constraint) => constraint.contype === 'CONSTR_PRIMARY')) return;
  // NOT NULL without a value for existing rows fails first: not-null-column-without-default's help adds every constraint safely.
  if (lacksValuesForExistingRows(column)) return;
  const tableName = displayName(table);
  const plan = indexBackedConstraint(table, unique, statement.implicitNames, column.colname);
  const steps = [
    migrationStep(1, 'add the column alone (instant)', `ALTER TABLE ${tableName} ADD COLUMN ${bareColumn(column) ?? `${quoteIdentifier(column.colname)} <type>`};`),
    ...constraintSteps(table, columnConstraintPlan(table, column, false, statement.implicitNames), 2, pgVersion),
  ];
  statement.report({
    node: unique,
    message: message(table, `ADD COLUMN ${quoteIdentifier(column.colname)} ... UNIQUE`),
    help: isPartitioned(statement, table) ? partitionedHelp(table, plan) : steps.join('\n'),
  });
}

/** In a transaction block, the index (CONCURRENTLY) cannot be built where the statement stood: it starts the next migration. */
function uniqueIndexFirst(statement: StatementContext, table: QualifiedName, plan: IndexBackedConstraint, notNull: readonly string[], pgVersion: number): string {
  const first = statement.transaction.inBlock ? 2 : 1;
  const steps = constraintSteps(table, { indexBacked: [plan], notNull }, first, pgVersion);
  return [...(first === 2 ? [REST_OF_THIS_MIGRATION] : []), ...steps].join('\n');
}

function message(table: QualifiedName, what: string): string {
  const tableName = displayName(table);
  return `${what} on existing table ${tableName} builds its unique index while holding an ACCESS EXCLUSIVE lock: every read and write of ${tableName} waits until the whole table has been read and the index built.`;
}

function isPartitioned(statement: StatementContext, table: QualifiedName): boolean {
  return statement.schema.table(table)?.kind === 'partitioned-table';
}

/**
 * A partitioned table can neither build an index concurrently nor take a constraint USING INDEX. Adding the
 * constraint to the parent attaches each partition's matching constraint instead of building a new index.
 */
function partitionedHelp(table: QualifiedName, plan: IndexBackedConstraint): string {
  const columns = plan.columns.map(quoteIdentifier).join(', ');
  const kind = plan.primary ? 'PRIMARY KEY' : 'UNIQUE';
  return [
    `-- ${displayName(table)} is partitioned: give each partition the constraint first, from an index built concurrently`,
    '-- (each CREATE INDEX CONCURRENTLY in a migration of its own, outside a transaction block):',
    `--   CREATE UNIQUE INDEX CONCURRENTLY <partition>_key ON <partition> (${columns});`,
    `--   ALTER TABLE <partition> ADD CONSTRAINT <partition>_key ${kind} USING INDEX <partition>_key;`,
    `-- Then this statement attaches the partitions' constraints and their indexes instead of building new ones:`,
    `--   ALTER TABLE ${displayName(table)} ADD CONSTRAINT ${quoteIdentifier(plan.name)} ${kind} (${columns});`,
  ].join('\n');
}
