import { type LockAcquisition, type StatementContext, defineRule, displayName } from '../src/api.js';

/** The statement forms that copy a whole table (or index) to new files, with what to do instead. */
const REWRITES: Readonly<Record<string, { readonly verb: string; readonly what: string; readonly instead: readonly string[] }>> = {
  'set-tablespace': {
    verb: 'SET TABLESPACE',
    what: 'copies it to the new tablespace',
    instead: [
      '-- pg_repack moves a table online, outside migrations (ACCESS EXCLUSIVE only for a moment at the start and the end):',
      '--   pg_repack --table=<table> --tablespace=<tablespace> --moveidx --dbname=<database>',
      '-- New tables and indexes go to another tablespace without moving anything: SET default_tablespace = <tablespace>;',
    ],
  },
  'alter-index-set-tablespace': {
    verb: 'ALTER INDEX ... SET TABLESPACE',
    what: 'copies the index to the new tablespace, and the planner locks every index of a table it plans a query for',
    instead: [
      '-- Build a copy of the index in the new tablespace while reads and writes continue, then swap (each statement in a migration of its own, outside a transaction block):',
      '--   CREATE INDEX CONCURRENTLY <index>_new ON <table> (<columns>) TABLESPACE <tablespace>;',
      '--   DROP INDEX CONCURRENTLY <index>;',
      '--   ALTER INDEX <index>_new RENAME TO <index>;',
    ],
  },
  'set-logged': {
    verb: 'SET LOGGED / SET UNLOGGED',
    what: 'copies it and its indexes to new files (SET LOGGED also writes all of it to the WAL, which replicas must replay)',
    instead: [
      '-- There is no online form. Choose LOGGED or UNLOGGED when the table is created; for a table in use, create the',
      '-- new table as it should be, copy the rows in batches, and switch the application to it (or run this at a quiet time',
      "-- with SET lock_timeout = '2s', ready to retry).",
    ],
  },
  'set-access-method': {
    verb: 'SET ACCESS METHOD',
    what: 'copies it and its indexes into the new access method',
    instead: [
      '-- There is no online form. Create the new table with the access method (CREATE TABLE ... USING <method>), copy',
      '-- the rows in batches and switch the application to it, or run this at a quiet time with a short lock_timeout.',
    ],
  },
  'set-expression': {
    verb: 'ALTER COLUMN ... SET EXPRESSION',
    what: 'computes and stores the new expression for every row',
    instead: [
      '-- Add a new column filled by a trigger with the new expression, backfill it in batches, switch the application',
      '-- to it, then drop the old column in a later migration (the rename-column help shows the steps).',
    ],
  },
};

export default defineRule({
  id: 'table-rewrite',
  meta: {
    description: 'ALTER TABLE ... SET TABLESPACE, SET LOGGED / UNLOGGED, SET ACCESS METHOD and SET EXPRESSION copy the whole table under an ACCESS EXCLUSIVE lock.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'Besides `ADD COLUMN` and `ALTER COLUMN ... TYPE`, several `ALTER TABLE` forms copy the whole table (and most',
      'rebuild its indexes) into new files while holding ACCESS EXCLUSIVE: every read and write of the table waits,',
      'for minutes on a large table. Each was checked on PostgreSQL (the table\'s `relfilenode` changes):',
      '',
      '- `SET TABLESPACE` copies the table; `ALTER INDEX ... SET TABLESPACE` copies the index, and its ACCESS',
      '  EXCLUSIVE lock on the index stops nearly every query of the table too, since the planner locks all its indexes.',
      '- `SET LOGGED` and `SET UNLOGGED` copy the table and its indexes; `SET LOGGED` also writes all of it to the WAL.',
      '- `SET ACCESS METHOD` (PostgreSQL 15+) copies the table into the new access method.',
      '- `ALTER COLUMN ... SET EXPRESSION` (PostgreSQL 17+) recomputes a stored generated column for every row.',
      '',
      'None has an online form inside PostgreSQL. Tables and indexes created earlier in the same migration are not',
      'reported. (Moving a table to the tablespace or access method it already uses copies nothing, but a linter',
      'cannot tell where a table lives: say so with a directive.)',
    ].join('\n'),
    bad: 'ALTER TABLE agents SET TABLESPACE archive_disk;',
    good: [
      '-- Outside migrations, online: pg_repack --table=agents --tablespace=archive_disk --moveidx --dbname=<database>',
      '-- New tables go to the other tablespace without moving anything:',
      'SET default_tablespace = archive_disk;',
      'CREATE TABLE agent_events (id bigint PRIMARY KEY, agent_id bigint NOT NULL);',
    ].join('\n'),
    versions: '`SET ACCESS METHOD` exists from PostgreSQL 15, `SET EXPRESSION` from 17; both rewrite on every version that has them.',
  },
  create() {
    return {
      Statement(_node, statement) {
        for (const lock of statement.locks) {
          const rewrite = REWRITES[lock.form.id];
          if (!rewrite || lock.effect !== 'rewrite' || isNew(statement, lock)) continue;
          statement.report({ message: message(lock, rewrite.verb, rewrite.what), help: rewrite.instead.join('\n'), lock });
        }
      },
    };
  },
});

/** Created earlier in this migration: nobody uses it yet. */
function isNew(statement: StatementContext, lock: LockAcquisition): boolean {
  if (lock.role !== 'index') return statement.schema.isNewTable(lock.relation);
  const index = statement.schema.index(lock.relation);
  return statement.schema.isNew(index?.origin) || statement.schema.isNew(index ? statement.schema.tables.get(index.table)?.origin : undefined);
}

function message(lock: LockAcquisition, verb: string, what: string): string {
  const name = displayName(lock.relation);
  if (lock.role === 'index') {
    return `${verb} on index ${name} ${what}: while it holds ACCESS EXCLUSIVE on the index, nearly every read and write of its table waits.`;
  }
  return `${verb} on ${name} ${what}, holding ACCESS EXCLUSIVE until it is done: every read and write of ${name} waits meanwhile.`;
}
