/**
 * Passwords never leave migrate-safe: every line it prints, logs or stores about a database goes
 * through `redact`. It hides the password of any URL in the text (`postgres://user:secret@host`
 * becomes `postgres://user:***@host`), `password=...` pairs, and every password migrate-safe has
 * resolved in this process (a decoded password may appear on its own in a server or tool message).
 */

const MASK = '***';

/** The passwords resolved in this process, longest first so a password containing another is masked whole. */
const secrets = new Set<string>();

/**
 * Remembers a password so that `redact` masks it wherever it appears, encoded or not. A password of
 * fewer than 4 characters is masked in URLs and key=value pairs only: masking every `a` of the
 * output would hide everything and protect nothing.
 */
export function rememberSecret(password: string | undefined): void {
  if (password === undefined || password.length < 4) return;
  secrets.add(password);
  secrets.add(encodeURIComponent(password));
}

/** The text with every password masked. */
export function redact(text: string): string {
  let masked = text
    // scheme://user:password@host: the password ends at the last @ before the host.
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/]*@/gi, `$1:${MASK}@`)
    // Key-value connection strings and query parameters: password=secret, password='secret'.
    .replace(/\b(password|passwd|pgpassword)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;'"]+)/gi, `$1$2${MASK}`);
  for (const secret of [...secrets].sort((left, right) => right.length - left.length)) {
    masked = masked.split(secret).join(MASK);
  }
  return masked;
}
