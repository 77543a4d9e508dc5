/**
 * The index just past the first `;` at or after `from` that ends a statement: outside quotes,
 * dollar-quoted bodies, comments and parentheses. Reading starts at `start`, which must lie
 * between statements; undefined when no such `;` follows. A lexer this small only chooses where
 * to cut a long file into pieces to parse side by side: a `;` it takes wrongly (inside a
 * BEGIN ATOMIC body, say) leaves a piece that does not parse, and the file is parsed whole.
 */
export function statementEndAfter(text: string, start: number, from: number): number | undefined {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    switch (text.charCodeAt(index)) {
      case APOSTROPHE:
        index = closingQuote(text, index, APOSTROPHE, isEscapeString(text, index));
        break;
      case DOUBLE_QUOTE:
        index = closingQuote(text, index, DOUBLE_QUOTE, false);
        break;
      case HYPHEN:
        if (text.charCodeAt(index + 1) === HYPHEN) index = lineEnd(text, index);
        break;
      case SLASH:
        if (text.charCodeAt(index + 1) === ASTERISK) index = blockCommentEnd(text, index);
        break;
      case DOLLAR:
        index = dollarQuoteEnd(text, index);
        break;
      case OPEN_PARENTHESIS:
        depth++;
        break;
      case CLOSE_PARENTHESIS:
        depth = Math.max(0, depth - 1);
        break;
      case SEMICOLON:
        if (depth === 0 && index >= from) return index + 1;
        break;
    }
  }
  return undefined;
}

const APOSTROPHE = 0x27;
const DOUBLE_QUOTE = 0x22;
const HYPHEN = 0x2d;
const SLASH = 0x2f;
const ASTERISK = 0x2a;
const DOLLAR = 0x24;
const BACKSLASH = 0x5c;
const OPEN_PARENTHESIS = 0x28;
const CLOSE_PARENTHESIS = 0x29;
const SEMICOLON = 0x3b;

const IDENTIFIER_CHARACTER = /[\p{L}\p{N}_$]/u;
const DOLLAR_TAG = /\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/uy;

/** The index of the quote that closes the one at `open` (a doubled quote stays inside); the text's end when none does. */
function closingQuote(text: string, open: number, quote: number, backslashEscapes: boolean): number {
  for (let index = open + 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (backslashEscapes && code === BACKSLASH) index++;
    else if (code === quote) {
      if (text.charCodeAt(index + 1) !== quote) return index;
      index++;
    }
  }
  return text.length;
}

/** E'...': backslash escapes apply. */
function isEscapeString(text: string, quote: number): boolean {
  const prefix = text[quote - 1];
  return (prefix === 'e' || prefix === 'E') && !IDENTIFIER_CHARACTER.test(text[quote - 2] ?? ' ');
}

function lineEnd(text: string, index: number): number {
  const end = text.indexOf('\n', index);
  return end === -1 ? text.length : end;
}

/** Block comments nest in PostgreSQL. */
function blockCommentEnd(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length - 1; index++) {
    const pair = text.slice(index, index + 2);
    if (pair === '/*') depth++;
    else if (pair === '*/') depth--;
    else continue;
    index++;
    if (depth === 0) return index;
  }
  return text.length;
}

/** The last index of the dollar-quoted body opening at `index`, or `index` when no body opens there ($1, a$b). */
function dollarQuoteEnd(text: string, index: number): number {
  if (IDENTIFIER_CHARACTER.test(text[index - 1] ?? ' ')) return index;
  DOLLAR_TAG.lastIndex = index;
  const tag = DOLLAR_TAG.exec(text)?.[0];
  if (!tag) return index;
  const close = text.indexOf(tag, index + tag.length);
  return close === -1 ? text.length : close + tag.length - 1;
}
