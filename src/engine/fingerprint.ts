import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** A short stable hash of a finding's identity: rule, normalized statement text, occurrence. */
export function fingerprintOf(ruleId: string, text: string, occurrence: number): string {
  const normalized = text.replace(/\s+/g, ' ').trim();
  // SHA-256 in JavaScript, the same digest node:crypto gives: the engine also runs in a browser (the playground), which has no synchronous hash.
  return bytesToHex(sha256(utf8ToBytes(`${ruleId}\0${normalized}\0${occurrence}`))).slice(0, 32);
}
