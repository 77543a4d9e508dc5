import type { AlterTableCmd, Node, RangeVar } from '@pgsql/types';
import {
  type QualifiedName,
  displayName,
  formatTypeName,
  functionArgumentTypes,
  nameOfList,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
  unwrap,
} from './ast.js';
import { sqlOf } from '../parse/deparse.js';
import type { RelationKind, TypeState } from './schema-state.js';
import type { SchemaView } from './schema-view.js';

/**
 * SQL that undoes one statement, for writing a rollback: `undefined` when the statement changes
 * nothing a rollback must restore; a comment when it cannot be undone (data is gone).
 * `schema` is the state before the statement (an old column type, say).
 */
export function undoStatement(node: Node, schema: SchemaView): string | undefined {
  const [type, fields] = unwrap(node);
  const undo = UNDO[type];
  return undo ? undo(fields as never, schema) : undefined;
}

/** The kinds of object a rename can apply to. */
export type RenamedKind = 'table' | 'column' | 'constraint' | 'index' | 'policy' | 'trigger' | 'type' | 'function' | 'enum-value';

const DROPPED_RELATION: Readonly<Record<RelationKind, string>> = {
  table: 'TABLE',
  'partitioned-table': 'TABLE',
  view: 'VIEW',
  'materialized-view': 'MATERIALIZED VIEW',
  'foreign-table': 'FOREIGN TABLE',
};

/**
 * Statements that undo one change to one object. The statement undo above and the schema
 * comparison of a rollback (what it leaves undone) both say it this way.
 */
export const undoSql = {
  dropRelation: (name: QualifiedName, kind: RelationKind): string => `DROP ${DROPPED_RELATION[kind]} IF EXISTS ${displayName(name)};`,
  dropIndex: (name: QualifiedName): string => `DROP INDEX CONCURRENTLY IF EXISTS ${displayName(name)};`,
  dropColumn: (table: QualifiedName, column: string): string => `ALTER TABLE ${displayName(table)} DROP COLUMN IF EXISTS ${quoteIdentifier(column)};`,
  dropConstraint: (table: QualifiedName, constraint: string): string => `ALTER TABLE ${displayName(table)} DROP CONSTRAINT IF EXISTS ${quoteIdentifier(constraint)};`,
  dropTableObject: (kind: 'policy' | 'trigger', name: string, table: QualifiedName): string =>
    `DROP ${kind === 'policy' ? 'POLICY' : 'TRIGGER'} IF EXISTS ${quoteIdentifier(name)} ON ${displayName(table)};`,
  dropFunction: (name: QualifiedName, argumentTypes: readonly string[] | undefined, procedure: boolean): string =>
    `DROP ${procedure ? 'PROCEDURE' : 'FUNCTION'} IF EXISTS ${displayName(name)}${argumentTypes ? `(${argumentTypes.join(', ')})` : ''};`,
  dropType: (name: QualifiedName, kind: TypeState['kind']): string => `DROP ${kind === 'domain' ? 'DOMAIN' : 'TYPE'} IF EXISTS ${displayName(name)};`,
  dropSchema: (name: string): string => `DROP SCHEMA IF EXISTS ${quoteIdentifier(name)};`,
  /** Renames `to` back to `from`; `owner` is the table of a column, constraint, policy or trigger, the type of an enum value. */
  renameBack: (kind: RenamedKind, owner: QualifiedName | undefined, from: QualifiedName, to: QualifiedName): string => {
    const ownerName = owner ? displayName(owner) : '<table>';
    const back = quoteIdentifier(from.name);
    switch (kind) {
      case 'table':
        return `ALTER TABLE ${displayName(to)} RENAME TO ${back};`;
      case 'column':
        return `ALTER TABLE ${ownerName} RENAME COLUMN ${quoteIdentifier(to.name)} TO ${back};`;
      case 'constraint':
        return `ALTER TABLE ${ownerName} RENAME CONSTRAINT ${quoteIdentifier(to.name)} TO ${back};`;
      case 'policy':
      case 'trigger':
        return `ALTER ${kind === 'policy' ? 'POLICY' : 'TRIGGER'} ${quoteIdentifier(to.name)} ON ${ownerName} RENAME TO ${back};`;
      case 'enum-value':
        return `ALTER TYPE ${ownerName} RENAME VALUE '${to.name}' TO '${from.name}';`;
      default:
        return `ALTER ${kind.toUpperCase()} ${displayName(to)} RENAME TO ${back};`;
    }
  },
  setNotNull: (table: QualifiedName, column: string, notNull: boolean): string =>
    `ALTER TABLE ${displayName(table)} ALTER COLUMN ${quoteIdentifier(column)} ${notNull ? 'SET' : 'DROP'} NOT NULL;`,
  dropDefault: (table: QualifiedName, column: string): string => `ALTER TABLE ${displayName(table)} ALTER COLUMN ${quoteIdentifier(column)} DROP DEFAULT;`,
  restoreDefault: (table: QualifiedName, column: string, previous: string | undefined): string =>
    previous === undefined
      ? `-- ${displayName(table)}.${quoteIdentifier(column)}: restore the default it had before (the migrations read do not show it).`
      : `ALTER TABLE ${displayName(table)} ALTER COLUMN ${quoteIdentifier(column)} SET DEFAULT ${previous};`,
  changeType: (table: QualifiedName, column: string, oldType: string | undefined): string =>
    oldType === undefined
      ? `-- ${displayName(table)}.${quoteIdentifier(column)}: change the type back to what it was.`
      : `ALTER TABLE ${displayName(table)} ALTER COLUMN ${quoteIdentifier(column)} TYPE ${oldType};`,
  rowLevelSecurity: (table: QualifiedName, enabled: boolean): string => `ALTER TABLE ${displayName(table)} ${enabled ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;`,
  enumValue: (type: QualifiedName, value: string): string =>
    `-- ${displayName(type)}: PostgreSQL cannot drop the enum value '${value}'; recreate the type without it if it must go.`,
};

type Undo = (fields: never, schema: SchemaView) => string | undefined;

const UNKNOWN_TABLE: QualifiedName = { schema: undefined, name: '<table>' };
const UNKNOWN_NAME: QualifiedName = { schema: undefined, name: '<name>' };

const relationName = (relation: RangeVar | undefined): QualifiedName => nameOfRangeVar(relation) ?? UNKNOWN_TABLE;
const listName = (nodes: Node[] | undefined): QualifiedName => nameOfList(nodes) ?? UNKNOWN_NAME;
const withName = (relation: RangeVar | undefined, name: string | undefined, placeholder: string): QualifiedName => ({
  schema: nameOfRangeVar(relation)?.schema,
  name: name ?? placeholder,
});

const RENAMED_KINDS: Readonly<Record<string, RenamedKind>> = {
  OBJECT_TABLE: 'table',
  OBJECT_COLUMN: 'column',
  OBJECT_TABCONSTRAINT: 'constraint',
  OBJECT_INDEX: 'index',
  OBJECT_POLICY: 'policy',
  OBJECT_TRIGGER: 'trigger',
};

const UNDO: Readonly<Record<string, Undo>> = {
  CreateStmt: (fields: { relation?: RangeVar }) => undoSql.dropRelation(relationName(fields.relation), 'table'),
  CreateTableAsStmt: (fields: { into?: { rel?: RangeVar }; objtype?: string }) =>
    undoSql.dropRelation(relationName(fields.into?.rel), fields.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table'),
  ViewStmt: (fields: { view?: RangeVar }) => undoSql.dropRelation(relationName(fields.view), 'view'),
  IndexStmt: (fields: { idxname?: string; relation?: RangeVar }) => undoSql.dropIndex(withName(fields.relation, fields.idxname, '<index>')),
  CreatePolicyStmt: (fields: { policy_name?: string; table?: RangeVar }) => undoSql.dropTableObject('policy', fields.policy_name ?? '<policy>', relationName(fields.table)),
  CreateTrigStmt: (fields: { trigname?: string; relation?: RangeVar }) => undoSql.dropTableObject('trigger', fields.trigname ?? '<trigger>', relationName(fields.relation)),
  CreateFunctionStmt: (fields: { funcname?: Node[]; parameters?: Node[]; is_procedure?: boolean }) =>
    undoSql.dropFunction(listName(fields.funcname), functionArgumentTypes(fields.parameters), fields.is_procedure === true),
  CreateEnumStmt: (fields: { typeName?: Node[] }) => undoSql.dropType(listName(fields.typeName), 'enum'),
  CompositeTypeStmt: (fields: { typevar?: RangeVar }) => undoSql.dropType(relationName(fields.typevar), 'composite'),
  CreateDomainStmt: (fields: { domainname?: Node[] }) => undoSql.dropType(listName(fields.domainname), 'domain'),
  CreateSeqStmt: (fields: { sequence?: RangeVar }) => `DROP SEQUENCE IF EXISTS ${displayName(relationName(fields.sequence))};`,
  CreateSchemaStmt: (fields: { schemaname?: string }) => undoSql.dropSchema(fields.schemaname ?? '<schema>'),
  CreateExtensionStmt: (fields: { extname?: string }) => `DROP EXTENSION IF EXISTS ${quoteIdentifier(fields.extname ?? '<extension>')};`,
  AlterEnumStmt: (fields: { typeName?: Node[]; newVal?: string; oldVal?: string }) => {
    const type = listName(fields.typeName);
    if (fields.oldVal !== undefined) return undoSql.renameBack('enum-value', type, { schema: undefined, name: fields.oldVal }, { schema: undefined, name: fields.newVal ?? '' });
    return undoSql.enumValue(type, fields.newVal ?? '');
  },
  RenameStmt: (fields: { renameType?: string; relation?: RangeVar; subname?: string; newname?: string }) => {
    const table = nameOfRangeVar(fields.relation);
    const kind = RENAMED_KINDS[fields.renameType ?? ''];
    if (!table || fields.newname === undefined || !kind) return undefined;
    if (kind === 'table' || kind === 'index') return undoSql.renameBack(kind, undefined, table, { schema: table.schema, name: fields.newname });
    return undoSql.renameBack(kind, table, { schema: undefined, name: fields.subname ?? '' }, { schema: undefined, name: fields.newname });
  },
  AlterTableStmt: (fields: { relation?: RangeVar; cmds?: Node[]; objtype?: string }, schema) => {
    const table = nameOfRangeVar(fields.relation);
    if (!table || fields.objtype === 'OBJECT_INDEX') return undefined;
    const undone = (fields.cmds ?? [])
      .map((command) => nodeOf(command, 'AlterTableCmd'))
      .map((command) => (command ? undoAlterTableCommand(table, command, schema) : undefined))
      .filter((sql): sql is string => sql !== undefined)
      .reverse();
    return undone.length === 0 ? undefined : undone.join('\n');
  },
  DropStmt: (fields: { removeType?: string; objects?: Node[] }, schema) => {
    if (fields.removeType === 'OBJECT_INDEX') return recreateIndexes(fields.objects ?? [], schema);
    const kind = (fields.removeType ?? 'OBJECT').replace(/^OBJECT_/, '').toLowerCase().replaceAll('_', ' ');
    return `-- The dropped ${kind} cannot be recreated with its data by a script: restore it from the backup taken before the migration.`;
  },
};

/** A dropped index holds no data of its own: the history's CREATE INDEX builds it again, concurrently, under its current name. */
function recreateIndexes(objects: readonly Node[], schema: SchemaView): string {
  return objects
    .map((object) => {
      const name = nameOfList(nodeOf(object, 'List')?.items ?? [object]);
      const index = name ? schema.index(name) : undefined;
      const table = index ? schema.tableOfIndex(index) : undefined;
      const definition = index?.definition;
      const sql = definition && table ? sqlOf({ IndexStmt: { ...definition, idxname: index.name.name, concurrent: true, relation: { ...definition.relation, schemaname: table.name.schema, relname: table.name.name } } }) : undefined;
      return sql === undefined ? `-- The dropped index ${name ? displayName(name) : ''} is not in the migrations read: recreate it as it was (pg_dump --schema-only of the backup shows its definition).` : `${sql};`;
    })
    .join('\n');
}

function undoAlterTableCommand(table: QualifiedName, command: AlterTableCmd, schema: SchemaView): string | undefined {
  const column = command.name ?? '';
  switch (command.subtype) {
    case 'AT_AddColumn': {
      const added = nodeOf(command.def, 'ColumnDef')?.colname;
      return added === undefined ? undefined : undoSql.dropColumn(table, added);
    }
    case 'AT_AddConstraint':
      return undoSql.dropConstraint(table, nodeOf(command.def, 'Constraint')?.conname ?? '<constraint>');
    case 'AT_SetNotNull':
      // Already NOT NULL before (declared so, or set earlier): the statement changed nothing to undo.
      return schema.column(table, command.name)?.notNull === true ? undefined : undoSql.setNotNull(table, column, false);
    case 'AT_DropNotNull':
      return undoSql.setNotNull(table, column, true);
    case 'AT_ColumnDefault': {
      // The default before the statement, as the history set it; a column the history created without one had none.
      const before = schema.column(table, command.name);
      const previous = before?.defaultExpression === undefined ? undefined : sqlOf(before.defaultExpression);
      if (previous !== undefined) return undoSql.restoreDefault(table, column, previous);
      const hadNone = before !== undefined && before.origin !== undefined && !before.hasDefault;
      return command.def === undefined && !hadNone ? undoSql.restoreDefault(table, column, undefined) : command.def === undefined ? undefined : undoSql.dropDefault(table, column);
    }
    case 'AT_AlterColumnType':
      return undoSql.changeType(table, column, formatTypeName(schema.column(table, command.name)?.type));
    case 'AT_EnableRowSecurity':
      return undoSql.rowLevelSecurity(table, false);
    case 'AT_DisableRowSecurity':
      return undoSql.rowLevelSecurity(table, true);
    case 'AT_DropColumn':
      return `-- ${displayName(table)}.${quoteIdentifier(column)} was dropped with its data: restore it from the backup taken before the migration.`;
    case 'AT_AttachPartition': {
      const partition = nameOfRangeVar(nodeOf(command.def, 'PartitionCmd')?.name);
      return partition ? `ALTER TABLE ${displayName(table)} DETACH PARTITION ${displayName(partition)};` : undefined;
    }
    default:
      return undefined;
  }
}
