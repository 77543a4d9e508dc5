import { defineRule, displayName, nameOfList, nodeOf } from '../src/api.js';
import { functionOption, hasSqlBody, setsSearchPath } from './support/functions.js';
import { type TextEdit, applyEdits } from './support/rewrite.js';

export default defineRule({
  id: 'security-definer-search-path',
  meta: {
    description: 'A SECURITY DEFINER function without SET search_path can be made to run a caller\'s code with its owner\'s rights.',
    severity: 'warn',
    preset: 'recommended',
    category: 'security',
    hazard: [
      'A `SECURITY DEFINER` function runs with its owner\'s privileges (in Supabase migrations: `postgres`),',
      'but resolves the unqualified names in its body (tables, functions, operators) with the *caller\'s*',
      '`search_path`. A caller who can create objects in any schema on that path, or a temporary table',
      '(`pg_temp` is searched first), can shadow a name the function uses and have their own code run with',
      'the owner\'s rights.',
      '',
      'Pin the path in the function: `SET search_path = \'\'` and schema-qualified names in the body',
      '(`public.agents`, `auth.uid()`), or a fixed list of trusted schemas with `pg_temp` last',
      '(`SET search_path = public, pg_temp`). An `ALTER FUNCTION ... SET search_path` later in the same',
      'migration counts too.',
    ].join('\n'),
    bad: [
      'CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER',
      "AS $$ SELECT EXISTS (SELECT 1 FROM admins WHERE user_id = auth.uid()) $$;",
    ].join('\n'),
    good: [
      "CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = ''",
      "AS $$ SELECT EXISTS (SELECT 1 FROM public.admins WHERE user_id = auth.uid()) $$;",
    ].join('\n'),
  },
  create() {
    const unpinned = new Map<string, () => void>();
    return {
      CreateFunctionStmt(node, statement) {
        const name = nameOfList(node.funcname);
        const security = functionOption(node.options, 'security');
        if (!name || nodeOf(security?.arg, 'Boolean')?.boolval !== true || setsSearchPath(node.options) || !hasSqlBody(node.options)) return;
        const kind = node.is_procedure ? 'procedure' : 'function';
        const offset = statement.textOffset(security?.location);
        const keyword = /^SECURITY\s+DEFINER/i.exec(statement.statement.text.slice(offset));
        const pin: TextEdit | undefined = keyword ? { start: offset + keyword[0].length, end: offset + keyword[0].length, text: ' SET search_path = public, pg_temp' } : undefined;
        unpinned.set(statement.schema.key(name), () => {
          statement.report({
            node: security,
            message: `SECURITY DEFINER ${kind} ${displayName(name)} has no SET search_path: it runs with its owner's rights but looks up unqualified names on the caller's search_path, so a caller who can create a table, function or operator earlier on that path (a temporary table is enough) runs their code with those rights.`,
            help: help(statement.statement.text, pin),
          });
        });
      },
      AlterFunctionStmt(node, statement) {
        const name = nameOfList(node.func?.objname);
        if (name && setsSearchPath(node.actions)) unpinned.delete(statement.schema.key(name));
      },
      'File:exit'() {
        for (const report of unpinned.values()) report();
      },
    };
  },
});

/**
 * The path pinned to public and pg_temp (last), where the body's unqualified names resolve as they did:
 * `SET search_path = ''` alone would make PostgreSQL refuse a SQL body that names `admins` unqualified.
 */
function help(text: string, pin: TextEdit | undefined): string {
  return [
    '-- Pin the search path to the schema the body\'s names are in, pg_temp last (no caller can put an object ahead of them):',
    pin ? applyEdits(text, [pin]) : "-- add SET search_path = public, pg_temp to the function's options (before AS).",
    "-- Or SET search_path = '' with every name the body uses schema-qualified (public.agents, auth.uid()).",
  ].join('\n');
}
