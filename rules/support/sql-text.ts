import { type SqlToken, scanTokens } from '../../src/api.js';

/** A token outside every parenthesis, with the statement text it came from. */
interface TopLevelToken {
  readonly token: SqlToken;
  readonly previous: SqlToken | undefined;
}

/** Tokens at parenthesis depth 0 (subqueries and function arguments are inside), or undefined when the text does not scan. */
function topLevelTokens(text: string): TopLevelToken[] | undefined {
  const tokens = scanTokens(text);
  if (!tokens) return undefined;
  const topLevel: TopLevelToken[] = [];
  let depth = 0;
  let previous: SqlToken | undefined;
  for (const token of tokens) {
    if (token.kind === 'SQL_COMMENT' || token.kind === 'C_COMMENT') continue;
    if (token.text === '(' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === ']') depth--;
    else if (depth === 0) topLevel.push({ token, previous });
    previous = token;
  }
  return topLevel;
}

/** `text` between two UTF-8 byte offsets, as the scanner counts them. */
function byteSlice(bytes: Buffer, start: number, end: number): string {
  return bytes.subarray(start, end).toString('utf8').trim();
}

const WORD_KINDS = new Set(['IDENT', 'SCONST', 'USCONST', 'BCONST', 'XCONST', 'ICONST', 'FCONST', 'PARAM', 'Op']);

/**
 * The text of a statement's top-level clauses by their opening keyword: for
 * `UPDATE t SET a = 1 WHERE id = 2` and `['SET', 'WHERE']`, `{ '': 'UPDATE t', SET: 'a = 1', WHERE: 'id = 2' }`
 * (the text before the first clause under `''`).
 * Keywords in subqueries, function calls, strings and quoted names do not count, nor the FROM
 * of `IS DISTINCT FROM`. Undefined when the text does not scan.
 */
export function topLevelClauses(text: string, keywords: readonly string[]): Map<string, string> | undefined {
  const tokens = topLevelTokens(text);
  if (!tokens) return undefined;
  const wanted = new Set(keywords);
  const starts = tokens.filter(({ token, previous }) => {
    const word = token.text.toUpperCase();
    return wanted.has(word) && !WORD_KINDS.has(token.kind) && !(word === 'FROM' && previous?.text.toUpperCase() === 'DISTINCT');
  });
  const bytes = Buffer.from(text, 'utf8');
  const clauses = new Map<string, string>([['', byteSlice(bytes, 0, starts[0]?.token.start ?? bytes.length)]]);
  starts.forEach(({ token }, index) => {
    const end = starts[index + 1]?.token.start ?? bytes.length;
    clauses.set(token.text.toUpperCase(), byteSlice(bytes, token.end, end));
  });
  return clauses;
}

/** Splits text at a top-level separator (`,` between assignments, `=` within one). */
export function splitTopLevel(text: string, separator: string, limit = Infinity): string[] | undefined {
  const tokens = topLevelTokens(text);
  if (!tokens) return undefined;
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  let start = 0;
  for (const { token } of tokens) {
    if (token.text !== separator || parts.length + 1 >= limit) continue;
    parts.push(byteSlice(bytes, start, token.start));
    start = token.end;
  }
  parts.push(byteSlice(bytes, start, bytes.length));
  return parts;
}
