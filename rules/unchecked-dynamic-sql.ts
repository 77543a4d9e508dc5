import { type UncheckedSql, defineRule, routinePrefix } from '../src/api.js';

export default defineRule({
  id: 'unchecked-dynamic-sql',
  meta: {
    description: 'EXECUTE of SQL built at run time that changes the schema, inside a DO block or a function the migration runs: nothing checks it.',
    severity: 'warn',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'migrate-safe reads the body of every DO block, and of every function a migration creates and then calls,',
      'with PostgreSQL\'s own PL/pgSQL parser, and checks each statement in it where it runs: in the',
      'migration\'s transaction, at its line in the file. An `EXECUTE` of a string built at run time is the',
      'exception: its SQL exists only when the block runs. When its text starts with `ALTER`, `CREATE`, `DROP`',
      '(or nothing tells what it is), it may take an ACCESS EXCLUSIVE lock, rewrite a table or rename a column',
      'the running application uses, and no rule sees it.',
      '',
      'migrate-safe builds the text itself when it is made of constants: string literals, `||`, `format()` with',
      '`%I` / `%L` / `%s`, `quote_ident()`, variables assigned such values, and the variable of a loop over a',
      'constant list (`FOREACH t IN ARRAY ARRAY[\'a\', \'b\']`, `FOR t IN SELECT unnest(ARRAY[...])`, `FOR i IN 1..3`).',
      'Those statements are checked like any other. Not reported: EXECUTE of SQL that starts with `SELECT`,',
      '`INSERT`, `UPDATE`, `DELETE` and the like. Also reported: a body that PostgreSQL\'s PL/pgSQL parser rejects',
      '(none of its statements is checked).',
      '',
      'Write the statements out, or loop over a constant list so each statement can be read; otherwise review',
      'the statement by hand (its locks, rewrites, and what the running application still uses).',
    ].join('\n'),
    bad: [
      'DO $$',
      'DECLARE r record;',
      'BEGIN',
      "  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP",
      "    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', r.tablename);",
      '  END LOOP;',
      'END $$;',
    ].join('\n'),
    good: [
      'DO $$',
      'DECLARE t text;',
      'BEGIN',
      "  FOREACH t IN ARRAY ARRAY['agents', 'teams'] LOOP",
      "    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);",
      '  END LOOP;',
      'END $$;',
    ].join('\n'),
  },
  create(context) {
    return {
      Statement(_node, statement) {
        for (const unchecked of statement.unchecked ?? []) {
          statement.report({ at: unchecked, message: `${routinePrefix(unchecked.routine, context.file.text)}${message(unchecked)}`, lock: null });
        }
      },
    };
  },
});

function message(unchecked: UncheckedSql): string {
  if (unchecked.kind === 'unreadable') {
    return `PostgreSQL's PL/pgSQL parser cannot read this body (${unchecked.text}): none of its statements is checked.`;
  }
  const expression = shortened(unchecked.text);
  const what =
    unchecked.changesSchema === 'yes'
      ? `EXECUTE runs schema changes built at run time (${expression})`
      : `EXECUTE runs SQL built at run time from values migrate-safe cannot read (${expression}), which may change the schema`;
  return `${what}: their locks, table rewrites and breaking changes are not checked. Write the statements out, or loop over a constant list (FOREACH t IN ARRAY ARRAY['a', 'b']) so each one is read; otherwise review them by hand.`;
}

function shortened(expression: string): string {
  const line = expression.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
