import type { RangeVar } from '@pgsql/types';
import { type QualifiedName, nameOfRangeVar } from './ast.js';
import { type SchemaChange, remainingChanges } from './schema-changes.js';
import {
  type ColumnState,
  type FunctionState,
  type IndexState,
  type NamespaceState,
  type ObjectOrigin,
  type SchemaState,
  type TableObjectState,
  type TableState,
  type TypeState,
  isSystemCatalog,
  objectKey,
  schemaOfKey,
} from './schema-state.js';

/** Where the statement being judged sits: which migration, which part, which transaction. */
export interface Position {
  readonly migration: string;
  readonly part: 'up' | 'down';
  /** Whether another migration belongs to this one's release (`migrations.release`): they deploy together. */
  readonly sameRelease?: ((migration: string) => boolean) | undefined;
  /** Whether a migration has never been deployed: it is not in the base a pull request is compared with (`--since`). */
  readonly undeployed?: ((migration: string) => boolean) | undefined;
}

/**
 * The schema as rules see it: the state before the statement, with names resolved the way
 * PostgreSQL resolves them (unqualified names in the first schema of search_path).
 */
export class SchemaView {
  private readonly state: SchemaState;
  private readonly defaultSchema: string;
  private readonly position: Position;
  private readonly transaction: number | undefined;

  /** `transaction`: the one the statement runs in, when the view is a statement's. */
  constructor(state: SchemaState, defaultSchema: string, position: Position, transaction?: number) {
    this.state = state;
    this.defaultSchema = defaultSchema;
    this.position = position;
    this.transaction = transaction;
  }

  key(name: QualifiedName): string {
    return objectKey(name, this.defaultSchema);
  }

  table(name: QualifiedName | RangeVar | undefined): TableState | undefined {
    const qualified = toName(name);
    return qualified ? this.state.tables.get(this.key(qualified)) : undefined;
  }

  /** The table an index is on, by its current name. */
  tableOfIndex(index: IndexState): TableState | undefined {
    return this.state.tables.get(index.table);
  }

  column(table: QualifiedName | RangeVar | undefined, column: string | undefined): ColumnState | undefined {
    return column === undefined ? undefined : this.table(table)?.columns.get(column);
  }

  index(name: QualifiedName): IndexState | undefined {
    return this.state.indexes.get(this.key(name));
  }

  function(name: QualifiedName): FunctionState | undefined {
    return this.state.functions.get(this.key(name));
  }

  type(name: QualifiedName): TypeState | undefined {
    return this.state.types.get(this.key(name));
  }

  policy(table: QualifiedName, name: string): TableObjectState | undefined {
    return this.state.policies.get(`${this.key(table)}:${name}`);
  }

  /**
   * Whether the history dropped an index of this name (on its own, or with its table, column or
   * constraint) and none was created since: `DROP INDEX IF EXISTS` of it does nothing.
   */
  isDroppedIndex(name: QualifiedName): boolean {
    return this.state.isDroppedIndex(this.key(name));
  }

  /**
   * Whether the history defines a table or schema completely at this statement: every column,
   * constraint and index of the table (every table and index of the schema) is known, so a name it
   * lacks does not exist (`TableState.definedAt`, `NamespaceState.definedAt`).
   */
  definesCompletely(object: TableState | NamespaceState | undefined): boolean {
    return this.state.definesCompletely(object);
  }

  /** Whether the history dropped this table (or renamed it away) and nothing since could have created one of its name unseen. */
  isSurelyDroppedTable(name: QualifiedName): boolean {
    return this.state.isSurelyDroppedTable(this.key(name));
  }

  /** Whether the history dropped this index and nothing since could have created it unseen. */
  isSurelyDroppedIndex(name: QualifiedName): boolean {
    return this.state.isSurelyDroppedIndex(this.key(name));
  }

  /**
   * The schemas the history knows, each with whether it made them or made something in them
   * (`true`), or only named objects in them that existed before its migrations (`false`).
   */
  knownSchemas(): ReadonlyMap<string, boolean> {
    const schemas = new Map<string, boolean>();
    const add = (schema: string, made: boolean): void => {
      if (!schemas.get(schema)) schemas.set(schema, made);
    };
    for (const namespace of this.state.namespaces.values()) add(namespace.name, namespace.origin !== undefined);
    for (const objects of [this.state.tables, this.state.types, this.state.functions, this.state.indexes]) {
      for (const object of objects.values()) add(schemaOfKey(object), object.origin !== undefined);
    }
    return schemas;
  }

  /** The indexes on a table (those of its primary key and unique constraints too). */
  indexesOn(table: QualifiedName): IndexState[] {
    return this.state.indexesOn(this.key(table));
  }

  /** The triggers on a table. */
  triggersOn(table: QualifiedName): TableObjectState[] {
    return this.state.triggersOn(this.key(table));
  }

  /** The partitions attached to a table. */
  partitionsOf(table: QualifiedName): TableState[] {
    return this.state.partitionsOf(this.key(table));
  }

  /** The function a trigger executes, when a migration created it. */
  functionOf(trigger: TableObjectState): FunctionState | undefined {
    return trigger.function === undefined ? undefined : this.state.functions.get(trigger.function);
  }

  trigger(table: QualifiedName, name: string): TableObjectState | undefined {
    return this.state.triggers.get(`${this.key(table)}:${name}`);
  }

  /** A schema (namespace) a migration created. */
  namespace(name: string): NamespaceState | undefined {
    return this.state.namespaces.get(name);
  }

  get tables(): ReadonlyMap<string, TableState> {
    return this.state.tables;
  }

  /**
   * Created earlier in this same file (this migration, or this rollback), or by a migration that
   * deploys with this one (an earlier file of its release, a migration the pull request adds):
   * nobody uses it yet, so locking or rewriting it harms no one. Not when a branch that may not run
   * created it: then it may be an old object with data.
   */
  isNew(origin: ObjectOrigin | undefined): boolean {
    if (origin === undefined || origin.conditional === true) return false;
    if (origin.migration === this.position.migration && origin.part === this.position.part) return true;
    return this.position.part === 'up' && origin.part === 'up' && this.deploysWithThis(origin.migration);
  }

  /** Made by this migration or one deployed with it: no deploy separates them, so no running version saw the state between. */
  isSameDeploy(origin: ObjectOrigin | undefined): boolean {
    return origin !== undefined && this.deploysWithThis(origin.migration);
  }

  /** Created by this migration; in a rollback, by the migration (or the release) the rollback reverts. */
  isOwnedByThisMigration(origin: ObjectOrigin | undefined): boolean {
    return origin !== undefined && origin.part === 'up' && (origin.migration === this.position.migration || this.position.sameRelease?.(origin.migration) === true);
  }

  private deploysWithThis(migration: string): boolean {
    const { position } = this;
    if (migration === position.migration || position.sameRelease?.(migration) === true) return true;
    return position.undeployed !== undefined && position.undeployed(migration) && position.undeployed(position.migration);
  }

  /**
   * What this file's migration changed that the schema still shows, object by object, each with
   * the statement that undoes it. Read at the end of a migration, it is everything the migration
   * did; at the end of its rollback, what the rollback leaves undone.
   */
  changesOfThisMigration(): readonly SchemaChange[] {
    const recording = this.state.recording;
    return recording?.migration === this.position.migration ? remainingChanges(recording, this.state) : [];
  }

  /** Whether a relation is one of PostgreSQL's system catalogs (`pg_index`, `pg_catalog.pg_class`, `information_schema.columns`), not an application table. */
  isSystemCatalog(name: QualifiedName | RangeVar | undefined): boolean {
    const qualified = toName(name);
    return qualified !== undefined && isSystemCatalog(qualified, this.state, this.defaultSchema);
  }

  /**
   * Whether the table has no rows for this statement: an earlier statement of its transaction deleted
   * them all (DELETE without WHERE, TRUNCATE) and none was inserted since. Adding a NOT NULL column
   * then succeeds, and scans and rewrites of it are instant (its locks are still held to the commit).
   */
  isEmptyTable(name: QualifiedName | RangeVar | undefined): boolean {
    const emptiedIn = this.table(name)?.emptiedIn;
    return emptiedIn !== undefined && emptiedIn === this.transaction;
  }

  /** Whether a table is new in the sense of `isNew`; unknown tables exist and hold data. */
  isNewTable(name: QualifiedName | RangeVar | undefined): boolean {
    return this.isNew(this.table(name)?.origin);
  }
}

function toName(name: QualifiedName | RangeVar | undefined): QualifiedName | undefined {
  if (name === undefined) return undefined;
  if ('relname' in name) return nameOfRangeVar(name);
  return name as QualifiedName;
}
