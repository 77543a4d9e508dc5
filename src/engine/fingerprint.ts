import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** A short stable hash of a finding's identity: rule, normalized statement text, occurrence. */
export function fingerprintOf(ruleId: string, text: string, occurrence: number): string {
  const normalized = text.replace(/\s+/g, ' ').trim();
  return sha256Hex(`${ruleId}\0${normalized}\0${occurrence}`).slice(0, 32);
}

/**
 * How many digests are computed in JavaScript before node:crypto is loaded: loading it costs about
 * as much as a hundred of them, and each of its digests about a fifth of one.
 */
const DIGESTS_BEFORE_NATIVE = 100;

let digests = 0;
let nativeHash: ((algorithm: string, data: string) => string) | undefined;

/**
 * SHA-256 of a text's UTF-8 bytes, in hex. In JavaScript (the engine also runs in a browser, the
 * playground, which has no synchronous hash) until a run has computed many, then with Node's
 * native hash where there is one: the same digests, and a large project's thousands of findings
 * do not pay for hashing in JavaScript.
 */
function sha256Hex(text: string): string {
  if (nativeHash === undefined && ++digests === DIGESTS_BEFORE_NATIVE) nativeHash = loadNativeHash();
  return nativeHash ? nativeHash('sha256', text) : bytesToHex(sha256(utf8ToBytes(text)));
}

/** node:crypto's one-shot `hash` when the engine runs in Node (20.16 and later have getBuiltinModule). */
function loadNativeHash(): ((algorithm: string, data: string) => string) | undefined {
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = node?.getBuiltinModule?.('node:crypto') as { hash?: (algorithm: string, data: string) => string } | undefined;
  return typeof crypto?.hash === 'function' ? crypto.hash : undefined;
}
