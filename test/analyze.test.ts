import { beforeAll, describe, expect, it } from 'vitest';
import { type StatementAnalysis, analyzeFile } from '../src/analyze/index.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { loadParser, parseSource } from '../src/parse/parser.js';

beforeAll(loadParser);

function analyze(sql: string, options: { assumeInTransaction?: boolean; state?: SchemaState; migration?: string } = {}): StatementAnalysis[] {
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
    (analysis) => seen.push(analysis),
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
    }
    expect(state.tables.get('public.teams')).toBeUndefined();
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
