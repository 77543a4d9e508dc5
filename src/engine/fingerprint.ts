/** A short stable hash of a finding's identity: rule, normalized statement text, occurrence. */
export function fingerprintOf(ruleId: string, text: string, occurrence: number): string {
  const normalized = text.replace(/\s+/g, ' ').trim();
  // node:crypto is loaded on the first finding, not by a static import: a clean run never needs it.
  // The one-shot hash: a Hash object per finding costs several times more, and there is one per finding.
  const { hash } = process.getBuiltinModule('node:crypto');
  return hash('sha256', `${ruleId}\0${normalized}\0${occurrence}`, 'hex').slice(0, 32);
}
