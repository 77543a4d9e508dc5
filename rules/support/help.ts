import { type QualifiedName, type StatementContext, displayName, quoteIdentifier } from '../../src/api.js';

/** The column that identifies a row, for batching: the primary key when the history shows one. */
export function keyColumn(statement: StatementContext, table: QualifiedName): string {
  for (const constraint of statement.schema.table(table)?.constraints.values() ?? []) {
    if (constraint.kind === 'primary-key' && constraint.columns.length === 1 && constraint.columns[0] !== undefined) {
      return quoteIdentifier(constraint.columns[0]);
    }
  }
  return 'id';
}

/**
 * A backfill that touches a bounded batch of rows per statement, so no statement holds row
 * locks for long or builds up a huge transaction. Run it repeatedly until it updates 0 rows.
 */
export function batchedUpdate(table: QualifiedName, key: string, assignment: string, remaining: string): string {
  const name = displayName(table);
  return [
    `-- Repeat until it updates 0 rows (a script or a DO loop with COMMIT), each batch its own transaction:`,
    `UPDATE ${name} SET ${assignment}`,
    `WHERE ${key} IN (SELECT ${key} FROM ${name} WHERE ${remaining} LIMIT 10000);`,
  ].join('\n');
}

/** A migration of a multi-step recipe; the heading tells where one migration ends and the next begins. */
export function migrationStep(number: number, title: string, sql: string): string {
  return `-- Migration ${number}: ${title}\n${sql}`;
}
