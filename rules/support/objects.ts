import { type Node, type ObjectOrigin, type QualifiedName, type StatementContext, nameOfList, nodeOf, stringsOf } from '../../src/api.js';

/**
 * Whether an object is this migration's own to change: created on the branch (new), or, in a
 * rollback, created by the migration the rollback undoes.
 */
export function isOwnCreation(statement: StatementContext, origin: ObjectOrigin | undefined): boolean {
  return statement.schema.isNew(origin) || (statement.file.part === 'down' && statement.schema.isOwnedByThisMigration(origin));
}

/** The name parts of a dropped object: a `List` of names, or a bare `String` (schemas, extensions). */
export function listParts(object: Node): string[] {
  const list = nodeOf(object, 'List')?.items;
  return list ? stringsOf(list) : stringsOf([object]);
}

export function nameOfParts(parts: readonly string[]): QualifiedName | undefined {
  return nameOfList(parts.map((sval) => ({ String: { sval } })));
}
