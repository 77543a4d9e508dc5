import { SourceText } from './source.js';
import { scanTokens } from './tokens.js';

const META_COMMAND_LINE = /^[ \t]*\\/m;

/**
 * Replaces psql meta-command lines (`\set`, `\connect`, `\i` ...) with spaces, so the parser
 * skips them while every other character keeps its UTF-16 index, line and column.
 * A backslash counts only where it starts a line outside any string, body or comment.
 */
export function blankMetaCommands(text: string): string {
  if (!META_COMMAND_LINE.test(text)) return text;
  const lineStarts = metaCommandStarts(text);
  let blanked = text;
  for (const start of lineStarts) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    blanked = blanked.slice(0, start) + ' '.repeat(end - start) + blanked.slice(end);
  }
  return blanked;
}

function metaCommandStarts(text: string): number[] {
  const tokens = scanTokens(text);
  if (!tokens) return lineStartBackslashes(text);
  const source = new SourceText(text);
  const starts: number[] = [];
  for (const token of tokens) {
    if (token.text !== '\\') continue;
    const index = source.indexOfByte(token.start);
    const lineStart = text.lastIndexOf('\n', index - 1) + 1;
    if (text.slice(lineStart, index).trim() === '') starts.push(index);
  }
  return starts;
}

/** When the scanner gives up (an unterminated literal), every line starting with a backslash. */
function lineStartBackslashes(text: string): number[] {
  const starts: number[] = [];
  for (const match of text.matchAll(/^[ \t]*\\/gm)) starts.push(match.index + match[0].length - 1);
  return starts;
}
