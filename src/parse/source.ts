/** A 1-based line and column; the column counts Unicode characters (code points), as people do. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Positions in one source text. The parser reports UTF-8 byte offsets; everything else in
 * migrate-safe uses UTF-16 indexes into the JavaScript string, and people read lines and columns.
 */
export class SourceText {
  readonly text: string;
  // Computed on first use: most files of a large run produce no finding and never ask for a position.
  #lineStarts: number[] | undefined;
  #ascii: boolean | undefined;
  private wide: WideCharacters | undefined;

  constructor(text: string) {
    this.text = text;
  }

  private get lineStarts(): number[] {
    return (this.#lineStarts ??= computeLineStarts(this.text));
  }

  private get ascii(): boolean {
    return (this.#ascii ??= isAscii(this.text));
  }

  /**
   * The UTF-16 index of a UTF-8 byte offset (offsets past the end clamp to the end; an offset
   * inside a character gives the character's index).
   */
  indexOfByte(byteOffset: number): number {
    if (this.ascii) return Math.min(Math.max(byteOffset, 0), this.text.length);
    const wide = (this.wide ??= findWideCharacters(this.text));
    const byte = Math.min(Math.max(byteOffset, 0), this.text.length + wide.totalExtra);
    // The last non-ASCII character starting at or before the byte.
    let low = 0;
    let high = wide.starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((wide.starts[middle] ?? 0) <= byte) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0) return byte;
    const start = wide.starts[high] ?? 0;
    const extraBefore = wide.extraBefore[high] ?? 0;
    if (byte < start + (wide.widths[high] ?? 1)) return start - extraBefore;
    return Math.min(byte - extraBefore - (wide.extra[high] ?? 0), this.text.length);
  }

  positionAt(index: number): Position {
    const line = this.lineOf(index);
    // A byte order mark is not a character people see: the first line's columns start after it.
    const lineStart = line === 0 && this.text.charCodeAt(0) === 0xfeff && index > 0 ? 1 : (this.lineStarts[line] ?? 0);
    return { line: line + 1, column: countCodePoints(this.text, lineStart, index) + 1 };
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.lineStarts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** The UTF-16 index where a 1-based line starts. */
  lineStartIndex(line: number): number {
    return this.lineStarts[line - 1] ?? this.text.length;
  }

  private lineOf(index: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] ?? 0) <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    starts.push(index + 1);
  }
  return starts;
}

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- the point is to find any non-ASCII code unit
  return !/[^\x00-\x7f]/.test(text);
}

/**
 * The non-ASCII characters of a text, where the UTF-8 byte offsets and the UTF-16 indexes part:
 * each one's byte offset, its width in bytes, the bytes it adds over its UTF-16 units, and the sum
 * of those before it. SQL is mostly ASCII, so this stays small where a table per byte would not.
 */
interface WideCharacters {
  readonly starts: number[];
  readonly widths: number[];
  readonly extra: number[];
  readonly extraBefore: number[];
  readonly totalExtra: number;
}

function findWideCharacters(text: string): WideCharacters {
  const wide: WideCharacters & { totalExtra: number } = { starts: [], widths: [], extra: [], extraBefore: [], totalExtra: 0 };
  // eslint-disable-next-line no-control-regex -- every character outside ASCII
  for (const match of text.matchAll(/[^\x00-\x7f]/gu)) {
    const code = match[0].codePointAt(0) ?? 0;
    const width = code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    const units = code >= 0x10000 ? 2 : 1;
    wide.starts.push(match.index + wide.totalExtra);
    wide.widths.push(width);
    wide.extra.push(width - units);
    wide.extraBefore.push(wide.totalExtra);
    wide.totalExtra += width - units;
  }
  return wide;
}

function countCodePoints(text: string, start: number, end: number): number {
  let count = 0;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    // The low half of a surrogate pair belongs to the character counted at its high half.
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
}
