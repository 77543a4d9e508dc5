import type { Node, RawStmt } from '@pgsql/types';
import { loadModule, parseSync } from 'libpg-query';
import { type Comment, commentsBetween } from './comments.js';
import { blankMetaCommands } from './psql.js';
import { SourceText } from './source.js';
import { type Chunk, type Token, lastCodeTokenEnd, scanTokens, scanUnterminated, splitStatements } from './tokens.js';

/** One statement of a source file with its AST and exact source range. */
export interface ParsedStatement {
  /** The AST node type, such as `IndexStmt` or `AlterTableStmt`. */
  readonly type: string;
  /** The statement's AST, as libpg-query returns it: `{ [type]: node }`. */
  readonly node: Node;
  /** UTF-16 index of the statement's first character. */
  readonly start: number;
  /** UTF-16 index just past its last character (the `;` is not part of it). */
  readonly end: number;
  /** Byte offset that AST `location` fields are relative to, in the parsed text. */
  readonly locationBase: number;
  readonly text: string;
}

/** A statement that PostgreSQL's parser rejects. */
export interface ParseError {
  readonly message: string;
  /** Where the parser stopped, and the end of the offending token (UTF-16 indexes). */
  readonly start: number;
  readonly end: number;
  /** The whole rejected statement. */
  readonly statementStart: number;
  readonly statementEnd: number;
}

export interface ParsedSource {
  readonly source: SourceText;
  readonly statements: readonly ParsedStatement[];
  readonly comments: readonly Comment[];
  readonly errors: readonly ParseError[];
  /** The UTF-16 index of an AST `location` within a statement. */
  indexOfLocation(statement: ParsedStatement, location: number | undefined): number;
}

let parserLoaded = false;

/** Loads and compiles the WebAssembly parser; call once before `parseSource`. */
export async function loadParser(): Promise<void> {
  await loadModule();
  parserLoaded = true;
}

interface ParserFailure {
  readonly message: string;
  readonly position: number;
}

/**
 * Parses a whole migration file. A file that does not parse is split into statements with the
 * parser's own scanner; each statement is parsed on its own, so one bad statement becomes one
 * error and every other statement is still available to the rules.
 */
export function parseSource(text: string): ParsedSource {
  // Without the parser every statement would look like a syntax error: fail loudly instead.
  if (!parserLoaded) throw new Error('the PostgreSQL parser is not loaded yet: await loadParser() before parseSource()');
  const parsedText = blankMetaCommands(text);
  const positions = new SourceText(parsedText);
  const source = parsedText === text ? positions : new SourceText(text);
  const statements: ParsedStatement[] = [];
  const errors: ParseError[] = [];
  const whole = tryParse(parsedText);
  if ('stmts' in whole) {
    collectStatements(whole.stmts, parsedText, 0, parsedText, positions, statements);
  } else {
    parseChunkByChunk(parsedText, positions, statements, errors);
  }
  return {
    source,
    statements,
    comments: commentsOutside(parsedText, statements, errors),
    errors,
    indexOfLocation(statement, location) {
      if (location === undefined || location < 0) return statement.start;
      return positions.indexOfByte(statement.locationBase + location);
    },
  };
}

function tryParse(text: string): { stmts: RawStmt[] } | ParserFailure {
  if (text.trim() === '') return { stmts: [] };
  try {
    return { stmts: parseSync(text).stmts ?? [] };
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    return { message: (error as Error).message, position: details?.cursorPosition ?? 0 };
  }
}

/** `parsedText` starts at byte `base` of the whole file's `text`. */
function collectStatements(
  stmts: readonly RawStmt[],
  parsedText: string,
  base: number,
  text: string,
  positions: SourceText,
  into: ParsedStatement[],
): void {
  for (const raw of stmts) {
    if (!raw.stmt) continue;
    const startByte = base + (raw.stmt_location ?? 0);
    const start = positions.indexOfByte(startByte);
    // Without a length, the statement runs to the end of what was parsed.
    const rawEnd = raw.stmt_len ? positions.indexOfByte(startByte + raw.stmt_len) : positions.indexOfByte(base) + parsedText.length;
    const end = start + codeLength(text.slice(start, rawEnd));
    into.push({
      type: Object.keys(raw.stmt)[0] ?? 'Unknown',
      node: raw.stmt,
      start,
      end,
      locationBase: base,
      text: text.slice(start, end),
    });
  }
}

/**
 * The parser's statement length runs up to the semicolon, so it can include trailing space
 * and comments: the length of the statement's code alone, in UTF-16 units.
 */
function codeLength(statementText: string): number {
  const trimmed = statementText.trimEnd();
  const lastLine = trimmed.slice(trimmed.lastIndexOf('\n') + 1);
  if (!trimmed.endsWith('*/') && !lastLine.includes('--')) return trimmed.length;
  const tokens = scanTokens(trimmed);
  const end = tokens && lastCodeTokenEnd(tokens);
  return end === undefined ? trimmed.length : new SourceText(trimmed).indexOfByte(end);
}

function parseChunkByChunk(text: string, positions: SourceText, statements: ParsedStatement[], errors: ParseError[]): void {
  const { tokens, chunks } = chunksOf(text);
  for (const chunk of chunks) {
    const start = positions.indexOfByte(chunk.start);
    const chunkText = text.slice(start, positions.indexOfByte(chunk.end));
    const result = tryParse(chunkText);
    if ('stmts' in result) {
      collectStatements(result.stmts, chunkText, chunk.start, text, positions, statements);
    } else {
      const errorByte = Math.min(chunk.start + result.position, chunk.end);
      errors.push({
        message: result.message,
        start: positions.indexOfByte(errorByte),
        end: positions.indexOfByte(errorTokenEnd(tokens, errorByte, chunk)),
        statementStart: start,
        statementEnd: positions.indexOfByte(chunk.end),
      });
    }
  }
}

/** The statement chunks of a text that failed to parse; without any tokens, the whole text is one chunk. */
function chunksOf(text: string): { tokens: Token[]; chunks: Chunk[] } {
  const tokens = scanTokens(text) ?? scanUnterminated(text);
  if (!tokens) return { tokens: [], chunks: [{ start: 0, end: Buffer.byteLength(text) }] };
  return { tokens, chunks: splitStatements(tokens) };
}

/** Where to end the underline of a syntax error: the offending token, or the statement's end. */
function errorTokenEnd(tokens: readonly Token[], errorByte: number, chunk: Chunk): number {
  const token = tokens.find((candidate) => candidate.start <= errorByte && errorByte < candidate.end);
  if (token) return token.end;
  const previous = tokens.findLast((candidate) => candidate.end <= errorByte && candidate.start >= chunk.start);
  return errorByte >= chunk.end && previous ? Math.max(previous.end, errorByte) : chunk.end;
}

/** Comments lie in the stretches that no statement and no error covers. */
function commentsOutside(text: string, statements: readonly ParsedStatement[], errors: readonly ParseError[]): Comment[] {
  const covered = [
    ...statements,
    ...errors.map((error) => ({ start: error.statementStart, end: error.statementEnd })),
  ].sort((left, right) => left.start - right.start);
  const comments: Comment[] = [];
  let gapStart = 0;
  for (const range of covered) {
    comments.push(...commentsBetween(text, gapStart, range.start));
    gapStart = Math.max(gapStart, range.end);
  }
  comments.push(...commentsBetween(text, gapStart, text.length));
  return comments;
}
