import {
  type ColumnDef,
  type Constraint,
  type QualifiedName,
  type StatementContext,
  constraintsOf,
  defineRule,
  displayName,
  nameOfRangeVar,
  quoteIdentifier,
  stringsOf,
} from '../src/api.js';
import { additionsOf, lacksValuesForExistingRows } from './support/alter-table.js';
import { bareColumn, columnConstraintPlan, constraintSteps, deferredConstraint } from './support/constraints.js';
import { notValidFixes } from './support/fixes.js';
import { migrationStep } from './support/help.js';
import { strongestLockOn, whoWaits } from './support/locks.js';

export default defineRule({
  id: 'constraint-without-not-valid',
  meta: {
    description: 'A FOREIGN KEY or CHECK constraint added without NOT VALID reads the whole table under a lock that blocks writes.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'Adding a FOREIGN KEY or CHECK constraint to a table that has rows makes PostgreSQL read every row to',
      'validate it, holding the lock the whole time. A CHECK takes ACCESS EXCLUSIVE: every read and write of',
      'the table waits. A FOREIGN KEY takes SHARE ROW EXCLUSIVE on the table and on the referenced table:',
      'every INSERT, UPDATE and DELETE on both waits. The same happens for a CHECK written on `ADD COLUMN`,',
      'and for `ADD COLUMN ... REFERENCES` when the column has a default (without one, every row is NULL and',
      'nothing is checked).',
      '',
      'Add the constraint `NOT VALID`: it is enforced at once for new and changed rows, without reading the',
      'table. Then `VALIDATE CONSTRAINT` in a later migration: it reads the table under SHARE UPDATE EXCLUSIVE,',
      'which lets reads and writes continue.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD CONSTRAINT agents_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id);',
    good: [
      '-- Migration 1: checked for new and changed rows at once, existing rows are not read',
      'ALTER TABLE agents ADD CONSTRAINT agents_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID;',
      '-- Migration 2: check the existing rows while reads and writes continue',
      'ALTER TABLE agents VALIDATE CONSTRAINT agents_team_id_fkey;',
    ].join('\n'),
    versions: 'Before PostgreSQL 18 a partitioned table cannot take a NOT VALID foreign key.',
  },
  create(context) {
    return {
      AlterTableStmt(node, statement) {
        const added = additionsOf(node, statement);
        if (!added) return;
        for (const constraint of added.constraints.filter(validates)) reportConstraint(statement, added.table, constraint, context.pgVersion);
        for (const column of added.columns) reportColumn(statement, added.table, column, context.pgVersion);
      },
    };
  },
});

function validates(constraint: Constraint): boolean {
  return (constraint.contype === 'CONSTR_CHECK' || constraint.contype === 'CONSTR_FOREIGN') && constraint.skip_validation !== true;
}

function reportConstraint(statement: StatementContext, table: QualifiedName, constraint: Constraint, pgVersion: number): void {
  const deferred = deferredConstraint(table, constraint, statement.implicitNames);
  const name = quoteIdentifier(deferred?.name ?? constraint.conname ?? 'the constraint');
  const kind = constraint.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK';
  const partitionNotes = partitionNote(statement, table, constraint, pgVersion);
  const steps = !deferred ? [] : partitionNotes.length > 0 ? perPartitionSteps(statement, table, deferred) : constraintSteps(table, { deferred: [deferred] }, 1, pgVersion);
  statement.report({
    node: constraint,
    message: `ADD CONSTRAINT ${name} ${kind} on existing table ${displayName(table)} ${scanClause(statement, table, constraint)}`,
    help: [...partitionNotes, ...steps].join('\n'),
    // Where PostgreSQL refuses NOT VALID (a partitioned table's foreign key before 18), there is nothing to add.
    ...(partitionNotes.length === 0 ? notValidFixes(statement, constraint, table, deferred?.name ?? constraint.conname) : {}),
  });
}

/** CHECK on ADD COLUMN always reads the table; REFERENCES only when a default fills the new column. */
function reportColumn(statement: StatementContext, table: QualifiedName, column: ColumnDef, pgVersion: number): void {
  const constraints = constraintsOf(column);
  // Even DEFAULT NULL makes PostgreSQL check a new column's REFERENCES against every row.
  const hasDefault = constraints.some((constraint) => constraint.contype === 'CONSTR_DEFAULT');
  const validated = constraints.find((constraint) => constraint.contype === 'CONSTR_CHECK' || (constraint.contype === 'CONSTR_FOREIGN' && hasDefault));
  if (!validated || validated.skip_validation === true || column.colname === undefined) return;
  // NOT NULL without a value for existing rows fails first: not-null-column-without-default's help adds every constraint safely.
  if (lacksValuesForExistingRows(column)) return;
  const kind = validated.contype === 'CONSTR_FOREIGN' ? `REFERENCES with a default` : 'CHECK';
  const tableName = displayName(table);
  const steps = [
    migrationStep(1, 'add the column alone (instant)', `ALTER TABLE ${tableName} ADD COLUMN ${bareColumn(column) ?? `${quoteIdentifier(column.colname)} <type>`};`),
    ...constraintSteps(table, columnConstraintPlan(table, column, false, statement.implicitNames), 2, pgVersion),
  ];
  statement.report({
    node: validated,
    message: `ADD COLUMN ${quoteIdentifier(column.colname)} ... ${kind} on existing table ${tableName} ${scanClause(statement, table, validated)}`,
    help: [...partitionNote(statement, table, validated, pgVersion), ...steps].join('\n'),
  });
}

/** What validating the constraint does: the rows read, the locks held, who waits. */
function scanClause(statement: StatementContext, table: QualifiedName, constraint: Constraint): string {
  const tableName = displayName(table);
  const tableLock = strongestLockOn(statement.locks, statement.schema.key(table));
  const mode = tableLock?.mode ?? (constraint.contype === 'CONSTR_FOREIGN' ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE');
  const referenced = constraint.contype === 'CONSTR_FOREIGN' ? nameOfRangeVar(constraint.pktable) : undefined;
  if (!referenced) {
    return `reads every row to validate the check while holding its ${mode} lock: ${whoWaits(mode, tableName)} waits until the scan finishes.`;
  }
  const referencedName = displayName(referenced);
  const referencedMode = strongestLockOn(statement.locks, statement.schema.key(referenced))?.mode ?? 'SHARE ROW EXCLUSIVE';
  const columns = stringsOf(constraint.fk_attrs).map(quoteIdentifier).join(', ');
  const locks = mode === referencedMode ? `${mode} on ${tableName} and on ${referencedName}` : `${mode} on ${tableName} and ${referencedMode} on ${referencedName}`;
  const waits = mode === referencedMode ? whoWaits(mode, `${tableName} and ${referencedName}`) : `${whoWaits(mode, tableName)} and ${whoWaits(referencedMode, referencedName)}`;
  return `reads every row of ${tableName}${columns === '' ? '' : ` (${columns})`} to check it against ${referencedName} while holding ${locks}: ${waits} wait${mode === referencedMode ? 's' : ''} until the check finishes.`;
}

/** PostgreSQL 11 to 17 refuse NOT VALID foreign keys on partitioned tables. */
function partitionNote(statement: StatementContext, table: QualifiedName, constraint: Constraint, pgVersion: number): string[] {
  if (constraint.contype !== 'CONSTR_FOREIGN' || pgVersion >= 18 || statement.schema.table(table)?.kind !== 'partitioned-table') return [];
  return [`-- ${displayName(table)} is partitioned: PostgreSQL 11 to 17 refuse a NOT VALID foreign key on it. Add the key to each partition first; ${displayName(table)} then takes theirs over.`];
}

/**
 * Before 18: the foreign key NOT VALID on each partition the history knows (a placeholder when it
 * knows none), validated, then on the parent, which attaches the partitions' valid keys instead of
 * reading their rows again (test/server-verdicts.test.ts, 11 to 17).
 */
function perPartitionSteps(statement: StatementContext, table: QualifiedName, deferred: { readonly name: string; readonly clause: string }): string[] {
  const known = statement.schema.partitionsOf(table).map((partition) => displayName(partition.name));
  const partitions = known.length > 0 ? known : ['<each partition>'];
  return [
    migrationStep(1, 'new and changed rows are checked at once; existing rows are not read (brief lock)', partitions.map((partition) => `ALTER TABLE ${partition} ADD ${deferred.clause};`).join('\n')),
    migrationStep(2, 'check the existing rows while reads and writes continue', partitions.map((partition) => `ALTER TABLE ${partition} VALIDATE CONSTRAINT ${quoteIdentifier(deferred.name)};`).join('\n')),
    migrationStep(
      3,
      `the key on ${displayName(table)} attaches the partitions' valid keys: no row is read`,
      [`-- migrate-safe-ignore constraint-without-not-valid: every partition has this key valid already`, `${statement.statement.text};`].join('\n'),
    ),
  ];
}
