/** Created on first use: building a collator loads locale data, and most comparisons never need it. */
let collator: Intl.Collator | undefined;

/** Natural version order: `2_x.sql` before `10_x.sql`. */
export function naturalCompare(left: string, right: string): number {
  // Migration names start with their version: when the versions differ as numbers, they decide,
  // as they would for the collator (its first difference), without loading it.
  const byVersion = leadingNumber(left) - leadingNumber(right);
  if (byVersion !== 0 && !Number.isNaN(byVersion)) return byVersion;
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(left, right);
}

/** The number a name starts with; NaN when it starts otherwise, or when the number is too long to compare exactly. */
function leadingNumber(name: string): number {
  let end = 0;
  while (end < name.length && end < 15 && name.charCodeAt(end) >= 48 && name.charCodeAt(end) <= 57) end++;
  const next = name.charCodeAt(end);
  if (end === 0 || (next >= 48 && next <= 57)) return Number.NaN;
  return Number(name.slice(0, end));
}
