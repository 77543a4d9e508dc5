import { type StatementContext, defineRule, displayName, nameOfList, nodeOf } from '../src/api.js';
import { statementFix } from './support/fixes.js';
import { functionOption, hasSqlBody, schemaOfKey, setsSearchPath } from './support/functions.js';

export default defineRule({
  id: 'mutable-function-search-path',
  meta: {
    description: 'A function in an API-exposed schema without SET search_path: it resolves names on whatever search_path its caller has.',
    severity: 'warn',
    preset: 'strict',
    category: 'security',
    hazard: [
      'A function without its own `search_path` looks up every unqualified name in its body (tables, functions,',
      'operators, types) on the search_path of the session that calls it. Whoever can put an object earlier on',
      'that path, or change the path, decides what the function runs: a trigger function or a function used in a',
      'row level security policy then runs their code with the rights of whoever wrote the row or ran the query,',
      'and a function just behaves differently from one caller to the next. Supabase\'s database linter reports',
      'these functions (`function_search_path_mutable`); `SECURITY DEFINER` ones, where the risk is highest, are',
      '`security-definer-search-path`\'s.',
      '',
      'Pin the path in the function: `SET search_path = \'\'` and schema-qualified names in the body (`public.agents`,',
      '`auth.uid()`), or a fixed list of trusted schemas. An `ALTER FUNCTION ... SET search_path` later in the same',
      'migration counts too. Reported for functions and procedures created in a schema the API exposes (the',
      '`exposedSchemas` setting, else `[api] schemas` of `supabase/config.toml`; `public` for the Supabase layout).',
      '',
      'In `strict`, not `recommended`: the API itself calls functions with the search_path it configures, so the',
      'risk needs another way in (a privileged job or function calling this one with a path someone else chose);',
      'the sync trigger function of the usual column rename pattern has no search_path either.',
    ].join('\n'),
    bad: [
      '-- supabase/migrations/20240101000000_agent_count.sql (the API serves public)',
      'CREATE FUNCTION public.agent_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM agents $$;',
    ].join('\n'),
    good: "CREATE FUNCTION public.agent_count() RETURNS bigint LANGUAGE sql STABLE SET search_path = '' AS $$ SELECT count(*) FROM public.agents $$;",
  },
  create(context) {
    const unpinned = new Map<string, () => void>();
    return {
      CreateFunctionStmt(node, statement) {
        const name = nameOfList(node.funcname);
        if (!name || setsSearchPath(node.options) || !hasSqlBody(node.options)) return;
        // SECURITY DEFINER functions are security-definer-search-path's.
        if (nodeOf(functionOption(node.options, 'security')?.arg, 'Boolean')?.boolval === true) return;
        const key = statement.schema.key(name);
        if (!context.exposedSchemas.includes(schemaOfKey(key))) return;
        const kind = node.is_procedure ? 'procedure' : 'function';
        unpinned.set(key, () => {
          statement.report({
            message: `${kind === 'function' ? 'Function' : 'Procedure'} ${displayName(name)}, in a schema the API exposes, has no SET search_path: it looks up the unqualified names in its body on its caller's search_path, so whoever can change that path or put an object earlier on it decides what it runs.`,
            help: [
              // `''` alone would break a body that names `agents` unqualified: it is looked up when called.
              '-- Pin the search path to the schema the body\'s names are in, pg_temp last:',
              `ALTER ${kind.toUpperCase()} ${displayName(name)} SET search_path = public, pg_temp;`,
              "-- Or SET search_path = '' with every name the body uses schema-qualified (public.agents, auth.uid()).",
            ].join('\n'),
            lock: null,
            suggestions: pinSuggestion(statement),
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

/** `SET search_path = ''` before the body: a suggestion, since unqualified names in the body must be qualified with it. */
function pinSuggestion(statement: StatementContext): ReturnType<typeof statementFix>[] {
  const body = functionOption(nodeOf(statement.statement.node, 'CreateFunctionStmt')?.options, 'as');
  if (body?.location === undefined) return [];
  const at = statement.textOffset(body.location);
  return [statementFix(statement, "Pin the search path (SET search_path = ''; qualify the names the body uses)", [{ start: at, end: at, text: "SET search_path = '' " }])];
}
