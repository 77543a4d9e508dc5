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
  // Search the gap alone: an unbounded indexOf would scan to the end of the file for every gap.
  const gap = text.slice(start, end);
  const comments: Comment[] = [];
  let index = 0;
  for (;;) {
    const line = gap.indexOf('--', index);
    const block = gap.indexOf('/*', index);
    if (line === -1 && block === -1) return comments;
    if (line !== -1 && (block === -1 || line < block)) {
      const newline = gap.indexOf('\n', line);
      const commentEnd = newline === -1 ? gap.length : newline;
      comments.push({ start: start + line, end: start + commentEnd, body: gap.slice(line + 2, commentEnd).trim() });
      index = commentEnd;
    } else {
      const commentEnd = blockCommentEnd(gap, block, gap.length);
      comments.push({ start: start + block, end: start + commentEnd, body: gap.slice(block + 2, Math.max(block + 2, commentEnd - 2)).trim() });
      index = commentEnd;
    }
  }
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
