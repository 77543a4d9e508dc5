import { type IndexStmt, type StatementContext, defineRule, displayName, nameOfRangeVar, nodeOf, quoteIdentifier, sqlOf } from '../src/api.js';

export default defineRule({
  id: 'concurrent-unique-index',
  meta: {
    description: 'CREATE UNIQUE INDEX CONCURRENTLY over existing rows: a duplicate makes it fail and leaves an INVALID index behind.',
    severity: 'warn',
    preset: 'strict',
    category: 'correctness',
    hazard: [
      '`CREATE UNIQUE INDEX CONCURRENTLY` is the right way to add uniqueness to a table in use, but it checks the',
      'existing rows only at the end of its long build. If two rows share a key, or the application writes a',
      'duplicate while it builds, it fails and leaves the index behind, INVALID: unused by queries, yet still',
      'maintained on every write (and still enforcing uniqueness on new rows), until someone drops it. Running the',
      'migration again then fails with "relation already exists", or with `IF NOT EXISTS` skips silently and keeps',
      'the invalid index.',
      '',
      'Before the migration, look for duplicates; make the application stop writing them; and after a failure,',
      'drop the invalid index (`DROP INDEX CONCURRENTLY`) before trying again. Acknowledge the check with a',
      'directive. A reminder for large, busy tables, in `strict`: tables created earlier in the same migration',
      'are not reported.',
    ].join('\n'),
    bad: 'CREATE UNIQUE INDEX CONCURRENTLY agents_email_key ON agents (email);',
    good: [
      '-- Checked: SELECT email, count(*) FROM agents GROUP BY email HAVING count(*) > 1; returns no rows.',
      '-- migrate-safe-ignore concurrent-unique-index: no duplicate emails (checked), the application rejects them',
      'CREATE UNIQUE INDEX CONCURRENTLY agents_email_key ON agents (email);',
    ].join('\n'),
  },
  create() {
    return {
      IndexStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!node.unique || !node.concurrent || !table || statement.schema.isNewTable(node.relation)) return;
        const name = node.idxname === undefined ? 'the index' : quoteIdentifier(node.idxname);
        statement.report({
          message: `CREATE UNIQUE INDEX CONCURRENTLY on existing table ${displayName(table)}: if existing rows, or rows written during the build, repeat a key, it fails at the end and leaves ${name} behind INVALID, maintained on every write but unused, until it is dropped.`,
          help: help(statement, node),
          lock: null,
        });
      },
    };
  },
});

function help(statement: StatementContext, node: IndexStmt): string {
  const table = displayName(nameOfRangeVar(node.relation) ?? { schema: undefined, name: '<table>' });
  const keys = (node.indexParams ?? []).map((param) => {
    const element = nodeOf(param, 'IndexElem');
    return element?.name !== undefined ? quoteIdentifier(element.name) : (sqlOf(element?.expr) ?? '<expression>');
  });
  const where = node.whereClause ? ` WHERE ${sqlOf(node.whereClause) ?? '<condition>'}` : '';
  const index = node.idxname === undefined ? '<index>' : quoteIdentifier(node.idxname);
  return [
    '-- Before the migration, look for duplicates (this must return no rows):',
    `SELECT ${keys.join(', ')}, count(*) FROM ${table}${where} GROUP BY ${keys.join(', ')} HAVING count(*) > 1 LIMIT 10;`,
    `-- If the build fails anyway, drop what it left before running the migration again: DROP INDEX CONCURRENTLY IF EXISTS ${index};`,
    `-- Then acknowledge the check where the index is built:`,
    `-- migrate-safe-ignore concurrent-unique-index: <how duplicates are ruled out>`,
    `${statement.statement.text};`,
  ].join('\n');
}
