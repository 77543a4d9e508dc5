import {
  type Fix,
  type QualifiedName,
  type RangeVar,
  type StatementContext,
  blocksTraffic,
  defineRule,
  describeImpact,
  displayName,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
} from '../src/api.js';
import { concurrentlyFixes, statementFix } from './support/fixes.js';
import { migrationOfItsOwn } from './support/help.js';
import { insertAfter } from './support/rewrite.js';

export default defineRule({
  id: 'blocking-maintenance',
  meta: {
    description: 'VACUUM FULL, CLUSTER, REINDEX and REFRESH MATERIALIZED VIEW without CONCURRENTLY, and LOCK TABLE, block traffic for the whole operation.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'Maintenance statements hold a lock that stops the application for as long as they run:',
      '',
      '- `VACUUM FULL` and `CLUSTER` copy the whole table and rebuild its indexes under ACCESS EXCLUSIVE: every read',
      '  and write waits until the copy is done. `pg_repack` or `pg_squeeze` do the same online (they take ACCESS',
      '  EXCLUSIVE only for a moment at the start and the end); run them outside migrations. Plain `VACUUM` runs alongside traffic.',
      '- `REINDEX` takes SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index it rebuilds; the query',
      '  planner locks every index of a table it plans a query for, so nearly every read waits too.',
      '  `REINDEX ... CONCURRENTLY` (PostgreSQL 12+) lets reads and writes continue; it cannot run inside a transaction block.',
      '- `REFRESH MATERIALIZED VIEW` takes ACCESS EXCLUSIVE on the view: every query of the view waits while its',
      '  query runs in full. `REFRESH MATERIALIZED VIEW CONCURRENTLY` lets reads continue; it needs a unique index on',
      '  the view that covers all rows (plain columns, no WHERE), and the view must already be populated.',
      '- `LOCK TABLE` in SHARE mode or stronger (ACCESS EXCLUSIVE when no mode is named) blocks writes, or reads and',
      '  writes, until the transaction ends, through every statement after it. Outside a transaction block it fails.',
      '',
      'Tables, indexes and views created earlier in the same migration are not reported: nobody uses them yet.',
    ].join('\n'),
    bad: ['VACUUM FULL agents;', 'REINDEX INDEX agents_status_idx;', 'REFRESH MATERIALIZED VIEW agent_counts;'].join('\n'),
    good: [
      '-- Outside migrations, online: pg_repack --table=agents --dbname=<database>',
      '-- In a migration of its own, run without a transaction block:',
      'REINDEX INDEX CONCURRENTLY agents_status_idx;',
      '-- With a unique index on agent_counts covering all rows:',
      'REFRESH MATERIALIZED VIEW CONCURRENTLY agent_counts;',
    ].join('\n'),
    versions: [
      '`REINDEX ... CONCURRENTLY` exists from PostgreSQL 12. Before 12 there is no concurrent form: build a new index',
      'with `CREATE INDEX CONCURRENTLY`, drop the old one with `DROP INDEX CONCURRENTLY` and rename the new one.',
    ].join(' '),
  },
  create(context) {
    return {
      VacuumStmt(node, statement) {
        if (!(node.options ?? []).some((option) => nodeOf(option, 'DefElem')?.defname === 'full')) return;
        const tables = (node.rels ?? []).map((relation) => nodeOf(relation, 'VacuumRelation')?.relation);
        if (tables.length === 0) {
          statement.report({
            message: 'VACUUM FULL without a table rewrites every table of the database, one after another, each under ACCESS EXCLUSIVE: all reads and writes of each table wait while it is copied.',
            help: onlineRebuildHelp([], 'VACUUM FULL'),
            lock: null,
          });
          return;
        }
        reportRewrites(statement, tables, 'VACUUM FULL', 'copies');
      },
      ClusterStmt(node, statement) {
        if (!node.relation) {
          statement.report({
            message: 'CLUSTER without a table rewrites every table clustered before, each under ACCESS EXCLUSIVE: all reads and writes of each table wait while it is copied.',
            help: onlineRebuildHelp([], 'CLUSTER'),
            lock: null,
          });
          return;
        }
        reportRewrites(statement, [node.relation], 'CLUSTER', 'copies in index order');
      },
      ReindexStmt(node, statement) {
        if ((node.params ?? []).some((param) => nodeOf(param, 'DefElem')?.defname === 'concurrently')) return;
        const target = reindexTarget(node.kind, node.relation, node.name, statement);
        if (!target) return;
        statement.report({
          message: target.message,
          help: reindexHelp(statement, target, context.pgVersion),
          lock: target.relation ? undefined : null,
          ...(context.pgVersion >= 12 ? concurrentlyFixes(statement) : {}),
        });
      },
      RefreshMatViewStmt(node, statement) {
        if (node.concurrent || node.skipData || statement.schema.isNewTable(node.relation)) return;
        const view = nameOfRangeVar(node.relation);
        if (!view) return;
        const name = displayName(view);
        statement.report({
          message: `REFRESH MATERIALIZED VIEW ${name} takes ACCESS EXCLUSIVE on ${name}: every query of ${name} waits until the view's query has run in full and its result is written.`,
          help: [
            `-- CONCURRENTLY lets reads of ${name} continue while it recomputes (it needs a populated view and a unique index covering all rows).`,
            `-- If ${name} has no such index yet, create one first, in a migration of its own without a transaction block:`,
            `-- CREATE UNIQUE INDEX CONCURRENTLY ${view.name}_key ON ${name} (<columns that identify a row>);`,
            `REFRESH MATERIALIZED VIEW CONCURRENTLY ${name};`,
          ].join('\n'),
          suggestions: concurrentRefresh(statement),
        });
      },
      LockStmt(node, statement) {
        const locked = statement.locks.filter((lock) => blocksTraffic(lock.mode) && !statement.schema.isNewTable(lock.relation));
        const [first] = locked;
        if (!first) return;
        const names = locked.map((lock) => displayName(lock.relation)).join(', ');
        const impact = describeImpact(first.mode);
        const help = [
          '-- Drop the LOCK TABLE: each statement takes the lock it needs by itself.',
          `-- If it is there to order locks on several tables, keep it inside a short transaction and bound the wait for it:`,
          `SET LOCAL lock_timeout = '5s';`,
        ].join('\n');
        statement.report({
          message: statement.transaction.inBlock
            ? `LOCK TABLE takes ${first.mode} on ${names}, which ${impact}, and holds it until the transaction ends: every statement after it in the transaction lengthens the outage.`
            : `LOCK TABLE ${names} outside a transaction block fails ("LOCK TABLE can only be used in transaction blocks"); inside one, its ${first.mode} lock ${impact} on ${names} until the transaction ends.`,
          help,
        });
      },
    };
  },
});

/** CONCURRENTLY for REFRESH MATERIALIZED VIEW: a suggestion, since it needs a unique index on the view that only the author can tell exists. */
function concurrentRefresh(statement: StatementContext): Fix[] {
  const edit = insertAfter(statement.statement.text, /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*REFRESH\s+MATERIALIZED\s+VIEW\b/i, ' CONCURRENTLY');
  return edit ? [statementFix(statement, 'Add CONCURRENTLY (the view needs a unique index covering all rows)', [edit])] : [];
}

function reportRewrites(statement: StatementContext, relations: readonly (RangeVar | undefined)[], command: string, what: string): void {
  const tables = relations.filter((relation) => !statement.schema.isNewTable(relation)).flatMap((relation) => nameOfRangeVar(relation) ?? []);
  if (tables.length === 0) return;
  const names = tables.map((table) => displayName(table)).join(', ');
  statement.report({
    message: `${command} ${what} ${names} and rebuilds ${tables.length > 1 ? 'their' : 'its'} indexes under ACCESS EXCLUSIVE: every read and write of ${names} waits until the whole table is rewritten.`,
    help: onlineRebuildHelp(tables, command),
  });
}

/** pg_repack for the tables (every table when none is named), and for VACUUM FULL the plain VACUUM that does not block. */
function onlineRebuildHelp(tables: readonly QualifiedName[], command: string): string {
  const targets = tables.map((table) => ` --table=${displayName(table)}`).join('');
  const order = command === 'CLUSTER' ? ' --order-by=<columns>' : '';
  const names = tables.map((table) => displayName(table)).join(', ');
  return [
    `-- Rebuild online instead, outside migrations: pg_repack (or pg_squeeze) copies the table while reads and writes`,
    `-- continue, and takes ACCESS EXCLUSIVE only for a moment at the start and the end:`,
    `-- pg_repack --dbname=<database>${targets}${order}`,
    ...(command === 'VACUUM FULL'
      ? ['-- Or a plain VACUUM (outside a transaction block), which frees space for reuse without blocking, but does not shrink the files:', `VACUUM${names === '' ? '' : ` ${names}`};`]
      : []),
  ].join('\n');
}

interface ReindexTarget {
  readonly keyword: string;
  readonly name: string;
  /** The index or table; undefined for a schema, database or system (no one lock to show). */
  readonly relation: QualifiedName | undefined;
  readonly message: string;
}

const REINDEX_KEYWORDS: Readonly<Record<string, string>> = {
  REINDEX_OBJECT_INDEX: 'INDEX',
  REINDEX_OBJECT_TABLE: 'TABLE',
  REINDEX_OBJECT_SCHEMA: 'SCHEMA',
  REINDEX_OBJECT_DATABASE: 'DATABASE',
  REINDEX_OBJECT_SYSTEM: 'SYSTEM',
};

/** What a REINDEX rebuilds and what that blocks; undefined for an index or table created in this migration. */
function reindexTarget(kind: string | undefined, relation: RangeVar | undefined, objectName: string | undefined, statement: StatementContext): ReindexTarget | undefined {
  const keyword = REINDEX_KEYWORDS[kind ?? ''];
  if (keyword === undefined) return undefined;
  const relationName = nameOfRangeVar(relation);
  if (!relationName) {
    const name = objectName ?? '';
    return {
      keyword,
      name,
      relation: undefined,
      message: `REINDEX ${keyword}${name === '' ? '' : ` ${name}`} rebuilds every index in it, each table in turn locked against writes and its indexes against nearly every query while they are rebuilt.`,
    };
  }
  const name = displayName(relationName);
  if (keyword === 'INDEX') {
    const index = statement.schema.index(relationName);
    const table = statement.locks.find((lock) => lock.role === 'table')?.relation;
    if (statement.schema.isNew(index?.origin) || (table && statement.schema.isNewTable(table))) return undefined;
    const tableName = table && statement.schema.key(table) !== statement.schema.key(relationName) ? displayName(table) : 'its table';
    return {
      keyword,
      name,
      relation: relationName,
      message: `REINDEX INDEX ${name} takes SHARE on ${tableName} (writes wait) and ACCESS EXCLUSIVE on the index, which the planner needs for every query of ${tableName}: reads and writes wait until the index is rebuilt from the whole table.`,
    };
  }
  if (statement.schema.isNewTable(relationName)) return undefined;
  return {
    keyword,
    name,
    relation: relationName,
    message: `REINDEX TABLE ${name} takes SHARE on ${name} (writes wait) and ACCESS EXCLUSIVE on each of its indexes, which the planner needs for every query of ${name}: reads and writes wait until every index is rebuilt from the whole table.`,
  };
}

function reindexHelp(statement: StatementContext, target: ReindexTarget, pgVersion: number): string {
  const { keyword, name, relation } = target;
  if (pgVersion >= 12 && keyword !== 'SYSTEM') {
    return migrationOfItsOwn(
      statement,
      [
        `REINDEX ${keyword} CONCURRENTLY ${name};`,
        '-- If it fails it leaves invalid indexes named <index>_ccnew: drop them (DROP INDEX CONCURRENTLY) and run it again.',
      ].join('\n'),
    );
  }
  const before12 = pgVersion < 12 ? 'PostgreSQL before 12 has no REINDEX CONCURRENTLY' : 'REINDEX SYSTEM has no concurrent form';
  if (keyword !== 'INDEX' || !relation) {
    return `-- ${before12}: rebuild the indexes that need it one at a time, outside migrations (pg_repack --dbname=<database> --index=<index>).`;
  }
  const replacement = displayName({ schema: relation.schema, name: `${relation.name}_new` });
  return [
    `-- ${before12}: build a replacement alongside, then swap, each without a transaction block:`,
    `-- CREATE INDEX CONCURRENTLY ${replacement} ON <table> (<the same columns>);`,
    `-- DROP INDEX CONCURRENTLY ${name};`,
    `-- ALTER INDEX ${replacement} RENAME TO ${quoteIdentifier(relation.name)};`,
  ].join('\n');
}
