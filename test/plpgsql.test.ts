import { beforeAll, describe, expect, it } from 'vitest';
import { changesSchema, evaluateArray, evaluateRows, evaluateText } from '../src/analyze/dynamic-sql.js';
import { type StatementAnalysis, analyzeFile } from '../src/analyze/index.js';
import { SchemaState } from '../src/analyze/schema-state.js';
import { SchemaView } from '../src/analyze/schema-view.js';
import { findDirectives } from '../src/parse/directives.js';
import { loadParser, parseSource } from '../src/parse/parser.js';
import { type RoutineBody, type UnreadBody, isUnread, routineBodyOf } from '../src/parse/plpgsql.js';
import { project, runCli } from './support/cli.js';

beforeAll(loadParser);

function bodyOf(sql: string, index = 0): RoutineBody {
  const parsed = parseSource(sql);
  const statement = parsed.statements[index];
  const body = statement && routineBodyOf(parsed, statement);
  if (!body || isUnread(body)) throw new Error(`no readable body in ${sql}`);
  return body;
}

/** Every statement the analysis sees, in order: type, where it is written, and the branch it needs. */
function analyzed(sql: string, state = new SchemaState()): StatementAnalysis[] {
  const statements: StatementAnalysis[] = [];
  analyzeFile(parseSource(sql), state, { pgVersion: 17, assumeInTransaction: false, position: { migration: '1', part: 'up' }, newTransactionId: counter() }, (analysis) => {
    statements.push(analysis);
  });
  return statements;
}

function counter(): () => number {
  let next = 0;
  return () => ++next;
}

describe('reading PL/pgSQL bodies', () => {
  it('finds each statement of a DO block at its exact place, several on one line too', () => {
    const sql = [
      'SELECT 1;',
      'DO $body$',
      'BEGIN',
      '  CREATE INDEX agents_name_idx ON agents (name);',
      "  CASE WHEN true THEN DROP INDEX a; ELSE DROP INDEX b; END CASE;",
      'END $body$;',
    ].join('\n');
    const body = bodyOf(sql, 1);
    const texts = body.units.map((unit) => (unit.kind === 'sql' ? sql.slice(unit.statement.start, unit.statement.end) : unit.expression));
    expect(texts).toEqual(['CREATE INDEX agents_name_idx ON agents (name)', 'DROP INDEX a', 'DROP INDEX b']);
    expect(body.units.map((unit) => (unit.kind === 'sql' ? unit.statement.text : ''))).toEqual(texts);
    expect(body.units.map((unit) => unit.branches.map((branch) => branch.label))).toEqual([[], ['CASE WHEN true'], ['CASE ... ELSE']]);
  });

  it('maps AST locations of a body statement to the file, past multi-byte characters', () => {
    const sql = "-- é 😀\nDO $$ BEGIN RAISE NOTICE 'ü'; ALTER TABLE agents ADD COLUMN note text; END $$;";
    const parsed = parseSource(sql);
    const [analysis] = analyzed(sql).filter((candidate) => candidate.statement.type === 'AlterTableStmt');
    const column = (analysis?.statement.node as { AlterTableStmt: { cmds: { AlterTableCmd: { def: { ColumnDef: { location: number } } } }[] } }).AlterTableStmt.cmds[0]?.AlterTableCmd.def.ColumnDef;
    const index = analysis ? parsed.indexOfLocation(analysis.statement, column?.location) : -1;
    expect(sql.slice(index, index + 9)).toBe('note text');
  });

  it('reads a body in single quotes, doubled quotes and all', () => {
    const sql = "DO 'BEGIN CREATE INDEX i ON agents (name) WHERE status = ''active''; ALTER TABLE agents ADD COLUMN x int; END';";
    const body = bodyOf(sql);
    expect(body.units.map((unit) => (unit.kind === 'sql' ? sql.slice(unit.statement.start, unit.statement.end) : ''))).toEqual([
      "CREATE INDEX i ON agents (name) WHERE status = ''active''",
      'ALTER TABLE agents ADD COLUMN x int',
    ]);
  });

  it('keeps the start of a statement whose INTO clause PL/pgSQL takes out', () => {
    const sql = 'DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM agents; UPDATE agents SET score = n; END $$;';
    const body = bodyOf(sql);
    const [select, update] = body.units;
    expect(select?.kind === 'sql' && select.statement.textSource).toBe('approximate');
    expect(select?.kind === 'sql' && sql.slice(select.statement.start).startsWith('SELECT count(*) INTO n')).toBe(true);
    expect(update?.kind === 'sql' && sql.slice(update.statement.start, update.statement.end)).toBe('UPDATE agents SET score = n');
  });

  it('labels IF, ELSIF, ELSE, loops and exception handlers', () => {
    const sql = [
      'DO $$ DECLARE r record; BEGIN',
      "  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'a') THEN CREATE TABLE a (id int);",
      '  ELSIF false THEN DROP TABLE b; ELSE DROP TABLE c; END IF;',
      '  FOR r IN SELECT relname FROM pg_class LOOP ANALYZE agents; END LOOP;',
      '  BEGIN ALTER TABLE agents ADD CONSTRAINT u UNIQUE (name); EXCEPTION WHEN duplicate_table OR duplicate_object THEN DROP INDEX z; END;',
      'END $$;',
    ].join('\n');
    const labels = bodyOf(sql).units.map((unit) => unit.branches.map((branch) => branch.label).join(' > '));
    expect(labels).toEqual([
      "IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'a')",
      'ELSIF false',
      "ELSE (not IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'a'))",
      '',
      'FOR r IN SELECT relname FROM pg_class',
      '',
      'EXCEPTION WHEN duplicate_table OR duplicate_object',
    ]);
  });

  it('says why a body that PostgreSQL rejects is not read, and ignores other languages', () => {
    const parsed = parseSource("DO $$ BEGIN FOR r IN SELECT 1 LOOP NULL; END LOOP; END $$; CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';");
    const [unread, sqlFunction] = parsed.statements;
    expect((unread && (routineBodyOf(parsed, unread) as UnreadBody).error)).toMatch(/loop variable/);
    expect(sqlFunction && routineBodyOf(parsed, sqlFunction)).toBeUndefined();
  });
});

describe('SQL built at run time', () => {
  it('builds text from constants, format() and quote_ident()', () => {
    expect(evaluateText("format('ALTER TABLE %I ADD COLUMN %s int DEFAULT %L', t, 'n', 'it''s')", new Map([['t', 'User Table']]))).toBe(
      `ALTER TABLE "User Table" ADD COLUMN n int DEFAULT 'it''s'`,
    );
    expect(evaluateText("'DROP TABLE ' || quote_ident(r.name) || ' CASCADE'", new Map([['r.name', 'user']]))).toBe('DROP TABLE "user" CASCADE');
    expect(evaluateText("format('%2$s.%1$I %%', 'a', 'b')", new Map())).toBe('b.a %');
    expect(evaluateText('sql_text', new Map(), new Map([['sql_text', "format('VACUUM %I', t)"]]))).toBeUndefined();
    expect(evaluateText('sql_text', new Map([['t', 'a']]), new Map([['sql_text', "format('VACUUM %I', t)"]]))).toBe('VACUUM a');
    expect(evaluateText("format('%-10s', 'a')", new Map())).toBeUndefined();
    expect(evaluateText("(SELECT 'a')", new Map())).toBeUndefined();
  });

  it('reads loops over constant lists', () => {
    expect(evaluateArray("ARRAY['a', 'b']", new Map())).toEqual(['a', 'b']);
    expect(evaluateArray("'{a,\"b c\"}'::text[]", new Map())).toEqual(['a', 'b c']);
    expect(evaluateRows("SELECT unnest(ARRAY['a', 'b'])")?.map((row) => row.get(''))).toEqual(['a', 'b']);
    expect(evaluateRows("SELECT * FROM unnest(ARRAY['a']) AS t(name)")?.map((row) => row.get('name'))).toEqual(['a']);
    expect(evaluateRows("SELECT * FROM (VALUES ('a', 1), ('b', 2)) AS v(name, n)")?.map((row) => row.get('n'))).toEqual(['1', '2']);
    expect(evaluateRows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).toBeUndefined();
  });

  it('tells schema changes from row writes by the first constant', () => {
    expect(changesSchema("format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', r.tablename)", new Map())).toBe('yes');
    expect(changesSchema("'UPDATE ' || t || ' SET x = 1'", new Map())).toBe('no');
    expect(changesSchema('sql_text', new Map())).toBe('unknown');
    expect(changesSchema('sql_text', new Map([['sql_text', "'CREATE INDEX ' || name"]]))).toBe('yes');
  });
});

describe('analysing what a body runs', () => {
  it('replays a DO block in the transaction of the statement that runs it, branches and all', () => {
    const statements = analyzed(
      [
        'CREATE TABLE agents (id bigint PRIMARY KEY, name text);',
        'DO $$ BEGIN',
        '  ALTER TABLE agents ADD COLUMN team_id bigint;',
        "  IF true THEN ALTER TABLE agents RENAME COLUMN name TO full_name; END IF;",
        'END $$;',
        'SELECT 1;',
      ].join('\n'),
    );
    const [, doBlock, add, rename, after] = statements;
    expect(statements.map((analysis) => analysis.statement.type)).toEqual(['CreateStmt', 'DoStmt', 'AlterTableStmt', 'RenameStmt', 'SelectStmt']);
    expect(add?.routine?.branches).toEqual([]);
    expect(rename?.routine).toMatchObject({ kind: 'do', branches: ['IF true'] });
    expect(new Set([doBlock?.transaction.id, add?.transaction.id, rename?.transaction.id]).size).toBe(1);
    expect(rename?.transaction.inBlock).toBe(true);
    expect(rename?.transaction.heldLocks.map((lock) => `${lock.mode} ${lock.relation.name}`)).toEqual(['ACCESS EXCLUSIVE agents']);
    expect(after?.transaction.id).not.toBe(doBlock?.transaction.id);
    expect(after?.schema.column({ schema: undefined, name: 'agents' }, 'full_name')).toBeDefined();
  });

  it('treats what a branch creates as possibly older than the migration', () => {
    const state = new SchemaState();
    analyzed("DO $$ BEGIN IF to_regclass('a') IS NULL THEN CREATE TABLE a (id int); END IF; CREATE TABLE b (id int); END $$;", state);
    const view = new SchemaView(state, 'public', { migration: '1', part: 'up' });
    expect(view.table({ schema: undefined, name: 'a' })).toBeDefined();
    expect(view.isNewTable({ schema: undefined, name: 'a' })).toBe(false);
    expect(view.isNewTable({ schema: undefined, name: 'b' })).toBe(true);
  });

  it('runs the body of a function the file creates and calls, and builds the statements of a constant loop', () => {
    const statements = analyzed(
      [
        'CREATE FUNCTION secure(tables text[]) RETURNS void LANGUAGE plpgsql AS $$',
        'DECLARE t text;',
        "BEGIN FOREACH t IN ARRAY ARRAY['a', 'b'] LOOP EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t); END LOOP; END $$;",
        'SELECT secure(NULL);',
      ].join('\n'),
    );
    const built = statements.filter((analysis) => analysis.routine);
    expect(built.map((analysis) => analysis.statement.text)).toEqual(['ALTER TABLE a ENABLE ROW LEVEL SECURITY', 'ALTER TABLE b ENABLE ROW LEVEL SECURITY']);
    expect(built.map((analysis) => analysis.routine?.functionName)).toEqual(['secure', 'secure']);
  });
});

describe('directives inside a body', () => {
  it('aim at the body statement after them', () => {
    const sql = ['DO $$ BEGIN', '  -- migrate-safe-ignore require-concurrent-index: tiny table', '  CREATE INDEX i ON agents (name);', 'END $$;'].join('\n');
    const [directive] = findDirectives(parseSource(sql));
    expect(directive?.target && sql.slice(directive.target.start, directive.target.end)).toBe('CREATE INDEX i ON agents (name)');
  });

  it('silence a finding of the CLI there, and nothing else', () => {
    const root = project({
      'migrations/001.sql': [
        'DO $$ BEGIN',
        '  -- migrate-safe-ignore require-concurrent-index: tiny table',
        '  CREATE INDEX i ON agents (name);',
        '  CREATE INDEX j ON agents (team_id);',
        'END $$;',
      ].join('\n'),
    });
    const result = runCli(['lint', 'migrations', '--format', 'json'], { cwd: root });
    const report = JSON.parse(result.stdout) as { findings: { ruleId: string; line: number }[]; summary: { suppressed: number } };
    expect(report.findings.map((finding) => `${finding.ruleId}@${finding.line}`)).toEqual(['require-concurrent-index@4']);
    expect(report.summary.suppressed).toBe(1);
  });
});
