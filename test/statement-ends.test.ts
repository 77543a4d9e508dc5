import { describe, expect, it } from 'vitest';
import { statementEndAfter } from '../src/parse/statement-ends.js';

/** The text up to the statement end the lexer finds at or after the marker `‸` (removed first). */
function cutAt(marked: string): string | undefined {
  const from = marked.indexOf('‸');
  const text = marked.replace('‸', '');
  const end = statementEndAfter(text, 0, from);
  return end === undefined ? undefined : text.slice(0, end);
}

describe('statementEndAfter', () => {
  it('ends at the first semicolon at or after the position', () => {
    expect(cutAt('SELECT 1; SELECT 2‸; SELECT 3;')).toBe('SELECT 1; SELECT 2;');
    expect(cutAt('SELECT 1; SELECT 2;‸ SELECT 3;')).toBe('SELECT 1; SELECT 2; SELECT 3;');
    expect(cutAt('SELECT ‸1; SELECT 2;')).toBe('SELECT 1;');
    expect(cutAt('SELECT 1; SELECT ‸2')).toBeUndefined();
  });

  it('skips semicolons inside strings, quoted identifiers and escape strings', () => {
    expect(cutAt("SELECT '‸a;b', 'it''s;'; SELECT 2;")).toBe("SELECT 'a;b', 'it''s;';");
    expect(cutAt('SELECT "we‸ird;name" FROM t; SELECT 2;')).toBe('SELECT "weird;name" FROM t;');
    expect(cutAt("SELECT E'‸\\';' ; SELECT 2;")).toBe("SELECT E'\\';' ;");
    // Not an escape string: the E ends an identifier, so the backslash is an ordinary character.
    expect(cutAt("SELECT name'‸\\'; SELECT 2;")).toBe("SELECT name'\\';");
  });

  it('skips semicolons in dollar-quoted bodies, but not after parameters or identifiers with $', () => {
    const body = 'CREATE FUNCTION f() RETURNS void AS $body$ BEGIN ‸PERFORM 1; END; $body$ LANGUAGE plpgsql;';
    expect(cutAt(`${body} SELECT 2;`)).toBe(body.replace('‸', ''));
    expect(cutAt('CREATE FUNCTION f() AS $$ SELECT ‸1; $$; SELECT 2;')).toBe('CREATE FUNCTION f() AS $$ SELECT 1; $$;');
    expect(cutAt('PREPARE p AS SELECT $1‸; SELECT 2;')).toBe('PREPARE p AS SELECT $1;');
    expect(cutAt('SELECT a$b$‸; SELECT 2;')).toBe('SELECT a$b$;');
  });

  it('skips semicolons in comments, nested block comments included', () => {
    expect(cutAt('SELECT 1 -- ‸no; not here\n; SELECT 2;')).toBe('SELECT 1 -- no; not here\n;');
    expect(cutAt('SELECT /* a /* ‸b; */ c; */ 1; SELECT 2;')).toBe('SELECT /* a /* b; */ c; */ 1;');
  });

  it('skips semicolons inside parentheses (a rule with several actions)', () => {
    const rule = 'CREATE RULE r AS ON INSERT TO t DO ALSO (‸INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));';
    expect(cutAt(`${rule} SELECT 2;`)).toBe(rule.replace('‸', ''));
  });

  it('gives up at an unterminated quote or comment', () => {
    expect(cutAt("SELECT '‸open; SELECT 2;")).toBeUndefined();
    expect(cutAt('SELECT $$‸open; SELECT 2;')).toBeUndefined();
    expect(cutAt('SELECT /*‸ open; SELECT 2;')).toBeUndefined();
  });
});
