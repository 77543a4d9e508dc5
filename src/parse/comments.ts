/** A comment between statements, as UTF-16 indexes into the source. */
export interface Comment {
  readonly start: number;
  readonly end: number;
  /** The comment's content without its `--` or `/* *\/` markers, trimmed. */
  readonly body: string;
}

/**
 * The comments in a stretch of source that lies between statements. Such a stretch holds only
 * whitespace, semicolons and comments (the parser accounted for everything else), so a small
 * lexer is exact here and spares scanning the whole file.
 */
export function commentsBetween(text: string, start: number, end: number): Comment[] {
  const comments: Comment[] = [];
  let index = start;
  for (;;) {
    const line = indexWithin(text, '--', index, end);
    const block = indexWithin(text, '/*', index, end);
    if (line === -1 && block === -1) return comments;
    if (line !== -1 && (block === -1 || line < block)) {
      const newline = indexWithin(text, '\n', line, end);
      const commentEnd = newline === -1 ? end : newline;
      comments.push({ start: line, end: commentEnd, body: text.slice(line + 2, commentEnd).trim() });
      index = commentEnd;
    } else {
      const commentEnd = blockCommentEnd(text, block, end);
      comments.push({ start: block, end: commentEnd, body: text.slice(block + 2, Math.max(block + 2, commentEnd - 2)).trim() });
      index = commentEnd;
    }
  }
}

/** Searches only up to `end`: a search through the rest of the file for each gap between statements would be quadratic. */
function indexWithin(text: string, search: string, from: number, end: number): number {
  const found = text.slice(from, end).indexOf(search);
  return found === -1 ? -1 : from + found;
}

/** PostgreSQL block comments nest. */
function blockCommentEnd(text: string, start: number, end: number): number {
  let depth = 0;
  let index = start;
  while (index < end) {
    if (text.startsWith('/*', index)) {
      depth++;
      index += 2;
    } else if (text.startsWith('*/', index)) {
      depth--;
      index += 2;
      if (depth === 0) return index;
    } else {
      index++;
    }
  }
  return end;
}
