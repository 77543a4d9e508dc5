import { createRequire } from 'node:module';
import type { Node } from '@pgsql/types';
import type { Deparser as DeparserClass } from 'pgsql-deparser';

/**
 * The deparser is loaded on first use, synchronously (the package is CommonJS): only findings
 * need SQL printed back, and a run without them does not pay for loading it.
 */
let deparser: typeof DeparserClass | undefined;

function loadDeparser(): typeof DeparserClass {
  deparser ??= (createRequire(import.meta.url)('pgsql-deparser') as { Deparser: typeof DeparserClass }).Deparser;
  return deparser;
}

/**
 * An AST node printed back as SQL on one line (`score * 2`, `CONSTRAINT c CHECK (x > 0)`), for
 * safe alternatives built from parts of a statement. Undefined when the deparser cannot print it.
 */
export function sqlOf(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  const printer = loadDeparser();
  try {
    const sql = printer.deparse(node, { pretty: false }).trim();
    return sql === '' ? undefined : sql;
  } catch {
    return undefined;
  }
}
