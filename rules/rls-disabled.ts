import { type QualifiedName, type RangeVar, type StatementContext, defineRule, displayName, nameOfRangeVar, nodeOf, quoteIdentifier } from '../src/api.js';

export default defineRule({
  id: 'rls-disabled',
  meta: {
    description: 'Row level security turned off, or a table created in an API-exposed schema without it.',
    severity: 'error',
    preset: 'recommended',
    category: 'security',
    hazard: [
      'Supabase (PostgREST) serves every table of the exposed schemas (`[api] schemas` of',
      '`supabase/config.toml`, `public` by default) to anyone holding the project\'s public anon key, and new',
      'tables there are granted to `anon` and `authenticated`. Row level security is what limits those',
      'requests to the rows their policies allow: a table without it can be read and changed in full by',
      'anyone, from the moment the migration commits. `DISABLE ROW LEVEL SECURITY` switches every policy of',
      'the table off at once.',
      '',
      'Enable row level security in the same migration that creates the table, then grant access with',
      'policies. Reported: `DISABLE ROW LEVEL SECURITY`, and `CREATE TABLE` in an exposed schema (the',
      '`exposedSchemas` setting, else `[api] schemas`; `public` for the Supabase layout) with no',
      '`ENABLE ROW LEVEL SECURITY` in the same migration. Not reported: a rollback disabling what its own',
      'migration enabled, and temporary tables.',
    ].join('\n'),
    bad: [
      'ALTER TABLE agents DISABLE ROW LEVEL SECURITY;',
      '-- In a schema the API exposes (Supabase: public), a new table without RLS:',
      'CREATE TABLE profiles (id uuid PRIMARY KEY, user_id uuid NOT NULL, bio text);',
    ].join('\n'),
    good: [
      'CREATE TABLE profiles (id uuid PRIMARY KEY, user_id uuid NOT NULL, bio text);',
      'ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY profiles_select_own ON profiles FOR SELECT TO authenticated USING ((select auth.uid()) = user_id);',
    ].join('\n'),
  },
  create(context) {
    const exposed = context.exposedSchemas;
    /** Tables this file creates in an exposed schema, by key (renames followed). */
    const created = new Map<string, { readonly name: QualifiedName; readonly report: () => void }>();
    const secured = new Set<string>();
    const track = (relation: RangeVar | undefined, ifNotExists: boolean | undefined, statement: StatementContext): void => {
      const name = nameOfRangeVar(relation);
      if (!name || relation?.relpersistence === 't' || (ifNotExists && statement.schema.table(name))) return;
      const key = statement.schema.key(name);
      const schema = key.slice(0, key.indexOf('.'));
      if (!exposed.includes(schema)) return;
      created.set(key, {
        name,
        report: () => {
          statement.report({
            message: `CREATE TABLE ${displayName(name)} in schema ${quoteIdentifier(schema)}, which the API exposes, without ENABLE ROW LEVEL SECURITY in the same migration: from the moment it commits, every client of the API (with Supabase, anyone holding the public anon key) can read and change every row.`,
            help: enableHelp(statement, name),
            lock: null,
          });
        },
      });
    };
    return {
      CreateStmt(node, statement) {
        track(node.relation, node.if_not_exists, statement);
      },
      CreateTableAsStmt(node, statement) {
        if (node.objtype === 'OBJECT_TABLE') track(node.into?.rel, node.if_not_exists, statement);
      },
      RenameStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        const entry = table && created.get(statement.schema.key(table));
        if (node.renameType !== 'OBJECT_TABLE' || !table || !entry || node.newname === undefined) return;
        created.delete(statement.schema.key(table));
        created.set(statement.schema.key({ schema: table.schema, name: node.newname }), entry);
      },
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table) return;
        const key = statement.schema.key(table);
        for (const command of node.cmds ?? []) {
          const subtype = nodeOf(command, 'AlterTableCmd')?.subtype;
          if (subtype === 'AT_EnableRowSecurity') secured.add(key);
          if (subtype !== 'AT_DisableRowSecurity') continue;
          secured.delete(key);
          const enabledIn = statement.schema.table(table)?.rowLevelSecurityEnabledIn;
          if (statement.file.part === 'down' && statement.schema.isOwnedByThisMigration(enabledIn)) continue;
          const schema = key.slice(0, key.indexOf('.'));
          const audience = exposed.includes(schema)
            ? `every client of the API (with Supabase, anyone holding the public anon key), since ${quoteIdentifier(schema)} is exposed`
            : 'every role with privileges on it';
          statement.report({
            message: `DISABLE ROW LEVEL SECURITY on ${displayName(table)} switches off all its policies at once: ${audience} can read and change every row.`,
            help: disableHelp(table),
          });
        }
      },
      'File:exit'() {
        for (const [key, table] of created) if (!secured.has(key)) table.report();
      },
    };
  },
});

function policyName(table: QualifiedName, purpose: string): string {
  return quoteIdentifier(`${table.name}_${purpose}`);
}

function enableHelp(statement: StatementContext, table: QualifiedName): string {
  const name = displayName(table);
  return [
    '-- In the same migration as the CREATE TABLE:',
    `${statement.statement.text};`,
    `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`,
    '-- Then allow what the API may do, one policy per role and command (without any, only the owner and service roles see rows):',
    `CREATE POLICY ${policyName(table, 'select_own')} ON ${name} FOR SELECT TO authenticated USING (<condition, such as (select auth.uid()) = user_id>);`,
  ].join('\n');
}

function disableHelp(table: QualifiedName): string {
  const name = displayName(table);
  return [
    '-- Keep row level security on and change what the policies allow instead; for rows everyone may read:',
    `CREATE POLICY ${policyName(table, 'select_all')} ON ${name} FOR SELECT USING (true);`,
    '-- Server-side jobs that must see every row use a role with BYPASSRLS (Supabase: service_role), not a disabled table.',
  ].join('\n');
}
