import { type QualifiedName, type StatementContext, type TableState, defineRule, displayName, nameOfRangeVar, nodeOf, quoteIdentifier, stringsOf } from '../src/api.js';
import { apiRolesOption, namesApiRole } from './support/exposure.js';
import { schemaOfKey } from './support/functions.js';

export default defineRule({
  id: 'grant-without-rls',
  meta: {
    description: 'GRANT of table privileges to the API roles (anon, authenticated) on a table without row level security.',
    severity: 'error',
    preset: 'recommended',
    category: 'security',
    hazard: [
      'With Supabase (PostgREST), whoever holds the project\'s public anon key makes requests as `anon`, and every',
      'signed-in user as `authenticated`. A table privilege granted to them is what the API lets them do, and on a',
      'table without row level security it applies to every row: `GRANT SELECT ... TO anon` publishes the whole',
      'table, `GRANT UPDATE ... TO authenticated` lets any user change anyone\'s rows. `TO PUBLIC` reaches them too.',
      '',
      'Enable row level security on the table in the same migration (before or after the grant), and let',
      'policies decide which rows each role sees. Reported: `GRANT` of any table privilege, on a table or `ON ALL',
      'TABLES IN SCHEMA`, to a role of the `roles` option (`anon` and `authenticated` by default) or `PUBLIC`, when',
      'the history shows the table without row level security at the end of the migration. Grants on tables whose',
      'row level security the history does not show (created before the migrations that were read) are not',
      'judged, nor tables created in this migration in an exposed schema (`rls-disabled` reports them).',
    ].join('\n'),
    bad: ['CREATE TABLE private.salaries (user_id uuid PRIMARY KEY, amount numeric NOT NULL);', 'GRANT SELECT ON private.salaries TO authenticated;'].join('\n'),
    good: [
      'CREATE TABLE private.salaries (user_id uuid PRIMARY KEY, amount numeric NOT NULL);',
      'ALTER TABLE private.salaries ENABLE ROW LEVEL SECURITY;',
      // auth.uid() is a uuid: compared with a bigint column the policy is refused (no operator uuid = bigint).
      'CREATE POLICY salaries_select_own ON private.salaries FOR SELECT TO authenticated USING ((select auth.uid()) = user_id);',
      'GRANT SELECT ON private.salaries TO authenticated;',
    ].join('\n'),
    options: apiRolesOption,
  },
  create(context) {
    const grants: { readonly tables: readonly QualifiedName[]; readonly report: (open: readonly TableState[]) => void }[] = [];
    return {
      GrantStmt(node, statement) {
        if (!node.is_grant || node.objtype !== 'OBJECT_TABLE' || !namesApiRole(node.grantees, context.options.roles)) return;
        const tables = node.targtype === 'ACL_TARGET_ALL_IN_SCHEMA' ? tablesInSchemas(statement, stringsOf(node.objects)) : (node.objects ?? []).flatMap((object) => nameOfRangeVar(nodeOf(object, 'RangeVar')) ?? []);
        const judged = tables.filter((table) => isJudged(statement, table, context.exposedSchemas));
        if (judged.length === 0) return;
        grants.push({
          tables: judged,
          report: (open) => {
            const names = open.map((table) => displayName(table.name)).join(', ');
            statement.report({
              message: `GRANT to ${grantees(node.grantees)} on ${names}, which ${open.length === 1 ? 'has' : 'have'} no row level security: every API client of those roles may use every row (with Supabase, SELECT to anon publishes the table to anyone holding the public anon key).`,
              help: [
                `-- Enable row level security in this migration, and let policies decide which rows each role may use:`,
                ...open.map((table) => `ALTER TABLE ${displayName(table.name)} ENABLE ROW LEVEL SECURITY;`),
                `-- CREATE POLICY <name> ON <table> FOR SELECT TO <role> USING (<which rows>);`,
                `${statement.statement.text};`,
              ].join('\n'),
              lock: null,
            });
          },
        });
      },
      'File:exit'() {
        // Row level security enabled anywhere in this migration, before the grant or after it, counts.
        for (const grant of grants) {
          const open = grant.tables.flatMap((table) => {
            const state = context.schema.table(table);
            return state && !state.rowLevelSecurity ? [state] : [];
          });
          if (open.length > 0) grant.report(open);
        }
      },
    };
  },
});

/** The tables of the history in the named schemas (GRANT ... ON ALL TABLES IN SCHEMA); only such a grant walks the tables. */
function tablesInSchemas(statement: StatementContext, schemas: readonly string[]): QualifiedName[] {
  return [...statement.schema.tables.values()].filter((table) => schemas.includes(schemaOfKey(table.key))).map((table) => table.name);
}

/** A table whose row level security the history knows: created in a migration that was read, and not left to rls-disabled. */
function isJudged(statement: StatementContext, name: QualifiedName, exposedSchemas: readonly string[]): boolean {
  const table = statement.schema.table(name);
  if (!table || table.origin === undefined || (table.kind !== 'table' && table.kind !== 'partitioned-table') || table.temporary) return false;
  return !(statement.schema.isNew(table.origin) && exposedSchemas.includes(schemaOfKey(table.key)));
}

function grantees(nodes: Parameters<typeof namesApiRole>[0]): string {
  return (nodes ?? [])
    .map((node) => {
      const role = nodeOf(node, 'RoleSpec');
      return role?.roletype === 'ROLESPEC_PUBLIC' ? 'PUBLIC' : quoteIdentifier(role?.rolename ?? '?');
    })
    .join(', ');
}
