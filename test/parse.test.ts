import { beforeAll, describe, expect, it } from 'vitest';
import { findDirectives } from '../src/parse/directives.js';
import { loadParser, parseSource } from '../src/parse/parser.js';

beforeAll(loadParser);

function positionOf(sql: string, index: number) {
  return parseSource(sql).source.positionAt(index);
}

describe('parseSource', () => {
  it('gives each statement its exact range, without the semicolon', () => {
    const sql = 'SELECT 1;\n  CREATE INDEX idx ON t (a) ;\n';
    const parsed = parseSource(sql);
    expect(parsed.statements.map((statement) => statement.text)).toEqual(['SELECT 1', 'CREATE INDEX idx ON t (a)']);
    expect(parsed.statements.map((statement) => statement.type)).toEqual(['SelectStmt', 'IndexStmt']);
  });

  it('converts UTF-8 byte offsets to lines and columns in characters', () => {
    const sql = "-- комментарий 😀 ещё\nINSERT INTO t VALUES ('привет 🎉'); CREATE INDEX i ON t (a);";
    const parsed = parseSource(sql);
    const index = parsed.statements[1];
    expect(index?.text).toBe('CREATE INDEX i ON t (a)');
    expect(parsed.source.positionAt(index?.start ?? -1)).toEqual({ line: 2, column: 36 });
  });

  it('keeps a trailing statement without semicolon free of the comments after it', () => {
    const parsed = parseSource('SELECT 1; SELECT 2 -- trailing\n/* more */');
    expect(parsed.statements.map((statement) => statement.text)).toEqual(['SELECT 1', 'SELECT 2']);
    expect(parsed.comments.map((comment) => comment.body)).toEqual(['trailing', 'more']);
  });

  it('reports a bad statement at the parser position and keeps the statements around it', () => {
    const sql = 'SELECT 1;\nSELEC 2;\nCREATE INDEX i ON t (a);';
    const parsed = parseSource(sql);
    expect(parsed.statements.map((statement) => statement.text)).toEqual(['SELECT 1', 'CREATE INDEX i ON t (a)']);
    expect(parsed.errors).toHaveLength(1);
    const [error] = parsed.errors;
    expect(error?.message).toBe('syntax error at or near "SELEC"');
    expect(positionOf(sql, error?.start ?? -1)).toEqual({ line: 2, column: 1 });
    expect(sql.slice(error?.start, error?.end)).toBe('SELEC');
  });

  it('respects dollar-quoted bodies, quoted identifiers and comments when splitting', () => {
    const sql = [
      "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN NEW.a := 'x;y'; RETURN NEW; END; $$ LANGUAGE plpgsql;",
      'SELECT "semi;colon" FROM t; -- a ; comment',
      'ALTER TABLE t ADD COLUMN;',
      'CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;',
      'DROP TABLE t;',
    ].join('\n');
    const parsed = parseSource(sql);
    expect(parsed.statements.map((statement) => statement.type)).toEqual([
      'CreateFunctionStmt',
      'SelectStmt',
      'CreateFunctionStmt',
      'DropStmt',
    ]);
    expect(parsed.errors.map((error) => positionOf(sql, error.start))).toEqual([{ line: 3, column: 25 }]);
  });

  it('reports an unterminated string from its start to the end of the file', () => {
    const sql = "SELECT 1;\nUPDATE t SET a = 'oops;\nSELECT 2;";
    const parsed = parseSource(sql);
    expect(parsed.statements.map((statement) => statement.text)).toEqual(['SELECT 1']);
    expect(parsed.errors.map((error) => sql.slice(error.start, error.end))).toEqual(["'oops;\nSELECT 2;"]);
  });

  it('skips psql meta-commands without moving anything else', () => {
    const sql = "\\set ON_ERROR_STOP on\nSELECT 1;\n\\connect other\nCREATE INDEX i ON t (a);\n\\i 'x.sql'";
    const parsed = parseSource(sql);
    expect(parsed.errors).toEqual([]);
    expect(parsed.statements.map((statement) => parsed.source.positionAt(statement.start).line)).toEqual([2, 4]);
  });

  it('does not mistake a backslash inside a function body for a meta-command', () => {
    const parsed = parseSource("CREATE FUNCTION f() RETURNS text AS $$\n\\x\n$$ LANGUAGE sql;");
    expect(parsed.statements[0]?.text).toContain('\\x');
  });

  it('maps AST locations of statements recovered one by one', () => {
    const sql = 'SELEC 1;\n-- é\nCREATE INDEX i ON tablé (a);';
    const parsed = parseSource(sql);
    const statement = parsed.statements[0];
    if (!statement) throw new Error('no statement');
    const relation = (statement.node as { IndexStmt: { relation: { location: number } } }).IndexStmt.relation;
    expect(sql.slice(parsed.indexOfLocation(statement, relation.location)).startsWith('tablé')).toBe(true);
  });
});

describe('parseSource of a text too long to parse at once', () => {
  /** A stretch of statements that ends between statements, with what moves offsets and what confuses a cut. */
  const block = [
    "-- заметка 😀\nINSERT INTO notes VALUES ('привет 🎉', $$a;b$$);",
    `CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC ${'SELECT 1; '.repeat(2000)}SELECT CASE WHEN true THEN 1 END; END;`,
    "SELEC 'broken';",
    'CREATE INDEX i ON t (a);\n',
  ].join('\n');
  const firstLocation = (node: unknown): number | undefined => {
    const match = /"location":(\d+)/.exec(JSON.stringify(node));
    return match ? Number(match[1]) : undefined;
  };
  const summary = (parsed: ReturnType<typeof parseSource>) => ({
    statements: parsed.statements.map((statement) => [statement.type, statement.start, statement.end, statement.text, parsed.indexOfLocation(statement, firstLocation(statement.node))] as const),
    errors: parsed.errors.map((error) => [error.message, error.start, error.end, error.statementStart, error.statementEnd] as const),
  });

  it('is parsed in pieces cut after statements, exactly as its parts are on their own', () => {
    const copies = Math.ceil(1_200_000 / block.length);
    const whole = summary(parseSource(block.repeat(copies)));
    const alone = summary(parseSource(block));
    expect(alone.errors).toHaveLength(1);
    // Every copy's offsets are its own, moved by where the copy starts.
    const shifted = (rows: readonly (readonly (string | number)[])[]): unknown[] =>
      Array.from({ length: copies }, (_, copy) => rows.map((row) => row.map((value) => (typeof value === 'number' ? value + copy * block.length : value)))).flat();
    expect(whole.statements).toEqual(shifted(alone.statements));
    expect(whole.errors).toEqual(shifted(alone.errors));
  });
});

describe('findDirectives', () => {
  it('attaches a directive to the next statement, or to the statement it trails', () => {
    const sql = [
      'SELECT 1; -- migrate-safe-ignore rule-a: trailing',
      '-- migrate-safe-ignore rule-b, rule-c : reviewed with the DBA',
      'CREATE INDEX i ON t (a);',
      '/* migrate-safe-ignore-file rule-d */',
    ].join('\n');
    const parsed = parseSource(sql);
    const directives = findDirectives(parsed);
    expect(directives.map((directive) => [directive.scope, directive.ruleIds, directive.reason])).toEqual([
      ['statement', ['rule-a'], 'trailing'],
      ['statement', ['rule-b', 'rule-c'], 'reviewed with the DBA'],
      ['file', ['rule-d'], undefined],
    ]);
    expect(directives.map((directive) => directive.target && sql.slice(directive.target.start, directive.target.end))).toEqual([
      'SELECT 1',
      'CREATE INDEX i ON t (a)',
      undefined,
    ]);
  });
});
