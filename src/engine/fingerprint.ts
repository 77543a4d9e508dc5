import { hash } from 'node:crypto';

/** A short stable hash of a finding's identity: rule, normalized statement text, occurrence. */
export function fingerprintOf(ruleId: string, text: string, occurrence: number): string {
  const normalized = text.replace(/\s+/g, ' ').trim();
  // The one-shot hash: a Hash object per finding costs several times more, and there is one per finding.
  return hash('sha256', `${ruleId}\0${normalized}\0${occurrence}`, 'hex').slice(0, 32);
}
