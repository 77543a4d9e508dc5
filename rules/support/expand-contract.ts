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
  /**
   * The new column's value computed from a row, in the sync trigger (`NEW.<from>`) and in the
   * backfill (`<from>`); `back` computes the old column from the new one in the trigger (`NEW.<to>`),
   * undefined when nothing can (a USING expression).
   */
  readonly value: { readonly inTrigger: string; readonly inBackfill: string; readonly back: string | undefined };
}

/**
 * Expand and contract: add the new column, keep both columns in sync with a trigger, backfill it in
 * batches, switch the application to it, and drop the old column in a later migration.
 *
 * The sync goes both ways, unlike the guide's trigger (`NEW.new := NEW.old` on every write): while
 * both versions run, the old one writes only the old column and the new one only the new column,
 * and each must read what the other wrote. A one-way copy overwrites the new version's updates with
 * the old value and fails its inserts on the old column's NOT NULL.
 */
export function expandContract(statement: StatementContext, replacement: ColumnReplacement): string {
  const { table, from, to, type, typeNote, value } = replacement;
  const tableName = displayName(table);
  const sync = quoteIdentifier(`${table.name}_sync_${to.replaceAll('"', '')}`);
  const oneWay = value.back === undefined ? [`-- Nothing computes ${from} back from ${to}: until Migration 2, the new version writes ${from} as well.`] : [];
  return [
    migrationStep(
      1,
      `add ${to} and keep both columns in sync while old and new code run side by side`,
      [`ALTER TABLE ${tableName} ADD COLUMN ${to} ${type};${typeNote ? ` -- ${typeNote}` : ''}`, ...oneWay, rowTrigger(table, sync, twoWaySync(from, to, value))].join('\n'),
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

/**
 * The body of a two-way sync: a write by the old version (it sets only `from`) fills `to`, a write by
 * the new version (it sets only `to`) fills `from`. An insert that leaves `to` NULL comes from the old
 * version; an update changes the column of the version that ran it.
 */
function twoWaySync(from: string, to: string, value: ColumnReplacement['value']): string[] {
  const forward = `NEW.${to} := ${value.inTrigger};`;
  if (value.back === undefined) {
    return [`IF TG_OP = 'INSERT' OR NEW.${from} IS DISTINCT FROM OLD.${from} THEN`, `  ${forward}`, 'END IF;'];
  }
  const backward = `NEW.${from} := ${value.back};`;
  return [
    "IF TG_OP = 'INSERT' THEN",
    `  IF NEW.${to} IS NULL THEN`,
    `    ${forward}`,
    '  ELSE',
    `    ${backward}`,
    '  END IF;',
    `ELSIF NEW.${to} IS DISTINCT FROM OLD.${to} THEN`,
    `  ${backward}`,
    `ELSIF NEW.${from} IS DISTINCT FROM OLD.${from} THEN`,
    `  ${forward}`,
    'END IF;',
  ];
}

/** A BEFORE INSERT OR UPDATE trigger, and its function, that sets columns of each written row. */
export function rowTrigger(table: QualifiedName, name: string, body: string | readonly string[]): string {
  const lines = typeof body === 'string' ? [body] : body;
  return [
    `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$`,
    'BEGIN',
    ...lines.map((line) => `  ${line}`),
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
