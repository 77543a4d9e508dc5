import type { LockMode } from './lock-modes.js';

/** What a statement does to a table's data files while it holds its lock. */
export type TableEffect = 'rewrite' | 'scan' | 'none';

/** Facts that were different before a PostgreSQL major version. */
export interface OlderVersionFacts {
  readonly before: number;
  readonly lock?: LockMode;
  readonly referencedLock?: LockMode;
  readonly effect?: TableEffect;
  readonly note: string;
}

/** How to show a fact on a real engine: a statement of the form, after the shared fixture and its own setup. */
export interface FormExample {
  /** Run before the statement and committed; a list runs each part as a query of its own (CREATE TABLESPACE must be alone). */
  readonly setup?: string | readonly string[];
  readonly sql: string;
  /** Whether the statement can run inside a transaction block (so pg_locks can be read while it holds its locks). */
  readonly inTransaction: boolean;
}

/** One statement form the rules reason about, with its locks and table effect. */
export interface StatementForm {
  readonly id: string;
  readonly title: string;
  /** The lock on the relation the statement changes (for an index statement: its table). */
  readonly lock: LockMode | undefined;
  /** Locks on the other relations involved. */
  readonly referencedLock?: LockMode;
  readonly indexLock?: LockMode;
  readonly effect: TableEffect;
  /** The effect falls on the other relation, not the one the statement changes (ATTACH PARTITION reads the partition). */
  readonly effectOn?: 'other-table';
  /** What the effect means here, when the plain word is not enough. */
  readonly effectNote?: string;
  readonly since?: number;
  readonly olderVersions?: OlderVersionFacts;
  /** PostgreSQL refuses to run the statement inside a transaction block. */
  readonly notInTransaction?: boolean;
  readonly example: FormExample;
}

const ADD_COLUMN_REWRITE_NOTE = 'every existing row gets its own value, so the table and its indexes are rewritten';

/**
 * The lock knowledge: for each statement form, the locks taken, what they block (see lock-modes)
 * and whether the table is rewritten or scanned. test/lock-facts.test.ts runs every example on
 * PostgreSQL (PGlite) after a shared fixture: `teams (id, name)`, `agents (id, name, status, code
 * varchar(50), score, team_id)` with rows, its primary key `agents_pkey` and index
 * `agents_status_idx`, and the partitioned table `events (id, at)` with its partition `events_2024`.
 */
export const STATEMENT_FORMS = [
  // Indexes
  {
    id: 'create-index',
    title: 'CREATE INDEX',
    lock: 'SHARE',
    effect: 'scan',
    effectNote: 'reads the whole table to build the index',
    example: { sql: 'CREATE INDEX agents_name_idx ON agents (name)', inTransaction: true },
  },
  {
    id: 'create-index-concurrently',
    title: 'CREATE INDEX CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    effect: 'scan',
    effectNote: 'reads the whole table twice to build the index, without blocking writes',
    notInTransaction: true,
    example: { sql: 'CREATE INDEX CONCURRENTLY agents_name_idx ON agents (name)', inTransaction: false },
  },
  {
    id: 'drop-index',
    title: 'DROP INDEX',
    lock: 'ACCESS EXCLUSIVE',
    indexLock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'DROP INDEX agents_status_idx', inTransaction: true },
  },
  {
    id: 'drop-index-concurrently',
    title: 'DROP INDEX CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    // Its last step locks the index ACCESS EXCLUSIVE, once no query can use it any more: nothing waits on that.
    effect: 'none',
    notInTransaction: true,
    example: { sql: 'DROP INDEX CONCURRENTLY agents_status_idx', inTransaction: false },
  },
  {
    id: 'reindex',
    title: 'REINDEX',
    lock: 'SHARE',
    indexLock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectNote: 'rebuilds the index from the whole table; its ACCESS EXCLUSIVE lock on the index stops nearly every query of the table, because the planner locks all of a table\'s indexes',
    example: { sql: 'REINDEX INDEX agents_status_idx', inTransaction: true },
  },
  {
    id: 'reindex-concurrently',
    title: 'REINDEX CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    effect: 'scan',
    effectNote: 'rebuilds the index from the whole table without blocking reads or writes',
    since: 12,
    notInTransaction: true,
    example: { sql: 'REINDEX INDEX CONCURRENTLY agents_status_idx', inTransaction: false },
  },

  // ALTER TABLE ... ADD COLUMN
  {
    id: 'add-column',
    title: 'ALTER TABLE ... ADD COLUMN (no default)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents ADD COLUMN nickname text', inTransaction: true },
  },
  {
    id: 'add-column-default',
    title: 'ALTER TABLE ... ADD COLUMN ... DEFAULT (non-volatile)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the default is stored once in the catalog',
    olderVersions: { before: 11, effect: 'rewrite', note: 'before PostgreSQL 11 any default rewrote the table' },
    example: { sql: "ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu'", inTransaction: true },
  },
  {
    id: 'add-column-volatile-default',
    title: 'ALTER TABLE ... ADD COLUMN ... DEFAULT (volatile)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: ADD_COLUMN_REWRITE_NOTE,
    example: { sql: 'ALTER TABLE agents ADD COLUMN token float8 DEFAULT random()', inTransaction: true },
  },
  {
    id: 'add-column-serial',
    title: 'ALTER TABLE ... ADD COLUMN serial',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: ADD_COLUMN_REWRITE_NOTE,
    example: { sql: 'ALTER TABLE agents ADD COLUMN seq bigserial', inTransaction: true },
  },
  {
    id: 'add-column-identity',
    title: 'ALTER TABLE ... ADD COLUMN ... GENERATED AS IDENTITY',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: ADD_COLUMN_REWRITE_NOTE,
    example: { sql: 'ALTER TABLE agents ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY', inTransaction: true },
  },
  {
    id: 'add-column-generated-stored',
    title: 'ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) STORED',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the generated value is computed and stored for every existing row',
    since: 12,
    example: { sql: 'ALTER TABLE agents ADD COLUMN score2 int GENERATED ALWAYS AS (score * 2) STORED', inTransaction: true },
  },
  {
    id: 'add-column-domain-check',
    title: 'ALTER TABLE ... ADD COLUMN of a domain with constraints',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: "every existing row's value is checked against the domain's constraints, so the table and its indexes are rewritten, even without a default",
    example: {
      setup: 'CREATE DOMAIN positive_score AS int CHECK (VALUE > 0)',
      sql: 'ALTER TABLE agents ADD COLUMN rank positive_score',
      inTransaction: true,
    },
  },
  {
    id: 'add-column-generated-virtual',
    title: 'ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) VIRTUAL',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    since: 18,
    example: { sql: 'ALTER TABLE agents ADD COLUMN score3 int GENERATED ALWAYS AS (score * 3) VIRTUAL', inTransaction: true },
  },

  // ALTER TABLE: columns
  {
    id: 'drop-column',
    title: 'ALTER TABLE ... DROP COLUMN',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the column is only marked dropped',
    example: { sql: 'ALTER TABLE agents DROP COLUMN name', inTransaction: true },
  },
  {
    id: 'alter-column-type',
    title: 'ALTER TABLE ... ALTER COLUMN ... TYPE',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the table and all its indexes are rewritten',
    example: { sql: 'ALTER TABLE agents ALTER COLUMN score TYPE bigint', inTransaction: true },
  },
  {
    id: 'alter-column-type-binary-coercible',
    title: 'ALTER TABLE ... ALTER COLUMN ... TYPE (binary-compatible widening)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the stored values stay valid, so nothing is rewritten',
    example: { sql: 'ALTER TABLE agents ALTER COLUMN code TYPE varchar(200)', inTransaction: true },
  },
  {
    id: 'set-default',
    title: 'ALTER TABLE ... ALTER COLUMN ... SET/DROP DEFAULT',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: "ALTER TABLE agents ALTER COLUMN status SET DEFAULT 'new'", inTransaction: true },
  },
  {
    id: 'set-not-null',
    title: 'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectNote: 'every row is read to check for NULLs',
    example: { sql: 'ALTER TABLE agents ALTER COLUMN status SET NOT NULL', inTransaction: true },
  },
  {
    id: 'set-not-null-with-valid-check',
    title: 'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL (a valid CHECK (col IS NOT NULL) exists)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the validated CHECK constraint proves there are no NULLs, so the scan is skipped',
    olderVersions: { before: 12, effect: 'scan', note: 'before PostgreSQL 12 the scan ran even with a valid CHECK constraint' },
    example: {
      setup: 'ALTER TABLE agents ADD CONSTRAINT agents_status_not_null CHECK (status IS NOT NULL)',
      sql: 'ALTER TABLE agents ALTER COLUMN status SET NOT NULL',
      inTransaction: true,
    },
  },
  {
    id: 'set-not-null-already',
    title: 'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL (the column is NOT NULL already)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the column is NOT NULL already (declared so, or set earlier): nothing is read',
    example: { sql: 'ALTER TABLE agents ALTER COLUMN name SET NOT NULL', inTransaction: true },
  },
  {
    id: 'drop-not-null',
    title: 'ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents ALTER COLUMN name DROP NOT NULL', inTransaction: true },
  },
  {
    id: 'set-statistics',
    title: 'ALTER TABLE ... ALTER COLUMN ... SET STATISTICS',
    lock: 'SHARE UPDATE EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents ALTER COLUMN status SET STATISTICS 500', inTransaction: true },
  },

  // ALTER TABLE: constraints
  {
    id: 'add-check',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... CHECK',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectNote: 'every row is read to validate the constraint',
    example: { sql: 'ALTER TABLE agents ADD CONSTRAINT agents_score_positive CHECK (score >= 0)', inTransaction: true },
  },
  {
    id: 'add-check-not-valid',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... CHECK ... NOT VALID',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'existing rows are not checked; new writes are',
    example: { sql: 'ALTER TABLE agents ADD CONSTRAINT agents_score_positive CHECK (score >= 0) NOT VALID', inTransaction: true },
  },
  {
    id: 'add-foreign-key',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY',
    lock: 'SHARE ROW EXCLUSIVE',
    referencedLock: 'SHARE ROW EXCLUSIVE',
    effect: 'scan',
    effectNote: 'every row is read to validate the reference',
    example: { sql: 'ALTER TABLE agents ADD CONSTRAINT agents_team_fk FOREIGN KEY (team_id) REFERENCES teams (id)', inTransaction: true },
  },
  {
    id: 'add-foreign-key-not-valid',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID',
    lock: 'SHARE ROW EXCLUSIVE',
    referencedLock: 'SHARE ROW EXCLUSIVE',
    effect: 'none',
    example: {
      sql: 'ALTER TABLE agents ADD CONSTRAINT agents_team_fk FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID',
      inTransaction: true,
    },
  },
  {
    id: 'validate-constraint',
    title: 'ALTER TABLE ... VALIDATE CONSTRAINT',
    lock: 'SHARE UPDATE EXCLUSIVE',
    referencedLock: 'ROW SHARE',
    effect: 'scan',
    effectNote: 'every row is read, while reads and writes continue',
    example: {
      setup: 'ALTER TABLE agents ADD CONSTRAINT agents_team_fk FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID',
      sql: 'ALTER TABLE agents VALIDATE CONSTRAINT agents_team_fk',
      inTransaction: true,
    },
  },
  {
    id: 'add-unique',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... UNIQUE / PRIMARY KEY',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectNote: 'the whole table is read to build the unique index',
    example: { sql: 'ALTER TABLE agents ADD CONSTRAINT agents_code_key UNIQUE (code)', inTransaction: true },
  },
  {
    id: 'add-unique-using-index',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... UNIQUE / PRIMARY KEY USING INDEX',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the existing index becomes the constraint',
    example: {
      setup: 'CREATE UNIQUE INDEX agents_code_idx ON agents (code)',
      sql: 'ALTER TABLE agents ADD CONSTRAINT agents_code_key UNIQUE USING INDEX agents_code_idx',
      inTransaction: true,
    },
  },
  {
    id: 'add-primary-key-using-index-nullable',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX (columns not yet NOT NULL)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectNote: 'the index becomes the key, and its columns are set NOT NULL: every row is read to check for NULLs',
    olderVersions: { before: 12, effect: 'scan', note: 'before PostgreSQL 12 the scan runs even when a valid CHECK (col IS NOT NULL) exists' },
    example: {
      setup: "CREATE TABLE badges (code text); INSERT INTO badges SELECT 'b' || n FROM generate_series(1, 10) AS n; CREATE UNIQUE INDEX badges_code_idx ON badges (code)",
      sql: 'ALTER TABLE badges ADD CONSTRAINT badges_pkey PRIMARY KEY USING INDEX badges_code_idx',
      inTransaction: true,
    },
  },
  {
    id: 'add-exclusion',
    title: 'ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectNote: 'the whole table is read to build the exclusion index',
    example: { sql: 'ALTER TABLE agents ADD CONSTRAINT agents_code_excl EXCLUDE (code WITH =)', inTransaction: true },
  },
  {
    id: 'drop-constraint',
    title: 'ALTER TABLE ... DROP CONSTRAINT',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents DROP CONSTRAINT agents_pkey', inTransaction: true },
  },

  // ALTER TABLE: the table itself
  {
    id: 'rename',
    title: 'ALTER TABLE ... RENAME (table, column or constraint)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'instant, but queries using the old name fail',
    example: { sql: 'ALTER TABLE agents RENAME COLUMN name TO full_name', inTransaction: true },
  },
  {
    id: 'row-level-security',
    title: 'ALTER TABLE ... ENABLE/DISABLE/FORCE ROW LEVEL SECURITY',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents ENABLE ROW LEVEL SECURITY', inTransaction: true },
  },
  {
    id: 'enable-disable-trigger',
    title: 'ALTER TABLE ... ENABLE/DISABLE TRIGGER',
    lock: 'SHARE ROW EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents DISABLE TRIGGER ALL', inTransaction: true },
  },
  {
    id: 'set-logged',
    title: 'ALTER TABLE ... SET LOGGED / SET UNLOGGED',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the table and its indexes are copied to new data files',
    example: { sql: 'ALTER TABLE agents SET UNLOGGED', inTransaction: true },
  },
  {
    id: 'set-tablespace',
    title: 'ALTER TABLE ... SET TABLESPACE',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the table is copied to the new tablespace',
    example: {
      setup: ['SET allow_in_place_tablespaces = on', "CREATE TABLESPACE spare_tables LOCATION ''"],
      sql: 'ALTER TABLE agents SET TABLESPACE spare_tables',
      inTransaction: true,
    },
  },
  {
    id: 'set-access-method',
    title: 'ALTER TABLE ... SET ACCESS METHOD',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the table and its indexes are copied into the new access method',
    since: 15,
    example: {
      setup: 'CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler',
      sql: 'ALTER TABLE agents SET ACCESS METHOD heap_copy',
      inTransaction: true,
    },
  },
  {
    id: 'set-expression',
    title: 'ALTER TABLE ... ALTER COLUMN ... SET EXPRESSION (a stored generated column)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the new expression is computed and stored for every row',
    since: 17,
    example: {
      setup: 'ALTER TABLE agents ADD COLUMN score2 int GENERATED ALWAYS AS (score * 2) STORED',
      sql: 'ALTER TABLE agents ALTER COLUMN score2 SET EXPRESSION AS (score * 3)',
      inTransaction: true,
    },
  },
  {
    id: 'alter-index-set-tablespace',
    title: 'ALTER INDEX ... SET TABLESPACE',
    lock: undefined,
    indexLock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: "the index is copied to the new tablespace; its ACCESS EXCLUSIVE lock stops nearly every query of the table, because the planner locks all of a table's indexes",
    example: {
      setup: ['SET allow_in_place_tablespaces = on', "CREATE TABLESPACE spare_indexes LOCATION ''"],
      sql: 'ALTER INDEX agents_status_idx SET TABLESPACE spare_indexes',
      inTransaction: true,
    },
  },
  {
    id: 'set-schema',
    title: 'ALTER TABLE | VIEW | MATERIALIZED VIEW ... SET SCHEMA',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'instant, but queries naming it in its old schema fail',
    example: { setup: 'CREATE SCHEMA IF NOT EXISTS archive', sql: 'ALTER TABLE agents SET SCHEMA archive', inTransaction: true },
  },
  {
    id: 'alter-table-other',
    title: 'ALTER TABLE (other forms: OWNER, REPLICA IDENTITY, INHERIT ...)',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'ALTER TABLE agents REPLICA IDENTITY FULL', inTransaction: true },
  },
  {
    id: 'attach-partition',
    title: 'ALTER TABLE ... ATTACH PARTITION',
    lock: 'SHARE UPDATE EXCLUSIVE',
    referencedLock: 'ACCESS EXCLUSIVE',
    effect: 'scan',
    effectOn: 'other-table',
    effectNote: 'the partition is read to check every row fits the bound, unless a valid CHECK constraint implies it',
    olderVersions: { before: 12, lock: 'ACCESS EXCLUSIVE', note: 'before PostgreSQL 12 ATTACH PARTITION took ACCESS EXCLUSIVE on the parent' },
    example: {
      setup: "CREATE TABLE events_2025 (id bigint, at date); INSERT INTO events_2025 VALUES (2, '2025-06-01')",
      sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
      inTransaction: true,
    },
  },
  {
    id: 'detach-partition',
    title: 'ALTER TABLE ... DETACH PARTITION',
    lock: 'ACCESS EXCLUSIVE',
    referencedLock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    olderVersions: { before: 14, referencedLock: 'SHARE UPDATE EXCLUSIVE', note: 'before PostgreSQL 14 the partition itself was locked SHARE UPDATE EXCLUSIVE (checked on real servers)' },
    example: { sql: 'ALTER TABLE events DETACH PARTITION events_2024', inTransaction: true },
  },
  {
    id: 'detach-partition-concurrently',
    title: 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY',
    lock: 'SHARE UPDATE EXCLUSIVE',
    // The second of its two transactions, after every query using the parent has finished, locks the partition.
    referencedLock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    since: 14,
    notInTransaction: true,
    example: { sql: 'ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY', inTransaction: false },
  },

  // ALTER DOMAIN: every table with a column of the domain
  {
    id: 'alter-domain-add-constraint',
    title: 'ALTER DOMAIN ... ADD CONSTRAINT (without NOT VALID)',
    lock: 'SHARE',
    effect: 'scan',
    effectNote: 'every table with a column of the domain is read to check each value',
    example: {
      setup: 'CREATE DOMAIN score_domain AS int; ALTER TABLE agents ADD COLUMN rank score_domain DEFAULT 1',
      sql: 'ALTER DOMAIN score_domain ADD CONSTRAINT score_domain_positive CHECK (VALUE > 0)',
      inTransaction: true,
    },
  },
  {
    id: 'alter-domain-validate-constraint',
    title: 'ALTER DOMAIN ... VALIDATE CONSTRAINT',
    lock: 'SHARE',
    effect: 'scan',
    effectNote: 'every table with a column of the domain is read to check each value; unlike a table constraint, writes wait meanwhile',
    example: {
      setup:
        'CREATE DOMAIN score_domain AS int; ALTER TABLE agents ADD COLUMN rank score_domain DEFAULT 1; ALTER DOMAIN score_domain ADD CONSTRAINT score_domain_positive CHECK (VALUE > 0) NOT VALID',
      sql: 'ALTER DOMAIN score_domain VALIDATE CONSTRAINT score_domain_positive',
      inTransaction: true,
    },
  },
  {
    id: 'alter-domain-set-not-null',
    title: 'ALTER DOMAIN ... SET NOT NULL',
    lock: 'SHARE',
    effect: 'scan',
    effectNote: 'every table with a column of the domain is read to check for NULLs',
    example: {
      setup: 'CREATE DOMAIN score_domain AS int; ALTER TABLE agents ADD COLUMN rank score_domain DEFAULT 1',
      sql: 'ALTER DOMAIN score_domain SET NOT NULL',
      inTransaction: true,
    },
  },

  // Other DDL
  {
    id: 'create-table',
    title: 'CREATE TABLE',
    lock: undefined,
    referencedLock: 'SHARE ROW EXCLUSIVE',
    effect: 'none',
    effectNote: 'a referenced table is locked against writes while the foreign key is added',
    example: { sql: 'CREATE TABLE memberships (agent_id bigint REFERENCES agents (id))', inTransaction: true },
  },
  {
    id: 'drop-table',
    title: 'DROP TABLE',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'DROP TABLE teams CASCADE', inTransaction: true },
  },
  {
    id: 'truncate',
    title: 'TRUNCATE',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'every row is deleted: new, empty data files replace the old ones',
    example: { sql: 'TRUNCATE agents CASCADE', inTransaction: true },
  },
  {
    id: 'create-trigger',
    title: 'CREATE TRIGGER',
    lock: 'SHARE ROW EXCLUSIVE',
    effect: 'none',
    example: {
      setup: "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
      sql: 'CREATE TRIGGER agents_touch BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION touch()',
      inTransaction: true,
    },
  },
  {
    id: 'drop-trigger',
    title: 'DROP TRIGGER',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: {
      setup:
        'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER agents_touch BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION touch()',
      sql: 'DROP TRIGGER agents_touch ON agents',
      inTransaction: true,
    },
  },
  {
    id: 'policy',
    title: 'CREATE / ALTER / DROP POLICY',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    example: { sql: 'CREATE POLICY agents_read_all ON agents FOR SELECT USING (true)', inTransaction: true },
  },
  {
    id: 'comment',
    title: 'COMMENT ON',
    lock: 'SHARE UPDATE EXCLUSIVE',
    effect: 'none',
    example: { sql: "COMMENT ON TABLE agents IS 'people and bots'", inTransaction: true },
  },
  {
    id: 'vacuum-full',
    title: 'VACUUM FULL',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the table is copied to new data files',
    notInTransaction: true,
    example: { sql: 'VACUUM FULL agents', inTransaction: false },
  },
  {
    id: 'cluster',
    title: 'CLUSTER',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the table is copied to new data files in index order',
    example: { sql: 'CLUSTER agents USING agents_pkey', inTransaction: true },
  },
  {
    id: 'vacuum',
    title: 'VACUUM',
    lock: 'SHARE UPDATE EXCLUSIVE',
    effect: 'scan',
    effectNote: 'reads every page not yet known to be all-visible',
    notInTransaction: true,
    example: { sql: 'VACUUM agents', inTransaction: false },
  },
  {
    id: 'analyze',
    title: 'ANALYZE',
    lock: 'SHARE UPDATE EXCLUSIVE',
    effect: 'scan',
    effectNote: 'reads a sample of the table',
    example: { sql: 'ANALYZE agents', inTransaction: true },
  },
  {
    id: 'refresh-materialized-view',
    title: 'REFRESH MATERIALIZED VIEW',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'rewrite',
    effectNote: 'the view is recomputed into new data files; reads of the view wait',
    example: {
      setup: 'CREATE MATERIALIZED VIEW agent_counts AS SELECT status, count(*) FROM agents GROUP BY status',
      sql: 'REFRESH MATERIALIZED VIEW agent_counts',
      inTransaction: true,
    },
  },
  {
    id: 'refresh-materialized-view-concurrently',
    title: 'REFRESH MATERIALIZED VIEW CONCURRENTLY',
    lock: 'EXCLUSIVE',
    effect: 'scan',
    effectNote: 'the view is recomputed and compared row by row; reads continue',
    example: {
      setup:
        'CREATE MATERIALIZED VIEW agent_counts AS SELECT status, count(*) FROM agents GROUP BY status; CREATE UNIQUE INDEX ON agent_counts (status)',
      sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY agent_counts',
      inTransaction: true,
    },
  },
  {
    id: 'lock-table',
    title: 'LOCK TABLE',
    lock: 'ACCESS EXCLUSIVE',
    effect: 'none',
    effectNote: 'the mode named in the statement, ACCESS EXCLUSIVE when none is named',
    example: { sql: 'LOCK TABLE agents', inTransaction: true },
  },
  {
    id: 'write-rows',
    title: 'INSERT / UPDATE / DELETE / MERGE',
    lock: 'ROW EXCLUSIVE',
    effect: 'none',
    effectNote: 'each changed row is locked until the transaction ends',
    example: { sql: "INSERT INTO agents (id, name) VALUES (1000, 'new agent')", inTransaction: true },
  },
] as const satisfies readonly StatementForm[];

export type StatementFormId = (typeof STATEMENT_FORMS)[number]['id'];

const FORMS_BY_ID = new Map<string, StatementForm>(STATEMENT_FORMS.map((form) => [form.id, form]));

export function statementForm(id: StatementFormId): StatementForm {
  const form = FORMS_BY_ID.get(id);
  if (!form) throw new Error(`unknown statement form ${id}`);
  return form;
}

/** The facts of a form for a PostgreSQL major version. */
export function formFactsFor(form: StatementForm, pgVersion: number): { lock: LockMode | undefined; referencedLock: LockMode | undefined; effect: TableEffect } {
  const older = form.olderVersions && pgVersion < form.olderVersions.before ? form.olderVersions : undefined;
  return { lock: older?.lock ?? form.lock, referencedLock: older?.referencedLock ?? form.referencedLock, effect: older?.effect ?? form.effect };
}
