import { type Node, type ResTarget, type StatementContext, defineRule, nodeOf, quoteIdentifier, sqlOf } from '../src/api.js';

export default defineRule({
  id: 'duplicate-column-assignment',
  meta: {
    description: 'The same column assigned twice in one UPDATE ... SET, INSERT column list or ON CONFLICT DO UPDATE, or defined twice in CREATE TABLE: PostgreSQL rejects the statement.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'PostgreSQL refuses a statement that gives one column two values: `UPDATE ... SET a = 1, a = 2` and',
      '`ON CONFLICT DO UPDATE SET ...` fail with "multiple assignments to same column", `INSERT INTO t (a, a)` and',
      '`CREATE TABLE t (a int, a text)` with "column specified more than once". The migration stops at that',
      'statement; usually one of the two was meant for another column (a copy-and-paste slip). Assigning',
      'different fields of a composite column (`SET address.city = ..., address.zip = ...`) or different',
      'elements of an array is allowed and not reported.',
    ].join('\n'),
    bad: "UPDATE agents SET status = 'active', status = 'verified' WHERE id = 1;",
    good: "UPDATE agents SET status = 'active', verified_at = now() WHERE id = 1;",
  },
  create() {
    return {
      UpdateStmt(node, statement) {
        reportDuplicates(statement, node.targetList, 'multiple assignments to same column');
      },
      MergeWhenClause(node, statement) {
        const message = node.commandType === 'CMD_INSERT' ? 'column specified more than once' : 'multiple assignments to same column';
        reportDuplicates(statement, node.targetList, message);
      },
      InsertStmt(node, statement) {
        reportDuplicates(statement, node.cols, 'column specified more than once');
        reportDuplicates(statement, node.onConflictClause?.targetList, 'multiple assignments to same column');
      },
      CreateStmt(node, statement) {
        const seen = new Set<string>();
        for (const element of node.tableElts ?? []) {
          const column = nodeOf(element, 'ColumnDef');
          if (column?.colname === undefined) continue;
          if (seen.has(column.colname)) report(statement, column, column.colname, 'column specified more than once');
          seen.add(column.colname);
        }
      },
    };
  },
});

/**
 * Two targets clash when they name the same column and either assigns it whole, or both assign the
 * same field or element (`SET p = ..., p.a = ...`, `SET p.a = 1, p.a = 2`).
 */
function reportDuplicates(statement: StatementContext, targets: readonly Node[] | undefined, error: string): void {
  const assigned = new Map<string, string[]>();
  for (const node of targets ?? []) {
    const target = nodeOf(node, 'ResTarget');
    if (target?.name === undefined) continue;
    const part = partOf(target);
    const earlier = assigned.get(target.name) ?? [];
    if (earlier.some((other) => other === '' || part === '' || other === part)) report(statement, target, target.name, error);
    assigned.set(target.name, [...earlier, part]);
  }
}

/** The field or element a target assigns (`.city`, `[1]`), empty for the whole column. */
function partOf(target: ResTarget): string {
  return (target.indirection ?? []).map((step) => sqlOf(step) ?? '?').join('');
}

function report(statement: StatementContext, node: { readonly location?: number }, column: string, error: string): void {
  statement.report({
    node,
    message: `${quoteIdentifier(column)} is given a value twice: PostgreSQL rejects the statement ("${error} \\"${column}\\""), and the migration stops here.`,
    help: `-- Keep one assignment of ${quoteIdentifier(column)}; if the other was meant for another column, name that column.`,
    lock: null,
  });
}
