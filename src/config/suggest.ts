import { distance } from 'fastest-levenshtein';

/**
 * ` (did you mean "extends"?)` for a name that is a typo of one of `candidates`, else ''. A
 * candidate is close enough when at most a third of the name's characters differ (at least one, at
 * most three), and the closest one wins: `require-concurent-index` finds `require-concurrent-index`,
 * `extend` finds `extends`, and an unrelated name is told nothing.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const allowed = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of candidates) {
    const edits = distance(name.toLowerCase(), candidate.toLowerCase());
    if (edits < bestDistance) {
      best = candidate;
      bestDistance = edits;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}
