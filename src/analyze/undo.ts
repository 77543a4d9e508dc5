import type { AlterTableCmd, Node, RangeVar } from '@pgsql/types';
import {
  type QualifiedName,
  displayName,
  formatTypeName,
  nameOfList,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
  unwrap,
} from './ast.js';
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

type Undo = (fields: never, schema: SchemaView) => string | undefined;

const relationName = (relation: RangeVar | undefined): string => {
  const name = nameOfRangeVar(relation);
  return name ? displayName(name) : '<table>';
};

const listName = (nodes: Node[] | undefined): string => {
  const name = nameOfList(nodes);
  return name ? displayName(name) : '<name>';
};

const UNDO: Readonly<Record<string, Undo>> = {
  CreateStmt: (fields: { relation?: RangeVar }) => `DROP TABLE IF EXISTS ${relationName(fields.relation)};`,
  CreateTableAsStmt: (fields: { into?: { rel?: RangeVar }; objtype?: string }) =>
    `DROP ${fields.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE'} IF EXISTS ${relationName(fields.into?.rel)};`,
  ViewStmt: (fields: { view?: RangeVar }) => `DROP VIEW IF EXISTS ${relationName(fields.view)};`,
  IndexStmt: (fields: { idxname?: string; relation?: RangeVar }) => {
    const table = nameOfRangeVar(fields.relation);
    const name = fields.idxname === undefined ? '<index>' : displayName({ schema: table?.schema, name: fields.idxname });
    return `DROP INDEX CONCURRENTLY IF EXISTS ${name};`;
  },
  CreatePolicyStmt: (fields: { policy_name?: string; table?: RangeVar }) =>
    `DROP POLICY IF EXISTS ${quoteIdentifier(fields.policy_name ?? '<policy>')} ON ${relationName(fields.table)};`,
  CreateTrigStmt: (fields: { trigname?: string; relation?: RangeVar }) =>
    `DROP TRIGGER IF EXISTS ${quoteIdentifier(fields.trigname ?? '<trigger>')} ON ${relationName(fields.relation)};`,
  CreateFunctionStmt: (fields: { funcname?: Node[]; parameters?: Node[]; is_procedure?: boolean }) => {
    const argumentTypes = (fields.parameters ?? []).flatMap((parameter) => {
      const definition = nodeOf(parameter, 'FunctionParameter');
      if (definition?.mode === 'FUNC_PARAM_OUT' || definition?.mode === 'FUNC_PARAM_TABLE') return [];
      return [formatTypeName(definition?.argType) ?? '<type>'];
    });
    return `DROP ${fields.is_procedure ? 'PROCEDURE' : 'FUNCTION'} IF EXISTS ${listName(fields.funcname)}(${argumentTypes.join(', ')});`;
  },
  CreateEnumStmt: (fields: { typeName?: Node[] }) => `DROP TYPE IF EXISTS ${listName(fields.typeName)};`,
  CompositeTypeStmt: (fields: { typevar?: RangeVar }) => `DROP TYPE IF EXISTS ${relationName(fields.typevar)};`,
  CreateDomainStmt: (fields: { domainname?: Node[] }) => `DROP DOMAIN IF EXISTS ${listName(fields.domainname)};`,
  CreateSeqStmt: (fields: { sequence?: RangeVar }) => `DROP SEQUENCE IF EXISTS ${relationName(fields.sequence)};`,
  CreateSchemaStmt: (fields: { schemaname?: string }) => `DROP SCHEMA IF EXISTS ${quoteIdentifier(fields.schemaname ?? '<schema>')};`,
  CreateExtensionStmt: (fields: { extname?: string }) => `DROP EXTENSION IF EXISTS ${quoteIdentifier(fields.extname ?? '<extension>')};`,
  AlterEnumStmt: (fields: { typeName?: Node[]; newVal?: string; oldVal?: string }) => {
    if (fields.oldVal !== undefined) return `ALTER TYPE ${listName(fields.typeName)} RENAME VALUE '${fields.newVal ?? ''}' TO '${fields.oldVal}';`;
    return `-- ${listName(fields.typeName)}: PostgreSQL cannot drop the enum value '${fields.newVal ?? ''}'; recreate the type without it if it must go.`;
  },
  RenameStmt: (fields: { renameType?: string; relation?: RangeVar; subname?: string; newname?: string }) => {
    const table = nameOfRangeVar(fields.relation);
    if (!table || fields.newname === undefined) return undefined;
    switch (fields.renameType) {
      case 'OBJECT_TABLE':
        return `ALTER TABLE ${displayName({ schema: table.schema, name: fields.newname })} RENAME TO ${quoteIdentifier(table.name)};`;
      case 'OBJECT_COLUMN':
        return `ALTER TABLE ${displayName(table)} RENAME COLUMN ${quoteIdentifier(fields.newname)} TO ${quoteIdentifier(fields.subname ?? '')};`;
      case 'OBJECT_TABCONSTRAINT':
        return `ALTER TABLE ${displayName(table)} RENAME CONSTRAINT ${quoteIdentifier(fields.newname)} TO ${quoteIdentifier(fields.subname ?? '')};`;
      case 'OBJECT_INDEX':
        return `ALTER INDEX ${displayName({ schema: table.schema, name: fields.newname })} RENAME TO ${quoteIdentifier(table.name)};`;
      default:
        return undefined;
    }
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
  DropStmt: (fields: { removeType?: string }) => {
    const kind = (fields.removeType ?? 'OBJECT').replace(/^OBJECT_/, '').toLowerCase().replaceAll('_', ' ');
    return `-- The dropped ${kind} cannot be recreated with its data by a script: restore it from the backup taken before the migration.`;
  },
};

function undoAlterTableCommand(table: QualifiedName, command: AlterTableCmd, schema: SchemaView): string | undefined {
  const name = displayName(table);
  const column = command.name === undefined ? '' : quoteIdentifier(command.name);
  switch (command.subtype) {
    case 'AT_AddColumn': {
      const added = nodeOf(command.def, 'ColumnDef')?.colname;
      return added === undefined ? undefined : `ALTER TABLE ${name} DROP COLUMN IF EXISTS ${quoteIdentifier(added)};`;
    }
    case 'AT_AddConstraint': {
      const constraint = nodeOf(command.def, 'Constraint');
      const constraintName = constraint?.conname ?? '<constraint>';
      return `ALTER TABLE ${name} DROP CONSTRAINT IF EXISTS ${quoteIdentifier(constraintName)};`;
    }
    case 'AT_SetNotNull':
      return `ALTER TABLE ${name} ALTER COLUMN ${column} DROP NOT NULL;`;
    case 'AT_DropNotNull':
      return `ALTER TABLE ${name} ALTER COLUMN ${column} SET NOT NULL;`;
    case 'AT_ColumnDefault':
      return command.def === undefined
        ? `-- ${name}.${column}: restore the default it had before.`
        : `ALTER TABLE ${name} ALTER COLUMN ${column} DROP DEFAULT;`;
    case 'AT_AlterColumnType': {
      const oldType = formatTypeName(schema.column(table, command.name)?.type);
      return oldType === undefined
        ? `-- ${name}.${column}: change the type back to what it was.`
        : `ALTER TABLE ${name} ALTER COLUMN ${column} TYPE ${oldType};`;
    }
    case 'AT_EnableRowSecurity':
      return `ALTER TABLE ${name} DISABLE ROW LEVEL SECURITY;`;
    case 'AT_DisableRowSecurity':
      return `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`;
    case 'AT_DropColumn':
      return `-- ${name}.${column} was dropped with its data: restore it from the backup taken before the migration.`;
    case 'AT_AttachPartition': {
      const partition = nameOfRangeVar(nodeOf(command.def, 'PartitionCmd')?.name);
      return partition ? `ALTER TABLE ${name} DETACH PARTITION ${displayName(partition)};` : undefined;
    }
    default:
      return undefined;
  }
}
