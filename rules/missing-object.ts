import {
  type AlterTableCmd,
  type Constraint,
  type Node,
  type ObjectOrigin,
  type QualifiedName,
  type RangeVar,
  type StatementContext,
  type TableState,
  constraintsOf,
  defineRule,
  didYouMean,
  displayName,
  nameOfRangeVar,
  namesOfObjects,
  nodeOf,
  searchPathSchemas,
  stringsOf,
} from '../src/api.js';

/**
 * What PostgreSQL answers a statement that names something missing, and what the history says
 * about it. `error` is the server's message, word for word.
 */
interface Failure {
  readonly error: string;
  readonly history: string;
  readonly node?: { readonly location?: number } | undefined;
  /**
   * Whether it holds in a rollback whatever later migrations did. A rollback is judged against the
   * state its own migration left, but runs after the rollbacks of every later migration, which may
   * leave their changes in place (Ory keeps a release's rollback in an earlier release's files): a
   * near-miss of a name the history has, or an object made earlier in the same file, is still a failure.
   */
  readonly inRollback: boolean;
}

export default defineRule({
  id: 'missing-object',
  meta: {
    description: 'A statement names a table, column, constraint, index or schema that does not exist at that point of the history: the server refuses it.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'The statement fails, and with it the migration (and, in a transaction, everything the migration did',
      'before it): a deploy stops half-way, or a rollback cannot run when it is needed most. Typos in',
      'rollbacks are the usual cause, since rollbacks rarely run before the day they must.',
      '',
      'Reported only where the history knows for certain: the table was created by a plain `CREATE TABLE`',
      'of the linted history (not `LIKE`, `INHERITS`, `PARTITION OF`, `AS SELECT`, nor `IF NOT EXISTS` of a',
      'table that may have been there before), or the schema by a plain `CREATE SCHEMA`, and nothing since',
      'could have changed it unseen: dynamic SQL (`EXECUTE`), DDL in a branch of a DO block that may not',
      'run, a function whose body was not read, an extension. A schema the history never creates nor uses',
      'is reported when its name is a near-miss of one the history does use (`meausre` for `measure`).',
      '`IF EXISTS` / `IF NOT EXISTS` forms, and statements in branches that may not run, are never reported.',
      'The message quotes the error PostgreSQL gives, and what the history says: where the object was',
      'created, a column renamed away, a close name.',
      '',
      'Other rules\' findings on a statement that cannot run are dropped: its locks and hazards never happen.',
    ].join('\n'),
    bad: [
      'CREATE TABLE agents (id bigint PRIMARY KEY, nickname text);',
      'ALTER TABLE agents DROP COLUMN nick_name;',
    ].join('\n'),
    good: [
      'CREATE TABLE agents (id bigint PRIMARY KEY, nickname text);',
      'ALTER TABLE agents DROP COLUMN nickname;',
    ].join('\n'),
  },
  create(context) {
    const notNullNamed = context.pgVersion >= 18;
    let schemas: { readonly statement: unknown; readonly known: ReadonlyMap<string, boolean> } | undefined;
    /** The schemas the history knows, read once per statement. */
    const knownSchemas = (statement: StatementContext): ReadonlyMap<string, boolean> => {
      if (schemas?.statement !== statement.statement) schemas = { statement: statement.statement, known: statement.schema.knownSchemas() };
      return schemas.known;
    };
    const report = (statement: StatementContext, failure: Failure | undefined): void => {
      // A statement in a branch that may not run (IF ..., EXCEPTION WHEN ...) may be the guarded case.
      if (!failure || (statement.routine?.branches.length ?? 0) > 0 || (statement.file.part === 'down' && !failure.inRollback)) return;
      statement.report({
        message: `This statement fails with ERROR: ${failure.error}. ${failure.history}`,
        node: failure.node,
        lock: null,
        fails: true,
      });
    };
    const missingSchema = (statement: StatementContext, schema: string | undefined): Failure | undefined => {
      if (schema === undefined || BUILT_IN_SCHEMAS.has(schema) || statement.schema.namespace(schema)) return undefined;
      const known = knownSchemas(statement);
      // Named before without being made (a table the migrations alter but never create) counts as unknown: the statement that fails makes such a stub too.
      if (known.get(schema) === true || schema.length < MIN_TYPO_LENGTH) return undefined;
      const suggestion = didYouMean(schema, [...known].flatMap(([name, made]) => (made ? [name] : [])));
      // Only a near-miss of a schema the history uses is surely a typo: any other may be made outside the migrations.
      if (suggestion === '') return undefined;
      return { error: `schema "${schema}" does not exist`, history: `No migration creates schema ${quote(schema)} or anything in it${suggestion}.`, inRollback: true };
    };
    /** A relation the statement needs that is missing: its schema, or the relation in a schema the history defines completely. */
    const missingRelation = (statement: StatementContext, relation: RangeVar | undefined, kind: 'relation' | 'table' = 'relation'): Failure | undefined => {
      const name = nameOfRangeVar(relation);
      if (!name) return undefined;
      const schema = missingSchema(statement, name.schema);
      if (schema) return { ...schema, node: relation };
      const inSchema = name.schema ?? onlySchemaSearched(statement);
      const namespace = inSchema === undefined ? undefined : statement.schema.namespace(inSchema);
      const defined = namespace !== undefined && statement.schema.definesCompletely(namespace);
      const table = statement.schema.table(name);
      // In a schema the history defines completely, a table no migration created is one an earlier failing statement named.
      if ((table && (table.origin !== undefined || !defined)) || statement.schema.index(name)) return undefined;
      const shownAs = kind === 'table' ? name.name : writtenName(name);
      // Gone from a schema the history does not know wholly: dropped or renamed away, and not made again since.
      if (!table && inSchema !== undefined && statement.schema.isSurelyDroppedTable({ schema: inSchema, name: name.name })) {
        return { error: `${kind} "${shownAs}" does not exist`, history: `An earlier statement dropped ${quote(name.name)} or renamed it away, and no table of that name was created since.`, node: relation, inRollback: false };
      }
      if (!namespace || !defined) return undefined;
      const others = [...statement.schema.tables.values()].flatMap((table) => (table.key.startsWith(`${namespace.name}.`) ? [table.name.name] : []));
      const hint = didYouMean(name.name, others);
      return {
        error: `${kind} "${shownAs}" does not exist`,
        history: `Schema ${quote(namespace.name)} was created ${where(statement, namespace.origin)}, and no migration since creates ${quote(name.name)} in it${hint}.`,
        node: relation,
        inRollback: hint !== '' || madeInThisFile(statement, namespace.origin),
      };
    };
    const missingConstraint = (statement: StatementContext, table: TableState, name: string, error: string): Failure | undefined => {
      if (table.constraints.has(name) || (notNullNamed && name.endsWith('_not_null'))) return undefined;
      const hint = didYouMean(name, table.constraints.keys());
      return { error, history: `${tableHistory(statement, table)} has no constraint ${quote(name)}${hint}.`, inRollback: hint !== '' || madeInThisFile(statement, table.origin) };
    };
    /** A foreign key: the table it references, its own columns (`columns`: the table's, undefined when unknown), the referenced columns. */
    const foreignKeyFailure = (statement: StatementContext, constraint: Constraint, own: { readonly name: QualifiedName; readonly columns: ReadonlySet<string> | undefined }): Failure | undefined => {
      const referenced = nameOfRangeVar(constraint.pktable);
      if (!referenced) return undefined;
      const self = statement.schema.key(referenced) === statement.schema.key(own.name);
      if (!self) {
        const relation = missingRelation(statement, constraint.pktable);
        if (relation) return relation;
      }
      for (const column of stringsOf(constraint.fk_attrs)) {
        if (!own.columns || own.columns.has(column)) continue;
        const hint = didYouMean(column, own.columns);
        return { error: `column "${column}" referenced in foreign key constraint does not exist`, history: `The table has no column ${quote(column)}${hint}.`, node: constraint, inRollback: hint !== '' };
      }
      const target = self ? undefined : definedTable(statement, referenced);
      const targetColumns = self ? own.columns : target && columnsOf(target);
      if (!targetColumns) return undefined;
      for (const column of stringsOf(constraint.pk_attrs)) {
        if (targetColumns.has(column)) continue;
        if (target) return { ...missingColumn(statement, target, column, `column "${column}" referenced in foreign key constraint does not exist`), node: constraint };
        const hint = didYouMean(column, targetColumns);
        return { error: `column "${column}" referenced in foreign key constraint does not exist`, history: `The table being created has no column ${quote(column)}${hint}.`, node: constraint, inRollback: true };
      }
      return undefined;
    };

    return {
      AlterTableStmt(node, statement) {
        if (node.missing_ok === true) return;
        if (node.objtype === 'OBJECT_INDEX') {
          report(statement, missingIndex(statement, nameOfRangeVar(node.relation), (name) => `relation "${writtenName(name)}" does not exist`, missingSchema));
          return;
        }
        if (node.objtype !== 'OBJECT_TABLE') return;
        const commands = (node.cmds ?? []).flatMap((command) => nodeOf(command, 'AlterTableCmd') ?? []);
        const relation = missingRelation(statement, node.relation);
        if (relation) {
          // A sequence or foreign table (which the history does not follow) accepts only these.
          if (commands.some((command) => !RELATION_COMMANDS.has(command.subtype ?? ''))) report(statement, relation);
          return;
        }
        const name = nameOfRangeVar(node.relation);
        const table = definedTable(statement, name);
        if (!table || !name) return;
        // Columns and constraints the same statement adds: PostgreSQL runs its subcommands in passes, not in order.
        const added = new Set(commands.flatMap((command) => nodeOf(command.def, 'ColumnDef')?.colname ?? []));
        const dropped = new Set(commands.flatMap((command) => (command.subtype === 'AT_DropColumn' ? (command.name ?? []) : [])));
        const addedConstraints = new Set(statement.implicitNames.values());
        const columns = new Set([...columnsOf(table), ...added]);
        for (const command of commands) {
          const failure = commandFailure(command);
          if (failure) {
            report(statement, failure);
            return;
          }
        }
        function commandFailure(command: AlterTableCmd): Failure | undefined {
          const subtype = command.subtype ?? '';
          const column = command.name;
          if (COLUMN_COMMANDS.has(subtype) && column !== undefined && command.missing_ok !== true && !columns.has(column)) {
            return missingColumn(statement, table as TableState, column, `column "${column}" of relation "${name?.name}" does not exist`);
          }
          if (subtype === 'AT_AddColumn') return addedColumnFailure(command);
          if ((subtype === 'AT_DropConstraint' || subtype === 'AT_ValidateConstraint') && column !== undefined && command.missing_ok !== true && !addedConstraints.has(column)) {
            return missingConstraint(statement, table as TableState, column, `constraint "${column}" of relation "${name?.name}" does not exist`);
          }
          const constraint = subtype === 'AT_AddConstraint' ? nodeOf(command.def, 'Constraint') : undefined;
          return constraint?.contype === 'CONSTR_FOREIGN' && name ? foreignKeyFailure(statement, constraint, { name, columns }) : undefined;
        }
        function addedColumnFailure(command: AlterTableCmd): Failure | undefined {
          const definition = nodeOf(command.def, 'ColumnDef');
          const column = definition?.colname;
          if (!definition || column === undefined || !name) return undefined;
          if (command.missing_ok !== true && table && columnsOf(table).has(column) && !dropped.has(column)) {
            return { error: `column "${column}" of relation "${name.name}" already exists`, history: `${tableHistory(statement, table)} has it already.`, inRollback: false };
          }
          const references = constraintsOf(definition).find((constraint) => constraint.contype === 'CONSTR_FOREIGN');
          return references ? foreignKeyFailure(statement, references, { name, columns }) : undefined;
        }
      },
      RenameStmt(node, statement) {
        if (node.missing_ok === true) return;
        const name = nameOfRangeVar(node.relation);
        switch (node.renameType) {
          case 'OBJECT_TABLE':
            // ALTER TABLE ... RENAME TO takes any relation, a serial column's sequence too.
            if (!name?.name.endsWith('_seq')) report(statement, missingRelation(statement, node.relation));
            return;
          case 'OBJECT_INDEX':
            report(statement, missingIndex(statement, name, (index) => `relation "${writtenName(index)}" does not exist`, missingSchema));
            return;
          case 'OBJECT_COLUMN':
          case 'OBJECT_TABCONSTRAINT': {
            const relation = missingRelation(statement, node.relation);
            if (relation) {
              report(statement, relation);
              return;
            }
            const table = definedTable(statement, name);
            const from = node.subname;
            if (!table || from === undefined) return;
            if (node.renameType === 'OBJECT_COLUMN') {
              if (!columnsOf(table).has(from)) report(statement, missingColumn(statement, table, from, `column "${from}" does not exist`));
            } else {
              report(statement, missingConstraint(statement, table, from, `constraint "${from}" for table "${table.name.name}" does not exist`));
            }
            return;
          }
          default:
            return;
        }
      },
      DropStmt(node, statement) {
        if (node.missing_ok === true) return;
        if (node.removeType === 'OBJECT_INDEX') {
          for (const name of namesOfObjects(node.objects)) {
            const failure = missingIndex(statement, name, (index) => `index "${index.name}" does not exist`, missingSchema);
            if (failure) {
              report(statement, failure);
              return;
            }
          }
        }
        if (node.removeType !== 'OBJECT_TABLE') return;
        for (const name of namesOfObjects(node.objects)) {
          const failure = missingRelation(statement, { relname: name.name, ...(name.schema === undefined ? {} : { schemaname: name.schema }) }, 'table');
          if (failure) {
            report(statement, failure);
            return;
          }
        }
      },
      IndexStmt(node, statement) {
        if (node.if_not_exists === true) return;
        const relation = missingRelation(statement, node.relation);
        if (relation) {
          report(statement, relation);
          return;
        }
        const table = definedTable(statement, nameOfRangeVar(node.relation));
        if (!table) return;
        const columns = columnsOf(table);
        for (const param of [...(node.indexParams ?? []), ...(node.indexIncludingParams ?? [])]) {
          const column = nodeOf(param, 'IndexElem')?.name;
          if (column !== undefined && !columns.has(column)) {
            report(statement, missingColumn(statement, table, column, `column "${column}" does not exist`));
            return;
          }
        }
      },
      CreateStmt(node, statement) {
        const name = nameOfRangeVar(node.relation);
        if (node.if_not_exists === true || !name) return;
        const schema = missingSchema(statement, name.schema);
        if (schema) {
          report(statement, { ...schema, node: node.relation });
          return;
        }
        const elements = node.tableElts ?? [];
        const definitions = elements.flatMap((element) => nodeOf(element, 'ColumnDef') ?? []);
        // LIKE, INHERITS and PARTITION OF bring columns the statement does not list.
        const listsAll = node.inhRelations === undefined && node.partbound === undefined && node.ofTypename === undefined && elements.every((element) => nodeOf(element, 'TableLikeClause') === undefined);
        const columns = listsAll ? new Set(definitions.flatMap((definition) => definition.colname ?? [])) : undefined;
        const foreignKeys = [
          ...elements.flatMap((element) => nodeOf(element, 'Constraint') ?? []),
          ...definitions.flatMap((definition) => constraintsOf(definition)),
        ].filter((constraint) => constraint.contype === 'CONSTR_FOREIGN');
        for (const constraint of foreignKeys) {
          const failure = foreignKeyFailure(statement, constraint, { name, columns });
          if (failure) {
            report(statement, failure);
            return;
          }
        }
      },
      UpdateStmt(node, statement) {
        report(statement, missingRelation(statement, node.relation) ?? missingTargetColumn(statement, node.relation, node.targetList));
      },
      InsertStmt(node, statement) {
        report(statement, missingRelation(statement, node.relation) ?? missingTargetColumn(statement, node.relation, node.cols));
      },
      DeleteStmt(node, statement) {
        report(statement, missingRelation(statement, node.relation));
      },
    };
  },
});

/** The relation kinds whose columns the history follows. */
const TABLE_KINDS = new Set(['table', 'partitioned-table']);

/** Schemas every database has. */
const BUILT_IN_SCHEMAS = new Set(['public', 'pg_catalog', 'information_schema', 'pg_toast', 'pg_temp']);

/** Shorter schema names are too close to each other (`api`, `app`) for a near-miss to be a typo. */
const MIN_TYPO_LENGTH = 5;

/** ALTER TABLE subcommands that name a column of the table. */
const COLUMN_COMMANDS = new Set([
  'AT_DropColumn', 'AT_AlterColumnType', 'AT_ColumnDefault', 'AT_SetNotNull', 'AT_DropNotNull', 'AT_SetStatistics', 'AT_SetOptions',
  'AT_ResetOptions', 'AT_SetStorage', 'AT_SetCompression', 'AT_AddIdentity', 'AT_SetIdentity', 'AT_DropIdentity', 'AT_SetExpression', 'AT_DropExpression',
]);

/** ALTER TABLE subcommands that any relation takes (a sequence, a foreign table): the relation may be one the history does not follow. */
const RELATION_COMMANDS = new Set(['AT_ChangeOwner', 'AT_SetTableSpace', 'AT_SetRelOptions', 'AT_ResetRelOptions', 'AT_SetLogged', 'AT_SetUnLogged', 'AT_GenericOptions']);

/** The table, when the history defines it completely: every name it lacks is missing. */
function definedTable(statement: StatementContext, name: QualifiedName | undefined): TableState | undefined {
  const table = name && statement.schema.table(name);
  return table && TABLE_KINDS.has(table.kind) && statement.schema.definesCompletely(table) ? table : undefined;
}

function missingColumn(statement: StatementContext, table: TableState, column: string, error: string, node?: Failure['node']): Failure {
  const hint = columnHint(table, column);
  return { error, history: `${tableHistory(statement, table)} has no column ${quote(column)}${hint}.`, node, inRollback: hint !== '' || madeInThisFile(statement, table.origin) };
}

/** The first column an UPDATE sets or an INSERT lists that the table lacks. */
function missingTargetColumn(statement: StatementContext, relation: RangeVar | undefined, targets: readonly Node[] | undefined): Failure | undefined {
  const table = definedTable(statement, nameOfRangeVar(relation));
  if (!table) return undefined;
  const columns = columnsOf(table);
  for (const target of targets ?? []) {
    const column = nodeOf(target, 'ResTarget');
    if (column?.name !== undefined && !columns.has(column.name)) return missingColumn(statement, table, column.name, `column "${column.name}" of relation "${table.name.name}" does not exist`, column);
  }
  return undefined;
}

/** An index the statement needs that surely does not exist: the history dropped it, or its schema is known completely and has no such index. */
function missingIndex(
  statement: StatementContext,
  name: QualifiedName | undefined,
  error: (name: QualifiedName) => string,
  missingSchema: (statement: StatementContext, schema: string | undefined) => Failure | undefined,
): Failure | undefined {
  if (!name || statement.schema.index(name) || statement.schema.table(name)) return undefined;
  const schema = missingSchema(statement, name.schema);
  if (schema) return schema;
  if (statement.schema.isSurelyDroppedIndex(name)) return { error: error(name), history: `An earlier statement dropped index ${quote(name.name)} (on its own, or with its table, column or constraint), and none was created since.`, inRollback: false };
  const inSchema = name.schema ?? onlySchemaSearched(statement);
  const namespace = inSchema === undefined ? undefined : statement.schema.namespace(inSchema);
  if (!namespace || !statement.schema.definesCompletely(namespace)) return undefined;
  return { error: error(name), history: `Schema ${quote(namespace.name)} was created ${where(statement, namespace.origin)}, and no migration since creates an index ${quote(name.name)} in it.`, inRollback: madeInThisFile(statement, namespace.origin) };
}

/** The one schema unqualified names are looked up in, when the search_path has only one. */
function onlySchemaSearched(statement: StatementContext): string | undefined {
  const path = searchPathSchemas(statement.settings);
  if (path === undefined) return 'public';
  const schemas = path.filter((schema) => schema !== '' && schema !== 'pg_catalog' && schema !== 'pg_temp');
  return schemas.length === 1 && schemas[0] !== '$user' ? schemas[0] : undefined;
}

/** A name as PostgreSQL shows it in errors: as written, schema included, never quoted. */
function writtenName(name: QualifiedName): string {
  return name.schema === undefined ? name.name : `${name.schema}.${name.name}`;
}

function quote(name: string): string {
  return displayName({ schema: undefined, name });
}

function tableHistory(statement: StatementContext, table: TableState): string {
  return `Table ${displayName(table.name)}, created ${where(statement, table.origin)},`;
}

function madeInThisFile(statement: StatementContext, origin: ObjectOrigin | undefined): boolean {
  return origin !== undefined && origin.migration === statement.file.migration.id && origin.part === statement.file.part;
}

/** Where an object was made, as the report says it. */
function where(statement: StatementContext, origin: ObjectOrigin | undefined): string {
  if (!origin) return 'before the linted migrations';
  if (madeInThisFile(statement, origin)) return 'earlier in this file';
  return `by migration ${origin.migration}${origin.part === 'down' ? '\'s rollback' : ''}`;
}

/**
 * The columns of a table the history defines completely. Each has the origin of the statement that
 * added it: one without was made up by the analysis for a failing statement that named it.
 */
function columnsOf(table: TableState): Set<string> {
  return new Set([...table.columns.values()].flatMap((column) => (column.origin === undefined ? [] : [column.name])));
}

/** Why a column is not there: it was renamed, or a close name exists. */
function columnHint(table: TableState, column: string): string {
  const renamed = [...table.columns.values()].find((candidate) => candidate.renamedFrom?.name === column);
  if (renamed?.renamedFrom) return ` (migration ${renamed.renamedFrom.origin.migration} renamed it to ${quote(renamed.name)})`;
  return didYouMean(column, columnsOf(table));
}
