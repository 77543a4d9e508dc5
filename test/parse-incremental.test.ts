import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ParsedSource, loadParser, parseSource } from '../src/parse/parser.js';

beforeAll(loadParser);

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** AST fields that are byte offsets into the parsed text, like `location` (`rexpr_list_start` of `x IN (...)`). */
const OFFSET_FIELDS = /^(location|\w+_start|\w+_end)$/;

/** What a parse says, with every AST location resolved to a file index: reused and re-parsed statements must agree on it. */
function observable(parsed: ParsedSource): unknown {
  return {
    statements: parsed.statements.map((statement) => ({
      type: statement.type,
      start: statement.start,
      end: statement.end,
      text: statement.text,
      node: JSON.stringify(statement.node, (key, value: unknown) => (OFFSET_FIELDS.test(key) && typeof value === 'number' ? parsed.indexOfLocation(statement, value) : value)),
    })),
    errors: parsed.errors,
    comments: parsed.comments,
  };
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % below;
  };
}

/** What people type, and what breaks statement boundaries: quotes, comments, semicolons, dollar bodies, psql commands. */
const TYPED = [';', "'", '$$', '/*', '*/', '--', '\n', ' ', 'CREATE INDEX i ON t (a);', 'SELECT 1', '(', ')', 'Привет 😀', 'BEGIN ATOMIC', 'END;', '\\set x 1\n', 'x'];

describe('parseSource with the parse of an earlier version', () => {
  const files = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.sql'));

  it.each(files)('gives what a full parse gives, edit after edit: %s', (name) => {
    const next = random(name.length * 7919);
    let text = readFileSync(join(FIXTURES, name), 'utf8');
    let previous = parseSource(text);
    for (let edit = 0; edit < 40; edit++) {
      const at = next(text.length + 1);
      const removed = next(4) === 0 ? next(Math.min(20, text.length - at) + 1) : 0;
      const inserted = next(3) === 0 ? '' : (TYPED[next(TYPED.length)] ?? '');
      text = text.slice(0, at) + inserted + text.slice(at + removed);
      const incremental = parseSource(text, previous);
      expect(observable(incremental), `edit ${edit}: ${JSON.stringify(inserted)} at ${at}, ${removed} removed`).toEqual(observable(parseSource(text)));
      previous = incremental;
    }
  });

  it('reuses the statements before and after the edit', () => {
    const before = parseSource('CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\nDROP TABLE b;\n');
    const after = parseSource('CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id, name);\nDROP TABLE b;\n', before);
    expect(after.statements[0]).toBe(before.statements[0]);
    expect(after.statements[1]?.text).toBe('CREATE INDEX a_id ON a (id, name)');
    expect(after.statements[2]?.node).toBe(before.statements[2]?.node);
    expect(after.statements[2]?.start).toBe((before.statements[2]?.start ?? 0) + ', name'.length);
  });
});
