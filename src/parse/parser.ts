import type { Node, RawStmt } from '@pgsql/types';
import { type Comment, commentsBetween } from './comments.js';
import { parserText } from './psql.js';
import { SourceText } from './source.js';
import { type Chunk, type Token, isCommentToken, lastCodeTokenEnd, scanTokens, scanUnterminated, splitStatements } from './tokens.js';
import { statementEndAfter } from './statement-ends.js';
import { TOO_LARGE, TextTooLargeError, loadModule, parseSync } from './wasm.js';

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
  /**
   * Set for a statement of a PL/pgSQL body whose `text` is not the file's text at its range, so AST
   * locations count bytes of `text`: PL/pgSQL took an INTO clause out (`approximate`: `text` still
   * starts where the statement does), or EXECUTE builds the text at run time (`built`: the range is
   * the expression that builds it).
   */
  readonly textSource?: 'approximate' | 'built';
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
 * Parses whose statements can be reused for a later version of the text: plain SQL (no psql
 * meta-commands were blanked) that the scanner read as it is, so every statement boundary is local.
 */
const reusable = new WeakSet<ParsedSource>();

/**
 * Parses a whole migration file. A file that does not parse is split into statements with the
 * parser's own scanner; each statement is parsed on its own, so one bad statement becomes one
 * error and every other statement is still available to the rules.
 *
 * With `previous`, a parse of an earlier version of the same file (an editor's document before
 * an edit), only the statements around the edit are parsed again; the others are reused.
 */
export function parseSource(text: string, previous?: ParsedSource): ParsedSource {
  const { parsedText, positions, source } = prepare(text);
  const statements: ParsedStatement[] = [];
  const errors: ParseError[] = [];
  let scanned = previous !== undefined && parsedText === text && reusable.has(previous) && reparseEdit(previous, positions, statements, errors);
  if (!scanned) {
    statements.length = 0;
    errors.length = 0;
    scanned = parseStretch(positions, 0, parsedText.length, statements, errors);
  }
  const parsed = assemble(source, positions, statements, commentsOutside(parsedText, statements, errors), errors);
  if (parsedText === text && scanned) reusable.add(parsed);
  return parsed;
}

/**
 * The parse of a text that PostgreSQL accepts as a whole; undefined, without the statement by
 * statement recovery, when it does not: a piece of a long file whose cut may be wrong.
 */
export function parseWhole(text: string): ParsedSource | undefined {
  const { parsedText, positions, source } = prepare(text);
  const statements: ParsedStatement[] = [];
  if (parsedText.length > PIECE_CHARACTERS) {
    const errors: ParseError[] = [];
    return parseInPieces(positions, 0, parsedText.length, statements, errors) && errors.length === 0
      ? assemble(source, positions, statements, commentsOutside(parsedText, statements, []), [])
      : undefined;
  }
  const whole = tryParse(parsedText);
  if (!('stmts' in whole)) return undefined;
  collectStatements(whole.stmts, parsedText, 0, parsedText, positions, statements);
  return assemble(source, positions, statements, commentsOutside(parsedText, statements, []), []);
}

/** The text as the parser reads it (psql meta-commands blanked), and positions in it and in the file's text. */
function prepare(text: string): { parsedText: string; positions: SourceText; source: SourceText } {
  // Without the parser every statement would look like a syntax error: fail loudly instead.
  if (!parserLoaded) throw new Error('the PostgreSQL parser is not loaded yet: await loadParser() before parsing');
  return textsOf(text, parserText(text));
}

/** Positions in the text the parser read and in the file's text: one table when they are the same. */
function textsOf(text: string, parsedText: string): { parsedText: string; positions: SourceText; source: SourceText } {
  const positions = new SourceText(parsedText);
  return { parsedText, positions, source: parsedText === text ? positions : new SourceText(text) };
}

function assemble(source: SourceText, positions: SourceText, statements: readonly ParsedStatement[], comments: readonly Comment[], errors: readonly ParseError[]): ParsedSource {
  return {
    source,
    statements,
    comments,
    errors,
    indexOfLocation(statement, location) {
      if (location === undefined || location < 0 || statement.textSource === 'built') return statement.start;
      if (statement.textSource === 'approximate') return Math.min(statement.start + new SourceText(statement.text).indexOfByte(location), statement.end);
      return positions.indexOfByte(statement.locationBase + location);
    },
  };
}

/**
 * A parse as it crosses from a worker thread: plain data, the ASTs as one JSON text (V8 reads
 * JSON faster than it deserializes a structured clone of the same objects), without the file's
 * text, which the receiver already has.
 */
export interface TransferredParse {
  readonly statements: readonly Omit<ParsedStatement, 'node' | 'text'>[];
  readonly nodes: string;
  readonly comments: readonly Comment[];
  readonly errors: readonly ParseError[];
  /** The text with psql meta-commands blanked, when it differs from the file's. */
  readonly parsedText: string | undefined;
}

export function toTransfer(parsed: ParsedSource): TransferredParse {
  const { text } = parsed.source;
  const parsedText = parserText(text);
  return {
    statements: parsed.statements.map(({ type, start, end, locationBase }) => ({ type, start, end, locationBase })),
    nodes: JSON.stringify(parsed.statements.map((statement) => statement.node)),
    comments: parsed.comments,
    errors: parsed.errors,
    parsedText: parsedText === text ? undefined : parsedText,
  };
}

/** A piece of a text: where it starts in the text, in UTF-16 units and in UTF-8 bytes. */
export interface Piece {
  readonly text: string;
  readonly offset: number;
  readonly byteOffset: number;
}

/**
 * The parse of `text` from the parses of its pieces (`parseWhole`), in order; undefined when a
 * piece did not parse: the cut may lie inside a statement, and where a syntax error is reported
 * depends on the text around it, so the caller parses the whole text.
 */
export function joinPieces(text: string, pieces: readonly { readonly piece: Piece; readonly parsed: ParsedSource | undefined }[]): ParsedSource | undefined {
  const { positions, source } = prepare(text);
  const statements: ParsedStatement[] = [];
  const comments: Comment[] = [];
  for (const { piece, parsed } of pieces) {
    if (!parsed) return undefined;
    for (const statement of parsed.statements) {
      statements.push({ ...statement, start: statement.start + piece.offset, end: statement.end + piece.offset, locationBase: statement.locationBase + piece.byteOffset });
    }
    for (const comment of parsed.comments) comments.push({ ...comment, start: comment.start + piece.offset, end: comment.end + piece.offset });
  }
  return assemble(source, positions, statements, comments, []);
}

/** The parse of `text` that `toTransfer` sent. */
export function fromTransfer(text: string, transfer: TransferredParse): ParsedSource {
  const { parsedText, positions, source } = textsOf(text, transfer.parsedText ?? text);
  const nodes = JSON.parse(transfer.nodes) as Node[];
  const statements = transfer.statements.map(({ type, start, end, locationBase }, index) => ({
    type,
    node: nodes[index] as Node,
    start,
    end,
    locationBase,
    text: parsedText.slice(start, end),
  }));
  return assemble(source, positions, statements, transfer.comments, transfer.errors);
}

/**
 * Parses `text[start, end)`, a stretch that begins between statements: whole when it parses,
 * else statement by statement. Returns false when the scanner could not read the stretch as it
 * is (an unterminated quote or comment, a scanner error): how it is split then depends on the
 * text around it.
 */
function parseStretch(positions: SourceText, start: number, end: number, statements: ParsedStatement[], errors: ParseError[]): boolean {
  if (end - start > PIECE_CHARACTERS) return parseInPieces(positions, start, end, statements, errors);
  const stretch = stretchAt(positions, start, end, start === 0 ? 0 : Buffer.byteLength(positions.text.slice(0, start)));
  return parsedWhole(stretch, statements) === undefined || parseChunkByChunk(stretch.text, stretch.base, stretch.positions, statements, errors);
}

/**
 * A stretch longer than this is parsed in pieces cut after statements: the parser's memory is
 * bounded (wasm.ts), and a tree of a few MB of SQL at a time keeps the process's memory small too.
 */
const PIECE_CHARACTERS = 1_000_000;
/** How often a piece that does not parse is joined to the next, in case it was cut inside a statement. */
const MAX_PIECE_EXTENSIONS = 3;

function parseInPieces(positions: SourceText, start: number, end: number, statements: ParsedStatement[], errors: ParseError[]): boolean {
  const { text } = positions;
  const cutAfter = (from: number): number => {
    const cut = statementEndAfter(text, from, from + PIECE_CHARACTERS);
    return cut === undefined || cut > end ? end : cut;
  };
  let scanned = true;
  let base = start === 0 ? 0 : Buffer.byteLength(text.slice(0, start));
  for (let pieceStart = start; pieceStart < end; ) {
    let pieceEnd = cutAfter(pieceStart);
    for (let extension = 0; ; extension++) {
      const piece = stretchAt(positions, pieceStart, pieceEnd, base);
      const failure = parsedWhole(piece, statements);
      if (failure === undefined) break;
      // Where the lexer that cuts and PostgreSQL's scanner disagree (a BEGIN ATOMIC body), the cut lies inside a statement.
      const miscut = failure.message !== TOO_LARGE && pieceEnd < end && extension < MAX_PIECE_EXTENSIONS && !endsAfterStatement(piece.text);
      if (!miscut) {
        scanned = parseChunkByChunk(piece.text, piece.base, piece.positions, statements, errors) && scanned;
        break;
      }
      pieceEnd = cutAfter(pieceEnd);
    }
    base += Buffer.byteLength(text.slice(pieceStart, pieceEnd));
    pieceStart = pieceEnd;
  }
  return scanned;
}

/** Whether PostgreSQL's scanner reads the text's last `;` as the end of a statement (not one inside a BEGIN ATOMIC body). */
function endsAfterStatement(text: string): boolean {
  const tokens = scanTokens(text);
  const last = tokens?.findLast((token) => !isCommentToken(token));
  if (!tokens || last?.text !== ';') return false;
  const lastStatement = splitStatements(tokens).at(-1);
  return lastStatement === undefined || lastStatement.end < last.end;
}

/** `text[start, end)`, starting at byte `base` of the file's text, with the positions of its bytes in the file. */
interface Stretch {
  readonly text: string;
  readonly base: number;
  readonly positions: Positions;
}

function stretchAt(positions: SourceText, start: number, end: number, base: number): Stretch {
  const { text } = positions;
  const stretch = text.slice(start, end);
  // Offsets inside the stretch are converted with the stretch's own table: an edit does not pay for the whole file's.
  const local = start === 0 && end === text.length ? positions : new SourceText(stretch);
  return { text: stretch, base, positions: { text, indexOfByte: (byteOffset) => start + local.indexOfByte(byteOffset - base) } };
}

/** Collects the statements of a stretch that parses as a whole; the parser's failure when it does not. */
function parsedWhole(stretch: Stretch, statements: ParsedStatement[]): ParserFailure | undefined {
  const whole = tryParse(stretch.text);
  if (!('stmts' in whole)) return whole;
  collectStatements(whole.stmts, stretch.text, stretch.base, stretch.positions.text, stretch.positions, statements);
  return undefined;
}

/** The file's text, and the UTF-16 index of a UTF-8 byte offset into it. */
interface Positions {
  readonly text: string;
  indexOfByte(byteOffset: number): number;
}

/** How many statements after an edit are parsed again, at most, before the rest of the file is. */
const MAX_STRETCH_EXTENSIONS = 4;

/** A statement, or a statement that failed to parse, with the text up to the next one: edits inside it need it parsed again. */
interface Unit {
  readonly start: number;
  readonly statement?: ParsedStatement;
  readonly error?: ParseError;
}

/**
 * Parses the new text of `previous` again only between the last statement before the edit and
 * the first one after it; the statements around are reused (those after it shifted). The
 * stretch grows until it ends between statements (an open statement, quote or comment would
 * take in what follows). Returns false when the stretch cannot be read on its own: the caller
 * parses the whole text.
 */
function reparseEdit(previous: ParsedSource, positions: SourceText, statements: ParsedStatement[], errors: ParseError[]): boolean {
  const before = previous.source.text;
  const { text } = positions;
  const units: Unit[] = [
    ...previous.statements.map((statement) => ({ start: statement.start, statement })),
    ...previous.errors.map((error) => ({ start: error.statementStart, error })),
  ].sort((left, right) => left.start - right.start);
  if (units.length === 0) return false;
  const { prefix, suffix } = unchangedEnds(before, text);
  // A unit is reused before the edit when the next one still starts in the unchanged beginning (its `;` is unchanged).
  let kept = 0;
  while (kept < units.length - 1 && (units[kept + 1]?.start ?? Infinity) <= prefix) kept++;
  let after = kept;
  while (after < units.length && (units[after]?.start ?? Infinity) < before.length - suffix) after++;
  const shift = text.length - before.length;
  const stretchStart = kept === 0 ? 0 : (units[kept]?.start ?? 0);
  const stretchEndAt = (unit: number): number => (unit < units.length ? (units[unit]?.start ?? 0) + shift : text.length);
  // Typing at a statement's start joins it to the edit: take in the next statements until the stretch ends between statements.
  for (let extension = 0; stretchEndAt(after) < text.length && !endsBetweenStatements(text.slice(stretchStart, stretchEndAt(after))); extension++) {
    after = extension < MAX_STRETCH_EXTENSIONS ? after + 1 : units.length;
  }
  const stretchEnd = stretchEndAt(after);
  for (const unit of units.slice(0, kept)) {
    if (unit.statement) statements.push(unit.statement);
    if (unit.error) errors.push(unit.error);
  }
  if (!parseStretch(positions, stretchStart, stretchEnd, statements, errors)) return false;
  const byteShift = Buffer.byteLength(text) - Buffer.byteLength(before);
  for (const unit of units.slice(after)) {
    if (unit.statement) {
      const { statement } = unit;
      statements.push({ ...statement, start: statement.start + shift, end: statement.end + shift, locationBase: statement.locationBase + byteShift });
    }
    if (unit.error) {
      const { error } = unit;
      errors.push({
        ...error,
        start: error.start + shift,
        end: error.end + shift,
        statementStart: error.statementStart + shift,
        statementEnd: error.statementEnd + shift,
      });
    }
  }
  return true;
}

/** How many UTF-16 units two texts share at their start, and at their end (not overlapping). */
function unchangedEnds(left: string, right: string): { prefix: number; suffix: number } {
  const shorter = Math.min(left.length, right.length);
  let prefix = 0;
  while (prefix < shorter && left.charCodeAt(prefix) === right.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && left.charCodeAt(left.length - 1 - suffix) === right.charCodeAt(right.length - 1 - suffix)) suffix++;
  return { prefix, suffix };
}

/**
 * Whether a stretch that starts between statements also ends between them, so the text after it
 * is read the same way: every quote and comment closed, the last statement ended by `;`, no line
 * comment left open, and no BEGIN ATOMIC body (whose `;` do not end statements).
 */
function endsBetweenStatements(stretch: string): boolean {
  if (/\batomic\b/i.test(stretch)) return false;
  const tokens = scanTokens(stretch);
  if (!tokens) return false;
  const lastCode = tokens.findLast((token) => !isCommentToken(token));
  if (lastCode && lastCode.text !== ';') return false;
  return tokens.at(-1)?.kind !== 'SQL_COMMENT' || stretch.endsWith('\n');
}

/** The message of a statement PostgreSQL's parser read, but whose tree nests deeper than JavaScript's call stack goes. */
export const TOO_DEEP = 'nests deeper than migrate-safe can read';

function tryParse(text: string): { stmts: RawStmt[] } | ParserFailure {
  if (text.trim() === '') return { stmts: [] };
  try {
    return { stmts: parseSync(text).stmts ?? [] };
  } catch (error) {
    if (error instanceof TextTooLargeError) return { message: TOO_LARGE, position: 0 };
    if (error instanceof RangeError && error.message.includes('call stack')) return { message: TOO_DEEP, position: 0 };
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
  positions: Positions,
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

/**
 * Parses a stretch that does not parse as a whole statement by statement; `base` is its byte
 * offset in the file. Returns whether the scanner read the stretch as it is.
 */
function parseChunkByChunk(stretch: string, base: number, positions: Positions, statements: ParsedStatement[], errors: ParseError[]): boolean {
  const { text } = positions;
  const { tokens, chunks, scanned, unterminatedComment } = chunksOf(stretch);
  for (const chunk of chunks) {
    const start = positions.indexOfByte(base + chunk.start);
    const end = positions.indexOfByte(base + chunk.end);
    const chunkText = text.slice(start, end);
    const result = tryParse(chunkText);
    if ('stmts' in result) {
      collectStatements(result.stmts, chunkText, base + chunk.start, text, positions, statements);
    } else {
      const errorByte = Math.min(chunk.start + result.position, chunk.end);
      errors.push({
        message: result.message,
        start: positions.indexOfByte(base + errorByte),
        end: positions.indexOfByte(base + errorTokenEnd(tokens, errorByte, chunk)),
        statementStart: start,
        statementEnd: end,
      });
    }
  }
  // Comments are left out of the chunks: one that never ends would pass unseen, where PostgreSQL refuses the file.
  if (unterminatedComment) {
    const start = positions.indexOfByte(base + unterminatedComment.start);
    const end = positions.indexOfByte(base + unterminatedComment.end);
    errors.push({ message: 'unterminated /* comment', start, end, statementStart: start, statementEnd: end });
  }
  return scanned;
}

/**
 * The statement chunks of a text that failed to parse; without any tokens, the whole text is one
 * chunk. A text the scanner could not read to its end ends inside a string, a body or a comment.
 */
function chunksOf(text: string): { tokens: Token[]; chunks: Chunk[]; scanned: boolean; unterminatedComment: Token | undefined } {
  const scanned = scanTokens(text);
  const tokens = scanned ?? scanUnterminated(text);
  if (!tokens) return { tokens: [], chunks: [{ start: 0, end: Buffer.byteLength(text) }], scanned: false, unterminatedComment: undefined };
  const last = tokens.at(-1);
  const unterminatedComment = !scanned && last?.kind === 'C_COMMENT' ? last : undefined;
  return { tokens, chunks: splitStatements(tokens), scanned: scanned !== undefined, unterminatedComment };
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
