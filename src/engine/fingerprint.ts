/** A short stable hash of a finding's identity: rule, normalized statement text, occurrence. */
export function fingerprintOf(ruleId: string, text: string, occurrence: number): string {
  const normalized = text.replace(/\s+/g, ' ').trim();
  // node:crypto is loaded on the first finding, not by a static import: a clean run never needs it.
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(`${ruleId}\0${normalized}\0${occurrence}`).digest('hex').slice(0, 32);
}
