/** Created on first use: building a collator loads locale data, and sorting a single file never compares. */
let collator: Intl.Collator | undefined;

/** Natural version order: `2_x.sql` before `10_x.sql`. */
export function naturalCompare(left: string, right: string): number {
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(left, right);
}
