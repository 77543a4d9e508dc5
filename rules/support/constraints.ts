import { type ColumnDef, type Constraint, type ImplicitNames, type QualifiedName, constraintsOf, displayName, makeObjectName, quoteIdentifier, sqlOf, stringsOf } from '../../src/api.js';
import { migrationStep } from './help.js';

/** A CHECK or FOREIGN KEY added NOT VALID now and validated in a later migration. */
export interface DeferredConstraint {
  /** The constraint's name, unquoted. */
  readonly name: string;
  /** What follows `ADD`: `CONSTRAINT <name> ... NOT VALID`. */
  readonly clause: string;
}

/** A UNIQUE or PRIMARY KEY constraint built from an index created concurrently beforehand. */
export interface IndexBackedConstraint {
  /** The constraint's name, unquoted; the index gets the same name. */
  readonly name: string;
  readonly primary: boolean;
  readonly columns: readonly string[];
  readonly include: readonly string[];
  readonly nullsNotDistinct: boolean;
  /** ` DEFERRABLE`, ` DEFERRABLE INITIALLY DEFERRED` or nothing. */
  readonly deferrable: string;
}

/** Constraints to add to a table that has rows, each without a long lock. */
export interface ConstraintPlan {
  readonly indexBacked?: readonly IndexBackedConstraint[];
  readonly deferred?: readonly DeferredConstraint[];
  /** Columns (unquoted) that must become NOT NULL. */
  readonly notNull?: readonly string[];
}

/**
 * The migrations that add a plan's constraints to an existing table, numbered from `first`:
 * unique indexes built concurrently; CHECK and FOREIGN KEY constraints (and a CHECK standing in
 * for each NOT NULL) added NOT VALID; validated in a later transaction, while reads and writes
 * continue; then NOT NULL and the index-backed constraints, which the valid checks and the
 * finished indexes make instant.
 */
export function constraintSteps(table: QualifiedName, plan: ConstraintPlan, first: number, pgVersion: number): string[] {
  const tableName = displayName(table);
  const indexBacked = plan.indexBacked ?? [];
  const notNull = plan.notNull ?? [];
  const notNullChecks = notNull.map((column) => notNullCheck(table, column));
  const deferred = [...(plan.deferred ?? []), ...notNullChecks];
  const steps: string[] = [];
  let number = first;
  if (indexBacked.length > 0) {
    steps.push(
      migrationStep(
        number++,
        'build the unique index without blocking writes (in a migration of its own: CONCURRENTLY cannot run inside a transaction block)',
        indexBacked.map((constraint) => uniqueIndexStatement(table, constraint)).join('\n'),
      ),
    );
  }
  if (deferred.length > 0) {
    steps.push(
      migrationStep(
        number++,
        'new and changed rows are checked at once; existing rows are not read (brief lock)',
        deferred.map((constraint) => `ALTER TABLE ${tableName} ADD ${constraint.clause};`).join('\n'),
      ),
      migrationStep(
        number++,
        'check the existing rows while reads and writes continue',
        deferred.map((constraint) => `ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${quoteIdentifier(constraint.name)};`).join('\n'),
      ),
    );
  }
  const final = finalStatements(table, indexBacked, notNull, notNullChecks, pgVersion);
  if (final.statements.length > 0) steps.push(migrationStep(number, final.title, final.statements.join('\n')));
  return steps;
}

function finalStatements(
  table: QualifiedName,
  indexBacked: readonly IndexBackedConstraint[],
  notNull: readonly string[],
  notNullChecks: readonly DeferredConstraint[],
  pgVersion: number,
): { title: string; statements: string[] } {
  const tableName = displayName(table);
  const titles: string[] = [];
  const statements: string[] = [];
  if (notNull.length > 0 && pgVersion >= 12) {
    titles.push('enforce NOT NULL (the valid check lets PostgreSQL skip the scan)');
    statements.push(...notNull.map((column) => `ALTER TABLE ${tableName} ALTER COLUMN ${quoteIdentifier(column)} SET NOT NULL;`));
  } else if (notNull.length > 0) {
    titles.push(`keep the check: before PostgreSQL 12, SET NOT NULL${indexBacked.some((constraint) => constraint.primary) ? ' (and PRIMARY KEY)' : ''} reads the whole table even with it`);
  }
  if (indexBacked.length > 0) {
    titles.push('turn the index into the constraint (brief lock, no scan)');
    statements.push(
      ...indexBacked.map(
        (constraint) =>
          `ALTER TABLE ${tableName} ADD CONSTRAINT ${quoteIdentifier(constraint.name)} ${constraint.primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdentifier(constraint.name)}${constraint.deferrable};`,
      ),
    );
  }
  if (notNull.length > 0 && pgVersion >= 12) {
    statements.push(...notNullChecks.map((check) => `ALTER TABLE ${tableName} DROP CONSTRAINT ${quoteIdentifier(check.name)};`));
  }
  return { title: titles.join('; then '), statements };
}

/**
 * `CHECK (col IS NOT NULL)`: once valid, it lets SET NOT NULL skip its scan (PostgreSQL 12+). Not named
 * `<table>_<col>_not_null`: PostgreSQL 18 gives that name to the NOT NULL constraint SET NOT NULL creates.
 */
export function notNullCheck(table: QualifiedName, column: string): DeferredConstraint {
  const name = makeObjectName(table.name, column, 'not_null_check');
  return { name, clause: `CONSTRAINT ${quoteIdentifier(name)} CHECK (${quoteIdentifier(column)} IS NOT NULL) NOT VALID` };
}

function uniqueIndexStatement(table: QualifiedName, constraint: IndexBackedConstraint): string {
  const columns = constraint.columns.map(quoteIdentifier).join(', ');
  const include = constraint.include.length > 0 ? ` INCLUDE (${constraint.include.map(quoteIdentifier).join(', ')})` : '';
  const nulls = constraint.nullsNotDistinct ? ' NULLS NOT DISTINCT' : '';
  return `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdentifier(constraint.name)} ON ${displayName(table)} (${columns})${include}${nulls};`;
}

/**
 * A CHECK or FOREIGN KEY as a table constraint added NOT VALID, named: `names` has the name
 * PostgreSQL gives it when it has none (the statement's `implicitNames`); `column` is the column
 * it was written on, for a column constraint.
 */
export function deferredConstraint(table: QualifiedName, constraint: Constraint, names: ImplicitNames, column?: string): DeferredConstraint | undefined {
  const foreign = constraint.contype === 'CONSTR_FOREIGN';
  const name = names.get(constraint) ?? constraint.conname;
  if (name === undefined) return undefined;
  const fkAttrs = foreign && column !== undefined ? [{ String: { sval: column } }] : constraint.fk_attrs;
  const clause = sqlOf({ Constraint: { ...constraint, conname: name, skip_validation: true, fk_attrs: fkAttrs } });
  return clause === undefined ? undefined : { name, clause };
}

/** A UNIQUE or PRIMARY KEY constraint as one to build from a concurrently created index, named as in `deferredConstraint`. */
export function indexBackedConstraint(table: QualifiedName, constraint: Constraint, names: ImplicitNames, column?: string): IndexBackedConstraint {
  const primary = constraint.contype === 'CONSTR_PRIMARY';
  const columns = column !== undefined ? [column] : stringsOf(constraint.keys);
  const deferrable = constraint.deferrable ? ` DEFERRABLE${constraint.initdeferred ? ' INITIALLY DEFERRED' : ''}` : '';
  return {
    name: names.get(constraint) ?? constraint.conname ?? makeObjectName(table.name, undefined, primary ? 'pkey' : 'key'),
    primary,
    columns,
    include: stringsOf(constraint.including),
    nullsNotDistinct: constraint.nulls_not_distinct === true,
    deferrable,
  };
}

/** The constraint types that PostgreSQL checks against every existing row, or builds an index for. */
const TABLE_LEVEL = new Set<Constraint['contype']>(['CONSTR_CHECK', 'CONSTR_FOREIGN', 'CONSTR_UNIQUE', 'CONSTR_PRIMARY']);

/** A column definition as SQL without its CHECK, REFERENCES, UNIQUE and PRIMARY KEY constraints. */
export function bareColumn(column: ColumnDef, keep: (constraint: Constraint) => boolean = () => true): string | undefined {
  const constraints = constraintsOf(column)
    .filter((constraint) => !TABLE_LEVEL.has(constraint.contype) && keep(constraint))
    .map((constraint) => ({ Constraint: constraint }));
  return sqlOf({ ColumnDef: { ...column, constraints } });
}

/** The CHECK, REFERENCES, UNIQUE and PRIMARY KEY constraints written on a column, as a plan. */
export function columnConstraintPlan(table: QualifiedName, column: ColumnDef, notNull: boolean, names: ImplicitNames): ConstraintPlan {
  const name = column.colname ?? '';
  const indexBacked: IndexBackedConstraint[] = [];
  const deferred: DeferredConstraint[] = [];
  let primary = false;
  for (const constraint of constraintsOf(column)) {
    if (constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_PRIMARY') {
      indexBacked.push(indexBackedConstraint(table, constraint, names, name));
      primary ||= constraint.contype === 'CONSTR_PRIMARY';
    } else if (constraint.contype === 'CONSTR_CHECK' || constraint.contype === 'CONSTR_FOREIGN') {
      const entry = deferredConstraint(table, constraint, names, name);
      if (entry) deferred.push(entry);
    }
  }
  return { indexBacked, deferred, notNull: notNull || primary ? [name] : [] };
}
