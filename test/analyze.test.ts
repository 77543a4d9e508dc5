import { beforeAll, describe, expect, it } from 'vitest';
import { type StatementAnalysis, analyzeFile } from '../src/analyze/index.js';
import { formatTypeName } from '../src/analyze/ast.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { controlsTransaction, refusesTransactionBlock } from '../src/analyze/transaction-block.js';
import { loadParser, parseSource } from '../src/parse/parser.js';

beforeAll(loadParser);

function analyze(
  sql: string,
  options: { assumeInTransaction?: boolean; state?: SchemaState; migration?: string; observe?: (analysis: StatementAnalysis) => void } = {},
): StatementAnalysis[] {
  let transactions = 0;
  const seen: StatementAnalysis[] = [];
  analyzeFile(
    parseSource(sql),
    options.state ?? new SchemaState(),
    {
      pgVersion: 15,
      assumeInTransaction: options.assumeInTransaction ?? false,
      position: { migration: options.migration ?? 'm1', part: 'up' },
      newTransactionId: () => ++transactions,
    },
    (analysis) => {
      seen.push(analysis);
      options.observe?.(analysis);
    },
  );
  return seen;
}

describe('transactions', () => {
  it('follow BEGIN ... COMMIT; statements outside run in a transaction each', () => {
    const [before, begin, inside, commit, after] = analyze('SELECT 1; BEGIN; CREATE INDEX i ON t (a); COMMIT; SELECT 2;');
    expect([before, begin, inside, commit, after].map((statement) => statement?.transaction.inBlock)).toEqual([false, true, true, true, false]);
    expect(begin?.transaction.id).toBe(inside?.transaction.id);
    expect(new Set([before?.transaction.id, inside?.transaction.id, after?.transaction.id]).size).toBe(3);
  });

  it('cover the whole file with assumeInTransaction, until a COMMIT', () => {
    const statements = analyze('SELECT 1; SELECT 2; COMMIT; SELECT 3;', { assumeInTransaction: true });
    expect(statements.map((statement) => statement.transaction.inBlock)).toEqual([true, true, true, false]);
    expect(statements.map((statement) => statement.transaction.explicit)).toEqual([false, false, false, false]);
  });

  it('hold the locks of earlier statements of the same block', () => {
    const [, alter, update] = analyze('BEGIN; ALTER TABLE agents ADD COLUMN x int; UPDATE agents SET x = 1; COMMIT;');
    expect(alter?.transaction.heldLocks).toEqual([]);
    expect(update?.transaction.heldLocks.map((lock) => [lock.mode, lock.relation.name])).toEqual([['ACCESS EXCLUSIVE', 'agents']]);
  });

  it("keep each statement's held locks as they were when it ran, read before or after the later statements", () => {
    const readEarly: string[][] = [];
    const statements = analyze('ALTER TABLE a ADD COLUMN x int; CREATE INDEX i ON b (y); ALTER TABLE c DROP COLUMN z; BEGIN; SELECT 1;', {
      assumeInTransaction: true,
      observe: (analysis) => {
        if (analysis.index === 1) readEarly.push(analysis.transaction.heldLocks.map((lock) => lock.relation.name));
      },
    });
    const heldNames = statements.map((statement) => statement.transaction.heldLocks.map((lock) => lock.relation.name));
    expect(heldNames).toEqual([[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    expect(readEarly).toEqual([['a']]);
  });
});

describe('settings', () => {
  it('SET lasts for the session, SET LOCAL until the transaction ends, RESET clears', () => {
    const statements = analyze(
      "SET lock_timeout = '5s'; BEGIN; SET LOCAL statement_timeout TO 1000; SELECT 1; COMMIT; SELECT 2; RESET lock_timeout; SELECT 3;",
    );
    const at = (index: number) => statements[index]?.settings;
    expect(at(3)).toMatchObject({ lockTimeout: { text: '5s', milliseconds: 5000 }, statementTimeout: { milliseconds: 1000, local: true } });
    expect(at(5)).toMatchObject({ lockTimeout: { milliseconds: 5000 }, statementTimeout: undefined });
    expect(at(7)?.lockTimeout).toBeUndefined();
  });

  it('ROLLBACK undoes the settings of its transaction; set_config is SET', () => {
    const statements = analyze("BEGIN; SET lock_timeout = '1s'; ROLLBACK; SELECT 1; SELECT set_config('lock_timeout', '2min', false); SELECT 2;");
    expect(statements[3]?.settings.lockTimeout).toBeUndefined();
    expect(statements[5]?.settings.lockTimeout).toMatchObject({ milliseconds: 120_000 });
  });
});

describe('schema state', () => {
  it('tells tables created in this file from tables of earlier migrations and unknown ones', () => {
    const state = new SchemaState();
    analyze('CREATE TABLE teams (id bigint PRIMARY KEY);', { state, migration: 'm1' });
    const [, check] = analyze('CREATE TABLE audit (id bigint); SELECT 1;', { state, migration: 'm2' });
    expect(check?.schema.isNewTable({ schema: undefined, name: 'audit' })).toBe(true);
    expect(check?.schema.isNewTable({ schema: 'public', name: 'teams' })).toBe(false);
    expect(check?.schema.table({ schema: undefined, name: 'teams' })?.origin?.migration).toBe('m1');
    expect(check?.schema.table({ schema: undefined, name: 'agents' })).toBeUndefined();
  });

  it('follows renames, and returns to a checkpoint after a rollback was tried', () => {
    const state = new SchemaState();
    analyze('ALTER TABLE old_table RENAME TO old_table_deprecated;', { state, migration: 'm1' });
    const checkpoint = state.checkpoint();
    analyze('ALTER TABLE old_table_deprecated RENAME TO old_table;', { state, migration: 'm1' });
    expect(state.tables.has('public.old_table')).toBe(true);
    state.restore(checkpoint);
    expect(state.tables.get('public.old_table_deprecated')?.renamedFrom).toMatchObject({ name: 'old_table', origin: { migration: 'm1' } });
    expect(state.tables.has('public.old_table')).toBe(false);
  });

  it('records which column a BEFORE INSERT OR UPDATE row trigger mirrors into which, and keeps it after the trigger goes', () => {
    const state = new SchemaState();
    analyze(
      `ALTER TABLE agents ADD COLUMN new_name text;
       CREATE FUNCTION sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         -- NEW.ignored := NEW.commented_out;
         NEW.new_name := NEW.old_name;
         NEW."Title" = NEW.Heading;
         IF NEW.score = NEW.rank THEN NEW.score_new := NEW.score::bigint; END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER sync BEFORE INSERT OR UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION sync();
       CREATE TRIGGER audit AFTER INSERT OR UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION sync();`,
      { state, migration: 'm1' },
    );
    const [drop] = analyze('DROP TRIGGER sync ON agents; DROP FUNCTION sync();', { state, migration: 'm2' });
    const [after] = analyze('SELECT 1;', { state, migration: 'm3' });
    for (const view of [drop?.schema, after?.schema]) {
      expect(view?.column({ schema: undefined, name: 'agents' }, 'old_name')?.mirroredInto).toMatchObject({ name: 'new_name', origin: { migration: 'm1' } });
      expect(view?.column({ schema: undefined, name: 'agents' }, 'heading')?.mirroredInto?.name).toBe('Title');
      expect(view?.column({ schema: undefined, name: 'agents' }, 'commented_out')).toBeUndefined();
      // A conversion is a copy too; the comparison of the IF is not.
      expect(view?.column({ schema: undefined, name: 'agents' }, 'score')?.mirroredInto?.name).toBe('score_new');
      expect(view?.column({ schema: undefined, name: 'agents' }, 'rank')).toBeUndefined();
    }
    expect(state.tables.get('public.teams')).toBeUndefined();
  });

  it("finds a table's indexes, policies, triggers and partitions as a scan of every object would, through renames, drops and a restore", () => {
    const state = new SchemaState();
    const scanned = (table: string) => ({
      indexes: [...state.indexes.values()].filter((index) => index.table === table),
      policies: [...state.policies.values()].filter((policy) => policy.table === table),
      triggers: [...state.triggers.values()].filter((trigger) => trigger.table === table),
      partitions: [...state.tables.values()].filter((partition) => partition.partitionOf === table),
    });
    const looked = (table: string) => ({
      indexes: state.indexesOn(table),
      policies: state.policiesOn(table),
      triggers: state.triggersOn(table),
      partitions: state.partitionsOf(table),
    });
    const tables = ['public.a', 'public.b', 'public.c', 'public.events', 'public.events_2024', 'public.events_old'];
    const agree = (): void => {
      for (const table of tables) expect(looked(table)).toEqual(scanned(table));
    };
    analyze(
      `CREATE TABLE a (id bigint PRIMARY KEY, x int);
       CREATE INDEX a_x ON a (x);
       CREATE TABLE b (id bigint PRIMARY KEY);
       CREATE POLICY p1 ON a USING (true);
       CREATE TRIGGER t1 BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f();
       CREATE POLICY p2 ON b USING (true);
       CREATE INDEX a_id_x ON a (id, x);
       CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
       CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
       CREATE TABLE events_old (id bigint, at date);`,
      { state, migration: 'm1' },
    );
    expect(state.indexesOn('public.a').map((index) => index.name.name)).toEqual(['a_pkey', 'a_x', 'a_id_x']);
    agree();
    const checkpoint = state.checkpoint();
    analyze(
      `ALTER TABLE a RENAME TO c;
       ALTER TABLE events ATTACH PARTITION events_old DEFAULT;
       CREATE INDEX c_late ON c (x);
       DROP TABLE b;`,
      { state, migration: 'm2' },
    );
    expect(state.indexesOn('public.a')).toEqual([]);
    expect(state.partitionsOf('public.events').map((partition) => partition.name.name)).toEqual(['events_2024', 'events_old']);
    agree();
    state.restore(checkpoint);
    expect(state.indexesOn('public.a').map((index) => index.name.name)).toEqual(['a_pkey', 'a_x', 'a_id_x']);
    agree();
  });

  it('records where row level security was enabled, and the schemas migrations create', () => {
    const state = new SchemaState();
    analyze('ALTER TABLE agents ENABLE ROW LEVEL SECURITY; CREATE SCHEMA analytics; CREATE TABLE analytics.events (id bigint);', { state, migration: 'm1' });
    expect(state.tables.get('public.agents')?.rowLevelSecurityEnabledIn).toMatchObject({ migration: 'm1', part: 'up' });
    expect(state.namespaces.get('analytics')?.origin?.migration).toBe('m1');
    analyze('ALTER TABLE agents DISABLE ROW LEVEL SECURITY; DROP SCHEMA analytics CASCADE;', { state, migration: 'm2' });
    expect(state.tables.get('public.agents')?.rowLevelSecurityEnabledIn).toBeUndefined();
    expect(state.namespaces.has('analytics')).toBe(false);
    expect(state.tables.has('analytics.events')).toBe(false);
  });
});

describe('schema state across migrations', () => {
  /** Replays migrations in order into one state, each recorded as the engine does; `observe` sees the last one's statements. */
  function history(migrations: readonly string[], observe?: (analysis: StatementAnalysis) => void): { state: SchemaState } {
    const state = new SchemaState();
    migrations.forEach((sql, index) => {
      state.startRecording(`m${index + 1}`);
      analyze(sql, { state, migration: `m${index + 1}`, observe: index === migrations.length - 1 ? observe : undefined });
      state.stopRecording();
    });
    return { state };
  }

  const AGENTS = { schema: undefined, name: 'agents' };

  it('keeps a check constraint validated in an earlier migration, which proves NOT NULL', () => {
    const seen: unknown[] = [];
    history(
      [
        'CREATE TABLE agents (id bigint PRIMARY KEY, status text);',
        'ALTER TABLE agents ADD CONSTRAINT agents_status_not_null CHECK (status IS NOT NULL) NOT VALID;',
        'ALTER TABLE agents VALIDATE CONSTRAINT agents_status_not_null;',
        'ALTER TABLE agents ALTER COLUMN status SET NOT NULL;',
      ],
      ({ schema }) => {
        const constraint = schema.table(AGENTS)?.constraints.get('agents_status_not_null');
        seen.push([constraint?.provesNotNull, constraint?.validated, constraint?.origin?.migration, constraint?.validatedIn?.migration, schema.isNewTable(AGENTS)]);
      },
    );
    expect(seen).toEqual([['status', true, 'm2', 'm3', false]]);
  });

  it('knows the real old type of a column, as each migration left it', () => {
    const seen: (string | undefined)[] = [];
    history(
      ['CREATE TABLE agents (id bigint, code varchar(50));', 'ALTER TABLE agents ALTER COLUMN code TYPE varchar(200);', 'ALTER TABLE agents ALTER COLUMN code TYPE varchar(20);'],
      ({ schema }) => seen.push(formatTypeName(schema.column(AGENTS, 'code')?.type)),
    );
    expect(seen).toEqual(['varchar(200)']);
  });

  it('follows renames of policies, triggers, types, functions and enum values', () => {
    const { state } = history([
      "CREATE TABLE t (id int); CREATE POLICY p ON t USING (true); CREATE FUNCTION f(a int) RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f(); CREATE TYPE mood AS ENUM ('ok');",
      "ALTER POLICY p ON t RENAME TO p2; ALTER TRIGGER tr ON t RENAME TO tr2; ALTER TYPE mood RENAME TO feeling; ALTER FUNCTION f(int) RENAME TO g; ALTER TYPE feeling RENAME VALUE 'ok' TO 'fine';",
    ]);
    expect([...state.policies.keys()]).toEqual(['public.t:p2']);
    expect([...state.triggers.keys()]).toEqual(['public.t:tr2']);
    expect([...state.functions.values()].map((fn) => [fn.key, fn.argumentTypes, fn.origin?.migration])).toEqual([['public.g', ['integer'], 'm1']]);
    expect([...(state.types.get('public.feeling')?.values.entries() ?? [])].map(([value, origin]) => [value, origin?.migration])).toEqual([['fine', 'm1']]);
    expect(state.recording?.renames.map((rename) => [rename.kind, rename.fromKey, rename.toKey])).toEqual([
      ['policy', 'p', 'p2'],
      ['trigger', 'tr', 'tr2'],
      ['type', 'public.mood', 'public.feeling'],
      ['function', 'public.f', 'public.g'],
      ['enum-value', 'ok', 'fine'],
    ]);
  });

  it('ties a unique constraint and its index: USING INDEX renames the index, dropping the constraint drops it', () => {
    const { state } = history([
      'CREATE TABLE t (id int, code text);',
      'CREATE UNIQUE INDEX CONCURRENTLY t_code_idx ON t (code); ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE USING INDEX t_code_idx;',
    ]);
    expect([...state.indexes.values()].map((index) => [index.key, index.origin?.migration])).toEqual([['public.t_code_key', 'm2']]);
    analyze('ALTER TABLE t DROP CONSTRAINT t_code_key;', { state, migration: 'm3' });
    expect([...state.indexes.keys()]).toEqual([]);
  });

  it('keeps where a view was created when CREATE OR REPLACE redefines it', () => {
    const { state } = history(['CREATE VIEW v AS SELECT 1;', 'CREATE OR REPLACE VIEW v AS SELECT 2;']);
    expect(state.tables.get('public.v')?.origin?.migration).toBe('m1');
  });
});

describe('what a migration changed, and what its rollback leaves', () => {
  const MIGRATION = [
    'CREATE TABLE teams (id bigint PRIMARY KEY);',
    'CREATE INDEX idx_teams ON teams (id);',
    'ALTER TABLE agents ADD COLUMN team_id bigint, ALTER COLUMN status SET NOT NULL, ENABLE ROW LEVEL SECURITY;',
    'CREATE POLICY agents_read ON agents USING (true);',
    'ALTER TABLE agents RENAME COLUMN full_name TO display_name;',
    "ALTER TYPE agent_status ADD VALUE 'archived';",
    'CREATE INDEX CONCURRENTLY idx_agents_team ON agents (team_id);',
  ].join('\n');

  /** The changes still in place after the migration and then `rollback`, as `object: change`. */
  function remaining(rollback: string | undefined): string[] {
    const state = new SchemaState();
    analyze("CREATE TYPE agent_status AS ENUM ('active');", { state, migration: 'm0' });
    state.startRecording('m1');
    analyze(MIGRATION, { state, migration: 'm1' });
    state.stopRecording();
    const checkpoint = state.checkpoint();
    const changes: string[] = [];
    // Observed at the last statement, the state is the rollback's end (or the migration's, without one).
    analyze(`${rollback ?? ''} SELECT 1;`, { state, migration: 'm1', observe: ({ statement, schema }) => {
      if (statement.type === 'SelectStmt') changes.push(...schema.changesOfThisMigration().map((change) => `${change.object}: ${change.change}`));
    } });
    state.restore(checkpoint);
    return changes;
  }

  it('lists every change of the migration, once per object (a table takes its index along)', () => {
    expect(remaining(undefined)).toEqual([
      'column agents.display_name: renamed from full_name',
      'table teams: created',
      'column agents.team_id: added',
      'column agents.status: set NOT NULL',
      'row level security on agents: enabled',
      'index idx_agents_team: created',
      'policy agents_read on agents: created',
      "value 'archived' of agent_status: added",
    ]);
  });

  it('lists nothing after a rollback that undoes everything but the enum value PostgreSQL cannot drop', () => {
    const rollback = [
      'DROP INDEX CONCURRENTLY idx_agents_team;',
      'ALTER TABLE agents RENAME COLUMN display_name TO full_name;',
      'DROP POLICY agents_read ON agents;',
      'ALTER TABLE agents DISABLE ROW LEVEL SECURITY, ALTER COLUMN status DROP NOT NULL, DROP COLUMN team_id;',
      'DROP TABLE teams;',
    ].join('\n');
    expect(remaining(rollback)).toEqual(["value 'archived' of agent_status: added"]);
  });

  it('lists what a partial rollback leaves, with the statement that undoes each', () => {
    const state = new SchemaState();
    state.startRecording('m1');
    analyze(MIGRATION, { state, migration: 'm1' });
    state.stopRecording();
    state.checkpoint();
    const undo: string[] = [];
    analyze('DROP TABLE teams; SELECT 1;', { state, migration: 'm1', observe: ({ statement, schema }) => {
      if (statement.type === 'SelectStmt') undo.push(...schema.changesOfThisMigration().map((change) => change.undo));
    } });
    expect(undo).toEqual([
      'ALTER TABLE agents RENAME COLUMN display_name TO full_name;',
      'ALTER TABLE agents DROP COLUMN IF EXISTS team_id;',
      'ALTER TABLE agents ALTER COLUMN status DROP NOT NULL;',
      'ALTER TABLE agents DISABLE ROW LEVEL SECURITY;',
      'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_team;',
      'DROP POLICY IF EXISTS agents_read ON agents;',
      expect.stringContaining("PostgreSQL cannot drop the enum value 'archived'") as unknown as string,
    ]);
  });
});

describe('statements PostgreSQL refuses in a transaction block', () => {
  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', true],
    ['CREATE INDEX i ON t (a)', false],
    ['DROP INDEX CONCURRENTLY i', true],
    ['REINDEX (CONCURRENTLY) TABLE t', true],
    ['REINDEX TABLE t', false],
    ['REINDEX SCHEMA s', true],
    ['VACUUM t', true],
    ['ANALYZE t', false],
    ['CLUSTER', true],
    ['CLUSTER t', false],
    ['ALTER SYSTEM SET work_mem = 1', true],
    ['CREATE DATABASE d', true],
    ['ALTER DATABASE d SET TABLESPACE x', true],
    ['ALTER DATABASE d SET work_mem = 1', false],
    ['ALTER SUBSCRIPTION s REFRESH PUBLICATION', true],
    ['ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)', false],
    ['ALTER TABLE p DETACH PARTITION c CONCURRENTLY', true],
    ['ALTER TABLE p DETACH PARTITION c', false],
    ['DISCARD ALL', true],
    ["COMMIT PREPARED 'x'", true],
  ])('%s: %s', (sql, refused) => {
    const [statement] = parseSource(sql).statements;
    expect(statement && refusesTransactionBlock(statement.node)).toBe(refused);
  });

  it('and the statements that manage transactions themselves', () => {
    const statements = parseSource('BEGIN; SAVEPOINT s; ROLLBACK TO s; COMMIT; START TRANSACTION; ROLLBACK; SELECT 1;').statements;
    expect(statements.map((statement) => controlsTransaction(statement.node))).toEqual([true, false, false, true, true, true, false]);
  });
});

describe('a migration that renames what it created', () => {
  it('counts as creating it under its last name', () => {
    const state = new SchemaState();
    state.startRecording('m1');
    const changes: string[] = [];
    analyze('CREATE TABLE draft (id int); ALTER TABLE draft RENAME TO teams; ALTER TABLE agents ADD COLUMN x int; ALTER TABLE agents RENAME COLUMN x TO team_id; SELECT 1;', {
      state,
      migration: 'm1',
      observe: ({ statement, schema }) => {
        if (statement.type === 'SelectStmt') changes.push(...schema.changesOfThisMigration().map((change) => `${change.object}: ${change.change}`));
      },
    });
    expect(changes).toEqual(['table teams: created', 'column agents.team_id: added']);
  });
});

describe('partitions and CHECK constraints', () => {
  it('record the partition key, the default partition and the columns each CHECK uses', () => {
    const state = new SchemaState();
    analyze(
      [
        'CREATE TABLE events (id bigint, at date, region text) PARTITION BY RANGE (at, lower(region));',
        'CREATE TABLE events_default PARTITION OF events DEFAULT;',
        'CREATE TABLE events_2025 (id bigint, at date, region text);',
        "ALTER TABLE events_2025 ADD CONSTRAINT bound CHECK (at IS NOT NULL AND at >= '2025-01-01' AND region <> '');",
        "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01', 'a') TO ('2026-01-01', 'a');",
      ].join('\n'),
      { state },
    );
    expect(state.tables.get('public.events')?.partitionKey).toEqual(['at', 'region']);
    expect(state.tables.get('public.events_default')).toMatchObject({ partitionOf: 'public.events', defaultPartition: true });
    expect(state.tables.get('public.events_2025')).toMatchObject({ partitionOf: 'public.events', defaultPartition: false });
    // A NOT NULL test among the ANDed conditions proves the column not null, as PostgreSQL's SET NOT NULL sees it.
    expect(state.tables.get('public.events_2025')?.constraints.get('bound')).toMatchObject({ columns: ['at', 'region'], provesNotNull: 'at' });
  });

  it('put the scan of ATTACH PARTITION on the partition, not on the partitioned table', () => {
    const [attach] = analyze("ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');");
    expect(attach?.locks.map((lock) => [lock.relation.name, lock.mode, lock.effect])).toEqual([
      ['events', 'SHARE UPDATE EXCLUSIVE', 'none'],
      ['events_2025', 'ACCESS EXCLUSIVE', 'scan'],
    ]);
  });
});

describe('lock classification', () => {
  const locksOf = (analysis: StatementAnalysis | undefined) => analysis?.locks.map((lock) => [lock.relation.name, lock.mode, lock.effect]);

  it('counts a new column\'s REFERENCES as a scan only when a default fills the column (even DEFAULT NULL)', () => {
    const [empty, filled] = analyze('ALTER TABLE agents ADD COLUMN team_id bigint REFERENCES teams (id); ALTER TABLE agents ADD COLUMN home_id bigint DEFAULT NULL REFERENCES teams (id);');
    expect(locksOf(empty)).toEqual([
      ['agents', 'ACCESS EXCLUSIVE', 'none'],
      ['agents', 'SHARE ROW EXCLUSIVE', 'none'],
      ['teams', 'SHARE ROW EXCLUSIVE', 'none'],
    ]);
    expect(locksOf(filled)).toContainEqual(['agents', 'SHARE ROW EXCLUSIVE', 'scan']);
  });

  it('lets a valid CHECK (col IS NOT NULL) spare the scan of ADD CONSTRAINT ... NOT NULL as it does for SET NOT NULL', () => {
    const statements = analyze(
      'ALTER TABLE agents ADD CONSTRAINT agents_name_not_null_check CHECK (name IS NOT NULL) NOT VALID; ALTER TABLE agents VALIDATE CONSTRAINT agents_name_not_null_check; ALTER TABLE agents ADD CONSTRAINT agents_name_not_null NOT NULL name; ALTER TABLE agents ADD CONSTRAINT agents_email_not_null NOT NULL email;',
    );
    expect(locksOf(statements[2])).toEqual([['agents', 'ACCESS EXCLUSIVE', 'none']]);
    expect(locksOf(statements[3])).toEqual([['agents', 'ACCESS EXCLUSIVE', 'scan']]);
  });

  it('knows int8 and timestamptz as bigint and timestamp with time zone', () => {
    const statements = analyze("CREATE TABLE events (at timestamp, n bigint); SET TIME ZONE 'UTC'; ALTER TABLE events ALTER COLUMN at TYPE timestamptz, ALTER COLUMN n TYPE int8;");
    expect(statements[2]?.locks.map((lock) => lock.form.id)).toEqual(['alter-column-type-binary-coercible', 'alter-column-type-binary-coercible']);
  });

  it('gives UNIQUE and PRIMARY KEY USING INDEX the index\'s columns', () => {
    const state = new SchemaState();
    analyze('CREATE TABLE accounts (id bigint, email text); CREATE UNIQUE INDEX accounts_pkey ON accounts (id); ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_pkey;', { state });
    const accounts = state.tables.get('public.accounts');
    expect(accounts?.constraints.get('accounts_pkey')?.columns).toEqual(['id']);
    expect(accounts?.columns.get('id')?.notNull).toBe(true);
  });
});
