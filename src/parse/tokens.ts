import { scanSync } from './wasm.js';

/** A token of PostgreSQL's own scanner, with UTF-8 byte offsets into the scanned text. */
export interface Token {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly kind: string;
}

/**
 * Tokens of PostgreSQL's scanner, or undefined when the text ends inside an unterminated
 * string, dollar-quoted body or comment (the scanner then produces no tokens at all).
 */
export function scanTokens(text: string): Token[] | undefined {
  try {
    return scanSync(text).tokens.map((token) => ({
      start: token.start,
      end: token.end,
      text: token.text,
      kind: token.tokenName,
    }));
  } catch {
    return undefined;
  }
}

/**
 * Tokens of a text that ends inside an unterminated string, quoted identifier, dollar-quoted body
 * or comment. Only one such token can exist (it runs to the end), so the scanner is given the
 * missing terminator; the last token is then clipped back to the text's end.
 */
export function scanUnterminated(text: string): Token[] | undefined {
  const dollarTags = new Set(text.match(/\$[A-Za-z_][A-Za-z0-9_]*\$|\$\$/g) ?? []);
  const closers = ["'", '"', '*/', '*/*/', '*/*/*/', ...dollarTags];
  const end = Buffer.byteLength(text);
  for (const closer of closers) {
    const tokens = scanTokens(`${text}${closer}`);
    if (tokens) return tokens.map((token) => (token.end > end ? { ...token, end, text: token.text.slice(0, token.text.length - closer.length) } : token));
  }
  return undefined;
}

export function isCommentToken(token: Token): boolean {
  return token.kind === 'SQL_COMMENT' || token.kind === 'C_COMMENT';
}

/** A run of tokens that PostgreSQL would read as one statement, as byte offsets. */
export interface Chunk {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits scanned tokens into statements at top-level semicolons. Quoting, dollar-quoted bodies
 * and comments are already single tokens; SQL-standard function bodies (BEGIN ATOMIC ... END)
 * contain semicolons of their own and are kept whole.
 */
export function splitStatements(tokens: readonly Token[]): Chunk[] {
  const chunks: Chunk[] = [];
  let chunkStart: number | undefined;
  let lastEnd = 0;
  let atomicDepth = 0;
  let caseDepth = 0;
  let previousWord = '';
  for (const token of tokens) {
    if (isCommentToken(token)) continue;
    const word = token.text.toUpperCase();
    if (token.text === ';' && atomicDepth === 0) {
      if (chunkStart !== undefined) chunks.push({ start: chunkStart, end: lastEnd });
      chunkStart = undefined;
      previousWord = '';
      continue;
    }
    chunkStart ??= token.start;
    lastEnd = token.end;
    if (word === 'ATOMIC' && previousWord === 'BEGIN') atomicDepth++;
    else if (atomicDepth > 0 && word === 'CASE') caseDepth++;
    else if (atomicDepth > 0 && word === 'END') {
      if (caseDepth > 0) caseDepth--;
      else atomicDepth--;
    }
    previousWord = word;
  }
  if (chunkStart !== undefined) chunks.push({ start: chunkStart, end: lastEnd });
  return chunks;
}

/** The end of the last token that is not a comment, or undefined when there is none. */
export function lastCodeTokenEnd(tokens: readonly Token[]): number | undefined {
  for (let index = tokens.length - 1; index >= 0; index--) {
    const token = tokens[index];
    if (token && !isCommentToken(token)) return token.end;
  }
  return undefined;
}

/** Whether PostgreSQL's quote_ident would quote the word for being a keyword: any keyword but the unreserved ones. */
export function isReservedWord(word: string): boolean {
  try {
    const [token, ...more] = scanSync(word).tokens;
    return more.length === 0 && token !== undefined && token.keywordName !== 'NO_KEYWORD' && token.keywordName !== 'UNRESERVED_KEYWORD';
  } catch {
    return false;
  }
}
