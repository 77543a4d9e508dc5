import { type ColumnRef, type Node, type QualifiedName, type StatementContext, displayName, quoteIdentifier, sqlOf, walk } from '../../src/api.js';
import { batchedUpdate, keyColumn, migrationStep } from './help.js';

/** A column replaced by a new one while old and new application code run side by side. */
export interface ColumnReplacement {
  readonly table: QualifiedName;
  /** The column the running application uses, quoted. */
  readonly from: string;
  /** The new column, quoted. */
  readonly to: string;
  /** The new column's type. */
  readonly type: string;
  /** A comment after the new column's type, when it is a guess. */
  readonly typeNote?: string;
  /** The new column's value computed from a row, in the sync trigger (`NEW.<from>`) and in the backfill (`<from>`). */
  readonly value: { readonly inTrigger: string; readonly inBackfill: string };
}

/**
 * Expand and contract: add the new column, keep it in sync with a trigger, backfill it in
 * batches, switch the application to it, and drop the old column in a later migration.
 */
export function expandContract(statement: StatementContext, replacement: ColumnReplacement): string {
  const { table, from, to, type, typeNote, value } = replacement;
  const tableName = displayName(table);
  const sync = quoteIdentifier(`${table.name}_sync_${to.replaceAll('"', '')}`);
  return [
    migrationStep(
      1,
      `add ${to} and keep it in sync while old and new code run side by side`,
      [`ALTER TABLE ${tableName} ADD COLUMN ${to} ${type};${typeNote ? ` -- ${typeNote}` : ''}`, rowTrigger(table, sync, `NEW.${to} := ${value.inTrigger};`)].join('\n'),
    ),
    batchedUpdate(table, keyColumn(statement, table), `${to} = ${value.inBackfill}`, `${to} IS DISTINCT FROM ${value.inBackfill}`),
    `-- Deploy the application reading and writing ${to}; then, once no running code uses ${from}:`,
    migrationStep(
      2,
      `drop the sync trigger and ${from}`,
      [`DROP TRIGGER ${sync} ON ${tableName};`, `DROP FUNCTION ${sync}();`, `ALTER TABLE ${tableName} DROP COLUMN ${from};`].join('\n'),
    ),
  ].join('\n');
}

/** A BEFORE INSERT OR UPDATE trigger, and its function, that sets a column of each written row. */
export function rowTrigger(table: QualifiedName, name: string, assignment: string): string {
  return [
    `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$`,
    'BEGIN',
    `  ${assignment}`,
    '  RETURN NEW;',
    'END;',
    '$$;',
    `CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON ${displayName(table)}`,
    `  FOR EACH ROW EXECUTE FUNCTION ${name}();`,
  ].join('\n');
}

/** An expression over a row's columns as SQL, and as a trigger computes it from the row being written (`new.col`). */
export function rowExpression(expression: Node): { readonly sql: string; readonly inTrigger: string } | undefined {
  const sql = sqlOf(expression);
  const onNewRow = structuredClone(expression);
  walk(onNewRow, (type, fields) => {
    const reference = type === 'ColumnRef' ? (fields as ColumnRef) : undefined;
    if (reference?.fields?.length === 1) reference.fields = [{ String: { sval: 'new' } }, ...reference.fields];
  });
  const inTrigger = sqlOf(onNewRow);
  return sql === undefined || inTrigger === undefined ? undefined : { sql, inTrigger };
}
