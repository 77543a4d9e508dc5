import {
  type Node,
  type ObjectOrigin,
  type QualifiedName,
  type ReportDescriptor,
  type StatementContext,
  defineRule,
  displayName,
  nameOfList,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
} from '../src/api.js';
import { ReportsUntilCommit } from './support/deferred.js';
import { batchedUpdate, keyColumn, migrationStep } from './support/help.js';

export default defineRule({
  id: 'rename-object',
  meta: {
    description: 'Renaming a schema, a function, a type or an enum value breaks the application version that is still running.',
    severity: 'error',
    preset: 'recommended',
    category: 'breaking-change',
    hazard: [
      'A rename is instant, but from the moment it commits every query of the running application that uses the',
      'old name fails, until the last instance runs the new version (deploys are never atomic). Besides tables',
      'and columns (`rename-table`, `rename-column`), that holds for:',
      '',
      '- `ALTER SCHEMA ... RENAME`: every schema-qualified name (`billing.invoices`) and every `search_path`',
      '  naming it; in Supabase, the API also stops serving it until its exposed schemas are changed.',
      '- `ALTER FUNCTION | PROCEDURE ... RENAME`: every call the application makes (RPC endpoints in Supabase).',
      '  Triggers, defaults and policies refer to the function itself and keep working.',
      '- `ALTER TYPE | DOMAIN ... RENAME`: every cast and parameter naming the type (`$1::mood`, as ORMs send enums).',
      '- `ALTER TYPE ... RENAME VALUE`: every query writing or comparing the old label fails with',
      '  "invalid input value for enum", and rows read back carry a label the old code does not know.',
      '',
      'Keep the old name working while both versions run: a function under both names, a new enum label next to',
      'the old one (PostgreSQL cannot drop a label), a `search_path` that names both schemas. Not reported: an',
      'object created earlier in the same migration, a rename to the deprecation name (`deprecatedSuffix`), a',
      'trigger function, renames in a rollback (which puts back the names the previous version uses), and an',
      'object renamed aside while the same transaction creates a new one under its old name or renames one to it',
      '(how schema diff tools and Prisma change an enum: the old name keeps working).',
    ].join('\n'),
    bad: "ALTER TYPE agent_status RENAME VALUE 'inactive' TO 'disabled';",
    good: [
      '-- Migration 1: the new label, next to the old one (its own transaction before PostgreSQL 12)',
      "ALTER TYPE agent_status ADD VALUE IF NOT EXISTS 'disabled';",
      '-- Deploy the application reading both labels and writing the new one; then:',
      '-- Migration 2: move the rows in batches',
      "UPDATE agents SET status = 'disabled'",
      "WHERE id IN (SELECT id FROM agents WHERE status = 'inactive' LIMIT 10000);",
    ].join('\n'),
  },
  create(context) {
    const suffix = context.deprecatedSuffix;
    // A rename waits for the end of its transaction: a new object may take the old name before anyone sees it gone.
    const renames = new ReportsUntilCommit<{ readonly kind: RenamedKind; readonly key: string }>();
    return {
      Statement(node, statement) {
        renames.next(statement);
        const created = createdName(node) ?? renamedTo(node);
        if (created) renames.withdraw((rename) => rename.kind === created.kind && rename.key === statement.schema.key(created.name));
      },
      'File:exit': renames.flush,
      RenameStmt(node, statement) {
        if (statement.file.part === 'down' || node.newname === undefined || node.newname.endsWith(suffix)) return;
        const kind = RENAMED_KINDS[node.renameType ?? ''];
        if (!kind) return;
        const name = kind === 'schema' ? (node.subname === undefined ? undefined : { schema: undefined, name: node.subname }) : nameOfObject(node.object);
        if (!name || statement.schema.isNew(originOf(statement, kind, name))) return;
        if (kind === 'function' && statement.schema.function(name)?.returnsTrigger === true) return;
        const report: ReportDescriptor = {
          message: `${kindWords(node.renameType)} ${displayName(name)} RENAME TO ${quoteIdentifier(node.newname)} breaks the running application: ${USES[kind]} fails from the moment the migration commits until the last instance runs the new version.`,
          help: HELPS[kind](name, node.newname),
          lock: null,
        };
        renames.hold(statement, report, { kind, key: statement.schema.key(name) });
      },
      AlterEnumStmt(node, statement) {
        const type = nameOfList(node.typeName);
        if (statement.file.part === 'down' || !type || node.oldVal === undefined || node.newVal === undefined) return;
        const origin = statement.schema.type(type)?.values.get(node.oldVal);
        if (statement.schema.isNew(origin) || statement.schema.isNew(statement.schema.type(type)?.origin)) return;
        statement.report({
          message: `RENAME VALUE '${node.oldVal}' TO '${node.newVal}' of ${displayName(type)} breaks the running application: its queries writing or comparing '${node.oldVal}' fail with "invalid input value for enum", and rows it reads back carry a label it does not know.`,
          help: enumValueHelp(statement, type, node.oldVal, node.newVal),
          lock: null,
        });
      },
    };
  },
});

type RenamedKind = 'schema' | 'function' | 'type';

/** The schema, function or type a statement creates. */
function createdName(node: Node): { kind: RenamedKind; name: QualifiedName } | undefined {
  const schema = nodeOf(node, 'CreateSchemaStmt')?.schemaname;
  if (schema !== undefined) return { kind: 'schema', name: { schema: undefined, name: schema } };
  const fn = nameOfList(nodeOf(node, 'CreateFunctionStmt')?.funcname);
  if (fn) return { kind: 'function', name: fn };
  const type =
    nameOfList(nodeOf(node, 'CreateEnumStmt')?.typeName) ??
    nameOfList(nodeOf(node, 'CreateDomainStmt')?.domainname) ??
    nameOfList(nodeOf(node, 'CreateRangeStmt')?.typeName) ??
    nameOfRangeVar(nodeOf(node, 'CompositeTypeStmt')?.typevar);
  return type ? { kind: 'type', name: type } : undefined;
}

/** The new name of a schema, function or type a statement renames: it may take a name renamed aside (`t_new RENAME TO t`). */
function renamedTo(node: Node): { kind: RenamedKind; name: QualifiedName } | undefined {
  const rename = nodeOf(node, 'RenameStmt');
  const kind = RENAMED_KINDS[rename?.renameType ?? ''];
  if (!rename || !kind || rename.newname === undefined) return undefined;
  const schema = kind === 'schema' ? undefined : nameOfObject(rename.object)?.schema;
  return { kind, name: { schema, name: rename.newname } };
}

const RENAMED_KINDS: Readonly<Record<string, RenamedKind>> = {
  OBJECT_SCHEMA: 'schema',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'function',
  OBJECT_ROUTINE: 'function',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'type',
};

const USES: Readonly<Record<RenamedKind, string>> = {
  schema: 'every query naming the schema, and every search_path that lists it,',
  function: 'every call of the old name',
  type: 'every cast and parameter naming the old type',
};

function kindWords(renameType: string | undefined): string {
  return `ALTER ${(renameType ?? '').replace(/^OBJECT_/, '')}`;
}

/** A function's name is in an ObjectWithArgs, a type's in a List. */
function nameOfObject(object: Node | undefined): QualifiedName | undefined {
  return nameOfList(nodeOf(object, 'ObjectWithArgs')?.objname ?? nodeOf(object, 'List')?.items);
}

function originOf(statement: StatementContext, kind: RenamedKind, name: QualifiedName): ObjectOrigin | undefined {
  if (kind === 'schema') return statement.schema.namespace(name.name)?.origin;
  return kind === 'function' ? statement.schema.function(name)?.origin : statement.schema.type(name)?.origin;
}

const HELPS: Readonly<Record<RenamedKind, (name: QualifiedName, newName: string) => string>> = {
  schema: (name, newName) =>
    [
      `-- A schema has no alias. Make both names work before the rename: deploy the application with unqualified names`,
      `-- and search_path = ${quoteIdentifier(newName)}, ${quoteIdentifier(name.name)} (PostgreSQL skips a schema that does not exist yet); then rename;`,
      `-- in Supabase, add ${quoteIdentifier(newName)} to the API's exposed schemas first. Once no running code names ${quoteIdentifier(name.name)}:`,
      `-- ALTER SCHEMA ${quoteIdentifier(name.name)} RENAME TO ${quoteIdentifier(newName)};`,
    ].join('\n'),
  function: (name, newName) => {
    const renamed = displayName({ schema: name.schema, name: newName });
    return [
      `-- Keep both names while both versions run: create ${renamed} with the same arguments and body (CREATE FUNCTION ${renamed}(...) ...),`,
      `-- deploy the application calling ${renamed}; then, once no running code calls ${displayName(name)}, drop it in a later migration:`,
      `-- DROP FUNCTION ${displayName(name)}(<argument types>);`,
    ].join('\n');
  },
  type: (name, newName) =>
    [
      `-- Deploy the application without casts to ${displayName(name)} first (let PostgreSQL infer the type from the column), then rename;`,
      `-- or keep the name: a type's name is rarely worth a breaking change.`,
      `-- ALTER TYPE ${displayName(name)} RENAME TO ${quoteIdentifier(newName)};`,
    ].join('\n'),
};

/** A new label next to the old one, and the rows moved to it in batches, for every column of the type the history shows. */
function enumValueHelp(statement: StatementContext, type: QualifiedName, oldValue: string, newValue: string): string {
  const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;
  const typeKey = statement.schema.key(type);
  const updates: string[] = [];
  for (const table of statement.schema.tables.values()) {
    if (table.kind === 'view' || table.kind === 'materialized-view') continue;
    for (const column of table.columns.values()) {
      const columnType = nameOfList(column.type?.names);
      if (!columnType || statement.schema.key(columnType) !== typeKey) continue;
      const name = quoteIdentifier(column.name);
      updates.push(batchedUpdate(table.name, keyColumn(statement, table.name), `${name} = ${literal(newValue)}`, `${name} = ${literal(oldValue)}`));
    }
  }
  return [
    migrationStep(1, 'add the new label next to the old one (in a transaction of its own before PostgreSQL 12)', `ALTER TYPE ${displayName(type)} ADD VALUE IF NOT EXISTS ${literal(newValue)};`),
    `-- Deploy the application reading both labels and writing ${literal(newValue)}; then:`,
    migrationStep(2, `move the rows${updates.length === 0 ? ' of every column of the type' : ''} to the new label`, updates.length > 0 ? updates.join('\n') : `-- UPDATE <table> SET <column> = ${literal(newValue)} WHERE <column> = ${literal(oldValue)}; (in batches)`),
    `-- PostgreSQL cannot drop an enum label: ${literal(oldValue)} stays in the type, unused.`,
  ].join('\n');
}
