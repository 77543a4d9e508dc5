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
  private readonly lineStarts: number[];
  private readonly ascii: boolean;
  private byteToIndexTable: Uint32Array | undefined;

  constructor(text: string) {
    this.text = text;
    this.lineStarts = computeLineStarts(text);
    this.ascii = isAscii(text);
  }

  /** The UTF-16 index of a UTF-8 byte offset (offsets past the end clamp to the end). */
  indexOfByte(byteOffset: number): number {
    if (this.ascii) return Math.min(Math.max(byteOffset, 0), this.text.length);
    const table = (this.byteToIndexTable ??= buildByteToIndexTable(this.text));
    const clamped = Math.min(Math.max(byteOffset, 0), table.length - 1);
    return table[clamped] ?? this.text.length;
  }

  positionAt(index: number): Position {
    const line = this.lineOf(index);
    const lineStart = this.lineStarts[line] ?? 0;
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

/** For every UTF-8 byte offset (and the end), the UTF-16 index of the character it belongs to. */
function buildByteToIndexTable(text: string): Uint32Array {
  const table = new Uint32Array(Buffer.byteLength(text, 'utf8') + 1);
  let byte = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.codePointAt(index) ?? 0;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    table.fill(index, byte, byte + width);
    byte += width;
    if (code >= 0x10000) index++;
  }
  table[byte] = text.length;
  return table;
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
