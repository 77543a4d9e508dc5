import {
  type DropStmt,
  type Node,
  type ObjectOrigin,
  type QualifiedName,
  type StatementContext,
  constantText,
  defineRule,
  describeImpact,
  displayName,
  formatTypeName,
  nameOfList,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
  stringsOf,
} from '../src/api.js';
import { BACKUP_FIRST, columnUnusedDirective, deprecateThenDrop, deprecateThenDropObject, migrationOfItsOwn } from './support/help.js';
import { isOwnCreation, listParts, nameOfParts } from './support/objects.js';
import { COLUMN_OWNERS } from './support/rewrite.js';

export default defineRule({
  id: 'destructive-operation',
  meta: {
    description: 'TRUNCATE, DELETE without WHERE, DROP ... CASCADE and DROP DATABASE destroy data that no rollback brings back.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      '`TRUNCATE` deletes every row at once, under an ACCESS EXCLUSIVE lock that also blocks reads; with',
      '`CASCADE` it empties every table that references it too. `DELETE` without a `WHERE` condition (or with',
      '`WHERE true`) deletes every row just as surely, more slowly, locking each row until the transaction ends.',
      '`DROP ... CASCADE` silently drops whatever',
      'depends on the object: views, foreign keys, policies, triggers, even columns of other tables whose',
      'type is dropped. `DROP DATABASE` removes everything. A rollback script can recreate structure, never',
      'the rows: only a backup taken before the migration',
      '(`pg_dump $SUPABASE_DB_URL --no-owner --no-acl > backup.sql`) can.',
      '',
      'Back up first; drop the dependents explicitly and drop without `CASCADE`, so PostgreSQL refuses, naming',
      'them, when something unexpected still depends on the object; and when emptying a table is intended,',
      'say so with a directive and the reason. `DROP SCHEMA` without `CASCADE` is not reported: PostgreSQL',
      'drops only an empty schema. Not reported either: objects created earlier in the same migration, a',
      'rollback removing what its own migration created, and a rollback emptying a table its own migration',
      'inserted rows into (the undo of a seed).',
    ].join('\n'),
    bad: 'DROP TABLE sessions CASCADE;',
    good: [
      '-- Migration 1:',
      'ALTER TABLE sessions RENAME TO sessions_deprecated;',
      'ALTER VIEW active_sessions RENAME TO active_sessions_deprecated;',
      '-- Migration 2, a week later: drop the dependents explicitly, then the table without CASCADE',
      'DROP VIEW active_sessions_deprecated;',
      'DROP TABLE IF EXISTS sessions_deprecated;',
    ].join('\n'),
  },
  create(context) {
    return {
      TruncateStmt(node, statement) {
        const tables = (node.relations ?? []).flatMap((relation) => {
          const name = nameOfRangeVar(nodeOf(relation, 'RangeVar'));
          return name && !isOwnCreation(statement, statement.schema.table(name)?.origin) && !undoesSeed(statement, name) ? [name] : [];
        });
        if (tables.length === 0) return;
        const names = tables.map(displayName).join(', ');
        const cascade = node.behavior === 'DROP_CASCADE' ? ', and CASCADE empties every table with a foreign key to it as well' : '';
        const lock = statement.locks.find((acquisition) => acquisition.role === 'table');
        const held = lock ? `, and its ${lock.mode} lock ${describeImpact(lock.mode)} meanwhile` : '';
        statement.report({
          message: `TRUNCATE ${names} deletes every row at once${cascade}: no rollback script brings the rows back${held}.`,
          help: [
            BACKUP_FIRST,
            ...(cascade ? ['-- Name every table to empty instead of CASCADE, so nothing is emptied by surprise.'] : []),
            '-- If emptying it is intended, say so where it happens:',
            '-- migrate-safe-ignore destructive-operation: <why the rows may go, and where the backup is>',
            `TRUNCATE ${names};`,
          ].join('\n'),
        });
      },
      DropStmt(node, statement) {
        if (node.behavior !== 'DROP_CASCADE') return;
        for (const object of node.objects ?? []) {
          if (isOwnCreation(statement, originOf(statement, node.removeType, object))) continue;
          const name = objectName(node.removeType, object);
          statement.report({
            message: `DROP ${kindOf(node)} ${name} CASCADE also drops, without naming them, ${dependentsOf(node.removeType ?? '')}: the running application loses objects nobody reviewed, and no rollback brings their data back.`,
            help: cascadeHelp(statement, node, object, context.deprecatedSuffix),
          });
        }
      },
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || !COLUMN_OWNERS.has(node.objtype ?? '') || statement.schema.isNewTable(node.relation)) return;
        for (const command of node.cmds ?? []) {
          const drop = nodeOf(command, 'AlterTableCmd');
          const kind = drop?.subtype === 'AT_DropColumn' ? 'COLUMN' : drop?.subtype === 'AT_DropConstraint' ? 'CONSTRAINT' : undefined;
          if (!kind || drop?.behavior !== 'DROP_CASCADE' || drop.name === undefined) continue;
          const column = kind === 'COLUMN' ? statement.schema.column(table, drop.name) : undefined;
          if (isOwnCreation(statement, column?.origin)) continue;
          statement.report({
            message: `DROP ${kind} ${quoteIdentifier(drop.name)} CASCADE on ${displayName(table)} also drops, without naming them, the views, indexes and constraints that depend on it: the running application loses objects nobody reviewed.`,
            help: [
              BACKUP_FIRST,
              '-- Drop the dependents explicitly, then drop without CASCADE (PostgreSQL refuses, naming them, if any remain):',
              ...(kind === 'COLUMN' ? [columnUnusedDirective(quoteIdentifier(drop.name))] : []),
              withoutCascade(statement),
            ].join('\n'),
          });
        }
      },
      DeleteStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || !deletesEveryRow(node.whereClause) || isOwnCreation(statement, statement.schema.table(table)?.origin) || undoesSeed(statement, table)) return;
        const name = displayName(table);
        const using = (node.usingClause ?? []).length > 0 ? ' (its USING join, without a condition, matches every row too)' : '';
        statement.report({
          node: node.relation,
          message: `DELETE FROM ${name} without a WHERE condition deletes every row${using}: a data loss as certain as TRUNCATE, and slower, holding a lock on each row until the transaction ends; no rollback script brings the rows back.`,
          help: [
            BACKUP_FIRST,
            '-- Say which rows go:',
            `DELETE FROM ${name} WHERE <condition>;`,
            '-- If emptying it is intended, say so where it happens:',
            '-- migrate-safe-ignore destructive-operation: <why the rows may go, and where the backup is>',
          ].join('\n'),
          lock: null,
        });
      },
      DropdbStmt(node, statement) {
        statement.report({
          message: `DROP DATABASE ${quoteIdentifier(node.dbname ?? '')} deletes every table and row of the database at once: nothing but a backup brings them back.`,
          help: [
            '-- A database is not dropped by a migration: DROP DATABASE cannot run in a transaction block, and every',
            '-- later migration depends on the database existing. Drop it by hand, after a backup:',
            BACKUP_FIRST,
          ].join('\n'),
          lock: null,
        });
      },
    };
  },
});

/** No WHERE, or one that is true for every row: `WHERE true`, `WHERE 1 = 1`. */
/** A rollback emptying a table its own migration filled (a seed): taking the rows out is what undoes it. */
function undoesSeed(statement: StatementContext, table: QualifiedName): boolean {
  return statement.file.part === 'down' && statement.schema.isOwnedByThisMigration(statement.schema.table(table)?.seededBy);
}

function deletesEveryRow(where: Node | undefined): boolean {
  if (where === undefined) return true;
  if (nodeOf(where, 'A_Const')?.boolval?.boolval === true) return true;
  const cast = nodeOf(where, 'TypeCast');
  if (cast) return deletesEveryRow(cast.arg) || /^'(t|true|on|yes|1)'$/i.test(constantText(nodeOf(cast.arg, 'A_Const')) ?? '');
  const comparison = nodeOf(where, 'A_Expr');
  if (comparison?.kind !== 'AEXPR_OP' || stringsOf(comparison.name).at(-1) !== '=') return false;
  const left = constantText(nodeOf(comparison.lexpr, 'A_Const'));
  return left !== undefined && left === constantText(nodeOf(comparison.rexpr, 'A_Const'));
}

/** Created earlier in this file, or (in a rollback) by the migration being rolled back: removing it loses nothing older. */
const RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);
const ROUTINES = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE']);

/** Where the schema state says a dropped object came from; undefined for objects it does not follow. */
function originOf(statement: StatementContext, removeType: DropStmt['removeType'], object: Node): ObjectOrigin | undefined {
  const { schema } = statement;
  const parts = listParts(object);
  const name = nameOfParts(parts);
  if (RELATIONS.has(removeType ?? '')) return schema.table(name)?.origin;
  if (removeType === 'OBJECT_INDEX') return name && schema.index(name)?.origin;
  if (removeType === 'OBJECT_SCHEMA') return name && schema.namespace(name.name)?.origin;
  if (ROUTINES.has(removeType ?? '')) {
    const routine = nameOfList(nodeOf(object, 'ObjectWithArgs')?.objname);
    return routine && schema.function(routine)?.origin;
  }
  if (removeType === 'OBJECT_TYPE' || removeType === 'OBJECT_DOMAIN') {
    const type = nameOfList(nodeOf(object, 'TypeName')?.names);
    return type && schema.type(type)?.origin;
  }
  if (removeType === 'OBJECT_TRIGGER' || removeType === 'OBJECT_POLICY') {
    const objectName = parts.pop();
    const table = nameOfParts(parts);
    if (!table || objectName === undefined) return undefined;
    return (removeType === 'OBJECT_TRIGGER' ? schema.trigger(table, objectName) : schema.policy(table, objectName))?.origin;
  }
  return undefined;
}

function objectName(removeType: DropStmt['removeType'], object: Node): string {
  const routine = nodeOf(object, 'ObjectWithArgs');
  if (routine) {
    const name = nameOfList(routine.objname);
    const argumentTypes = (routine.objargs ?? []).map((argument) => formatTypeName(nodeOf(argument, 'TypeName')) ?? '?');
    return `${name ? displayName(name) : '?'}(${argumentTypes.join(', ')})`;
  }
  const type = nodeOf(object, 'TypeName');
  if (type) return formatTypeName(type) ?? '?';
  const parts = listParts(object);
  if (removeType === 'OBJECT_TRIGGER' || removeType === 'OBJECT_POLICY') {
    const objectName = parts.pop() ?? '?';
    return `${quoteIdentifier(objectName)} ON ${parts.map(quoteIdentifier).join('.')}`;
  }
  return parts.map(quoteIdentifier).join('.');
}

/** What CASCADE takes along, by kind of object. */
function dependentsOf(removeType: string): string {
  if (removeType === 'OBJECT_SCHEMA') return 'every table, view, function and type in the schema, with their rows, and whatever elsewhere depends on them';
  if (removeType === 'OBJECT_TYPE' || removeType === 'OBJECT_DOMAIN') return 'every column of that type in other tables, with its data, and the functions using it';
  if (ROUTINES.has(removeType)) return 'the triggers, views, column defaults, constraints and policies that call it';
  if (removeType === 'OBJECT_EXTENSION') return 'every object that uses what the extension provides, columns of its types included, with their data';
  return 'whatever depends on it: views, foreign keys of other tables, policies, triggers';
}

function kindOf(node: DropStmt): string {
  return (node.removeType ?? 'OBJECT').replace(/^OBJECT_/, '').replace('MATVIEW', 'MATERIALIZED VIEW').replaceAll('_', ' ');
}

function withoutCascade(statement: StatementContext): string {
  return `${statement.statement.text.replace(/\s+CASCADE\b/gi, '')};`;
}

function cascadeHelp(statement: StatementContext, node: DropStmt, object: Node, suffix: string): string {
  const explicit = '-- Drop each dependent explicitly (DROP VIEW ...; ALTER TABLE ... DROP CONSTRAINT ...;), then drop without CASCADE: PostgreSQL refuses, naming them, if any remain.';
  const dependents = dependentsQuery(node, object);
  const before = [BACKUP_FIRST, ...(dependents ? [`-- What depends on it: ${dependents}`] : []), explicit];
  if (node.removeType === 'OBJECT_TABLE') {
    const table = nameOfParts(listParts(object));
    if (table) return deprecateThenDrop(table, suffix, before);
  }
  const deprecation = deprecationOf(node, object, suffix);
  if (deprecation) return deprecateThenDropObject(deprecation.rename, [...before, deprecation.drop].join('\n'), deprecation.what);
  // A plain DROP INDEX locks the table against reads and writes (require-concurrent-index-drop).
  if (node.removeType === 'OBJECT_INDEX') return [...before, migrationOfItsOwn(statement, `DROP INDEX CONCURRENTLY IF EXISTS ${objectName(node.removeType, object)};`)].join('\n');
  return [...before, withoutCascade(statement)].join('\n');
}

/** Views and functions go the deprecate-then-drop way too (drop-object-without-deprecation): renamed now, dropped later. */
function deprecationOf(node: DropStmt, object: Node, suffix: string): { rename: string; drop: string; what: string } | undefined {
  const keyword = kindOf(node);
  const routine = nodeOf(object, 'ObjectWithArgs');
  const name = routine ? nameOfList(routine.objname) : RELATIONS.has(node.removeType ?? '') ? nameOfParts(listParts(object)) : undefined;
  if (!name || !(node.removeType === 'OBJECT_VIEW' || node.removeType === 'OBJECT_MATVIEW' || ROUTINES.has(node.removeType ?? ''))) return undefined;
  const args = routine ? `(${(routine.objargs ?? []).map((argument) => formatTypeName(nodeOf(argument, 'TypeName')) ?? '<type>').join(', ')})` : '';
  const base = name.name.endsWith(suffix) ? name.name.slice(0, -suffix.length) : name.name;
  const deprecated = displayName({ schema: name.schema, name: `${base}${suffix}` });
  return {
    rename: `ALTER ${keyword} ${displayName({ schema: name.schema, name: base })}${args} RENAME TO ${quoteIdentifier(`${base}${suffix}`)};`,
    drop: `DROP ${keyword} IF EXISTS ${deprecated}${args};`,
    what: `the ${keyword.toLowerCase()}`,
  };
}

/** A query listing what CASCADE would drop with the object, for the kinds that have a registry type. */
function dependentsQuery(node: DropStmt, object: Node): string | undefined {
  const registry = registryType(node.removeType ?? '');
  if (!registry) return undefined;
  const name = objectName(node.removeType, object).replaceAll("'", "''");
  return `SELECT DISTINCT pg_describe_object(classid, objid, objsubid) FROM pg_depend WHERE refobjid = '${name}'::${registry} AND deptype = 'n';`;
}

function registryType(removeType: string): string | undefined {
  if (RELATIONS.has(removeType) || removeType === 'OBJECT_INDEX') return 'regclass';
  if (ROUTINES.has(removeType)) return 'regprocedure';
  if (removeType === 'OBJECT_TYPE' || removeType === 'OBJECT_DOMAIN') return 'regtype';
  return removeType === 'OBJECT_SCHEMA' ? 'regnamespace' : undefined;
}
