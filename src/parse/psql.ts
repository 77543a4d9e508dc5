import { SourceText } from './source.js';
import { type Token, isCommentToken, scanTokens, scanUnterminated } from './tokens.js';

const BYTE_ORDER_MARK = '\uFEFF';

/**
 * The text as PostgreSQL's parser should read it when psql runs the file: what psql itself
 * consumes is replaced with spaces, so every other character keeps its UTF-16 index, line and
 * column. That is a byte order mark, the data rows after `COPY ... FROM STDIN` (up to `\.`), and
 * psql's meta-commands: a backslash outside any string, body or comment starts one that runs to
 * the end of its line (`\set`, `\i`, `SELECT 1 \gset`); one that sends the query before it
 * (`\g`, `\gset`, `\gexec` ...) ends the statement there, as a `;` would.
 */
export function parserText(text: string): string {
  const withoutMark = text.startsWith(BYTE_ORDER_MARK) ? ` ${text.slice(1)}` : text;
  // Most migrations have neither: two searches and done.
  if (!withoutMark.includes('\\') && !/\bstdin\b/i.test(withoutMark)) return withoutMark;
  const withoutData = blankRanges(withoutMark, copyDataBlocks(withoutMark));
  return blankMetaCommands(withoutData);
}

/** A stretch of the text to replace with spaces (line breaks kept), and what to put at its first character. */
interface Blank {
  readonly start: number;
  readonly end: number;
  readonly first?: string;
}

/** The text with each range blanked, built once: a file of thousands of meta-commands stays linear. */
function blankRanges(text: string, ranges: readonly Blank[]): string {
  if (ranges.length === 0) return text;
  const parts: string[] = [];
  let last = 0;
  for (const { start, end, first } of ranges) {
    parts.push(text.slice(last, start));
    const blanked = text.slice(start, end).replace(/[^\r\n]/g, ' ');
    parts.push(first === undefined ? blanked : `${first}${blanked.slice(first.length)}`);
    last = end;
  }
  parts.push(text.slice(last));
  return parts.join('');
}

/** Meta-commands that send the query buffer: the statement before them ends there. */
const SENDS_QUERY = /^\\(?:g|gx|gset|gexec|gdesc|crosstabview|watch)(?![A-Za-z])/;

function blankMetaCommands(text: string): string {
  const starts = metaCommandStarts(text);
  return blankRanges(
    text,
    starts.map((start) => {
      const newline = text.indexOf('\n', start);
      const end = newline === -1 ? text.length : text[newline - 1] === '\r' ? newline - 1 : newline;
      return SENDS_QUERY.test(text.slice(start, end)) ? { start, end, first: ';' } : { start, end };
    }),
  );
}

/** Where each meta-command starts: every backslash token of PostgreSQL's scanner (the scanner keeps quoted text whole). */
function metaCommandStarts(text: string): number[] {
  const tokens = scanTokens(text);
  if (!tokens) return lineStartBackslashes(text);
  const source = new SourceText(text);
  const starts: number[] = [];
  let lineEnd = -1;
  for (const token of tokens) {
    if (token.text !== '\\') continue;
    const index = source.indexOfByte(token.start);
    // A backslash among a meta-command's arguments (`\set x \\`) belongs to the command already blanked.
    if (index < lineEnd) continue;
    starts.push(index);
    const newline = text.indexOf('\n', index);
    lineEnd = newline === -1 ? text.length : newline;
  }
  return starts;
}

/** When the scanner gives up (an unterminated literal), every line starting with a backslash. */
function lineStartBackslashes(text: string): number[] {
  const starts: number[] = [];
  for (const match of text.matchAll(/^[ \t]*\\/gm)) starts.push(match.index + match[0].length - 1);
  return starts;
}

/**
 * The data rows psql sends after each `COPY ... FROM STDIN`: from the line after the statement's
 * `;` to the line `\.` (or the end of the file, where psql ends the data too). The text is scanned
 * a statement at a time from where the last block ended: rows are not SQL, and one quote in them
 * would make the scanner read the rest of the file as a string.
 */
function copyDataBlocks(text: string): Blank[] {
  const blocks: Blank[] = [];
  let from = 0;
  const candidate = /\bstdin\b/gi;
  for (let match = candidate.exec(text); match; match = candidate.exec(text)) {
    const semicolon = text.indexOf(';', match.index);
    if (semicolon === -1) break;
    const lineEnd = text.indexOf('\n', semicolon);
    const scanned = text.slice(from, lineEnd === -1 ? text.length : lineEnd);
    const tokens = scanTokens(scanned) ?? scanUnterminated(scanned);
    if (!tokens) break;
    const statement = copyFromStdinEnding(tokens);
    if (statement === undefined || lineEnd === -1) {
      candidate.lastIndex = semicolon + 1;
      continue;
    }
    const dataStart = lineEnd + 1;
    const marker = /^\\\.[ \t]*\r?$/gm;
    marker.lastIndex = dataStart;
    const end = marker.exec(text);
    const dataEnd = end ? end.index + end[0].length : text.length;
    blocks.push({ start: dataStart, end: dataEnd });
    from = dataEnd;
    candidate.lastIndex = dataEnd;
  }
  return blocks;
}

/** Whether the last statement of the tokens is `COPY ... FROM STDIN` ended by its `;`: the rows follow it. */
function copyFromStdinEnding(tokens: readonly Token[]): true | undefined {
  const code = tokens.filter((token) => !isCommentToken(token));
  if (code.at(-1)?.text !== ';') return undefined;
  const start = code.findLastIndex((token, index) => index < code.length - 1 && token.text === ';') + 1;
  const words = code.slice(start, -1).map((token) => token.text.toUpperCase());
  if (words[0] !== 'COPY') return undefined;
  const from = words.indexOf('FROM');
  return from !== -1 && words[from + 1] === 'STDIN' ? true : undefined;
}
