import type { AlterDomainStmt, AlterObjectSchemaStmt, AlterTableCmd, ColumnDef, Constraint, DropStmt, Node, RangeVar, TypeName } from '@pgsql/types';
import { type QualifiedName, constraintsOf, nameOfList, nameOfRangeVar, namesOfObjects, nodeOf, stringsOf, unwrap } from './ast.js';
import { expressionVolatility } from './expressions.js';
import { type StatementForm, type StatementFormId, type TableEffect, formFactsFor, statementForm } from './lock-facts.js';
import { LOCK_MODES, type LockMode } from './lock-modes.js';
import { type SchemaState, domainChecksValues, isSystemCatalog, objectKey } from './schema-state.js';
import { typeChangeVerdict } from './type-change.js';

/** How a relation takes part in a statement. */
export type RelationRole = 'table' | 'other-table' | 'index';

/** One lock a statement takes, from the lock knowledge table. */
export interface LockAcquisition {
  readonly form: StatementForm;
  readonly relation: QualifiedName;
  readonly key: string;
  readonly role: RelationRole;
  readonly mode: LockMode;
  /** What the statement does to this relation's data while holding the lock. */
  readonly effect: TableEffect;
}

export interface ClassifyContext {
  readonly pgVersion: number;
  readonly schema: SchemaState;
  readonly defaultSchema: string;
  readonly timeZoneIsUtc: boolean;
}

interface FormUse {
  readonly form: StatementFormId;
  readonly table: QualifiedName | undefined;
  readonly otherTable?: QualifiedName | undefined;
  readonly index?: QualifiedName | undefined;
  /** LOCK TABLE names its own mode. */
  readonly mode?: LockMode;
}

type Classifier = (fields: never, context: ClassifyContext) => FormUse[];

/** The locks a statement takes and what it does to each relation, for a PostgreSQL version. */
export function classifyStatement(node: Node, context: ClassifyContext): LockAcquisition[] {
  const [type, fields] = unwrap(node);
  const classifier = CLASSIFIERS[type];
  if (!classifier) return [];
  return classifier(fields as never, context).flatMap((use) => acquisitions(use, context));
}

function acquisitions(use: FormUse, context: ClassifyContext): LockAcquisition[] {
  const form = statementForm(use.form);
  const facts = formFactsFor(form, context.pgVersion);
  const result: LockAcquisition[] = [];
  const add = (relation: QualifiedName | undefined, role: RelationRole, mode: LockMode | undefined, effect: TableEffect): void => {
    if (!relation || !mode) return;
    result.push({ form, relation, key: objectKey(relation, context.defaultSchema), role, mode, effect });
  };
  const otherTableEffect = form.effectOn === 'other-table';
  add(use.table, 'table', use.mode ?? facts.lock, otherTableEffect ? 'none' : facts.effect);
  add(use.otherTable, 'other-table', facts.referencedLock, otherTableEffect ? facts.effect : 'none');
  // A statement about the index alone (ALTER INDEX ... SET TABLESPACE) does its work on the index.
  add(use.index, 'index', form.indexLock, form.lock === undefined ? facts.effect : 'none');
  return result;
}

/** Row writes lock the table against schema changes; a system catalog's rows are PostgreSQL's business, no application table is locked. */
const ROW_WRITES = (fields: { relation?: RangeVar }, context: ClassifyContext): FormUse[] => {
  const table = nameOfRangeVar(fields.relation);
  return table && isSystemCatalog(table, context.schema, context.defaultSchema) ? [] : [{ form: 'write-rows', table }];
};

const CLASSIFIERS: Readonly<Record<string, Classifier>> = {
  IndexStmt: (fields: { relation?: RangeVar; concurrent?: boolean }) => [
    { form: fields.concurrent ? 'create-index-concurrently' : 'create-index', table: nameOfRangeVar(fields.relation) },
  ],
  DropStmt: dropForms,
  ReindexStmt: (fields: { kind?: string; relation?: RangeVar; params?: Node[] }, context) => {
    const concurrently = (fields.params ?? []).some((param) => nodeOf(param, 'DefElem')?.defname === 'concurrently');
    const form = concurrently ? 'reindex-concurrently' : 'reindex';
    const relation = nameOfRangeVar(fields.relation);
    if (fields.kind === 'REINDEX_OBJECT_INDEX') return [{ form, table: tableOfIndex(relation, context) ?? relation, index: relation }];
    if (fields.kind === 'REINDEX_OBJECT_TABLE') return [{ form, table: relation }];
    return [];
  },
  AlterTableStmt: (fields: { relation?: RangeVar; cmds?: Node[]; objtype?: string }, context) => {
    const table = nameOfRangeVar(fields.relation);
    if (fields.objtype === 'OBJECT_INDEX') return alterIndexForms(table, fields.cmds, context);
    if (fields.objtype === 'OBJECT_SEQUENCE' || fields.objtype === 'OBJECT_TYPE') return [];
    return (fields.cmds ?? []).flatMap((node) => {
      const command = nodeOf(node, 'AlterTableCmd');
      return command ? alterTableForms(table, command, context) : [];
    });
  },
  RenameStmt: (fields: { renameType?: string; relation?: RangeVar }) =>
    RENAMED_IN_A_RELATION.has(fields.renameType ?? '') ? [{ form: 'rename', table: nameOfRangeVar(fields.relation) }] : [],
  AlterObjectSchemaStmt: (fields: AlterObjectSchemaStmt) =>
    MOVABLE_RELATIONS.has(fields.objectType ?? '') ? [{ form: 'set-schema', table: nameOfRangeVar(fields.relation) }] : [],
  AlterDomainStmt: domainForms,
  CreateStmt: (fields: { tableElts?: Node[] }) =>
    referencedTables(fields.tableElts).map((referenced) => ({ form: 'create-table', table: undefined, otherTable: referenced })),
  CreateTrigStmt: (fields: { relation?: RangeVar }) => [{ form: 'create-trigger', table: nameOfRangeVar(fields.relation) }],
  CreatePolicyStmt: (fields: { table?: RangeVar }) => [{ form: 'policy', table: nameOfRangeVar(fields.table) }],
  AlterPolicyStmt: (fields: { table?: RangeVar }) => [{ form: 'policy', table: nameOfRangeVar(fields.table) }],
  TruncateStmt: (fields: { relations?: Node[] }) =>
    (fields.relations ?? []).map((relation) => ({ form: 'truncate', table: nameOfRangeVar(nodeOf(relation, 'RangeVar')) })),
  VacuumStmt: (fields: { options?: Node[]; rels?: Node[]; is_vacuumcmd?: boolean }) => {
    const full = (fields.options ?? []).some((option) => nodeOf(option, 'DefElem')?.defname === 'full');
    const form = full ? 'vacuum-full' : fields.is_vacuumcmd ? 'vacuum' : 'analyze';
    return (fields.rels ?? []).map((relation) => ({ form, table: nameOfRangeVar(nodeOf(relation, 'VacuumRelation')?.relation) }));
  },
  ClusterStmt: (fields: { relation?: RangeVar }) => (fields.relation ? [{ form: 'cluster', table: nameOfRangeVar(fields.relation) }] : []),
  RefreshMatViewStmt: (fields: { relation?: RangeVar; concurrent?: boolean }) => [
    { form: fields.concurrent ? 'refresh-materialized-view-concurrently' : 'refresh-materialized-view', table: nameOfRangeVar(fields.relation) },
  ],
  LockStmt: (fields: { relations?: Node[]; mode?: number }) =>
    (fields.relations ?? []).map((relation) => ({
      form: 'lock-table',
      table: nameOfRangeVar(nodeOf(relation, 'RangeVar')),
      mode: LOCK_MODES[(fields.mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE',
    })),
  CommentStmt: (fields: { objtype?: string; object?: Node }) => {
    if (fields.objtype !== 'OBJECT_TABLE' && fields.objtype !== 'OBJECT_COLUMN') return [];
    const parts = stringsOf(nodeOf(fields.object, 'List')?.items);
    if (fields.objtype === 'OBJECT_COLUMN') parts.pop();
    const name = parts.pop();
    return name === undefined ? [] : [{ form: 'comment', table: { schema: parts.pop(), name } }];
  },
  UpdateStmt: ROW_WRITES,
  DeleteStmt: ROW_WRITES,
  InsertStmt: ROW_WRITES,
  MergeStmt: ROW_WRITES,
};

const RENAMED_IN_A_RELATION = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT']);
const MOVABLE_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

/** ALTER INDEX: SET TABLESPACE copies the index to new files under ACCESS EXCLUSIVE on the index. */
function alterIndexForms(index: QualifiedName | undefined, commands: readonly Node[] | undefined, context: ClassifyContext): FormUse[] {
  const moves = (commands ?? []).some((command) => nodeOf(command, 'AlterTableCmd')?.subtype === 'AT_SetTableSpace');
  return moves ? [{ form: 'alter-index-set-tablespace', table: tableOfIndex(index, context), index }] : [];
}

/**
 * ALTER DOMAIN ... ADD CONSTRAINT (unless NOT VALID), VALIDATE CONSTRAINT and SET NOT NULL check
 * every value of the domain: each table with a column of it is read under a lock.
 */
function domainForms(fields: AlterDomainStmt, context: ClassifyContext): FormUse[] {
  const constraint = nodeOf(fields.def, 'Constraint');
  const form: StatementFormId | undefined =
    fields.subtype === 'C' && constraint?.contype === 'CONSTR_CHECK' && constraint.skip_validation !== true
      ? 'alter-domain-add-constraint'
      : fields.subtype === 'V'
        ? 'alter-domain-validate-constraint'
        : fields.subtype === 'O'
          ? 'alter-domain-set-not-null'
          : undefined;
  const domain = nameOfList(fields.typeName);
  if (!form || !domain) return [];
  return tablesWithColumnOf(objectKey(domain, context.defaultSchema), context).map((table) => ({ form, table }));
}

/** The tables with a column of a type, by the type's key. Only ALTER DOMAIN asks, so a walk over the tables is affordable. */
function tablesWithColumnOf(typeKey: string, context: ClassifyContext): QualifiedName[] {
  const tables: QualifiedName[] = [];
  for (const table of context.schema.tables.values()) {
    if (table.kind === 'view') continue;
    const uses = [...table.columns.values()].some((column) => typeKeyOf(column.type, context) === typeKey);
    if (uses) tables.push(table.name);
  }
  return tables;
}

function typeKeyOf(type: TypeName | undefined, context: ClassifyContext): string | undefined {
  const name = nameOfList(type?.names);
  return name && name.schema !== 'pg_catalog' ? objectKey(name, context.defaultSchema) : undefined;
}

function dropForms(fields: DropStmt, context: ClassifyContext): FormUse[] {
  const names = namesOfObjects(fields.objects);
  switch (fields.removeType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_FOREIGN_TABLE':
      return names.map((table) => ({ form: 'drop-table', table }));
    case 'OBJECT_INDEX':
      return names.map((index) => ({
        form: fields.concurrent ? 'drop-index-concurrently' : 'drop-index',
        table: tableOfIndex(index, context) ?? index,
        index,
      }));
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY':
      return names.length === 0 ? [] : tableObjectDrops(fields);
    default:
      return [];
  }
}

/** DROP TRIGGER / DROP POLICY name their table before the object: `[schema, table, name]`. */
function tableObjectDrops(fields: DropStmt): FormUse[] {
  const form = fields.removeType === 'OBJECT_TRIGGER' ? 'drop-trigger' : 'policy';
  return (fields.objects ?? []).flatMap((object) => {
    const parts = stringsOf(nodeOf(object, 'List')?.items);
    parts.pop();
    const name = parts.pop();
    return name === undefined ? [] : [{ form, table: { schema: parts.pop(), name } }];
  });
}

function tableOfIndex(index: QualifiedName | undefined, context: ClassifyContext): QualifiedName | undefined {
  if (!index) return undefined;
  const tableKey = context.schema.indexes.get(objectKey(index, context.defaultSchema))?.table;
  return tableKey === undefined ? undefined : context.schema.tables.get(tableKey)?.name;
}

function referencedTables(elements: readonly Node[] | undefined): QualifiedName[] {
  const referenced: QualifiedName[] = [];
  for (const element of elements ?? []) {
    const constraints = [...constraintsOf(nodeOf(element, 'ColumnDef')), nodeOf(element, 'Constraint')];
    for (const constraint of constraints) {
      const table = constraint?.contype === 'CONSTR_FOREIGN' ? nameOfRangeVar(constraint.pktable) : undefined;
      if (table) referenced.push(table);
    }
  }
  return referenced;
}

const REWRITING_SUBTYPES: Readonly<Record<string, StatementFormId>> = {
  AT_SetTableSpace: 'set-tablespace',
  AT_SetLogged: 'set-logged',
  AT_SetUnLogged: 'set-logged',
  AT_SetAccessMethod: 'set-access-method',
  AT_SetExpression: 'set-expression',
};
const STATISTICS_SUBTYPES = new Set(['AT_SetStatistics', 'AT_SetOptions', 'AT_ResetOptions', 'AT_ClusterOn', 'AT_DropCluster']);
const TRIGGER_SUBTYPES = new Set([
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
]);
const ROW_SECURITY_SUBTYPES = new Set(['AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity', 'AT_NoForceRowSecurity']);

function alterTableForms(table: QualifiedName | undefined, command: AlterTableCmd, context: ClassifyContext): FormUse[] {
  const subtype = command.subtype ?? '';
  const one = (form: StatementFormId): FormUse[] => [{ form, table }];
  switch (subtype) {
    case 'AT_AddColumn':
      return addColumnForms(table, nodeOf(command.def, 'ColumnDef'), context);
    case 'AT_DropColumn':
      return one('drop-column');
    case 'AT_AlterColumnType':
      return one(columnTypeForm(table, command, context));
    case 'AT_ColumnDefault':
      return one('set-default');
    case 'AT_SetNotNull':
      return one(notNullForm(table, command.name, context));
    case 'AT_DropNotNull':
      return one('drop-not-null');
    case 'AT_AddConstraint': {
      const constraint = nodeOf(command.def, 'Constraint');
      // PostgreSQL 18's ADD CONSTRAINT ... NOT NULL col is SET NOT NULL, and skips its scan the same way.
      if (constraint?.contype === 'CONSTR_NOTNULL' && constraint.skip_validation !== true) return one(notNullForm(table, stringsOf(constraint.keys)[0], context));
      return constraint ? constraintForms(table, constraint, context) : [];
    }
    case 'AT_ValidateConstraint':
      return [{ form: 'validate-constraint', table, otherTable: referencedTableOf(table, command.name, context) }];
    case 'AT_DropConstraint':
      return one('drop-constraint');
    case 'AT_AttachPartition':
    case 'AT_DetachPartition': {
      const partitionCommand = nodeOf(command.def, 'PartitionCmd');
      const partition = nameOfRangeVar(partitionCommand?.name);
      if (subtype === 'AT_AttachPartition') return [{ form: 'attach-partition', table, otherTable: partition }];
      return [{ form: partitionCommand?.concurrent ? 'detach-partition-concurrently' : 'detach-partition', table, otherTable: partition }];
    }
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
      return one('set-statistics');
    default:
      if (REWRITING_SUBTYPES[subtype]) return one(REWRITING_SUBTYPES[subtype]);
      if (STATISTICS_SUBTYPES.has(subtype)) return one('set-statistics');
      if (TRIGGER_SUBTYPES.has(subtype)) return one('enable-disable-trigger');
      if (ROW_SECURITY_SUBTYPES.has(subtype)) return one('row-level-security');
      return one('alter-table-other');
  }
}

const SERIAL_TYPES = new Set(['serial', 'bigserial', 'smallserial', 'serial2', 'serial4', 'serial8']);

/** The forms of ADD COLUMN: how the new column gets its values, and its inline constraints. */
function addColumnForms(table: QualifiedName | undefined, column: ColumnDef | undefined, context: ClassifyContext): FormUse[] {
  const forms: FormUse[] = [{ form: addColumnForm(column, context), table }];
  const constraints = constraintsOf(column);
  // Without a default every existing row is NULL in the new column, and PostgreSQL skips checking its REFERENCES.
  const filled = constraints.some((constraint) => constraint.contype === 'CONSTR_DEFAULT') || SERIAL_TYPES.has(stringsOf(column?.typeName?.names).at(-1) ?? '');
  for (const constraint of constraints) {
    if (constraint.contype === 'CONSTR_DEFAULT' || constraint.contype === 'CONSTR_NOTNULL') continue;
    const unchecked = constraint.contype === 'CONSTR_FOREIGN' && !filled;
    forms.push(...constraintForms(table, unchecked ? { ...constraint, skip_validation: true } : constraint, context));
  }
  return forms;
}

function addColumnForm(column: ColumnDef | undefined, context: ClassifyContext): StatementFormId {
  if (SERIAL_TYPES.has(stringsOf(column?.typeName?.names).at(-1) ?? '')) return 'add-column-serial';
  const constraints = constraintsOf(column);
  const kinds = new Set(constraints.map((constraint) => constraint.contype));
  if (kinds.has('CONSTR_IDENTITY')) return 'add-column-identity';
  const generated = constraints.find((constraint) => constraint.contype === 'CONSTR_GENERATED');
  if (generated) {
    // Before 18 every generated column is STORED; from 18 the parser records which kind was written.
    const virtual = generated.generated_kind === 'v' && context.pgVersion >= 18;
    return virtual ? 'add-column-generated-virtual' : 'add-column-generated-stored';
  }
  // A domain with constraints checks each row's value: PostgreSQL computes the column row by row (up to 18 at least).
  const typeKey = typeKeyOf(column?.typeName, context);
  if (typeKey !== undefined && domainChecksValues(context.schema.types.get(typeKey))) return 'add-column-domain-check';
  const defaultValue = constraints.find((constraint) => constraint.contype === 'CONSTR_DEFAULT');
  if (!defaultValue) return 'add-column';
  const volatility = expressionVolatility(defaultValue.raw_expr, (name, schema) =>
    context.schema.functions.get(objectKey({ schema, name }, context.defaultSchema))?.volatility,
  );
  return volatility.volatility === 'volatile' ? 'add-column-volatile-default' : 'add-column-default';
}

function constraintForms(table: QualifiedName | undefined, constraint: Constraint, context: ClassifyContext): FormUse[] {
  const notValid = constraint.skip_validation === true;
  switch (constraint.contype) {
    case 'CONSTR_CHECK':
      return [{ form: notValid ? 'add-check-not-valid' : 'add-check', table }];
    case 'CONSTR_NOTNULL':
      return [{ form: notValid ? 'add-check-not-valid' : 'set-not-null', table }];
    case 'CONSTR_FOREIGN':
      return [{ form: notValid ? 'add-foreign-key-not-valid' : 'add-foreign-key', table, otherTable: nameOfRangeVar(constraint.pktable) }];
    case 'CONSTR_UNIQUE':
    case 'CONSTR_PRIMARY':
      if (!constraint.indexname) return [{ form: 'add-unique', table }];
      if (constraint.contype === 'CONSTR_PRIMARY' && nullableColumnsOfIndex(table, constraint.indexname, context).length > 0) {
        return [{ form: 'add-primary-key-using-index-nullable', table }];
      }
      return [{ form: 'add-unique-using-index', table }];
    case 'CONSTR_EXCLUSION':
      return [{ form: 'add-exclusion', table }];
    default:
      return [];
  }
}

/**
 * The columns of an index that PRIMARY KEY USING INDEX must set NOT NULL by reading the table:
 * nullable in the history, and (12+) not proven NOT NULL by a valid CHECK. Empty when the index or
 * the table's columns are unknown (set-not-null-scan judges the same way).
 */
function nullableColumnsOfIndex(table: QualifiedName | undefined, indexName: string, context: ClassifyContext): string[] {
  if (!table) return [];
  const index = context.schema.indexes.get(objectKey({ schema: table.schema, name: indexName }, context.defaultSchema));
  const state = context.schema.tables.get(objectKey(table, context.defaultSchema));
  if (!state?.columnsKnown) return [];
  return (index?.columns ?? []).filter((column) => state.columns.get(column)?.notNull === false && !(context.pgVersion >= 12 && hasValidNotNullCheck(table, column, context)));
}

function columnTypeForm(table: QualifiedName | undefined, command: AlterTableCmd, context: ClassifyContext): StatementFormId {
  const definition = nodeOf(command.def, 'ColumnDef');
  const oldType = table && command.name !== undefined ? columnOf(table, command.name, context)?.type : undefined;
  const verdict = typeChangeVerdict(oldType, definition?.typeName, definition?.raw_default !== undefined, context);
  return verdict.rewrites === false ? 'alter-column-type-binary-coercible' : 'alter-column-type';
}

function columnOf(table: QualifiedName, column: string, context: ClassifyContext) {
  return context.schema.tables.get(objectKey(table, context.defaultSchema))?.columns.get(column);
}

function notNullForm(table: QualifiedName | undefined, column: string | undefined, context: ClassifyContext): StatementFormId {
  if (isAlreadyNotNull(table, column, context)) return 'set-not-null-already';
  return hasValidNotNullCheck(table, column, context) ? 'set-not-null-with-valid-check' : 'set-not-null';
}

/** The history shows the column NOT NULL already (declared so, or set earlier): PostgreSQL has nothing to check. */
function isAlreadyNotNull(table: QualifiedName | undefined, column: string | undefined, context: ClassifyContext): boolean {
  if (!table || column === undefined) return false;
  return context.schema.tables.get(objectKey(table, context.defaultSchema))?.columns.get(column)?.notNull === true;
}

/** PostgreSQL 12+ skips SET NOT NULL's scan when a validated CHECK (col IS NOT NULL) exists. */
function hasValidNotNullCheck(table: QualifiedName | undefined, column: string | undefined, context: ClassifyContext): boolean {
  if (!table || column === undefined) return false;
  const state = context.schema.tables.get(objectKey(table, context.defaultSchema));
  return [...(state?.constraints.values() ?? [])].some((constraint) => constraint.validated && constraint.provesNotNull === column);
}

function referencedTableOf(table: QualifiedName | undefined, constraintName: string | undefined, context: ClassifyContext): QualifiedName | undefined {
  if (!table || constraintName === undefined) return undefined;
  const constraint = context.schema.tables.get(objectKey(table, context.defaultSchema))?.constraints.get(constraintName);
  return constraint?.kind === 'foreign-key' ? constraint.references : undefined;
}
