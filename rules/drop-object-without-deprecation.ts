import {
  type DropStmt,
  type Node,
  type ObjectOrigin,
  type QualifiedName,
  type StatementContext,
  defineRule,
  displayName,
  formatTypeName,
  nameOfList,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
} from '../src/api.js';
import { deprecateThenDropObject } from './support/help.js';
import { isOwnCreation, listParts, nameOfParts } from './support/objects.js';

export default defineRule({
  id: 'drop-object-without-deprecation',
  meta: {
    description: 'DROP VIEW, MATERIALIZED VIEW, FUNCTION or PROCEDURE of an object the running application may still use, and DROP SCHEMA of a schema that still holds tables.',
    severity: 'warn',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'Dropping a view or a function is instant, and from the moment it commits every query of the running',
      'application that reads the view or calls the function fails, until the last instance runs a version',
      'that no longer uses it. Nothing but the migration that created it brings it back.',
      '',
      'Deprecate it first, as for tables (`drop-table-without-deprecation`): rename it to',
      'its deprecation name now (`<name>_deprecated`, the `deprecatedSuffix` setting; code still using it fails',
      'loudly, and a rollback is a rename), and drop it in a later migration. `DROP SCHEMA` without `CASCADE`',
      'fails while the schema holds anything; it is reported when the history shows tables in it.',
      '',
      'A warning, not an error: whether the application still uses the object is known to you, not to a linter.',
      'Not reported: an object created earlier in the same migration, a deprecated one, a trigger function (the',
      'application does not call it), a rollback dropping what its own migration created, and a view or',
      'function dropped and created again later in the same migration (the way to change its columns or arguments; in',
      'one transaction, no query sees it missing), and a view whose name a table or view created or renamed later in',
      'the same migration takes over.',
    ].join('\n'),
    bad: 'DROP VIEW active_agents;',
    good: [
      '-- Migration 1: rename (code still using it fails loudly; a rollback renames it back)',
      'ALTER VIEW active_agents RENAME TO active_agents_deprecated;',
      '-- Migration 2, after a monitoring period:',
      'DROP VIEW IF EXISTS active_agents_deprecated;',
    ].join('\n'),
  },
  create(context) {
    const suffix = context.deprecatedSuffix;
    const drops: { readonly key: string; readonly order: number; readonly report: () => void }[] = [];
    const created: { readonly key: string; readonly order: number }[] = [];
    const recreate = (key: string, statement: StatementContext): void => {
      created.push({ key, order: statement.index });
    };
    return {
      DropStmt(node, statement) {
        const kind = KINDS[node.removeType ?? ''];
        if (!kind) return;
        for (const object of node.objects ?? []) {
          const dropped = droppedObject(statement, kind, object);
          if (!dropped || isHarmless(statement, kind, dropped, suffix)) continue;
          if (kind === 'schema') {
            reportNonEmptySchema(statement, node, dropped.name, suffix);
            continue;
          }
          drops.push({
            key: `${kind}:${statement.schema.key(dropped.name)}`,
            order: statement.index,
            report: () => {
              statement.report({
                message: `DROP ${kindWords(node)} ${dropped.shown}: ${USES[kind]} of the running application fail${kind === 'function' ? 's' : ''} from the moment the migration commits, until the last instance runs a version that no longer uses it.`,
                help: help(kind, node, dropped, suffix),
                lock: null,
              });
            },
          });
        }
      },
      ViewStmt(node, statement) {
        const view = nameOfRangeVar(node.view);
        if (view) recreate(`view:${statement.schema.key(view)}`, statement);
      },
      CreateTableAsStmt(node, statement) {
        const view = nameOfRangeVar(node.into?.rel);
        if (node.objtype === 'OBJECT_MATVIEW' && view) recreate(`view:${statement.schema.key(view)}`, statement);
      },
      CreateFunctionStmt(node, statement) {
        const name = nameOfList(node.funcname);
        if (name) recreate(`function:${statement.schema.key(name)}`, statement);
      },
      // A table or view given the dropped view's name: queries naming it read the new relation.
      CreateStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (table) recreate(`view:${statement.schema.key(table)}`, statement);
      },
      RenameStmt(node, statement) {
        const relation = nameOfRangeVar(node.relation);
        if (!relation || node.newname === undefined || !RELATION_RENAMES.has(node.renameType ?? '')) return;
        recreate(`view:${statement.schema.key({ schema: relation.schema, name: node.newname })}`, statement);
      },
      'File:exit'() {
        for (const drop of drops) {
          // Dropped and created again (in one transaction, the application sees the old object, then the new one; outside one, it misses it for an instant).
          const replaced = created.some((creation) => creation.key === drop.key && creation.order > drop.order);
          if (!replaced) drop.report();
        }
      },
    };
  },
});

type DroppedKind = 'view' | 'function' | 'schema';

const KINDS: Readonly<Record<string, DroppedKind>> = {
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'view',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'function',
  OBJECT_ROUTINE: 'function',
  OBJECT_SCHEMA: 'schema',
};

/** Renames whose new name is a relation's, the namespace views share with tables. */
const RELATION_RENAMES: ReadonlySet<string> = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

const USES: Readonly<Record<Exclude<DroppedKind, 'schema'>, string>> = {
  view: 'the queries',
  function: 'every call',
};

interface DroppedObject {
  readonly name: QualifiedName;
  /** As written, with the argument types of a function. */
  readonly shown: string;
  /** A function's argument types as written, when the statement gives them. */
  readonly argumentTypes: readonly string[] | undefined;
  readonly origin: ObjectOrigin | undefined;
}

function droppedObject(statement: StatementContext, kind: DroppedKind, object: Node): DroppedObject | undefined {
  if (kind === 'function') {
    const routine = nodeOf(object, 'ObjectWithArgs');
    const name = nameOfList(routine?.objname);
    if (!name) return undefined;
    const argumentTypes = routine?.args_unspecified ? undefined : (routine?.objargs ?? []).map((argument) => formatTypeName(nodeOf(argument, 'TypeName')) ?? '<type>');
    const shown = `${displayName(name)}${argumentTypes === undefined ? '' : `(${argumentTypes.join(', ')})`}`;
    return { name, shown, argumentTypes, origin: statement.schema.function(name)?.origin };
  }
  const name = nameOfParts(listParts(object));
  if (!name) return undefined;
  const origin = kind === 'schema' ? statement.schema.namespace(name.name)?.origin : statement.schema.table(name)?.origin;
  return { name, shown: displayName(name), argumentTypes: undefined, origin };
}

function isHarmless(statement: StatementContext, kind: DroppedKind, dropped: DroppedObject, suffix: string): boolean {
  if (isOwnCreation(statement, dropped.origin)) return true;
  if (kind === 'function' && statement.schema.function(dropped.name)?.returnsTrigger === true) return true;
  // The view that kept a renamed table's old name working: its drop is the last step of the rename.
  if (kind === 'view' && statement.schema.table(dropped.name)?.standsInFor !== undefined) return true;
  if (!dropped.name.name.endsWith(suffix)) return false;
  // A view renamed to its deprecation name by an earlier migration; a function or schema named so is taken at its word.
  const rename = kind === 'view' ? statement.schema.table(dropped.name)?.renamedFrom : undefined;
  return kind !== 'view' || rename === undefined || rename.origin.migration !== statement.file.migration.id;
}

function kindWords(node: DropStmt): string {
  return (node.removeType ?? '').replace(/^OBJECT_/, '').replace('MATVIEW', 'MATERIALIZED VIEW');
}

function help(kind: Exclude<DroppedKind, 'schema'>, node: DropStmt, dropped: DroppedObject, suffix: string): string {
  const words = kindWords(node);
  const base = dropped.name.name.endsWith(suffix) ? dropped.name.name.slice(0, -suffix.length) : dropped.name.name;
  const deprecated = { schema: dropped.name.schema, name: `${base}${suffix}` };
  const current = { schema: dropped.name.schema, name: base };
  const args = kind === 'function' ? `(${(dropped.argumentTypes ?? ['<argument types>']).join(', ')})` : '';
  return deprecateThenDropObject(
    `ALTER ${words} ${displayName(current)}${args} RENAME TO ${quoteIdentifier(deprecated.name)};`,
    `DROP ${words} IF EXISTS ${displayName(deprecated)}${args};`,
    `the ${words.toLowerCase()}`,
  );
}

/** DROP SCHEMA without CASCADE fails while anything is in the schema. */
function reportNonEmptySchema(statement: StatementContext, node: DropStmt, schema: QualifiedName, suffix: string): void {
  if (node.behavior === 'DROP_CASCADE') return;
  const prefix = `${schema.name}.`;
  const tables = [...statement.schema.tables.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
  if (tables.length === 0) return;
  const listed = tables.slice(0, 5).map(quoteIdentifier).join(', ') + (tables.length > 5 ? ` and ${tables.length - 5} more` : '');
  statement.report({
    message: `DROP SCHEMA ${quoteIdentifier(schema.name)} fails: the schema still holds ${listed}, and without CASCADE PostgreSQL refuses to drop a schema that is not empty.`,
    help: [
      `-- Drop or move what the schema holds first (a table by the deprecate-then-drop path: renamed to <name>${suffix} now,`,
      `-- dropped in a later migration), then drop the empty schema in the migration after that:`,
      `-- DROP SCHEMA ${quoteIdentifier(schema.name)};`,
    ].join('\n'),
    lock: null,
  });
}
