import type { TypeName } from '@pgsql/types';
import type { QualifiedName } from './ast.js';

/** Where an object came from: the migration, its up or down part, and the transaction. */
export interface ObjectOrigin {
  readonly migration: string;
  readonly part: 'up' | 'down';
  readonly transaction: number;
}

export interface ColumnState {
  readonly name: string;
  readonly type: TypeName | undefined;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
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
  readonly partitionOf: string | undefined;
  /** Attached as the DEFAULT partition of `partitionOf`. */
  readonly defaultPartition: boolean;
  /** For a partitioned table: the columns its partition key is made of (of key expressions, the columns they use). */
  readonly partitionKey: readonly string[] | undefined;
}

export interface IndexState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly table: string;
  readonly unique: boolean;
  readonly origin: ObjectOrigin | undefined;
}

export type Volatility = 'immutable' | 'stable' | 'volatile';

export interface FunctionState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly volatility: Volatility;
  readonly origin: ObjectOrigin | undefined;
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
}

export interface TypeState {
  readonly key: string;
  readonly name: QualifiedName;
  readonly kind: 'enum' | 'composite' | 'domain' | 'range';
  /** Enum labels with where each was added. */
  readonly values: ReadonlyMap<string, ObjectOrigin | undefined>;
  readonly origin: ObjectOrigin | undefined;
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

interface JournalEntry {
  readonly map: Map<string, unknown>;
  readonly key: string;
  readonly previous: unknown;
}

/**
 * The schema as a sequence of migrations leaves it. Entries are immutable: a change replaces
 * an entry, and a journal of replaced entries lets a caller try statements (a rollback) and
 * then return to a checkpoint.
 */
export class SchemaState {
  private readonly tableMap = new Map<string, TableState>();
  private readonly indexMap = new Map<string, IndexState>();
  private readonly functionMap = new Map<string, FunctionState>();
  private readonly typeMap = new Map<string, TypeState>();
  private readonly policyMap = new Map<string, TableObjectState>();
  private readonly triggerMap = new Map<string, TableObjectState>();
  private readonly namespaceMap = new Map<string, NamespaceState>();
  private readonly journal: JournalEntry[] = [];
  private openCheckpoints = 0;

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

  setTable(key: string, table: TableState | undefined): void {
    this.record(this.tableMap, key, table);
  }
  setIndex(key: string, index: IndexState | undefined): void {
    this.record(this.indexMap, key, index);
  }
  setFunction(key: string, fn: FunctionState | undefined): void {
    this.record(this.functionMap, key, fn);
  }
  setType(key: string, type: TypeState | undefined): void {
    this.record(this.typeMap, key, type);
  }
  setPolicy(key: string, policy: TableObjectState | undefined): void {
    this.record(this.policyMap, key, policy);
  }
  setTrigger(key: string, trigger: TableObjectState | undefined): void {
    this.record(this.triggerMap, key, trigger);
  }
  setNamespace(name: string, namespace: NamespaceState | undefined): void {
    this.record(this.namespaceMap, name, namespace);
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
      if (entry.previous === undefined) entry.map.delete(entry.key);
      else entry.map.set(entry.key, entry.previous);
    }
  }

  private record<T>(map: Map<string, T>, key: string, value: T | undefined): void {
    if (this.openCheckpoints > 0) this.journal.push({ map, key, previous: map.get(key) });
    if (value === undefined) map.delete(key);
    else map.set(key, value);
  }
}

/** The key of a schema object: its schema (the default schema when unqualified) and name. */
export function objectKey(name: QualifiedName, defaultSchema: string): string {
  return `${name.schema ?? defaultSchema}.${name.name}`;
}
