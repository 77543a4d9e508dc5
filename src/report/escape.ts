/**
 * Characters that must not reach a terminal or a CI log as they are: C0 and C1 controls (ESC
 * starts terminal sequences, a line break starts a line a CI runner may read as a command), DEL,
 * the Unicode line and paragraph separators, and the bidirectional overrides that make text read
 * differently from what it is.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- the same, tabs included
const CONTROL_OR_TAB = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(character: string): string {
  const code = character.charCodeAt(0);
  return NAMED[character] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** A text for one line of human-readable output: every control character shown as an escape (`\n`, `\x1b`); tabs kept when asked. */
export function escapeControlCharacters(text: string, options: { keepTabs?: boolean } = {}): string {
  return text.replace(options.keepTabs ? CONTROL : CONTROL_OR_TAB, visible);
}
