import type { Finding } from '../findings/finding.js';
import { describeLock } from './text.js';

/**
 * A finding as plain text for CI surfaces that show one message per finding (SARIF, annotations):
 * what is wrong, the lock it takes and what that blocks, and the safe SQL with the statement's names.
 */
export function explainFinding(finding: Finding): string {
  const parts = [sentence(finding.message)];
  if (finding.lock) parts.push(sentence(`Lock: ${describeLock(finding.lock)}`));
  if (finding.help !== undefined) parts.push(`Safe alternative:\n${finding.help}`);
  return parts.join('\n\n');
}

/** Viewers show messages as sentences: end each with a period. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
