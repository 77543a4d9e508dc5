import type { Comment } from './comments.js';
import type { ParsedSource } from './parser.js';
import { isUnread, routineBodyOf } from './plpgsql.js';

export interface Range {
  readonly start: number;
  readonly end: number;
}

/** A `-- migrate-safe-ignore` or `-- migrate-safe-ignore-file` comment. */
export interface Directive {
  readonly scope: 'statement' | 'file';
  readonly ruleIds: readonly string[];
  readonly reason: string | undefined;
  /** The comment itself. */
  readonly range: Range;
  /** The statement a statement directive silences; undefined when no statement follows it. */
  readonly target: Range | undefined;
}

const DIRECTIVE = /^migrate-safe-(ignore-file|ignore)\b\s*([^:]*?)\s*(?::\s*(.*))?$/s;

/**
 * The directives of a parsed file. A statement directive applies to the next statement, or,
 * when it trails a statement on that statement's last line, to that statement. Inside a DO block
 * or a function body, a directive applies to the body's statements in the same way.
 */
export function findDirectives(parsed: ParsedSource): Directive[] {
  const targets: Range[] = [
    ...parsed.statements,
    ...parsed.errors.map((error) => ({ start: error.statementStart, end: error.statementEnd })),
  ].sort((left, right) => left.start - right.start);
  const directives = directivesAmong(parsed, parsed.comments, targets);
  for (const statement of parsed.statements) {
    // Reading a body costs a parse: only bodies that hold a directive are read.
    if (!statement.text.includes(DIRECTIVE_PREFIX)) continue;
    const body = routineBodyOf(parsed, statement);
    if (body && !isUnread(body)) directives.push(...directivesAmong(parsed, body.comments, body.units.map((unit) => (unit.kind === 'sql' ? unit.statement : unit))));
  }
  return directives;
}

const DIRECTIVE_PREFIX = 'migrate-safe-ignore';

/** The directives among `comments`, each aimed at one of `targets` (sorted, as the comments are). */
function directivesAmong(parsed: ParsedSource, comments: readonly Comment[], targets: readonly Range[]): Directive[] {
  const directives: Directive[] = [];
  let targetIndex = 0;
  for (const comment of comments) {
    const match = DIRECTIVE.exec(comment.body);
    if (!match) continue;
    while (targetIndex < targets.length && (targets[targetIndex]?.end ?? 0) <= comment.start) targetIndex++;
    const scope = match[1] === 'ignore-file' ? 'file' : 'statement';
    const reason = match[3]?.trim();
    directives.push({
      scope,
      ruleIds: (match[2] ?? '').split(/[\s,]+/).filter((id) => id !== ''),
      reason: reason === '' ? undefined : reason,
      range: comment,
      target: scope === 'file' ? undefined : targetOf(parsed, comment, targets[targetIndex - 1], targets[targetIndex]),
    });
  }
  return directives;
}

function targetOf(parsed: ParsedSource, comment: Comment, previous: Range | undefined, next: Range | undefined): Range | undefined {
  if (previous && sameLine(parsed, previous.end, comment.start)) return previous;
  return next;
}

function sameLine(parsed: ParsedSource, left: number, right: number): boolean {
  return !parsed.source.text.slice(left, right).includes('\n');
}
