import type { MigrationFile } from './types.js';

/** The text a part is linted as: for a section of a file (dbmate), the rest blanked, line breaks kept, so every position is the file's. */
export function partText(file: MigrationFile, text: string): string {
  if (!file.sections) return text;
  let kept = '';
  let position = 0;
  for (const section of [...file.sections].sort((left, right) => left.start - right.start)) {
    kept += blank(text.slice(position, section.start)) + text.slice(section.start, section.end);
    position = Math.max(position, section.end);
  }
  return kept + blank(text.slice(position));
}

function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}
