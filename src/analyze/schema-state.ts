import type { IndexStmt, Node, TypeName } from '@pgsql/types';
import type { QualifiedName } from './ast.js';
import { DeferredMap, type DeferredValues } from './deferred-map.js';

/** Where an object came from: the migration, its up or down part, and the transaction. */
export interface ObjectOrigin {
  readonly migration: string;
  readonly part: 'up' | 'down';
  readonly transaction: number;
  /**
   * Created by a statement in a branch that may not run (`IF NOT EXISTS (...) THEN CREATE TABLE ...`
   * in a DO block): the object may have existed before, with its data.
   */
  readonly conditional?: boolean;
}

export interface ColumnState {
  readonly name: string;
  readonly type: TypeName | undefined;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
  /** The default's expression, when the history set it (a rollback restores it). */
  readonly defaultExpression?: Node | undefined;
  /** Undefined when the column existed before the migrations that were read. */
  readonly origin: ObjectOrigin | undefined;
  /** The most recent rename that gave the column its current name. */
  readonly renamedFrom: { readonly name: string; readonly origin: ObjectOrigin } | undefined;
  /**
   * The column a row trigger copies this column's values into (`NEW.into := NEW.this`), and where
   * that trigger was created: the expand step of a rename. Kept after the trigger is dropped, as
   * history, so the contract step that drops this column is recognised.
   */
  readonly mirroredInto?: { readonly name: string; readonly origin: ObjectOrigin } | undefined;
}

export type ConstraintKind = 'check' | 'foreign-key' | 'unique' | 'primary-key' | 'exclusion' | 'not-null';

export interface ConstraintState {
  readonly name: string;
  readonly kind: ConstraintKind;
  /** The constrained columns; for a CHECK, every column its expression uses. */
  readonly columns: readonly string[];
  /** For a foreign key: the table it references. */
  readonly references: QualifiedName | undefined;
  /** For `CHECK (col IS NOT NULL)`: the column it proves not null. */
  readonly provesNotNull: string | undefined;
  /** For a CHECK: its condition, as parsed (`sqlOf` prints it). */
  readonly condition?: Node | undefined;
  readonly validated: boolean;
  readonly origin: ObjectOrigin | undefined;
  /** Where it became valid: where it was added, or its VALIDATE CONSTRAINT. */
  readonly validatedIn: ObjectOrigin | undefined;
}

export type RelationKind = 'table' | 'partitioned-table' | 'view' | 'materialized-view' | 'foreign-table';

export interface TableState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly kind: RelationKind;
  readonly columns: ReadonlyMap<string, ColumnState>;
  readonly constraints: ReadonlyMap<string, ConstraintState>;
  readonly rowLevelSecurity: boolean;
  /** Where row level security was last enabled, while it is enabled. */
  readonly rowLevelSecurityEnabledIn?: ObjectOrigin | undefined;
  /** Undefined when the table existed before the migrations that were read. */
  readonly origin: ObjectOrigin | undefined;
  /** The most recent rename that gave the table its current name. */
  readonly renamedFrom: { readonly name: string; readonly origin: ObjectOrigin } | undefined;
  /** Whether every column is known (the table was created in a migration that was read). */
  readonly columnsKnown: boolean;
  /**
   * Set while the history defines the table completely: a plain CREATE TABLE made it (not LIKE,
   * INHERITS, PARTITION OF, OF a type, AS SELECT, nor IF NOT EXISTS of a table that may have existed)
   * and nothing since could have changed it unseen. The value is `SchemaState.unseenChanges` at its
   * creation: any later unseen change makes them differ (see `SchemaState.definesCompletely`).
   */
  readonly definedAt?: number | undefined;
  readonly partitionOf: string | undefined;
  /** Attached as the DEFAULT partition of `partitionOf`. */
  readonly defaultPartition: boolean;
  /** For a partitioned table: the columns its partition key is made of (of key expressions, the columns they use). */
  readonly partitionKey: readonly string[] | undefined;
  /** A TEMPORARY table: it ends with the session, at the end of the file that created it. */
  readonly temporary?: boolean;
  /**
   * The transaction that deleted every row (DELETE without WHERE, TRUNCATE) with none inserted since:
   * within it the table is empty. Other transactions may have added rows after it committed.
   */
  readonly emptiedIn?: number | undefined;
  /** The latest migration that inserted rows into the table (a seed): its rollback deleting them undoes it. */
  readonly seededBy?: ObjectOrigin | undefined;
  /**
   * A view created as `SELECT * FROM t` in the transaction that renamed or moved `t` away from the
   * view's name: it keeps the old name working for the running application (`t`'s key).
   */
  readonly standsInFor?: string;
}

export interface IndexState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly table: string;
  readonly unique: boolean;
  /** The indexed columns; an expression is left out. */
  readonly columns: readonly string[];
  /** Every column it uses (keys, expressions, INCLUDE, WHERE), when more than `columns`: dropping any of them drops the index. */
  readonly usesColumns?: readonly string[];
  readonly origin: ObjectOrigin | undefined;
  /** Why no UNIQUE or PRIMARY KEY constraint can use it (`USING INDEX`): it is partial, indexes an expression, or sorts a column DESC or NULLS FIRST. */
  readonly unusableForConstraint?: 'partial' | 'expression' | 'sort order';
  /** The CREATE INDEX that made it, when the history has it: a rollback of its drop recreates it from this. */
  readonly definition?: IndexStmt | undefined;
}

export type Volatility = 'immutable' | 'stable' | 'volatile';

export interface FunctionState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly volatility: Volatility;
  readonly origin: ObjectOrigin | undefined;
  /** The argument types that identify it (`DROP FUNCTION f(bigint, text)`), when it was created in a migration that was read. */
  readonly argumentTypes?: readonly string[];
  readonly procedure?: boolean;
  /** It returns `trigger` or `event_trigger`: only triggers run it, the application never calls it by name. */
  readonly returnsTrigger?: boolean;
  /** Row copies its body makes (`NEW.to := NEW.from`), which make it a column sync trigger function. */
  readonly columnCopies?: readonly ColumnCopy[];
  /** Columns its body reads or writes as `NEW.x` / `OLD.x`: a trigger running it breaks when one goes. */
  readonly rowColumns?: readonly string[];
}

/** One assignment `NEW.to := NEW.from` in a trigger function. */
export interface ColumnCopy {
  readonly from: string;
  readonly to: string;
}

/** A schema (namespace) created by a migration. */
export interface NamespaceState {
  readonly name: string;
  readonly origin: ObjectOrigin | undefined;
  /**
   * Set while the history knows every table and index in it: a plain CREATE SCHEMA made it, and no
   * extension, foreign schema import, sequence or unseen change has put anything there since. Like
   * `TableState.definedAt`.
   */
  readonly definedAt?: number | undefined;
}

export interface TypeState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly kind: 'enum' | 'composite' | 'domain' | 'range';
  /** Enum labels with where each was added. */
  readonly values: ReadonlyMap<string, ObjectOrigin | undefined>;
  readonly origin: ObjectOrigin | undefined;
  /**
   * For a domain created in a migration that was read: the names of its CHECK constraints, and
   * whether it is NOT NULL or built on a domain that has constraints. Any of them makes PostgreSQL
   * check every value, so a new column of the domain is computed row by row.
   */
  readonly domainChecks?: readonly string[];
  readonly domainNotNull?: boolean;
  readonly baseDomainChecked?: boolean;
  /** For a domain created in a migration that was read: the type it is based on. */
  readonly domainBase?: TypeName;
}

/** A policy or trigger: an object named within a table. */
export interface TableObjectState {
  readonly key: string;
  readonly table: string;
  readonly name: string;
  readonly origin: ObjectOrigin | undefined;
  /** For a trigger: the key of the function it executes. */
  readonly function?: string;
}

/** The maps of objects the history saw go. */
type DroppedKind = 'dropped-indexes' | 'dropped-tables';

interface JournalEntry {
  readonly kind: SnapshotKind | DroppedKind;
  readonly map: Map<string, unknown>;
  readonly key: string;
  readonly previous: unknown;
}

/** Objects by key, each with its value at one moment (undefined: it did not exist). */
export interface SchemaSnapshot {
  readonly tables: ReadonlyMap<string, TableState | undefined>;
  readonly indexes: ReadonlyMap<string, IndexState | undefined>;
  readonly functions: ReadonlyMap<string, FunctionState | undefined>;
  readonly types: ReadonlyMap<string, TypeState | undefined>;
  readonly policies: ReadonlyMap<string, TableObjectState | undefined>;
  readonly triggers: ReadonlyMap<string, TableObjectState | undefined>;
  readonly namespaces: ReadonlyMap<string, NamespaceState | undefined>;
}

type SnapshotKind = keyof SchemaSnapshot;

/**
 * The keys of one map's objects grouped by the table they belong to, in the map's order: a
 * statement about one table (a rename, a drop, a dropped column's triggers) reads that table's
 * objects instead of looking through every object of the history. Built on the first question
 * (most runs never ask), then kept up to date with every change of the map.
 */
class ObjectsByOwner<T> {
  private readonly map: ReadonlyMap<string, T>;
  private readonly ownerOf: (object: T) => string | undefined;
  private keys: Map<string, Set<string>> | undefined;
  /** Each key's place in the map: a key that changes owner keeps its place there, so a set's own order would not do. */
  private readonly places = new Map<string, number>();
  private nextPlace = 0;
  /**
   * Each key's owner, in the map's order, as a snapshot kept them (`toData`): the grouping is
   * built from it without reading the objects, which may still be encoded. Kept up to date until then.
   */
  private owners: Map<string, string | null> | undefined;

  constructor(map: ReadonlyMap<string, T>, ownerOf: (object: T) => string | undefined) {
    this.map = map;
    this.ownerOf = ownerOf;
  }

  /** Each key's owner (null: none), in the map's order. */
  toData(): Map<string, string | null> {
    if (this.owners) return this.owners;
    this.keys ??= this.build();
    const ownerOfKey = new Map<string, string>();
    for (const [owner, keys] of this.keys) for (const key of keys) ownerOfKey.set(key, owner);
    const ordered = [...this.places].sort((left, right) => left[1] - right[1]);
    return new Map(ordered.map(([key]) => [key, ownerOfKey.get(key) ?? null]));
  }

  /** Takes the owners `toData` described for the map's current keys. */
  fromData(owners: Map<string, string | null>): void {
    this.owners = owners;
  }

  /** Follows a change of the map, before it is made: `key` gets `value` (undefined: it goes). */
  change(key: string, value: T | undefined): void {
    if (!this.keys) {
      // A new key goes last, a changed one keeps its place: as in the map.
      if (value === undefined) this.owners?.delete(key);
      else this.owners?.set(key, this.ownerOf(value) ?? null);
      return;
    }
    const previous = this.map.get(key);
    if (value === undefined) this.places.delete(key);
    else if (previous === undefined) this.places.set(key, this.nextPlace++);
    const from = previous === undefined ? undefined : this.ownerOf(previous);
    const to = value === undefined ? undefined : this.ownerOf(value);
    if (from === to) return;
    if (from !== undefined) this.keys.get(from)?.delete(key);
    if (to !== undefined) this.add(this.keys, to, key);
  }

  objectsOf(owner: string): T[] {
    this.keys ??= this.build();
    const keys = [...(this.keys.get(owner) ?? [])];
    if (keys.length > 1) keys.sort((left, right) => (this.places.get(left) ?? 0) - (this.places.get(right) ?? 0));
    return keys.flatMap((key) => this.map.get(key) ?? []);
  }

  private build(): Map<string, Set<string>> {
    const keys = new Map<string, Set<string>>();
    const owners = this.owners ?? new Map([...this.map].map(([key, object]) => [key, this.ownerOf(object) ?? null]));
    this.owners = undefined;
    for (const [key, owner] of owners) {
      this.places.set(key, this.nextPlace++);
      if (owner !== null) this.add(keys, owner, key);
    }
    return keys;
  }

  private add(keys: Map<string, Set<string>>, owner: string, key: string): void {
    const owned = keys.get(owner);
    if (owned) owned.add(key);
    else keys.set(owner, new Set([key]));
  }
}

/**
 * How many constraints of each name each schema holds: PostgreSQL chooses a name for an unnamed
 * constraint that no constraint of the schema has. Built on the first question (a history that
 * names all its constraints never asks), then kept up to date with every change of the tables.
 */
class ConstraintNames {
  private readonly tables: ReadonlyMap<string, TableState>;
  private counts: Map<string, number> | undefined;

  constructor(tables: ReadonlyMap<string, TableState>) {
    this.tables = tables;
  }

  /** How many constraints of each name each schema holds: a snapshot keeps them, so that the tables need not be read to know. */
  toData(): Map<string, number> {
    this.counts ??= this.build();
    return this.counts;
  }

  fromData(counts: Map<string, number>): void {
    this.counts = counts;
  }

  has(schema: string, name: string): boolean {
    this.counts ??= this.build();
    return (this.counts.get(constraintKey(schema, name)) ?? 0) > 0;
  }

  /** Follows a change of the tables, before it is made: `key` gets `table` (undefined: it goes). */
  change(key: string, table: TableState | undefined): void {
    if (!this.counts) return;
    const previous = this.tables.get(key);
    if (previous?.constraints === table?.constraints && previous?.key === table?.key) return;
    if (previous) this.count(previous, -1);
    if (table) this.count(table, 1);
  }

  private build(): Map<string, number> {
    this.counts = new Map();
    for (const table of this.tables.values()) this.count(table, 1);
    return this.counts;
  }

  private count(table: TableState, by: 1 | -1): void {
    const counts = this.counts;
    if (!counts) return;
    const schema = schemaOfKey(table);
    for (const name of table.constraints.keys()) {
      const key = constraintKey(schema, name);
      counts.set(key, (counts.get(key) ?? 0) + by);
    }
  }
}

function constraintKey(schema: string, name: string): string {
  return `${schema}\0${name}`;
}

/** The schema an object's key places it in (`schema.name`, the default schema filled in). */
export function schemaOfKey(object: { readonly key: string; readonly name: QualifiedName }): string {
  return object.key.slice(0, object.key.length - object.name.name.length - 1);
}

/** A rename a migration made; chains (a to b, b to c) are kept as one (a to c), a rename back removes it. */
export interface RenameRecord {
  readonly kind: 'table' | 'column' | 'constraint' | 'index' | 'policy' | 'trigger' | 'type' | 'function' | 'enum-value';
  /** For an object within a table or a type (a column, a policy, an enum value): the table's or type's key. */
  readonly scope: string | undefined;
  /** Names as written. */
  readonly from: QualifiedName;
  readonly to: QualifiedName;
  /** The keys the state knows the object by: `schema.name` for schema objects, the plain name within a table or type. */
  readonly fromKey: string;
  readonly toKey: string;
  /** The state tracks the object (it was created in, or touched by, a migration that was read), so its presence can be checked. */
  readonly known: boolean;
}

/** What one migration changed: every object it touched before and after, and its renames. */
export interface MigrationRecording {
  /** The migration whose rollback is judged against the recording: the one that rolls back last. */
  readonly migration: string;
  /** For a release of several migrations (`migrations.release`): every one of them, whose changes are recorded together. */
  readonly release: ReadonlySet<string> | undefined;
  readonly before: SchemaSnapshot;
  /** Undefined while the migration is still being replayed: its changes are the current state. */
  readonly after: SchemaSnapshot | undefined;
  readonly renames: readonly RenameRecord[];
  /** Renames made after the migration: by its rollback, when one is tried. */
  readonly renamesAfter: readonly RenameRecord[];
}

interface Recording {
  readonly migration: string;
  readonly release: ReadonlySet<string> | undefined;
  readonly before: { readonly [K in SnapshotKind]: Map<string, unknown> };
  after: SchemaSnapshot | undefined;
  readonly renames: RenameRecord[];
  readonly renamesAfter: RenameRecord[];
}

/**
 * The schema as a sequence of migrations leaves it. Entries are immutable: a change replaces
 * an entry, and a journal of replaced entries lets a caller try statements (a rollback) and
 * then return to a checkpoint.
 */
export class SchemaState {
  private readonly tableMap = new DeferredMap<TableState>();
  private readonly indexMap = new DeferredMap<IndexState>();
  /** Indexes the history dropped, by key, with `unseenChanges` at the drop (an object: a DeferredMap holds no numbers): see `isDroppedIndex`. */
  private readonly droppedIndexMap = new DeferredMap<{ readonly at: number }>();
  /** Tables (and views) the history dropped or renamed away, by key, like `droppedIndexMap`: see `isSurelyDroppedTable`. */
  private readonly droppedTableMap = new DeferredMap<{ readonly at: number }>();
  private readonly functionMap = new DeferredMap<FunctionState>();
  private readonly typeMap = new DeferredMap<TypeState>();
  private readonly policyMap = new DeferredMap<TableObjectState>();
  private readonly triggerMap = new DeferredMap<TableObjectState>();
  private readonly namespaceMap = new DeferredMap<NamespaceState>();
  private readonly indexesByTable = new ObjectsByOwner(this.indexMap, (index) => index.table);
  private readonly policiesByTable = new ObjectsByOwner(this.policyMap, (policy) => policy.table);
  private readonly triggersByTable = new ObjectsByOwner(this.triggerMap, (trigger) => trigger.table);
  private readonly partitionsByParent = new ObjectsByOwner(this.tableMap, (table) => table.partitionOf);
  private readonly constraintNames = new ConstraintNames(this.tableMap);
  private readonly journal: JournalEntry[] = [];
  private openCheckpoints = 0;
  private current: Recording | undefined;
  /**
   * How many statements so far may have changed the schema in ways the history does not show:
   * dynamic SQL, a function whose body was not read, DDL in a branch that may not run. What was
   * known completely before one of them is no longer (`definesCompletely`). Not undone by `restore`:
   * a rollback tried with such a statement leaves the state less certain, never wrong.
   */
  private unseenChangeCount = 0;

  get unseenChanges(): number {
    return this.unseenChangeCount;
  }

  /** Something may have changed the schema unseen: no table or schema is known completely any more. */
  noteUnseenChange(): void {
    this.unseenChangeCount++;
  }

  /** Whether the history defines this table or schema completely now (`TableState.definedAt`). */
  definesCompletely(object: { readonly definedAt?: number | undefined } | undefined): boolean {
    return object?.definedAt !== undefined && object.definedAt === this.unseenChangeCount;
  }

  get tables(): ReadonlyMap<string, TableState> {
    return this.tableMap;
  }
  get indexes(): ReadonlyMap<string, IndexState> {
    return this.indexMap;
  }
  get functions(): ReadonlyMap<string, FunctionState> {
    return this.functionMap;
  }
  get types(): ReadonlyMap<string, TypeState> {
    return this.typeMap;
  }
  get policies(): ReadonlyMap<string, TableObjectState> {
    return this.policyMap;
  }
  get triggers(): ReadonlyMap<string, TableObjectState> {
    return this.triggerMap;
  }
  get namespaces(): ReadonlyMap<string, NamespaceState> {
    return this.namespaceMap;
  }

  /** The indexes on a table, by its key. */
  indexesOn(table: string): IndexState[] {
    return this.indexesByTable.objectsOf(table);
  }
  policiesOn(table: string): TableObjectState[] {
    return this.policiesByTable.objectsOf(table);
  }
  triggersOn(table: string): TableObjectState[] {
    return this.triggersByTable.objectsOf(table);
  }
  /** The partitions attached to a table, by its key. */
  partitionsOf(table: string): TableState[] {
    return this.partitionsByParent.objectsOf(table);
  }

  /** A table, view or index of that name exists in the schema (they share one namespace). */
  hasRelation(schema: string, name: string): boolean {
    const key = `${schema}.${name}`;
    return this.tableMap.has(key) || this.indexMap.has(key);
  }

  /** Some table of the schema has a constraint of that name. */
  hasConstraint(schema: string, name: string): boolean {
    return this.constraintNames.has(schema, name);
  }

  setTable(key: string, table: TableState | undefined): void {
    const gone = table === undefined && this.tableMap.has(key);
    if (gone || (table !== undefined && this.droppedTableMap.has(key))) this.recordDropped('dropped-tables', this.droppedTableMap, key, gone);
    this.record('tables', this.tableMap, key, table);
  }
  setIndex(key: string, index: IndexState | undefined): void {
    // An index seen going stays known to be gone: DROP INDEX IF EXISTS of it does nothing.
    const gone = index === undefined && this.indexMap.has(key);
    if (gone || (index !== undefined && this.droppedIndexMap.has(key))) this.recordDropped('dropped-indexes', this.droppedIndexMap, key, gone);
    this.record('indexes', this.indexMap, key, index);
  }

  /** Whether the history dropped an index of this key (with its table, column or constraint, or on its own) and none was created since. */
  isDroppedIndex(key: string): boolean {
    return this.droppedIndexMap.has(key);
  }

  /** Whether the index was dropped and nothing since could have created it unseen: DROP INDEX of it fails. */
  isSurelyDroppedIndex(key: string): boolean {
    return this.droppedIndexMap.get(key)?.at === this.unseenChangeCount;
  }

  /** Whether the history dropped (or renamed away) a table of this key, none was created since, and nothing since could have made one unseen. */
  isSurelyDroppedTable(key: string): boolean {
    return this.droppedTableMap.get(key)?.at === this.unseenChangeCount;
  }

  private recordDropped(kind: DroppedKind, map: Map<string, { readonly at: number }>, key: string, dropped: boolean): void {
    if (this.openCheckpoints > 0) this.journal.push({ kind, map, key, previous: map.get(key) });
    if (dropped) map.set(key, { at: this.unseenChangeCount });
    else map.delete(key);
  }
  setFunction(key: string, fn: FunctionState | undefined): void {
    this.record('functions', this.functionMap, key, fn);
  }
  setType(key: string, type: TypeState | undefined): void {
    this.record('types', this.typeMap, key, type);
  }
  setPolicy(key: string, policy: TableObjectState | undefined): void {
    this.record('policies', this.policyMap, key, policy);
  }
  setTrigger(key: string, trigger: TableObjectState | undefined): void {
    this.record('triggers', this.triggerMap, key, trigger);
  }

  /**
   * Starts recording what a migration changes (replacing the previous recording): the value of
   * every object it touches before its first change, and its renames. A rollback is judged against
   * it. For a release of several migrations, the recording spans all of them, and `migration` is
   * the one whose rollback runs last.
   */
  startRecording(migration: string, release?: ReadonlySet<string>): void {
    const before = { tables: new Map(), indexes: new Map(), functions: new Map(), types: new Map(), policies: new Map(), triggers: new Map(), namespaces: new Map() };
    this.current = { migration, release, before, after: undefined, renames: [], renamesAfter: [] };
  }

  /** Ends the recording: the objects the migration touched are kept as it left them. */
  stopRecording(): void {
    const current = this.current;
    if (!current || current.after) return;
    const now = <T>(kind: SnapshotKind, map: ReadonlyMap<string, T>): Map<string, T | undefined> => new Map([...current.before[kind].keys()].map((key) => [key, map.get(key)]));
    current.after = {
      tables: now('tables', this.tableMap),
      indexes: now('indexes', this.indexMap),
      functions: now('functions', this.functionMap),
      types: now('types', this.typeMap),
      policies: now('policies', this.policyMap),
      triggers: now('triggers', this.triggerMap),
      namespaces: now('namespaces', this.namespaceMap),
    };
  }

  /** The last migration's recording. */
  get recording(): MigrationRecording | undefined {
    // The values were recorded from the maps of the same kind.
    return this.current as MigrationRecording | undefined;
  }

  /** Notes a rename: the recorded migration's, or one after it (its rollback's). */
  noteRename(rename: RenameRecord): void {
    if (!this.current) return;
    const renames = this.current.after === undefined ? this.current.renames : this.current.renamesAfter;
    const earlier = renames.findIndex((candidate) => candidate.kind === rename.kind && candidate.scope === rename.scope && candidate.toKey === rename.fromKey);
    const first = earlier === -1 ? undefined : renames[earlier];
    const chained = first ? { ...rename, from: first.from, fromKey: first.fromKey } : rename;
    if (earlier !== -1) renames.splice(earlier, 1);
    if (chained.fromKey !== chained.toKey) renames.push(chained);
  }
  setNamespace(name: string, namespace: NamespaceState | undefined): void {
    this.record('namespaces', this.namespaceMap, name, namespace);
  }

  /**
   * The state as plain data that node:v8 can serialize, for the persistent cache: every field,
   * whatever fields the state grows, except the journal of a checkpoint a caller holds open. The
   * groupings derived from the maps are kept as what they know beyond the maps' keys (owners,
   * constraint names), so a state read back need not read every object to answer.
   */
  toData(): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this)) {
      if (name === 'journal' || name === 'openCheckpoints') continue;
      data[name] = value instanceof ObjectsByOwner || value instanceof ConstraintNames ? { derived: value.toData() } : value;
    }
    return data;
  }

  /**
   * The state `toData` described. A map may also come as its keys and their values still
   * encoded (`DeferredEntries`): each value is decoded when it is first read.
   */
  static fromData(data: Readonly<Record<string, unknown>>): SchemaState {
    const state = new SchemaState();
    const fields = state as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(data)) {
      const own = fields[name];
      // The maps are filled, not replaced: the derived groupings hold them.
      if (own instanceof DeferredMap && isDeferredEntries(value)) own.defer(value.keys, value.values);
      else if (own instanceof ObjectsByOwner || own instanceof ConstraintNames) fromDerived(own, value);
      else if (own instanceof Map && value instanceof Map) for (const [key, entry] of value) own.set(key, entry);
      else fields[name] = value;
    }
    return state;
  }

  /** Starts recording changes; `restore` undoes everything after this point. */
  checkpoint(): number {
    this.openCheckpoints++;
    return this.journal.length;
  }

  restore(checkpoint: number): void {
    this.openCheckpoints--;
    while (this.journal.length > checkpoint) {
      const entry = this.journal.pop();
      if (!entry) break;
      this.write(entry.kind, entry.map, entry.key, entry.previous);
    }
  }

  private record<T>(kind: SnapshotKind, map: Map<string, T>, key: string, value: T | undefined): void {
    if (this.openCheckpoints > 0) this.journal.push({ kind, map, key, previous: map.get(key) });
    const before = this.current?.after === undefined ? this.current?.before[kind] : undefined;
    if (before && !before.has(key)) before.set(key, map.get(key));
    this.write(kind, map, key, value);
  }

  private write<T>(kind: SnapshotKind | DroppedKind, map: Map<string, T>, key: string, value: T | undefined): void {
    if (kind !== 'dropped-indexes' && kind !== 'dropped-tables') this.byOwner(kind)?.change(key, value);
    if (kind === 'tables') this.constraintNames.change(key, value as TableState | undefined);
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }

  /** The grouping that follows a map's changes (the map's values are of the kind). */
  private byOwner(kind: SnapshotKind): { change(key: string, value: unknown): void } | undefined {
    if (kind === 'indexes') return this.indexesByTable;
    if (kind === 'policies') return this.policiesByTable;
    if (kind === 'triggers') return this.triggersByTable;
    return kind === 'tables' ? this.partitionsByParent : undefined;
  }
}

/** A map of the state as its keys, in order, and their values still encoded (the persistent cache's snapshots). */
export interface DeferredEntries {
  readonly keys: readonly string[];
  readonly values: DeferredValues;
}

/** A derived grouping takes what `toData` kept of it; anything else (an older snapshot's) is left to be rebuilt. */
function fromDerived(grouping: ObjectsByOwner<unknown> | ConstraintNames, value: unknown): void {
  const derived = (value as { derived?: unknown } | null)?.derived;
  if (derived instanceof Map) grouping.fromData(derived as Map<string, never>);
}

function isDeferredEntries(value: unknown): value is DeferredEntries {
  const candidate = value as Partial<DeferredEntries> | null;
  return typeof candidate === 'object' && candidate !== null && Array.isArray(candidate.keys) && typeof candidate.values === 'object';
}

/** Whether a domain checks every value it holds (a CHECK, NOT NULL, or a base domain that does); false for other types and for domains created before the migrations that were read. */
export function domainChecksValues(type: TypeState | undefined): boolean {
  return type?.kind === 'domain' && ((type.domainChecks?.length ?? 0) > 0 || type.domainNotNull === true || type.baseDomainChecked === true);
}

/** The schemas of PostgreSQL's own catalogs. */
const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/**
 * Whether a relation is one of PostgreSQL's system catalogs or views (pg_class, pg_index,
 * information_schema.columns, ...), not a table of the application. pg_catalog comes first in every
 * search path, so an unqualified `pg_` name is the catalog's unless the history created that table.
 */
export function isSystemCatalog(name: QualifiedName, state: SchemaState, defaultSchema: string): boolean {
  if (name.schema !== undefined) return CATALOG_SCHEMAS.has(name.schema);
  return name.name.startsWith('pg_') && !state.tables.has(objectKey(name, defaultSchema));
}

/** The key of a schema object: its schema (the default schema when unqualified) and name. */
export function objectKey(name: QualifiedName, defaultSchema: string): string {
  return `${name.schema ?? defaultSchema}.${name.name}`;
}
