import { type StatementContext, defineRule, displayName, nameOfRangeVar, quoteIdentifier } from '../src/api.js';
import { concurrentlyFixes } from './support/fixes.js';
import { migrationOfItsOwn } from './support/help.js';
import { holdsFewRows } from './support/rows.js';

export default defineRule({
  id: 'require-concurrent-index',
  meta: {
    description: 'CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'A plain `CREATE INDEX` takes a SHARE lock on the table: reads continue, but every INSERT, UPDATE and',
      'DELETE waits until the index is built, which takes minutes on a large table. `CREATE INDEX CONCURRENTLY`',
      'takes SHARE UPDATE EXCLUSIVE instead and lets writes continue; it reads the table twice and must run',
      'outside a transaction block. A table created earlier in the same migration is not reported: nobody',
      'uses it yet.',
      '',
      'Fix: adding `CONCURRENTLY` changes how the migration must run (never inside a transaction block; a failed',
      'build leaves an INVALID index to drop), so `--fix` adds it only to a statement that already runs alone: the',
      'only statement of its file, outside any transaction block. Elsewhere editors offer it as a suggestion.',
    ].join('\n'),
    bad: 'CREATE INDEX idx_agents_status ON agents (status);',
    good: [
      '-- In a migration of its own, run without a transaction block:',
      'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);',
    ].join('\n'),
  },
  create() {
    return {
      IndexStmt(node, statement) {
        if (node.concurrent || statement.schema.isNewTable(node.relation) || holdsFewRows(statement, node.relation)) return;
        // ON ONLY a partitioned table creates an invalid parent index at once; the partitions' indexes are built separately.
        if (node.relation?.inh !== true) return;
        const table = nameOfRangeVar(node.relation);
        const tableName = table ? displayName(table) : 'the table';
        const kind = node.unique ? 'UNIQUE INDEX' : 'INDEX';
        const partitioned = statement.schema.table(node.relation)?.kind === 'partitioned-table';
        statement.report({
          message: `CREATE ${kind} without CONCURRENTLY on existing table ${tableName} takes a SHARE lock: every INSERT, UPDATE and DELETE on ${tableName} waits until the whole index is built.`,
          help: partitioned ? partitionedHelp(statement.statement.text, statement.implicitNames.get(node), tableName) : concurrentHelp(statement, node.idxname),
          // PostgreSQL cannot build an index on a partitioned table concurrently: no textual fix there.
          ...(partitioned ? {} : concurrentlyFixes(statement)),
        });
      },
    };
  },
});

const CREATE_INDEX = /^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX)\b/i;

function concurrentHelp(statement: StatementContext, indexName: string | undefined): string {
  return migrationOfItsOwn(
    statement,
    [
      `${statement.statement.text.replace(CREATE_INDEX, '$1 CONCURRENTLY')};`,
      `-- If the build fails it leaves an INVALID index: drop it (DROP INDEX CONCURRENTLY ${indexName ?? '<index>'};) and run the migration again.`,
    ].join('\n'),
  );
}

/** PostgreSQL cannot build an index CONCURRENTLY on a partitioned table: build it per partition, then attach. */
function partitionedHelp(statementText: string, indexName: string | undefined, tableName: string): string {
  const parentIndex = indexName === undefined ? '<index>' : quoteIdentifier(indexName);
  return [
    `-- ${tableName} is partitioned: create the index on the parent only (instant, the index starts invalid),`,
    `${statementText.replace(/\bON\s+(?!ONLY\b)/i, 'ON ONLY ')};`,
    '-- then, for each partition, build its index concurrently (outside a transaction block) and attach it:',
    `-- CREATE INDEX CONCURRENTLY <partition>_idx ON <partition> (...);`,
    `-- ALTER INDEX ${parentIndex} ATTACH PARTITION <partition>_idx;`,
  ].join('\n');
}
