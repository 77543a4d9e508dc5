import { sqlOf } from '../parse/deparse.js';
import { type QualifiedName, displayName, formatTypeName, quoteIdentifier } from './ast.js';
import type { ColumnState, MigrationRecording, ObjectOrigin, RenameRecord, SchemaSnapshot, SchemaState, TableObjectState, TableState } from './schema-state.js';
import { undoSql } from './undo.js';

/** One change a migration made to the schema that is still in place. */
export interface SchemaChange {
  readonly kind: 'schema' | 'table' | 'column' | 'constraint' | 'index' | 'policy' | 'trigger' | 'function' | 'type' | 'enum-value' | 'rename' | 'property';
  /** The object in words: `table teams`, `column agents.team_id`, `policy "agents_read_own" on agents`. */
  readonly object: string;
  /** What the migration did to it, in words: `created`, `renamed from name`, `set NOT NULL`. */
  readonly change: string;
  /** The statement that undoes it; a comment when no statement can. */
  readonly undo: string;
}

/**
 * The changes of the recorded migration that the schema still shows: right after the migration,
 * everything it did; after its rollback, what the rollback left undone. Objects the migration
 * created, renames it made, and the column and table properties it changed are compared with
 * what they were before it.
 */
export function remainingChanges(recording: MigrationRecording, state: SchemaState): SchemaChange[] {
  const after = recording.after ?? currentSnapshot(recording.before, state);
  const createdHere = (origin: { migration: string; part: string } | undefined): boolean =>
    origin?.part === 'up' && (recording.release ? recording.release.has(origin.migration) : origin.migration === recording.migration);
  // A rename of something the migration created itself is part of creating it.
  const renames = recording.renames.filter((rename) => !createdHere(findRenamed(rename, rename.toKey, state)?.origin) && !isReversed(rename, recording.renamesAfter, state));
  const renamedTo = new Set(renames.map((rename) => `${rename.kind}\0${rename.scope ?? ''}\0${rename.toKey}`));
  const isRenameTarget = (kind: RenameRecord['kind'], scope: string | undefined, key: string): boolean => renamedTo.has(`${kind}\0${scope ?? ''}\0${key}`);
  /** A table's value before the migration, under the name it had then. */
  const tableBefore = (key: string): TableState | undefined => {
    const renamed = recording.renames.find((rename) => rename.kind === 'table' && rename.toKey === key);
    return recording.before.tables.get(renamed?.fromKey ?? key);
  };
  const changes: SchemaChange[] = renames.flatMap((rename) => renameChange(rename, state));
  const tablesLeft = new Set<string>();

  for (const key of recording.before.tables.keys()) {
    const now = state.tables.get(key);
    const before = tableBefore(key);
    if (!now) continue;
    if (!before && createdHere(now.origin)) {
      if (!isRenameTarget('table', undefined, key)) {
        tablesLeft.add(key);
        changes.push({ kind: 'table', object: `${relationWord(now)} ${displayName(now.name)}`, change: 'created', undo: undoSql.dropRelation(now.name, now.kind) });
      }
      continue;
    }
    const renamedColumns = new Map(recording.renames.filter((rename) => rename.kind === 'column' && rename.scope === key).map((rename) => [rename.toKey, rename.fromKey]));
    changes.push(...tableChanges(before, after.tables.get(key), now, { createdHere, isRenameTarget, renamedColumns }));
  }
  for (const [key, before] of recording.before.indexes) {
    const now = state.indexes.get(key);
    const table = now && state.tables.get(now.table);
    // Dropping its table or its constraint drops the index too.
    if (before || !now || !createdHere(now.origin) || tablesLeft.has(now.table) || table?.constraints.has(now.name.name) || isRenameTarget('index', undefined, key)) continue;
    changes.push({ kind: 'index', object: `index ${displayName(now.name)}`, change: 'created', undo: undoSql.dropIndex(now.name) });
  }
  for (const kind of ['policy', 'trigger'] as const) {
    const snapshot = kind === 'policy' ? recording.before.policies : recording.before.triggers;
    for (const [key, before] of snapshot) {
      const now = (kind === 'policy' ? state.policies : state.triggers).get(key);
      if (before || !now || !createdHere(now.origin) || tablesLeft.has(now.table) || isRenameTarget(kind, now.table, now.name)) continue;
      const table = tableName(state, now);
      changes.push({ kind, object: `${kind} ${quoteIdentifier(now.name)} on ${displayName(table)}`, change: 'created', undo: undoSql.dropTableObject(kind, now.name, table) });
    }
  }
  for (const [key, before] of recording.before.functions) {
    const now = state.functions.get(key);
    if (before || !now || !createdHere(now.origin) || isRenameTarget('function', undefined, key)) continue;
    const word = now.procedure ? 'procedure' : 'function';
    changes.push({ kind: 'function', object: `${word} ${displayName(now.name)}`, change: 'created', undo: undoSql.dropFunction(now.name, now.argumentTypes, now.procedure === true) });
  }
  for (const [key, before] of recording.before.types) {
    const now = state.types.get(key);
    if (!now) continue;
    if (!before && createdHere(now.origin)) {
      if (!isRenameTarget('type', undefined, key)) changes.push({ kind: 'type', object: `type ${displayName(now.name)}`, change: 'created', undo: undoSql.dropType(now.name, now.kind) });
      continue;
    }
    for (const [value, origin] of now.values) {
      if (before?.values.has(value) || !createdHere(origin) || isRenameTarget('enum-value', key, value)) continue;
      changes.push({ kind: 'enum-value', object: `value '${value}' of ${displayName(now.name)}`, change: 'added', undo: enumValueRecipe(now.name, [...(before?.values.keys() ?? [])], value, state) });
    }
  }
  for (const [name, before] of recording.before.namespaces) {
    const now = state.namespaces.get(name);
    if (!before && now && createdHere(now.origin)) changes.push({ kind: 'schema', object: `schema ${quoteIdentifier(name)}`, change: 'created', undo: undoSql.dropSchema(name) });
  }
  return changes;
}

interface TableComparison {
  readonly createdHere: (origin: ColumnState['origin']) => boolean;
  readonly isRenameTarget: (kind: RenameRecord['kind'], scope: string | undefined, key: string) => boolean;
  /** Columns the migration renamed: new name to old name. */
  readonly renamedColumns: ReadonlyMap<string, string>;
}

function tableChanges(before: TableState | undefined, after: TableState | undefined, now: TableState, { createdHere, isRenameTarget, renamedColumns }: TableComparison): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const table = now.name;
  const shown = displayName(table);
  for (const column of now.columns.values()) {
    const earlier = before?.columns.get(renamedColumns.get(column.name) ?? column.name);
    // Entries are immutable: the same object is an untouched column.
    if (earlier === column) continue;
    if (!earlier && createdHere(column.origin)) {
      if (!isRenameTarget('column', now.key, column.name)) {
        changes.push({ kind: 'column', object: `column ${shown}.${quoteIdentifier(column.name)}`, change: 'added', undo: undoSql.dropColumn(table, column.name) });
      }
      continue;
    }
    const left = after?.columns.get(column.name);
    if (left) changes.push(...columnChanges(table, earlier, left, column));
  }
  for (const constraint of now.constraints.values()) {
    if (before?.constraints.has(constraint.name) || !createdHere(constraint.origin) || isRenameTarget('constraint', now.key, constraint.name)) continue;
    // A column's own constraints go with the column.
    if (constraint.columns.some((column) => !before?.columns.has(column) && createdHere(now.columns.get(column)?.origin))) continue;
    changes.push({ kind: 'constraint', object: `constraint ${quoteIdentifier(constraint.name)} on ${shown}`, change: 'added', undo: undoSql.dropConstraint(table, constraint.name) });
  }
  const rowLevelSecurityBefore = before?.rowLevelSecurity ?? false;
  if (after && after.rowLevelSecurity !== rowLevelSecurityBefore && now.rowLevelSecurity === after.rowLevelSecurity) {
    changes.push({
      kind: 'property',
      object: `row level security on ${shown}`,
      change: after.rowLevelSecurity ? 'enabled' : 'disabled',
      undo: undoSql.rowLevelSecurity(table, rowLevelSecurityBefore),
    });
  }
  return changes;
}

/**
 * Properties the migration changed and the state still shows as it left them. A column the
 * state knew nothing about before (`earlier` undefined) is compared with PostgreSQL's defaults.
 */
function columnChanges(table: QualifiedName, earlier: ColumnState | undefined, after: ColumnState, now: ColumnState): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const before = earlier ?? unknownColumn(now.name);
  const object = `column ${displayName(table)}.${quoteIdentifier(now.name)}`;
  if (after.notNull !== before.notNull && now.notNull === after.notNull) {
    changes.push({ kind: 'property', object, change: after.notNull ? 'set NOT NULL' : 'made nullable', undo: undoSql.setNotNull(table, now.name, before.notNull) });
  }
  // A rollback that touched the column is trusted with its default; the value before is restored when the history set it.
  if (after.hasDefault !== before.hasDefault && now === after) {
    const knownWithout = earlier !== undefined && !earlier.hasDefault;
    const previous = before.defaultExpression === undefined ? undefined : sqlOf(before.defaultExpression);
    changes.push({
      kind: 'property',
      object,
      change: after.hasDefault ? 'given a default' : 'stripped of its default',
      undo: after.hasDefault && knownWithout ? undoSql.dropDefault(table, now.name) : undoSql.restoreDefault(table, now.name, previous),
    });
  }
  const typeBefore = formatTypeName(before.type);
  const typeAfter = formatTypeName(after.type);
  if (typeAfter !== undefined && typeAfter !== typeBefore && formatTypeName(now.type) === typeAfter) {
    changes.push({ kind: 'property', object, change: `changed to type ${typeAfter}`, undo: undoSql.changeType(table, now.name, typeBefore) });
  }
  return changes;
}

function unknownColumn(name: string): ColumnState {
  return { name, type: undefined, notNull: false, hasDefault: false, origin: undefined, renamedFrom: undefined };
}

/** Renamed back by the rollback, or the old name exists again (recreated). */
function isReversed(rename: RenameRecord, renamesAfter: readonly RenameRecord[], state: SchemaState): boolean {
  const back = renamesAfter.some((later) => later.kind === rename.kind && later.scope === rename.scope && later.fromKey === rename.toKey && later.toKey === rename.fromKey);
  return back || exists(rename, rename.fromKey, state) === true || exists(rename, rename.toKey, state) === false;
}

/** Whether an object of the rename's kind exists under `key`; undefined when the state cannot tell (it never knew the object). */
function exists(rename: RenameRecord, key: string, state: SchemaState): boolean | undefined {
  return rename.known ? findRenamed(rename, key, state) !== undefined : undefined;
}

/** The object of the rename's kind under `key`, with where it was created; undefined when there is none. */
function findRenamed(rename: RenameRecord, key: string, state: SchemaState): { readonly origin: ObjectOrigin | undefined } | undefined {
  const scope = rename.scope ?? '';
  const table = state.tables.get(scope);
  switch (rename.kind) {
    case 'table':
      return state.tables.get(key);
    case 'column':
      return table?.columns.get(key);
    case 'constraint':
      return table?.constraints.get(key);
    case 'index':
      return state.indexes.get(key);
    case 'policy':
      return state.policies.get(`${scope}:${key}`);
    case 'trigger':
      return state.triggers.get(`${scope}:${key}`);
    case 'type':
      return state.types.get(key);
    case 'function':
      return state.functions.get(key);
    case 'enum-value': {
      const values = state.types.get(scope)?.values;
      return values?.has(key) ? { origin: values.get(key) } : undefined;
    }
  }
}

function renameChange(rename: RenameRecord, state: SchemaState): SchemaChange[] {
  const owner = ownerName(rename, state);
  const word = rename.kind === 'enum-value' ? 'value' : rename.kind;
  const where = owner === undefined ? '' : rename.kind === 'column' ? `${displayName(owner)}.` : '';
  const on = owner !== undefined && rename.kind !== 'column' ? ` of ${displayName(owner)}` : '';
  return [
    {
      kind: 'rename',
      object: `${word} ${where}${rename.kind === 'enum-value' ? `'${rename.to.name}'` : displayName(rename.to)}${on}`,
      change: `renamed from ${rename.kind === 'enum-value' ? `'${rename.from.name}'` : displayName(rename.from)}`,
      undo: undoSql.renameBack(rename.kind, owner, rename.from, rename.to),
    },
  ];
}

function ownerName(rename: RenameRecord, state: SchemaState): QualifiedName | undefined {
  if (rename.scope === undefined) return undefined;
  return state.tables.get(rename.scope)?.name ?? state.types.get(rename.scope)?.name ?? nameOfKey(rename.scope);
}

function tableName(state: SchemaState, object: TableObjectState): QualifiedName {
  return state.tables.get(object.table)?.name ?? nameOfKey(object.table);
}

function nameOfKey(key: string): QualifiedName {
  const dot = key.indexOf('.');
  return { schema: key.slice(0, dot) === 'public' ? undefined : key.slice(0, dot), name: key.slice(dot + 1) };
}

function relationWord(table: TableState): string {
  return table.kind === 'materialized-view' ? 'materialized view' : table.kind === 'partitioned-table' ? 'table' : table.kind.replace('-', ' ');
}

/** PostgreSQL cannot drop an enum value: the type is recreated without it, and each column using it converted. */
function enumValueRecipe(type: QualifiedName, valuesBefore: readonly string[], value: string, state: SchemaState): string {
  const old = { schema: type.schema, name: `${type.name}_old` };
  const typeName = type.schema === undefined ? type.name : `${type.schema}.${type.name}`;
  const columns = [...state.tables.values()].flatMap((table) =>
    [...table.columns.values()].filter((column) => formatTypeName(column.type) === typeName).map((column) => ({ table: table.name, column: column.name })),
  );
  const values = valuesBefore.length > 0 ? valuesBefore.map((label) => `'${label.replaceAll("'", "''")}'`).join(', ') : '<the other values>';
  return [
    `-- PostgreSQL cannot drop the enum value '${value}': recreate ${displayName(type)} without it (rows holding '${value}' must be changed first).`,
    `ALTER TYPE ${displayName(type)} RENAME TO ${quoteIdentifier(old.name)};`,
    `CREATE TYPE ${displayName(type)} AS ENUM (${values});`,
    ...(columns.length > 0
      ? columns.map(({ table, column }) => `ALTER TABLE ${displayName(table)} ALTER COLUMN ${quoteIdentifier(column)} TYPE ${displayName(type)} USING ${quoteIdentifier(column)}::text::${displayName(type)};`)
      : [`-- For each column of type ${displayName(old)}: ALTER TABLE <table> ALTER COLUMN <column> TYPE ${displayName(type)} USING <column>::text::${displayName(type)};`]),
    `DROP TYPE ${displayName(old)};`,
  ].join('\n');
}

/** The recorded objects as they are now, while the migration is still being replayed. */
function currentSnapshot(before: SchemaSnapshot, state: SchemaState): SchemaSnapshot {
  const now = <T>(keys: ReadonlyMap<string, unknown>, map: ReadonlyMap<string, T>): Map<string, T | undefined> => new Map([...keys.keys()].map((key) => [key, map.get(key)]));
  return {
    tables: now(before.tables, state.tables),
    indexes: now(before.indexes, state.indexes),
    functions: now(before.functions, state.functions),
    types: now(before.types, state.types),
    policies: now(before.policies, state.policies),
    triggers: now(before.triggers, state.triggers),
    namespaces: now(before.namespaces, state.namespaces),
  };
}
