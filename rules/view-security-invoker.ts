import { type DefElem, type Node, type QualifiedName, type StatementContext, defineRule, displayName, nameOfRangeVar, nodeOf, quoteIdentifier } from '../src/api.js';
import { schemaOfKey } from './support/functions.js';
import { apiRolesOption, revokesFromAllApiRoles } from './support/exposure.js';

const TRUE = /^(true|on|yes|1)$/i;

export default defineRule({
  id: 'view-security-invoker',
  meta: {
    description: 'A view in an API-exposed schema without security_invoker = true reads its tables with its owner\'s rights, past their row level security.',
    severity: 'error',
    preset: 'recommended',
    category: 'security',
    hazard: [
      'A view reads its tables with the rights of the view\'s owner, not of the user querying it. In Supabase the owner',
      'is `postgres`, which bypasses row level security: a view over a table protected by policies hands every row',
      'to whoever may read the view, and views in the exposed schemas are readable by `anon` and `authenticated` by',
      'default. Supabase\'s database linter reports these views (`security_definer_view`, level ERROR).',
      '',
      'From PostgreSQL 15, create the view `WITH (security_invoker = true)`: it then reads the tables with the',
      'querying user\'s rights, and their policies apply. `CREATE OR REPLACE VIEW` without the option turns it off',
      'again (the options are replaced), and so do `ALTER VIEW ... SET (security_invoker = false)` and `RESET`.',
      'Before 15 there is no such option: keep the view out of the exposed schemas, or revoke the API roles\' access',
      '(`REVOKE ALL ON <view> FROM anon, authenticated`) and serve the rows through a table or a function that',
      'checks them.',
      '',
      'Reported for views created in a schema the API exposes (the `exposedSchemas` setting, else `[api] schemas`',
      'of `supabase/config.toml`; `public` for the Supabase layout), unless the same migration sets the option',
      'later or revokes the view from every API role (the `roles` option). Materialized views have no such option:',
      'keep them out of the exposed schemas.',
    ].join('\n'),
    bad: ['-- supabase/migrations/20240101000000_team_members.sql (the API serves public)', 'CREATE VIEW public.team_members AS SELECT id, name, team_id FROM public.agents;'].join('\n'),
    good: 'CREATE VIEW public.team_members WITH (security_invoker = true) AS SELECT id, name, team_id FROM public.agents;',
    versions: '`security_invoker` exists from PostgreSQL 15; before, every view runs with its owner\'s rights, and only keeping it from the API roles helps.',
    options: apiRolesOption,
  },
  create(context) {
    const roles = context.options.roles;
    /** Views of this file that run with their owner's rights, by key, with their report. */
    const definers = new Map<string, () => void>();
    const exposed = (statement: StatementContext, view: QualifiedName): string | undefined => {
      const key = statement.schema.key(view);
      return context.exposedSchemas.includes(schemaOfKey(key)) ? key : undefined;
    };
    return {
      ViewStmt(node, statement) {
        const view = nameOfRangeVar(node.view);
        const key = view && node.view?.relpersistence !== 't' ? exposed(statement, view) : undefined;
        if (!view || key === undefined) return;
        if (invokerSetting(node.options) === true) {
          definers.delete(key);
          return;
        }
        definers.set(key, () => {
          statement.report({
            message: `${node.replace ? 'CREATE OR REPLACE VIEW' : 'CREATE VIEW'} ${displayName(view)} in schema ${quoteIdentifier(schemaOfKey(key))}, which the API exposes, without security_invoker = true${node.replace ? ' (OR REPLACE resets the view\'s options)' : ''}: it reads its tables with its owner's rights, past their row level security, so every API client that may read the view sees every row.`,
            help: help(view, context.pgVersion, roles, `${statement.statement.text};`),
            lock: null,
          });
        });
      },
      AlterTableStmt(node, statement) {
        const view = nameOfRangeVar(node.relation);
        const key = view && node.objtype === 'OBJECT_VIEW' ? exposed(statement, view) : undefined;
        if (!view || key === undefined) return;
        for (const command of node.cmds ?? []) {
          const alter = nodeOf(command, 'AlterTableCmd');
          const options = nodeOf(alter?.def, 'List')?.items;
          const setting = alter?.subtype === 'AT_ResetRelOptions' ? (mentionsInvoker(options) ? false : undefined) : alter?.subtype === 'AT_SetRelOptions' ? invokerSetting(options) : undefined;
          if (setting === true) definers.delete(key);
          if (setting !== false) continue;
          definers.set(key, () => {
            statement.report({
              message: `${alter?.subtype === 'AT_ResetRelOptions' ? 'RESET (security_invoker)' : 'SET (security_invoker = false)'} on ${displayName(view)}, in a schema the API exposes: the view reads its tables with its owner's rights again, past their row level security.`,
              help: help(view, context.pgVersion, roles),
              lock: null,
            });
          });
        }
      },
      GrantStmt(node, statement) {
        if (node.is_grant || node.targtype !== 'ACL_TARGET_OBJECT' || !revokesFromAllApiRoles(node.grantees, roles)) return;
        for (const object of node.objects ?? []) {
          const view = nameOfRangeVar(nodeOf(object, 'RangeVar'));
          if (view) definers.delete(statement.schema.key(view));
        }
      },
      'File:exit'() {
        for (const report of definers.values()) report();
      },
    };
  },
});

/** The view's security_invoker option: true, false, or undefined when not given. */
function invokerSetting(options: readonly Node[] | undefined): boolean | undefined {
  const option = invokerOption(options);
  if (!option) return undefined;
  const value = nodeOf(option.arg, 'String')?.sval ?? nodeOf(option.arg, 'Boolean')?.boolval?.toString() ?? 'true';
  return TRUE.test(value);
}

function mentionsInvoker(options: readonly Node[] | undefined): boolean {
  return invokerOption(options) !== undefined;
}

function invokerOption(options: readonly Node[] | undefined): DefElem | undefined {
  return (options ?? []).map((option) => nodeOf(option, 'DefElem')).find((option) => option?.defname === 'security_invoker');
}

/** The view made to read with its user's rights (after `creation`, the statement that created it), or kept from the API roles before 15. */
function help(view: QualifiedName, pgVersion: number, roles: readonly string[], creation?: string): string {
  const name = displayName(view);
  if (pgVersion >= 15) {
    return [`-- Read the tables with the querying user's rights, so their row level security applies:`, ...(creation ? [creation] : []), `ALTER VIEW ${name} SET (security_invoker = true);`].join('\n');
  }
  return [
    `-- Before PostgreSQL 15 a view always reads with its owner's rights. Keep it from the API roles (or move it to a schema the API does not expose),`,
    `-- and serve its rows through a table or a function that checks them:`,
    ...(creation ? [creation] : []),
    `REVOKE ALL ON ${name} FROM ${roles.map(quoteIdentifier).join(', ')};`,
  ].join('\n');
}
