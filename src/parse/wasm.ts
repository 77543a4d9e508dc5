import { type ParseResult, type ScanResult, parsePlPgSQLSync as parsePlPgSQLInWasm, parseSync as parseInWasm, scanSync as scanInWasm } from 'libpg-query';

/**
 * The only door to the WebAssembly parser. Its memory is bounded (about 2 GB, and a parse tree
 * takes some 40 times its text): a text of some 20 MB exhausts it, PostgreSQL's error handler
 * then ends the "process" (printing to stdout and setting the exit code) and the memory it held
 * stays taken for every later parse. So no text longer than this reaches it: a long file is
 * parsed in pieces cut after statements (parser.ts), and a single statement longer than this is
 * reported as too large to analyse.
 */
export const MAX_PARSER_INPUT_BYTES = 8_000_000;

/** The message of a text that was not handed to the parser for its size. */
export const TOO_LARGE = 'is too large for migrate-safe to analyse';

/** Thrown instead of calling the parser with a text longer than MAX_PARSER_INPUT_BYTES. */
export class TextTooLargeError extends Error {
  constructor() {
    super(TOO_LARGE);
    this.name = 'TextTooLargeError';
  }
}

/** Whether the parser may be given `text`; counts bytes only for a text that might be too long. */
export function fitsParser(text: string): boolean {
  return text.length * 3 <= MAX_PARSER_INPUT_BYTES || Buffer.byteLength(text) <= MAX_PARSER_INPUT_BYTES;
}

function bounded<Result>(call: (text: string) => Result): (text: string) => Result {
  return (text) => {
    if (!fitsParser(text)) throw new TextTooLargeError();
    return call(text);
  };
}

export { loadModule } from 'libpg-query';

export const parseSync: (text: string) => ParseResult = bounded(parseInWasm);
export const scanSync: (text: string) => ScanResult = bounded(scanInWasm);
export const parsePlPgSQLSync: (text: string) => ParseResult = bounded(parsePlPgSQLInWasm);
