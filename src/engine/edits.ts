import type { Fix, NewFile, Suggestion, TextEdit } from '../plugin/rule.js';

/** The edits of the fixes that can be applied together, in order: a fix touching text another one changes waits for the next round. */
export function compatibleEdits(fixes: readonly Fix[]): TextEdit[] {
  const taken: TextEdit[] = [];
  for (const fix of fixes) {
    if (fix.edits.some((edit) => taken.some((other) => conflicts(edit, other)))) continue;
    taken.push(...fix.edits);
  }
  return taken;
}

/** Two edits conflict when their ranges overlap, or both start at one place (their order would be a guess). */
function conflicts(left: TextEdit, right: TextEdit): boolean {
  return left.start === right.start || (left.start < right.end && right.start < left.end);
}

/** The text with non-overlapping edits applied (ranges are indexes into the original text). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((left, right) => left.start - right.start || left.end - right.end);
  const parts: string[] = [];
  let last = 0;
  for (const edit of sorted) {
    parts.push(text.slice(last, edit.start), edit.text);
    last = edit.end;
  }
  parts.push(text.slice(last));
  return parts.join('');
}

/**
 * A rule's fix as the engine passes it on: kept only when its edits lie inside the file and do
 * not overlap each other, so a faulty plugin cannot corrupt a file or crash an editor.
 */
export function checkedFix(fix: Fix | undefined, textLength: number): Fix | undefined {
  return fix && editsFit(fix, textLength, false) ? fix : undefined;
}

/**
 * A rule's suggestion as the engine passes it on: its edits checked as a fix's are, and the file
 * it creates, if any, named by an absolute path with a text; it may then have no edits at all.
 */
export function checkedSuggestion(suggestion: Suggestion, textLength: number): Suggestion | undefined {
  // A plugin written in JavaScript can pass anything.
  const created = suggestion.createFile as Partial<NewFile> | null | undefined;
  if (created === undefined) return checkedFix(suggestion, textLength);
  const fileFits = typeof created?.path === 'string' && typeof created.text === 'string';
  return fileFits && editsFit(suggestion, textLength, true) ? suggestion : undefined;
}

function editsFit(fix: Fix, textLength: number, mayBeEmpty: boolean): boolean {
  const edits: unknown = fix.edits;
  if (typeof fix.title !== 'string' || !Array.isArray(edits) || (edits.length === 0 && !mayBeEmpty)) return false;
  const inside = fix.edits.every(
    (edit: TextEdit | null) =>
      edit !== null &&
      Number.isInteger(edit.start) && Number.isInteger(edit.end) && edit.start >= 0 && edit.start <= edit.end && edit.end <= textLength && typeof edit.text === 'string',
  );
  return inside && !fix.edits.some((edit, index) => fix.edits.slice(index + 1).some((other) => edit.start < other.end && other.start < edit.end));
}
