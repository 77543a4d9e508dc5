import {
  type ColumnDef,
  type Constraint,
  type Node,
  type QualifiedName,
  type StatementContext,
  type TypeState,
  baseTypeName,
  constraintsOf,
  defineRule,
  displayName,
  domainChecksValues,
  expressionVolatility,
  formatTypeName,
  nameOfList,
  nodeOf,
  quoteIdentifier,
  sqlOf,
} from '../src/api.js';
import { type NamedColumn, changeOfTableWithManyRows, columnsAddedBy } from './support/alter-table.js';
import { bareColumn, columnConstraintPlan, constraintSteps } from './support/constraints.js';
import { rowExpression, rowTrigger } from './support/expand-contract.js';
import { batchedUpdate, keyColumn, migrationStep } from './support/help.js';
import { formLock } from './support/locks.js';

export default defineRule({
  id: 'add-column-rewrite',
  meta: {
    description: 'ADD COLUMN that gives every existing row its own value rewrites the whole table under an ACCESS EXCLUSIVE lock.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'Adding a column is instant when every existing row gets the same value (no default, or a non-volatile',
      'default, stored once in the catalog since PostgreSQL 11). When each row needs its own value, PostgreSQL',
      'rewrites the whole table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock: every read and',
      'write of the table waits, for minutes on a large table. That happens with a volatile default',
      '(`gen_random_uuid()`, `uuid_generate_v4()`, `random()`, `clock_timestamp()`, `nextval(...)`), a',
      '`serial` type, an identity column, a `GENERATED ... STORED` column, and before PostgreSQL 11 any default.',
      'A stable default such as `now()` is evaluated once and is fine. A default calling a function that no',
      'migration creates is reported with the condition: it rewrites if the function is VOLATILE. A column of a',
      'domain with constraints (a CHECK, even one added NOT VALID, or NOT NULL) rewrites the table even without',
      'a default: PostgreSQL checks each row\'s value against the domain (checked on PostgreSQL 11 to 18); add it',
      'with the domain\'s base type and the domain\'s checks as a table constraint instead.',
      '',
      'Add the column without the default instead, set the default for new rows separately (no rewrite),',
      'backfill the existing rows in batches, then add the constraints without long locks.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();',
    good: [
      '-- Migration 1: add the column, then give new rows their default (no rewrite)',
      'ALTER TABLE agents ADD COLUMN token uuid;',
      'ALTER TABLE agents ALTER COLUMN token SET DEFAULT gen_random_uuid();',
      '-- Backfill in batches (repeat until 0 rows):',
      'UPDATE agents SET token = gen_random_uuid()',
      'WHERE id IN (SELECT id FROM agents WHERE token IS NULL LIMIT 10000);',
      '-- Migration 2:',
      'ALTER TABLE agents ADD CONSTRAINT agents_token_not_null_check CHECK (token IS NOT NULL) NOT VALID;',
      '-- Migration 3:',
      'ALTER TABLE agents VALIDATE CONSTRAINT agents_token_not_null_check;',
      '-- Migration 4:',
      'ALTER TABLE agents ALTER COLUMN token SET NOT NULL;',
      'ALTER TABLE agents DROP CONSTRAINT agents_token_not_null_check;',
    ].join('\n'),
    versions: [
      'Before PostgreSQL 11 every DEFAULT rewrote the table; from 11 only volatile ones do.',
      'PostgreSQL 18 adds VIRTUAL generated columns (the default kind in 18), computed when read: no rewrite.',
    ].join(' '),
  },
  create(context) {
    return {
      AlterTableStmt(node, statement) {
        const change = changeOfTableWithManyRows(node, statement);
        if (!change) return;
        for (const column of columnsAddedBy(change)) {
          const domain = checkedDomainOf(column, statement);
          if (domain) {
            reportDomainColumn(statement, change.table, column, domain);
            continue;
          }
          const rewrite = rewriteOf(column, statement, context.pgVersion);
          if (!column.colname || !rewrite) continue;
          statement.report({
            node: column,
            message: message(change.table, column, rewrite),
            help: help(statement, change.table, column, rewrite, context.pgVersion),
            lock: formLock(statement, rewrite.form),
          });
        }
      },
    };
  },
});

/** The domain of a column when its constraints make PostgreSQL compute the column row by row. */
function checkedDomainOf(column: ColumnDef, statement: StatementContext): TypeState | undefined {
  const name = nameOfList(column.typeName?.names);
  const type = name && name.schema !== 'pg_catalog' ? statement.schema.type(name) : undefined;
  return domainChecksValues(type) ? type : undefined;
}

/**
 * A column of a domain with constraints is checked row by row, so the table is rewritten even
 * without a default (checked on PostgreSQL 11 to 18). Adding it with the domain's base type and
 * its checks as a table constraint added NOT VALID reads nothing.
 */
function reportDomainColumn(statement: StatementContext, table: QualifiedName, column: NamedColumn, domain: TypeState): void {
  const tableName = displayName(table);
  const name = quoteIdentifier(column.colname);
  const constraint = quoteIdentifier(`${table.name}_${column.colname}_check`);
  const plain = domain.domainBase ? bareColumn({ ...column, typeName: domain.domainBase }) : undefined;
  statement.report({
    node: column,
    message: `ADD COLUMN ${name} of domain ${displayName(domain.name)} on existing table ${tableName} rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock: every existing row's value is checked against the domain's constraints, so PostgreSQL computes the column row by row, even without a default, and every read and write of ${tableName} waits until the rewrite finishes.`,
    help: [
      migrationStep(
        1,
        "the column with the domain's base type (no rewrite), and the domain's checks as a table constraint for new and changed rows",
        [
          `ALTER TABLE ${tableName} ADD COLUMN ${plain ?? `${name} <the domain's base type>`};`,
          `ALTER TABLE ${tableName} ADD CONSTRAINT ${constraint} CHECK (<the domain's conditions, with ${name} for VALUE>) NOT VALID;`,
        ].join('\n'),
      ),
      migrationStep(2, 'check the existing rows while reads and writes continue', `ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${constraint};`),
    ].join('\n'),
    lock: formLock(statement, 'add-column-domain-check'),
  });
}

/** How the existing rows get their values in the safe alternative. */
type Fill =
  | { readonly kind: 'expression'; readonly expression: Node }
  | { readonly kind: 'sequence'; readonly type: string; readonly identity: string | undefined }
  | { readonly kind: 'generated'; readonly expression: Node };

interface Rewrite {
  /** The statement form of the lock knowledge table. */
  readonly form: string;
  /** What the column definition says, as written in the message: `bigserial`, `DEFAULT random()`. */
  readonly what: string;
  /** Why every row is rewritten. */
  readonly why: string;
  /** Set when the rewrite depends on how functions no migration creates were declared. */
  readonly unknownCalls?: readonly string[];
  readonly fill: Fill;
}

const SERIAL_TYPES: Readonly<Record<string, string>> = {
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
  smallserial: 'smallint',
  serial2: 'smallint',
};

/** Why adding this column rewrites the table, or undefined when every existing row gets the same value. */
function rewriteOf(column: ColumnDef, statement: StatementContext, pgVersion: number): Rewrite | undefined {
  const written = baseTypeName(column.typeName) ?? '';
  const serialType = SERIAL_TYPES[written];
  if (serialType !== undefined) {
    return { form: 'add-column-serial', what: written, why: 'every existing row gets its own number from a new sequence', fill: { kind: 'sequence', type: serialType, identity: undefined } };
  }
  const constraints = constraintsOf(column);
  const identity = constraints.find((constraint) => constraint.contype === 'CONSTR_IDENTITY');
  if (identity) {
    const when = identity.generated_when === 'a' ? 'ALWAYS' : 'BY DEFAULT';
    const type = formatTypeName(column.typeName) ?? 'bigint';
    return { form: 'add-column-identity', what: `GENERATED ${when} AS IDENTITY`, why: 'every existing row gets its own number', fill: { kind: 'sequence', type, identity: when } };
  }
  const generated = constraints.find((constraint) => constraint.contype === 'CONSTR_GENERATED');
  if (generated?.raw_expr) {
    // Before 18 every generated column is STORED; from 18 an unmarked one is VIRTUAL.
    if (generated.generated_kind === 'v' && pgVersion >= 18) return undefined;
    const expression = sqlOf(generated.raw_expr) ?? '...';
    return { form: 'add-column-generated-stored', what: `GENERATED ALWAYS AS (${expression}) STORED`, why: 'the value is computed and written for every existing row', fill: { kind: 'generated', expression: generated.raw_expr } };
  }
  const defaultValue = constraints.find((constraint) => constraint.contype === 'CONSTR_DEFAULT')?.raw_expr;
  return defaultValue && !isNullConstant(defaultValue) ? defaultRewrite(defaultValue, statement, pgVersion) : undefined;
}

function defaultRewrite(expression: Node, statement: StatementContext, pgVersion: number): Rewrite | undefined {
  const what = `DEFAULT ${sqlOf(expression) ?? '...'}`;
  const fill: Fill = { kind: 'expression', expression };
  const volatility = expressionVolatility(expression, (name, schema) => statement.schema.function({ schema, name })?.volatility);
  if (volatility.volatileCalls.length > 0) {
    const calls = volatility.volatileCalls.join(', ');
    return { form: 'add-column-volatile-default', what, why: `${calls} ${volatility.volatileCalls.length === 1 ? 'is' : 'are'} volatile, so every existing row gets its own value`, fill };
  }
  if (pgVersion < 11) {
    return { form: 'add-column-default', what, why: `before PostgreSQL 11 (the configured version is ${pgVersion}) every default is written into every existing row`, fill };
  }
  if (volatility.unknownCalls.length > 0) {
    return { form: 'add-column-default', what, why: 'every existing row then gets its own value', unknownCalls: volatility.unknownCalls, fill };
  }
  return undefined;
}

function isNullConstant(expression: Node): boolean {
  return nodeOf(expression, 'A_Const')?.isnull === true;
}

function message(table: QualifiedName, column: ColumnDef, rewrite: Rewrite): string {
  const tableName = displayName(table);
  const added = `ADD COLUMN ${sqlOf({ ColumnDef: column }) ?? `${quoteIdentifier(column.colname ?? '')} ... ${rewrite.what}`} on existing table ${tableName}`;
  if (rewrite.unknownCalls) {
    const calls = rewrite.unknownCalls.join(', ');
    return `${added} rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock if ${calls} is VOLATILE (the default for CREATE FUNCTION; no migration read here creates it): ${rewrite.why}, and every read and write of ${tableName} waits until the rewrite finishes. A STABLE or IMMUTABLE function is stored once, without a rewrite.`;
  }
  return `${added} rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock: ${rewrite.why}, and every read and write of ${tableName} waits until the rewrite finishes.`;
}

function help(statement: StatementContext, table: QualifiedName, column: ColumnDef, rewrite: Rewrite, pgVersion: number): string {
  const name = column.colname ?? '';
  const notNull = constraintsOf(column).some((constraint) => constraint.contype === 'CONSTR_NOTNULL') || rewrite.fill.kind === 'sequence';
  const fill = fillSteps(statement, table, column, rewrite.fill, pgVersion);
  const constraints = constraintSteps(table, columnConstraintPlan(table, column, notNull, statement.implicitNames), 2, pgVersion);
  const steps = [...fill.steps, ...constraints];
  if (rewrite.fill.kind === 'sequence' && rewrite.fill.identity !== undefined && pgVersion >= 12) {
    steps.push(identityStep(table, name, rewrite.fill.identity, 2 + constraints.length));
  }
  const condition = rewrite.unknownCalls
    ? [`-- If ${rewrite.unknownCalls.join(', ')} is STABLE or IMMUTABLE the statement is safe as written: say so with a migrate-safe-ignore directive. Otherwise:`]
    : [];
  return [...condition, ...fill.options, ...steps].join('\n');
}

/** Not part of the plain column: how the existing rows get their values, and NOT NULL (enforced later). */
const FILLED_LATER = new Set<Constraint['contype']>(['CONSTR_DEFAULT', 'CONSTR_NOTNULL', 'CONSTR_IDENTITY', 'CONSTR_GENERATED']);

/** Migration 1 and the backfill; `options` introduce them when PostgreSQL offers another way. */
function fillSteps(statement: StatementContext, table: QualifiedName, column: ColumnDef, fill: Fill, pgVersion: number): { options: string[]; steps: string[] } {
  const tableName = displayName(table);
  const name = quoteIdentifier(column.colname ?? '');
  const typed = fill.kind === 'sequence' ? `${name} ${fill.type}` : (bareColumn(column, (constraint) => !FILLED_LATER.has(constraint.contype)) ?? `${name} <type>`);
  const key = batchKey(statement, table, name);
  const addColumn = `ALTER TABLE ${tableName} ADD COLUMN ${typed};`;
  switch (fill.kind) {
    case 'expression': {
      const value = sqlOf(fill.expression) ?? '<value>';
      return {
        options: [],
        steps: [
          migrationStep(1, 'add the column, then give new rows their default (neither rewrites)', [addColumn, `ALTER TABLE ${tableName} ALTER COLUMN ${name} SET DEFAULT ${value};`].join('\n')),
          batchedUpdate(table, key, `${name} = ${value}`, `${name} IS NULL`),
        ],
      };
    }
    case 'sequence': {
      const sequence = { schema: table.schema, name: `${table.name}_${column.colname ?? ''}_seq` };
      const next = `nextval('${displayName(sequence).replaceAll("'", "''")}')`;
      return {
        options: [],
        steps: [
          migrationStep(
            1,
            'a nullable column and its sequence; new rows get their number at once (no rewrite)',
            [
              `CREATE SEQUENCE ${displayName(sequence)} AS ${fill.type};`,
              addColumn,
              `ALTER TABLE ${tableName} ALTER COLUMN ${name} SET DEFAULT ${next};`,
              `ALTER SEQUENCE ${displayName(sequence)} OWNED BY ${tableName}.${name};`,
            ].join('\n'),
          ),
          batchedUpdate(table, key, `${name} = ${next}`, `${name} IS NULL`),
        ],
      };
    }
    case 'generated': {
      const expression = rowExpression(fill.expression) ?? { sql: '<expression>', inTrigger: '<expression on NEW>' };
      const trigger = quoteIdentifier(`${table.name}_compute_${column.colname ?? ''}`);
      const virtual = pgVersion >= 18
        ? [
            '-- Option 1, when the value need not be stored or indexed: a VIRTUAL generated column is computed when read (no rewrite):',
            `ALTER TABLE ${tableName} ADD COLUMN ${typed} GENERATED ALWAYS AS (${expression.sql}) VIRTUAL;`,
            '-- Option 2, a stored value kept up to date by a trigger:',
          ]
        : [];
      return {
        options: virtual,
        steps: [
          migrationStep(1, 'a plain column that a trigger computes for new and changed rows (no rewrite)', [addColumn, rowTrigger(table, trigger, `NEW.${name} := ${expression.inTrigger};`)].join('\n')),
          batchedUpdate(table, key, `${name} = ${expression.sql}`, `${name} IS DISTINCT FROM ${expression.sql}`),
        ],
      };
    }
  }
}

/** The key that picks a batch of rows; the physical row address when the new column is the key itself. */
function batchKey(statement: StatementContext, table: QualifiedName, column: string): string {
  const key = keyColumn(statement, table);
  return key === column ? 'ctid' : key;
}

/** With NOT NULL in place, the sequence-backed column becomes an identity column without a rewrite. */
function identityStep(table: QualifiedName, column: string, when: string, number: number): string {
  const tableName = displayName(table);
  const name = quoteIdentifier(column);
  const sequence = displayName({ schema: table.schema, name: `${table.name}_${column}_seq` });
  return [
    '-- Optional, to make it an identity column (brief lock, no rewrite):',
    migrationStep(
      number,
      'in one transaction, swap the sequence for an identity that continues the numbering',
      [
        `ALTER TABLE ${tableName} ALTER COLUMN ${name} DROP DEFAULT;`,
        `DROP SEQUENCE ${sequence};`,
        `ALTER TABLE ${tableName} ALTER COLUMN ${name} ADD GENERATED ${when} AS IDENTITY;`,
        `ALTER TABLE ${tableName} ALTER COLUMN ${name} RESTART WITH <the largest ${column} plus 1>;`,
      ].join('\n'),
    ),
  ].join('\n');
}
