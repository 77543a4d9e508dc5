import type { Node } from '@pgsql/types';
import { Deparser } from 'pgsql-deparser';

/**
 * An AST node printed back as SQL on one line (`score * 2`, `CONSTRAINT c CHECK (x > 0)`), for
 * safe alternatives built from parts of a statement. Undefined when the deparser cannot print it.
 */
export function sqlOf(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  try {
    const sql = Deparser.deparse(node, { pretty: false }).trim();
    return sql === '' ? undefined : sql;
  } catch {
    return undefined;
  }
}
