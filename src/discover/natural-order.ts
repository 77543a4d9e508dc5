const collator = new Intl.Collator('en', { numeric: true });

/** Natural version order: `2_x.sql` before `10_x.sql`. */
export function naturalCompare(left: string, right: string): number {
  return collator.compare(left, right);
}
