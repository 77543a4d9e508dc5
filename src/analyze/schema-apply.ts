import type {
  AlterDomainStmt,
  AlterObjectSchemaStmt,
  AlterTableCmd,
  AlterTableStmt,
  ColumnDef,
  Constraint,
  CreateStmt,
  CreateTrigStmt,
  DropStmt,
  IndexElem,
  IndexStmt,
  Node,
  PartitionSpec,
  RangeVar,
  RenameStmt,
  TypeName,
} from '@pgsql/types';
import {
  type QualifiedName,
  constraintsOf,
  functionArgumentTypes,
  nameOfList,
  nameOfRangeVar,
  namesOfObjects,
  nodeOf,
  stringsOf,
  unwrap,
  walk,
} from './ast.js';
import {
  type ColumnCopy,
  type ColumnState,
  type ConstraintKind,
  type ConstraintState,
  type IndexState,
  type ObjectOrigin,
  type RelationKind,
  type RenameRecord,
  type SchemaState,
  type TableObjectState,
  type TableState,
  type Volatility,
  domainChecksValues,
  objectKey,
} from './schema-state.js';
import { type ImplicitNames, columnsUsedBy, makeObjectName, nameAddition } from './implicit-names.js';

export interface ApplyContext {
  readonly origin: ObjectOrigin;
  readonly defaultSchema: string;
  /** The names of the constraints and index the statement creates (implicitNames). */
  readonly names: ImplicitNames;
}

type Apply = (state: SchemaState, fields: never, context: ApplyContext) => void;

/** The session that ran a file ends with it, and its temporary tables with it. */
export function endSession(state: SchemaState, origin: Omit<ObjectOrigin, 'transaction'>, statements: readonly Node[]): void {
  // Looking through every table after every file would make a long history quadratic.
  if (!statements.some(createsTemporaryTable)) return;
  for (const table of [...state.tables.values()]) {
    if (table.temporary && table.origin?.migration === origin.migration && table.origin.part === origin.part) dropTable(state, table.key);
  }
}

function createsTemporaryTable(node: Node): boolean {
  return nodeOf(node, 'CreateStmt')?.relation?.relpersistence === 't';
}

/** Replays one statement into the schema model. Statements that change no tracked object are ignored. */
export function applyStatement(state: SchemaState, node: Node, context: ApplyContext): void {
  const [type, fields] = unwrap(node);
  const apply = APPLIERS[type];
  if (apply) apply(state, fields as never, context);
}

const APPLIERS: Readonly<Record<string, Apply>> = {
  CreateStmt: createTable,
  // SELECT ... INTO makes a table too.
  SelectStmt: (state, fields: { intoClause?: { rel?: RangeVar } }, context) => {
    if (fields.intoClause) addRelation(state, nameOfRangeVar(fields.intoClause.rel), 'table', context);
  },
  CreateTableAsStmt: (state, fields: { into?: { rel?: RangeVar }; objtype?: string }, context) => {
    const kind: RelationKind = fields.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table';
    addRelation(state, nameOfRangeVar(fields.into?.rel), kind, context);
  },
  ViewStmt: (state, fields: { view?: RangeVar; replace?: boolean; query?: Node }, context) => {
    const name = nameOfRangeVar(fields.view);
    // CREATE OR REPLACE VIEW keeps the view: it was created where it first appeared.
    const existing = fields.replace && name ? state.tables.get(objectKey(name, context.defaultSchema)) : undefined;
    if (existing?.kind === 'view' || !name) return;
    addRelation(state, name, 'view', context);
    const standsInFor = renamedAwayFrom(state, name, fields.query, context);
    if (standsInFor === undefined) return;
    const key = objectKey(name, context.defaultSchema);
    const view = state.tables.get(key);
    if (view) state.setTable(key, { ...view, standsInFor });
  },
  AlterTableStmt: alterTable,
  RenameStmt: rename,
  IndexStmt: (state, fields: IndexStmt, context) => {
    const table = nameOfRangeVar(fields.relation);
    const indexName = context.names.get(fields);
    if (!table || indexName === undefined) return;
    const name = { schema: table.schema, name: indexName };
    const key = objectKey(name, context.defaultSchema);
    if (state.indexes.has(key)) return;
    const unique = fields.unique === true || fields.primary === true;
    const elements = (fields.indexParams ?? []).map((param) => nodeOf(param, 'IndexElem'));
    const columns = elements.flatMap((element) => element?.name ?? []);
    const unusable = unusableForConstraint(fields.whereClause, elements);
    const uses = indexColumnsUsed(fields);
    const usesColumns = uses.length > columns.length ? { usesColumns: uses } : {};
    state.setIndex(key, { key, name, table: objectKey(table, context.defaultSchema), unique, columns, ...usesColumns, origin: context.origin, definition: fields, ...(unusable ? { unusableForConstraint: unusable } : {}) });
  },
  DropStmt: drop,
  DeleteStmt: (state, fields: { relation?: RangeVar; whereClause?: Node; usingClause?: Node[] }, context) => {
    if (fields.usingClause === undefined && deletesEveryRow(fields.whereClause)) markEmptied(state, nameOfRangeVar(fields.relation), context);
  },
  TruncateStmt: (state, fields: { relations?: Node[] }, context) => {
    for (const relation of fields.relations ?? []) markEmptied(state, nameOfRangeVar(nodeOf(relation, 'RangeVar')), context);
  },
  InsertStmt: (state, fields: { relation?: RangeVar }, context) => {
    markFilled(state, nameOfRangeVar(fields.relation), context);
  },
  MergeStmt: (state, fields: { relation?: RangeVar }, context) => {
    markFilled(state, nameOfRangeVar(fields.relation), context);
  },
  CopyStmt: (state, fields: { relation?: RangeVar; is_from?: boolean }, context) => {
    if (fields.is_from === true) markFilled(state, nameOfRangeVar(fields.relation), context);
  },
  CreatePolicyStmt: (state, fields: { table?: RangeVar; policy_name?: string }, context) => {
    addTableObject(state, 'policy', fields.table, fields.policy_name, context);
  },
  CreateTrigStmt: (state, fields: CreateTrigStmt, context) => {
    const functionName = nameOfList(fields.funcname);
    addTableObject(state, 'trigger', fields.relation, fields.trigname, context, functionName && objectKey(functionName, context.defaultSchema));
    recordMirroredColumns(state, fields, context);
  },
  CreateFunctionStmt: (state, fields: { funcname?: Node[]; options?: Node[]; parameters?: Node[]; is_procedure?: boolean; returnType?: TypeName }, context) => {
    const name = nameOfList(fields.funcname);
    if (!name) return;
    const key = objectKey(name, context.defaultSchema);
    const body = functionBody(fields.options);
    state.setFunction(key, {
      key,
      name,
      volatility: functionVolatility(fields.options),
      // CREATE OR REPLACE keeps the function: it was created where it first appeared.
      origin: state.functions.get(key)?.origin ?? context.origin,
      argumentTypes: functionArgumentTypes(fields.parameters),
      procedure: fields.is_procedure === true,
      ...(TRIGGER_TYPES.has(stringsOf(fields.returnType?.names).at(-1) ?? '') ? { returnsTrigger: true } : {}),
      columnCopies: columnCopies(body),
      rowColumns: rowColumns(body),
    });
  },
  CreateSchemaStmt: (state, fields: { schemaname?: string; if_not_exists?: boolean; schemaElts?: Node[] }, context) => {
    if (fields.schemaname === undefined || (fields.if_not_exists && state.namespaces.has(fields.schemaname))) return;
    // IF NOT EXISTS of a schema the history never made: it may be there already, with tables.
    const known = fields.if_not_exists !== true && (fields.schemaElts?.length ?? 0) === 0;
    state.setNamespace(fields.schemaname, { name: fields.schemaname, origin: context.origin, ...(known ? { definedAt: state.unseenChanges } : {}) });
  },
  // An extension creates objects of its own, in schemas of its choosing.
  CreateExtensionStmt: (state) => { state.noteUnseenChange(); },
  AlterExtensionStmt: (state) => { state.noteUnseenChange(); },
  AlterExtensionContentsStmt: (state) => { state.noteUnseenChange(); },
  ImportForeignSchemaStmt: (state) => { state.noteUnseenChange(); },
  CreateSeqStmt: (state, fields: { sequence?: RangeVar }, context) => {
    forgetNamespaceContents(state, fields.sequence?.schemaname ?? context.defaultSchema);
  },
  CreateForeignTableStmt: (state, fields: { base?: CreateStmt }, context) => {
    forgetNamespaceContents(state, fields.base?.relation?.schemaname ?? context.defaultSchema);
  },
  CreateEnumStmt: (state, fields: { typeName?: Node[]; vals?: Node[] }, context) => {
    const values = new Map(stringsOf(fields.vals).map((value) => [value, context.origin] as const));
    addType(state, nameOfList(fields.typeName), 'enum', values, context);
  },
  AlterEnumStmt: (state, fields: { typeName?: Node[]; newVal?: string; oldVal?: string }, context) => {
    const name = nameOfList(fields.typeName);
    if (!name || fields.newVal === undefined) return;
    const key = objectKey(name, context.defaultSchema);
    const type = state.types.get(key) ?? { key, name, kind: 'enum' as const, values: new Map(), origin: undefined };
    const values = new Map(type.values);
    if (fields.oldVal !== undefined) {
      // A renamed value keeps where it was added.
      values.set(fields.newVal, values.get(fields.oldVal));
      values.delete(fields.oldVal);
      state.noteRename(scopedRename('enum-value', key, fields.oldVal, fields.newVal, true));
    } else if (!values.has(fields.newVal)) {
      values.set(fields.newVal, context.origin);
    }
    state.setType(key, { ...type, values });
  },
  CompositeTypeStmt: (state, fields: { typevar?: RangeVar }, context) => {
    addType(state, nameOfRangeVar(fields.typevar), 'composite', new Map(), context);
  },
  CreateDomainStmt: (state, fields: { domainname?: Node[]; typeName?: TypeName; constraints?: Node[] }, context) => {
    const name = nameOfList(fields.domainname);
    if (!name) return;
    const constraints = (fields.constraints ?? []).flatMap((node) => nodeOf(node, 'Constraint') ?? []);
    const checks: string[] = [];
    for (const constraint of constraints) if (constraint.contype === 'CONSTR_CHECK') checks.push(constraint.conname ?? domainCheckName(name.name, checks.length));
    const base = nameOfList(fields.typeName?.names);
    const key = objectKey(name, context.defaultSchema);
    state.setType(key, {
      key,
      name,
      kind: 'domain',
      values: new Map(),
      origin: context.origin,
      domainChecks: checks,
      domainNotNull: constraints.some((constraint) => constraint.contype === 'CONSTR_NOTNULL'),
      baseDomainChecked: base !== undefined && domainChecksValues(state.types.get(objectKey(base, context.defaultSchema))),
      ...(fields.typeName ? { domainBase: fields.typeName } : {}),
    });
  },
  AlterDomainStmt: (state, fields: AlterDomainStmt, context) => {
    const name = nameOfList(fields.typeName);
    const domain = name && state.types.get(objectKey(name, context.defaultSchema));
    // A domain created before the migrations that were read: its constraints are unknown.
    if (domain?.kind !== 'domain' || domain.domainChecks === undefined) return;
    const constraint = nodeOf(fields.def, 'Constraint');
    const checks = domain.domainChecks;
    if (fields.subtype === 'C' && constraint?.contype === 'CONSTR_CHECK') {
      state.setType(domain.key, { ...domain, domainChecks: [...checks, constraint.conname ?? domainCheckName(domain.name.name, checks.length)] });
    } else if (fields.subtype === 'X' && fields.name !== undefined) {
      state.setType(domain.key, { ...domain, domainChecks: checks.filter((check) => check !== fields.name) });
    } else if (fields.subtype === 'O' || fields.subtype === 'N') {
      state.setType(domain.key, { ...domain, domainNotNull: fields.subtype === 'O' });
    }
  },
  AlterObjectSchemaStmt: (state, fields: AlterObjectSchemaStmt, context) => {
    const name = nameOfRangeVar(fields.relation);
    if (!name || fields.newschema === undefined || !MOVED_RELATIONS.has(fields.objectType ?? '')) return;
    moveTable(state, name, { schema: fields.newschema, name: name.name }, context);
  },
  CreateRangeStmt: (state, fields: { typeName?: Node[] }, context) => {
    addType(state, nameOfList(fields.typeName), 'range', new Map(), context);
  },
};

/** Statements that change no table, column, constraint, index or schema. */
const LEAVES_RELATIONS = new Set([
  'SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'VariableSetStmt', 'VariableShowStmt', 'NotifyStmt', 'ListenStmt',
  'LockStmt', 'TransactionStmt', 'CreateRoleStmt', 'AlterRoleStmt', 'AlterRoleSetStmt', 'DropRoleStmt', 'GrantStmt', 'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt', 'CommentStmt', 'CreatePolicyStmt', 'AlterPolicyStmt', 'CreateFunctionStmt', 'RaiseStmt',
]);

/**
 * Whether a statement in a branch that may not run leaves the state unsure of what exists: it
 * changes relations or schemas (the state applies it as if it ran).
 */
export function changesRelations(node: Node): boolean {
  return !LEAVES_RELATIONS.has(unwrap(node)[0]);
}

/** Functions of common extensions that create or change tables, indexes or columns when called. */
const SCHEMA_CHANGING_FUNCTIONS = new Set([
  'create_hypertable', 'create_distributed_hypertable', 'add_dimension', 'create_distributed_table', 'create_reference_table',
  'create_parent', 'run_maintenance', 'addgeometrycolumn', 'dropgeometrycolumn', 'dropgeometrytable',
]);

/**
 * Whether a SELECT or CALL runs a function whose body the analysis has not read, which may change
 * the schema unseen: one the history created (its body was read only when this same file calls
 * it), a function of an extension's schema (`partman.create_parent`), or a known schema-changing
 * extension function. Unqualified functions the history does not know are PostgreSQL's own.
 */
export function callsUnreadFunction(state: SchemaState, node: Node, defaultSchema: string): boolean {
  const [type, fields] = unwrap(node);
  if (type !== 'SelectStmt' && type !== 'CallStmt') return false;
  let unread = false;
  walk(fields, (nodeType, call) => {
    const name = nodeType === 'FuncCall' ? nameOfList(call.funcname as Node[] | undefined) : undefined;
    if (!name || unread || name.schema === 'pg_catalog') return;
    unread = state.functions.has(objectKey(name, defaultSchema)) || name.schema !== undefined || SCHEMA_CHANGING_FUNCTIONS.has(name.name);
  });
  return unread;
}

/** What makes PostgreSQL refuse an index for `ADD CONSTRAINT ... USING INDEX`. */
function unusableForConstraint(where: Node | undefined, elements: readonly (IndexElem | undefined)[]): IndexState['unusableForConstraint'] {
  if (where !== undefined) return 'partial';
  if (elements.some((element) => element?.name === undefined)) return 'expression';
  const defaultOrder = (element: IndexElem | undefined): boolean =>
    (element?.ordering ?? 'SORTBY_DEFAULT') !== 'SORTBY_DESC' && (element?.nulls_ordering ?? 'SORTBY_NULLS_DEFAULT') !== 'SORTBY_NULLS_FIRST';
  return elements.every(defaultOrder) ? undefined : 'sort order';
}

/** No WHERE, or one that is always true (`WHERE true`, `WHERE 1 = 1`). */
function deletesEveryRow(where: Node | undefined): boolean {
  if (where === undefined) return true;
  if (nodeOf(where, 'A_Const')?.boolval?.boolval === true) return true;
  const comparison = nodeOf(where, 'A_Expr');
  const left = nodeOf(comparison?.lexpr, 'A_Const');
  const right = nodeOf(comparison?.rexpr, 'A_Const');
  return comparison?.kind === 'AEXPR_OP' && stringsOf(comparison.name).at(-1) === '=' && left !== undefined && right !== undefined && JSON.stringify(left.ival ?? left.sval) === JSON.stringify(right.ival ?? right.sval) && (left.ival ?? left.sval) !== undefined;
}

/** Every row deleted in this transaction; a statement in a branch that may not run proves nothing. */
function markEmptied(state: SchemaState, name: QualifiedName | undefined, context: ApplyContext): void {
  if (!name || context.origin.conditional === true) return;
  const table = existingTable(state, name, context);
  state.setTable(table.key, { ...table, emptiedIn: context.origin.transaction });
}

/** Rows inserted: the table is no longer empty, and a migration (not its rollback) that inserts seeds it. */
function markFilled(state: SchemaState, name: QualifiedName | undefined, context: ApplyContext): void {
  const table = name && state.tables.get(objectKey(name, context.defaultSchema));
  if (!table) return;
  const seeds = context.origin.part === 'up' && context.origin.conditional !== true && table.seededBy?.migration !== context.origin.migration;
  if (table.emptiedIn === undefined && !seeds) return;
  state.setTable(table.key, { ...table, emptiedIn: undefined, ...(seeds ? { seededBy: context.origin } : {}) });
}

/**
 * The key of the relation a view keeps the old name of: the view is `SELECT * FROM t`, and `t` was
 * renamed or moved away from the view's name in this same transaction.
 */
function renamedAwayFrom(state: SchemaState, view: QualifiedName, query: Node | undefined, context: ApplyContext): string | undefined {
  const select = nodeOf(query, 'SelectStmt');
  const [from] = select?.fromClause ?? [];
  const [target] = select?.targetList ?? [];
  const selectsAll = select?.fromClause?.length === 1 && select.targetList?.length === 1 && nodeOf(nodeOf(target, 'ResTarget')?.val, 'ColumnRef')?.fields?.some((field) => nodeOf(field, 'A_Star') !== undefined) === true;
  const source = selectsAll ? nameOfRangeVar(nodeOf(from, 'RangeVar')) : undefined;
  const table = source && state.tables.get(objectKey(source, context.defaultSchema));
  const renamed = table?.renamedFrom;
  return renamed?.name === view.name && renamed.origin.migration === context.origin.migration && renamed.origin.transaction === context.origin.transaction ? table?.key : undefined;
}

function createTable(state: SchemaState, fields: CreateStmt, context: ApplyContext): void {
  const name = nameOfRangeVar(fields.relation);
  if (!name) return;
  const key = objectKey(name, context.defaultSchema);
  if (state.tables.has(key) && fields.if_not_exists) return;
  const parent = nameOfRangeVar(nodeOf(fields.inhRelations?.[0], 'RangeVar'));
  const partition = fields.partbound && parent ? { partitionOf: objectKey(parent, context.defaultSchema), defaultPartition: fields.partbound.is_default === true } : {};
  const schema = name.schema ?? context.defaultSchema;
  const copiesLike = (fields.tableElts ?? []).some((element) => nodeOf(element, 'TableLikeClause') !== undefined);
  // LIKE and PARTITION OF give it indexes PostgreSQL names: the schema's indexes are no longer all known.
  if (copiesLike || fields.partbound) forgetNamespaceContents(state, schema);
  const columnsFromElsewhere = copiesLike || (fields.inhRelations?.length ?? 0) > 0 || fields.ofTypename !== undefined;
  const mayHaveExisted = fields.if_not_exists === true && !state.definesCompletely(state.namespaces.get(schema));
  const table = new TableDraft({
    ...newTable(key, name, fields.partspec ? 'partitioned-table' : 'table', context.origin, true),
    ...(columnsFromElsewhere || mayHaveExisted ? {} : { definedAt: state.unseenChanges }),
    partitionKey: partitionKeyColumns(fields.partspec),
    ...partition,
    ...(fields.relation?.relpersistence === 't' ? { temporary: true } : {}),
  });
  for (const element of fields.tableElts ?? []) {
    const column = nodeOf(element, 'ColumnDef');
    if (column) addColumn(state, table, column, context);
    const constraint = nodeOf(element, 'Constraint');
    if (constraint) addConstraint(state, table, constraint, [], context);
  }
  state.setTable(key, table.result());
}

function addRelation(state: SchemaState, name: QualifiedName | undefined, kind: RelationKind, context: ApplyContext): void {
  if (!name) return;
  const key = objectKey(name, context.defaultSchema);
  state.setTable(key, newTable(key, name, kind, context.origin, false));
}

function newTable(key: string, name: QualifiedName, kind: RelationKind, origin: ObjectOrigin | undefined, columnsKnown: boolean): TableState {
  return {
    key,
    name,
    kind,
    columns: new Map(),
    constraints: new Map(),
    rowLevelSecurity: false,
    origin,
    renamedFrom: undefined,
    columnsKnown,
    partitionOf: undefined,
    defaultPartition: false,
    partitionKey: undefined,
  };
}

/** The columns of a partition key: named columns, and the columns that key expressions use. */
function partitionKeyColumns(spec: PartitionSpec | undefined): string[] | undefined {
  if (!spec) return undefined;
  return (spec.partParams ?? []).flatMap((param) => {
    const element = nodeOf(param, 'PartitionElem');
    return element?.name !== undefined ? [element.name] : columnsUsedBy(element?.expr);
  });
}


/**
 * A table as one statement changes it. State entries are immutable (a checkpoint keeps the replaced
 * ones), so the statement copies each map it changes once, on its first change, and changes the
 * copy in place: a CREATE TABLE of n columns does not copy its columns n times.
 */
class TableDraft {
  private table: TableState;
  private columnsCopy: Map<string, ColumnState> | undefined;
  private constraintsCopy: Map<string, ConstraintState> | undefined;

  constructor(table: TableState) {
    this.table = table;
  }

  get key(): string {
    return this.table.key;
  }
  get name(): QualifiedName {
    return this.table.name;
  }
  get columns(): ReadonlyMap<string, ColumnState> {
    return this.columnsCopy ?? this.table.columns;
  }
  get constraints(): ReadonlyMap<string, ConstraintState> {
    return this.constraintsCopy ?? this.table.constraints;
  }

  setColumn(name: string, column: ColumnState | undefined): void {
    this.columnsCopy ??= new Map(this.table.columns);
    if (column) this.columnsCopy.set(name, column);
    else this.columnsCopy.delete(name);
  }

  setConstraint(name: string, constraint: ConstraintState | undefined): void {
    this.constraintsCopy ??= new Map(this.table.constraints);
    if (constraint) this.constraintsCopy.set(name, constraint);
    else this.constraintsCopy.delete(name);
  }

  /** Changes the fields that are not maps. */
  update(change: Partial<Omit<TableState, 'columns' | 'constraints'>>): void {
    this.table = { ...this.table, ...change };
  }

  result(): TableState {
    if (!this.columnsCopy && !this.constraintsCopy) return this.table;
    return { ...this.table, columns: this.columns, constraints: this.constraints };
  }
}

/** A table the migrations change but did not create: it existed before them. */
function existingTable(state: SchemaState, name: QualifiedName, context: ApplyContext): TableState {
  const key = objectKey(name, context.defaultSchema);
  return state.tables.get(key) ?? newTable(key, name, 'table', undefined, false);
}

const SERIAL_TYPES = new Set(['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8']);

function addColumn(state: SchemaState, table: TableDraft, column: ColumnDef, context: ApplyContext): void {
  if (!column.colname) return;
  const constraints = constraintsOf(column);
  const has = (type: Constraint['contype']): boolean => constraints.some((constraint) => constraint.contype === type);
  const serial = SERIAL_TYPES.has(stringsOf(column.typeName?.names).at(-1) ?? '');
  table.setColumn(column.colname, {
    name: column.colname,
    type: column.typeName,
    notNull: has('CONSTR_NOTNULL') || has('CONSTR_PRIMARY') || has('CONSTR_IDENTITY') || serial,
    hasDefault: has('CONSTR_DEFAULT') || has('CONSTR_IDENTITY') || has('CONSTR_GENERATED') || serial,
    defaultExpression: constraints.find((constraint) => constraint.contype === 'CONSTR_DEFAULT')?.raw_expr,
    origin: context.origin,
    renamedFrom: undefined,
  });
  for (const constraint of constraints) {
    if (constraint.contype === 'CONSTR_NOTNULL' || constraint.contype === 'CONSTR_DEFAULT') continue;
    addConstraint(state, table, constraint, [column.colname], context);
  }
}

function addConstraint(state: SchemaState, table: TableDraft, constraint: Constraint, columns: string[], context: ApplyContext): void {
  // UNIQUE / PRIMARY KEY USING INDEX: the constraint covers the index's columns, and the index takes the constraint's name.
  const usedIndexKey = constraint.indexname === undefined ? undefined : objectKey({ schema: table.name.schema, name: constraint.indexname }, context.defaultSchema);
  const used = usedIndexKey === undefined ? undefined : state.indexes.get(usedIndexKey);
  withConstraint(table, constraint, used ? [...used.columns] : columns, context);
  if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE' || constraint.contype === 'CONSTR_EXCLUSION') {
    const indexColumns = used ? [...used.columns] : constraintColumns(constraint, columns);
    const name = { schema: table.name.schema, name: constraintName(table, constraint, indexColumns, context) };
    const key = objectKey(name, context.defaultSchema);
    if (usedIndexKey !== undefined) state.setIndex(usedIndexKey, undefined);
    state.setIndex(key, { key, name, table: table.key, unique: constraint.contype !== 'CONSTR_EXCLUSION', columns: indexColumns, origin: used?.origin ?? context.origin });
  }
}

const CONSTRAINT_KINDS: Partial<Record<string, ConstraintKind>> = {
  CONSTR_CHECK: 'check',
  CONSTR_FOREIGN: 'foreign-key',
  CONSTR_UNIQUE: 'unique',
  CONSTR_PRIMARY: 'primary-key',
  CONSTR_EXCLUSION: 'exclusion',
  CONSTR_NOTNULL: 'not-null',
};

function withConstraint(table: TableDraft, constraint: Constraint, columnsOfColumnDef: string[], context: ApplyContext): void {
  const kind = constraint.contype ? CONSTRAINT_KINDS[constraint.contype] : undefined;
  if (!kind) return;
  const columns = constraintColumns(constraint, columnsOfColumnDef);
  const name = constraintName(table, constraint, columns, context);
  const validated = constraint.skip_validation !== true;
  const provesNotNull = kind === 'not-null' ? columns[0] : notNullCheckColumn(constraint);
  const entry: ConstraintState = {
    name,
    kind,
    columns,
    references: kind === 'foreign-key' ? nameOfRangeVar(constraint.pktable) : undefined,
    provesNotNull,
    ...(kind === 'check' ? { condition: constraint.raw_expr } : {}),
    validated,
    origin: context.origin,
    validatedIn: validated ? context.origin : undefined,
  };
  const enforcesNotNull = kind === 'primary-key' || (kind === 'not-null' && validated);
  if (enforcesNotNull) {
    for (const column of columns) {
      const existing = table.columns.get(column);
      if (existing) table.setColumn(column, { ...existing, notNull: true });
    }
  }
  table.setConstraint(name, entry);
}

function constraintColumns(constraint: Constraint, columnsOfColumnDef: string[]): string[] {
  if (columnsOfColumnDef.length > 0) return columnsOfColumnDef;
  if (constraint.contype === 'CONSTR_FOREIGN') return stringsOf(constraint.fk_attrs);
  if (constraint.contype === 'CONSTR_CHECK') return columnsUsedBy(constraint.raw_expr);
  if (constraint.contype === 'CONSTR_EXCLUSION') {
    return (constraint.exclusions ?? []).flatMap((pair) => {
      const element = nodeOf(nodeOf(pair, 'List')?.items?.[0], 'IndexElem');
      return element?.name ?? columnsUsedBy(element?.expr);
    });
  }
  return stringsOf(constraint.keys);
}

/**
 * The column of `CHECK (col IS NOT NULL)`, also as one of the top-level ANDed conditions
 * (`CHECK (col IS NOT NULL AND col >= 0)`): the forms that let SET NOT NULL skip its scan.
 */
function notNullCheckColumn(constraint: Constraint): string | undefined {
  if (constraint.contype !== 'CONSTR_CHECK') return undefined;
  const and = nodeOf(constraint.raw_expr, 'BoolExpr');
  const conditions = and?.boolop === 'AND_EXPR' ? (and.args ?? []) : constraint.raw_expr ? [constraint.raw_expr] : [];
  for (const condition of conditions) {
    const test = nodeOf(condition, 'NullTest');
    const fields = test?.nulltesttype === 'IS_NOT_NULL' ? nodeOf(test.arg, 'ColumnRef')?.fields : undefined;
    if (fields?.length === 1) return stringsOf(fields)[0];
  }
  return undefined;
}

/** The constraint's name: written, or chosen by PostgreSQL (implicitNames); a NOT NULL constraint is named `<table>_<column>_not_null` (PostgreSQL 18). */
function constraintName(table: { readonly name: QualifiedName }, constraint: Constraint, columns: readonly string[], context: ApplyContext): string {
  return context.names.get(constraint) ?? constraint.conname ?? makeObjectName(table.name.name, nameAddition(columns), 'not_null');
}

function alterTable(state: SchemaState, fields: AlterTableStmt, context: ApplyContext): void {
  const name = nameOfRangeVar(fields.relation);
  if (!name) return;
  if (fields.objtype === 'OBJECT_INDEX') return;
  const table = new TableDraft(existingTable(state, name, context));
  for (const node of fields.cmds ?? []) {
    const command = nodeOf(node, 'AlterTableCmd');
    if (command) alterTableCommand(state, table, command, context);
  }
  state.setTable(table.key, table.result());
}

function alterTableCommand(state: SchemaState, table: TableDraft, command: AlterTableCmd, context: ApplyContext): void {
  const columnName = command.name;
  switch (command.subtype) {
    case 'AT_AddColumn': {
      const column = nodeOf(command.def, 'ColumnDef');
      if (!column?.colname || (command.missing_ok && table.columns.has(column.colname))) return;
      addColumn(state, table, column, context);
      return;
    }
    case 'AT_DropColumn':
      if (columnName !== undefined) dropColumn(state, table, columnName, context);
      return;
    case 'AT_AlterColumnType':
      updateColumn(table, columnName, { type: nodeOf(command.def, 'ColumnDef')?.typeName });
      return;
    case 'AT_ColumnDefault':
      updateColumn(table, columnName, { hasDefault: command.def !== undefined, defaultExpression: command.def });
      return;
    case 'AT_SetNotNull':
      updateColumn(table, columnName, { notNull: true });
      return;
    case 'AT_DropNotNull':
      updateColumn(table, columnName, { notNull: false });
      return;
    case 'AT_AddConstraint': {
      const constraint = nodeOf(command.def, 'Constraint');
      if (constraint) addConstraint(state, table, constraint, [], context);
      return;
    }
    case 'AT_ValidateConstraint':
      validateConstraint(table, columnName, context);
      return;
    case 'AT_DropConstraint': {
      if (columnName === undefined) return;
      table.setConstraint(columnName, undefined);
      // A primary key or unique constraint takes its index with it.
      const index = state.indexes.get(objectKey({ schema: table.name.schema, name: columnName }, context.defaultSchema));
      if (index?.table === table.key) state.setIndex(index.key, undefined);
      return;
    }
    case 'AT_EnableRowSecurity':
      table.update({ rowLevelSecurity: true, rowLevelSecurityEnabledIn: context.origin });
      return;
    case 'AT_DisableRowSecurity':
      table.update({ rowLevelSecurity: false, rowLevelSecurityEnabledIn: undefined });
      return;
    case 'AT_AttachPartition':
    case 'AT_DetachPartition': {
      const partitionCommand = nodeOf(command.def, 'PartitionCmd');
      const partition = nameOfRangeVar(partitionCommand?.name);
      if (partition) {
        const child = existingTable(state, partition, context);
        const attach = command.subtype === 'AT_AttachPartition';
        // An attached partition gets the parent's indexes and foreign keys, under names PostgreSQL chooses.
        if (attach) forgetNamespaceContents(state, partition.schema ?? context.defaultSchema);
        state.setTable(child.key, { ...child, partitionOf: attach ? table.key : undefined, defaultPartition: attach && partitionCommand?.bound?.is_default === true, ...(attach ? { definedAt: undefined } : {}) });
      }
      return;
    }
    case 'AT_AddInherit':
      table.update({ definedAt: undefined });
      return;
    default:
      return;
  }
}

function updateColumn(table: TableDraft, columnName: string | undefined, change: Partial<ColumnState>): void {
  if (columnName === undefined) return;
  const existing = table.columns.get(columnName) ?? unknownColumn(columnName);
  table.setColumn(columnName, { ...existing, ...change });
}

/** A column of a table that existed before the migrations that were read. */
function unknownColumn(name: string): ColumnState {
  return { name, type: undefined, notNull: false, hasDefault: false, origin: undefined, renamedFrom: undefined };
}

/** Every column an index uses: its keys, the columns of its expressions, INCLUDE and WHERE. */
function indexColumnsUsed(fields: IndexStmt): string[] {
  const columns = new Set<string>();
  for (const param of [...(fields.indexParams ?? []), ...(fields.indexIncludingParams ?? [])]) {
    const element = nodeOf(param, 'IndexElem');
    if (element?.name !== undefined) columns.add(element.name);
    for (const column of columnsUsedBy(element?.expr)) columns.add(column);
  }
  for (const column of columnsUsedBy(fields.whereClause)) columns.add(column);
  return [...columns];
}

/** A dropped column takes along every index and constraint that uses it (a constraint's index too), as PostgreSQL does. */
function dropColumn(state: SchemaState, table: TableDraft, columnName: string, context: ApplyContext): void {
  table.setColumn(columnName, undefined);
  for (const [name, constraint] of [...table.constraints]) {
    if (!constraint.columns.includes(columnName)) continue;
    table.setConstraint(name, undefined);
    const index = state.indexes.get(objectKey({ schema: table.name.schema, name }, context.defaultSchema));
    if (index?.table === table.key) state.setIndex(index.key, undefined);
  }
  for (const index of state.indexesOn(table.key)) {
    if ((index.usesColumns ?? index.columns).includes(columnName)) state.setIndex(index.key, undefined);
  }
}

function validateConstraint(table: TableDraft, name: string | undefined, context: ApplyContext): void {
  const constraint = name === undefined ? undefined : table.constraints.get(name);
  if (!constraint || name === undefined) return;
  table.setConstraint(name, { ...constraint, validated: true, validatedIn: context.origin });
  if (constraint.kind === 'not-null' && constraint.provesNotNull !== undefined) {
    updateColumn(table, constraint.provesNotNull, { notNull: true });
  }
}

function rename(state: SchemaState, fields: RenameStmt, context: ApplyContext): void {
  const relation = nameOfRangeVar(fields.relation);
  const newName = fields.newname;
  if (newName === undefined) return;
  switch (fields.renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_FOREIGN_TABLE':
      if (relation) renameTable(state, relation, newName, context);
      return;
    case 'OBJECT_COLUMN':
      if (relation && fields.subname !== undefined) renameColumn(state, relation, fields.subname, newName, context);
      return;
    case 'OBJECT_TABCONSTRAINT':
      if (relation && fields.subname !== undefined) renameConstraint(state, relation, fields.subname, newName, context);
      return;
    case 'OBJECT_INDEX':
      renameSchemaObject(state, 'index', relation, newName, context, state.indexes, (key, index) => { state.setIndex(key, index); });
      return;
    case 'OBJECT_POLICY':
    case 'OBJECT_TRIGGER':
      if (relation && fields.subname !== undefined) renameTableObject(state, fields.renameType === 'OBJECT_POLICY' ? 'policy' : 'trigger', relation, fields.subname, newName, context);
      return;
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN':
      renameSchemaObject(state, 'type', nameOfList(nodeOf(fields.object, 'List')?.items), newName, context, state.types, (key, type) => { state.setType(key, type); });
      return;
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE':
    case 'OBJECT_ROUTINE':
      renameSchemaObject(state, 'function', nameOfList(nodeOf(fields.object, 'ObjectWithArgs')?.objname), newName, context, state.functions, (key, fn) => { state.setFunction(key, fn); });
      return;
    default:
      return;
  }
}

function renameTableObject(state: SchemaState, kind: TableObjectKind, relation: QualifiedName, from: string, to: string, context: ApplyContext): void {
  const tableKey = objectKey(relation, context.defaultSchema);
  const key = `${tableKey}:${from}`;
  const object = tableObjects(state, kind).get(key) ?? { key, table: tableKey, name: from, origin: undefined };
  setTableObject(state, kind, key, undefined);
  setTableObject(state, kind, `${tableKey}:${to}`, { ...object, key: `${tableKey}:${to}`, name: to });
  state.noteRename(scopedRename(kind, tableKey, from, to, true));
}

/** A rename within a table or a type: a column, constraint, policy, trigger or enum value. */
function scopedRename(kind: RenameRecord['kind'], scope: string, from: string, to: string, known: boolean): RenameRecord {
  return { kind, scope, from: { schema: undefined, name: from }, to: { schema: undefined, name: to }, fromKey: from, toKey: to, known };
}

/** Renames an object the state keys by its qualified name: an index, a type, a function. */
function renameSchemaObject<T extends { readonly key: string; readonly name: QualifiedName }>(
  state: SchemaState,
  kind: 'index' | 'type' | 'function',
  name: QualifiedName | undefined,
  newName: string,
  context: ApplyContext,
  objects: ReadonlyMap<string, T>,
  set: (key: string, object: T | undefined) => void,
): void {
  if (!name) return;
  const key = objectKey(name, context.defaultSchema);
  const renamed = { schema: name.schema, name: newName };
  const newKey = objectKey(renamed, context.defaultSchema);
  const object = objects.get(key);
  state.noteRename({ kind, scope: undefined, from: name, to: renamed, fromKey: key, toKey: newKey, known: object !== undefined });
  if (!object) return;
  set(key, undefined);
  set(newKey, { ...object, key: newKey, name: renamed });
}

function renameTable(state: SchemaState, name: QualifiedName, newName: string, context: ApplyContext): void {
  const renamed: QualifiedName = { schema: name.schema, name: newName };
  const { from, to } = moveTable(state, name, renamed, context);
  state.noteRename({ kind: 'table', scope: undefined, from: name, to: renamed, fromKey: from, toKey: to, known: true });
}

const MOVED_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

/**
 * A relation under a new name or in a new schema (`SET SCHEMA`), with what belongs to it: its
 * indexes (which change schema with it), policies and triggers. Returns its old and new keys.
 */
function moveTable(state: SchemaState, name: QualifiedName, moved: QualifiedName, context: ApplyContext): { from: string; to: string } {
  const table = existingTable(state, name, context);
  const key = objectKey(moved, context.defaultSchema);
  const renamedFrom = { name: name.name, origin: context.origin };
  state.setTable(table.key, undefined);
  state.setTable(key, { ...table, key, name: moved, renamedFrom });
  const schemaChanged = objectKey({ schema: moved.schema, name: '' }, context.defaultSchema) !== objectKey({ schema: name.schema, name: '' }, context.defaultSchema);
  for (const index of state.indexesOn(table.key)) {
    if (!schemaChanged) {
      state.setIndex(index.key, { ...index, table: key });
      continue;
    }
    const indexName = { schema: moved.schema, name: index.name.name };
    const indexKey = objectKey(indexName, context.defaultSchema);
    state.setIndex(index.key, undefined);
    state.setIndex(indexKey, { ...index, key: indexKey, name: indexName, table: key });
  }
  moveTableObjects(state, 'policy', table.key, key);
  moveTableObjects(state, 'trigger', table.key, key);
  return { from: table.key, to: key };
}

function renameColumn(state: SchemaState, relation: QualifiedName, from: string, to: string, context: ApplyContext): void {
  const table = existingTable(state, relation, context);
  const column = table.columns.get(from) ?? unknownColumn(from);
  const columns = new Map(table.columns);
  columns.delete(from);
  columns.set(to, { ...column, name: to, renamedFrom: { name: from, origin: context.origin } });
  const constraints = new Map(
    [...table.constraints].map(([key, constraint]) => [
      key,
      {
        ...constraint,
        columns: constraint.columns.map((name) => (name === from ? to : name)),
        provesNotNull: constraint.provesNotNull === from ? to : constraint.provesNotNull,
      },
    ]),
  );
  state.setTable(table.key, { ...table, columns, constraints });
  state.noteRename(scopedRename('column', table.key, from, to, true));
}

function renameConstraint(state: SchemaState, relation: QualifiedName, from: string, to: string, context: ApplyContext): void {
  const table = existingTable(state, relation, context);
  const constraint = table.constraints.get(from);
  state.noteRename(scopedRename('constraint', table.key, from, to, constraint !== undefined));
  if (!constraint) return;
  const constraints = new Map(table.constraints);
  constraints.delete(from);
  constraints.set(to, { ...constraint, name: to });
  state.setTable(table.key, { ...table, constraints });
  // The index of a primary key or unique constraint is renamed with it.
  const indexKey = objectKey({ schema: table.name.schema, name: from }, context.defaultSchema);
  const index = state.indexes.get(indexKey);
  if (index?.table === table.key) {
    const renamed = { schema: table.name.schema, name: to };
    const newKey = objectKey(renamed, context.defaultSchema);
    state.setIndex(indexKey, undefined);
    state.setIndex(newKey, { ...index, key: newKey, name: renamed });
  }
}


const DROPPED_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);
const DROPPED_TYPES = new Set(['OBJECT_TYPE', 'OBJECT_DOMAIN']);
const DROPPED_FUNCTIONS = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE']);

function drop(state: SchemaState, fields: DropStmt, context: ApplyContext): void {
  const removeType = fields.removeType ?? '';
  if (DROPPED_RELATIONS.has(removeType)) {
    for (const name of namesOfObjects(fields.objects)) dropTable(state, objectKey(name, context.defaultSchema));
  } else if (removeType === 'OBJECT_INDEX') {
    for (const name of namesOfObjects(fields.objects)) state.setIndex(objectKey(name, context.defaultSchema), undefined);
  } else if (DROPPED_TYPES.has(removeType)) {
    for (const object of fields.objects ?? []) {
      const name = nameOfList(nodeOf(object, 'TypeName')?.names);
      if (name) state.setType(objectKey(name, context.defaultSchema), undefined);
    }
  } else if (DROPPED_FUNCTIONS.has(removeType)) {
    for (const object of fields.objects ?? []) {
      const name = nameOfList(nodeOf(object, 'ObjectWithArgs')?.objname);
      if (name) state.setFunction(objectKey(name, context.defaultSchema), undefined);
    }
  } else if (removeType === 'OBJECT_SCHEMA') {
    for (const name of namesOfObjects(fields.objects)) dropNamespace(state, name.name);
  } else if (removeType === 'OBJECT_POLICY' || removeType === 'OBJECT_TRIGGER') {
    const kind = removeType === 'OBJECT_POLICY' ? 'policy' : 'trigger';
    for (const object of fields.objects ?? []) {
      const parts = stringsOf(nodeOf(object, 'List')?.items);
      const objectName = parts.pop();
      const table = nameOfList(parts.map((sval) => ({ String: { sval } })));
      if (objectName !== undefined && table) setTableObject(state, kind, `${objectKey(table, context.defaultSchema)}:${objectName}`, undefined);
    }
  }
}

/** Something the history does not show may now be in the schema (an extension's or PostgreSQL's own objects). */
function forgetNamespaceContents(state: SchemaState, name: string): void {
  const namespace = state.namespaces.get(name);
  if (namespace?.definedAt !== undefined) state.setNamespace(name, { ...namespace, definedAt: undefined });
}

/** DROP SCHEMA succeeds only when empty or with CASCADE; either way nothing in it remains. */
function dropNamespace(state: SchemaState, name: string): void {
  state.setNamespace(name, undefined);
  const prefix = `${name}.`;
  for (const key of [...state.tables.keys()]) if (key.startsWith(prefix)) dropTable(state, key);
  for (const key of [...state.functions.keys()]) if (key.startsWith(prefix)) state.setFunction(key, undefined);
  for (const key of [...state.types.keys()]) if (key.startsWith(prefix)) state.setType(key, undefined);
}

function dropTable(state: SchemaState, key: string): void {
  state.setTable(key, undefined);
  for (const index of state.indexesOn(key)) state.setIndex(index.key, undefined);
  for (const kind of ['policy', 'trigger'] as const) {
    for (const object of objectsOn(state, kind, key)) setTableObject(state, kind, object.key, undefined);
  }
}

type TableObjectKind = 'policy' | 'trigger';

function tableObjects(state: SchemaState, kind: TableObjectKind): SchemaState['policies'] {
  return kind === 'policy' ? state.policies : state.triggers;
}

function objectsOn(state: SchemaState, kind: TableObjectKind, table: string): TableObjectState[] {
  return kind === 'policy' ? state.policiesOn(table) : state.triggersOn(table);
}

function setTableObject(state: SchemaState, kind: TableObjectKind, key: string, value: Parameters<SchemaState['setPolicy']>[1]): void {
  if (kind === 'policy') state.setPolicy(key, value);
  else state.setTrigger(key, value);
}

function addTableObject(
  state: SchemaState,
  kind: TableObjectKind,
  relation: RangeVar | undefined,
  name: string | undefined,
  context: ApplyContext,
  executes?: string,
): void {
  const table = nameOfRangeVar(relation);
  if (!table || name === undefined) return;
  const tableKey = objectKey(table, context.defaultSchema);
  const key = `${tableKey}:${name}`;
  setTableObject(state, kind, key, { key, table: tableKey, name, origin: context.origin, function: executes });
}

function moveTableObjects(state: SchemaState, kind: TableObjectKind, from: string, to: string): void {
  for (const object of objectsOn(state, kind, from)) {
    const key = `${to}:${object.name}`;
    setTableObject(state, kind, object.key, undefined);
    setTableObject(state, kind, key, { ...object, key, table: to });
  }
}

function addType(
  state: SchemaState,
  name: QualifiedName | undefined,
  kind: 'enum' | 'composite' | 'domain' | 'range',
  values: ReadonlyMap<string, ObjectOrigin | undefined>,
  context: ApplyContext,
): void {
  if (!name) return;
  const key = objectKey(name, context.defaultSchema);
  state.setType(key, { key, name, kind, values, origin: context.origin });
}

const TRIGGER_TYPES = new Set(['trigger', 'event_trigger']);

/** How PostgreSQL names a domain's unnamed CHECK constraints: `<domain>_check`, then `<domain>_check1` ... (close enough to find it again). */
function domainCheckName(domain: string, index: number): string {
  return index === 0 ? `${domain}_check` : `${domain}_check${index}`;
}

function functionVolatility(options: readonly Node[] | undefined): Volatility {
  for (const option of options ?? []) {
    const definition = nodeOf(option, 'DefElem');
    if (definition?.defname !== 'volatility') continue;
    const value = nodeOf(definition.arg, 'String')?.sval;
    if (value === 'immutable' || value === 'stable' || value === 'volatile') return value;
  }
  return 'volatile';
}

/** The source of a function's body (`AS '...'`), for the languages that have one. */
function functionBody(options: readonly Node[] | undefined): string {
  for (const option of options ?? []) {
    const definition = nodeOf(option, 'DefElem');
    if (definition?.defname === 'as') return stringsOf(nodeOf(definition.arg, 'List')?.items).join('\n');
  }
  return '';
}

const IDENTIFIER = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
/** `NEW.to := <expression>;` as a statement of its own (not the `NEW.a = NEW.b` of an IF condition). */
const ROW_ASSIGNMENT = new RegExp(String.raw`(?:^|;|\bBEGIN|\bTHEN|\bELSE|\bLOOP)\s*NEW\s*\.\s*${IDENTIFIER}\s*:?=\s*([^;]*)(?=;)`, 'gim');
const NEW_COLUMN = new RegExp(String.raw`\bNEW\s*\.\s*${IDENTIFIER}`, 'gi');

/**
 * The columns a PL/pgSQL trigger body computes from others, comments left out: `NEW.to := NEW.from;`,
 * and also a conversion such as `NEW.to := NEW.from::bigint;` (the expand step of a type change).
 */
function columnCopies(body: string): ColumnCopy[] {
  const code = withoutComments(body);
  return [...code.matchAll(ROW_ASSIGNMENT)].flatMap(([, to, expression]) => {
    if (to === undefined || expression === undefined) return [];
    const target = identifierValue(to);
    return [...expression.matchAll(NEW_COLUMN)].flatMap(([, from]) => (from === undefined || identifierValue(from) === target ? [] : [{ from: identifierValue(from), to: target }]));
  });
}

const ROW_COLUMN = new RegExp(String.raw`\b(?:NEW|OLD)\s*\.\s*${IDENTIFIER}`, 'gi');

/** Every column a PL/pgSQL trigger body names as `NEW.x` or `OLD.x`, comments left out. */
function rowColumns(body: string): string[] {
  const code = withoutComments(body);
  return [...new Set([...code.matchAll(ROW_COLUMN)].flatMap(([, column]) => (column === undefined ? [] : [identifierValue(column)])))];
}

function withoutComments(body: string): string {
  return body.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

function identifierValue(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier.toLowerCase();
}

const TRIGGER_BEFORE = 1 << 1;
const TRIGGER_INSERT = 1 << 2;
const TRIGGER_UPDATE = 1 << 4;

/**
 * A BEFORE INSERT OR UPDATE row trigger whose function copies `NEW.from` into `NEW.to` keeps `to`
 * in sync with `from`: the expand step of a rename. Record it on the source column.
 */
function recordMirroredColumns(state: SchemaState, fields: CreateTrigStmt, context: ApplyContext): void {
  const table = nameOfRangeVar(fields.relation);
  const name = nameOfList(fields.funcname);
  const events = fields.events ?? 0;
  if (!table || !name || fields.row !== true || ((fields.timing ?? 0) & TRIGGER_BEFORE) === 0) return;
  if ((events & TRIGGER_INSERT) === 0 || (events & TRIGGER_UPDATE) === 0) return;
  const copies = state.functions.get(objectKey(name, context.defaultSchema))?.columnCopies ?? [];
  if (copies.length === 0) return;
  const updated = new TableDraft(existingTable(state, table, context));
  for (const copy of copies) updateColumn(updated, copy.from, { mirroredInto: { name: copy.to, origin: context.origin } });
  state.setTable(updated.key, updated.result());
}
