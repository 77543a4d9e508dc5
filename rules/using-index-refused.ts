import { type Constraint, type IndexState, type QualifiedName, type StatementContext, defineRule, displayName, nameOfRangeVar, nodeOf, quoteIdentifier } from '../src/api.js';
import { addedConstraint } from './support/alter-table.js';

export default defineRule({
  id: 'using-index-refused',
  meta: {
    description: 'ADD CONSTRAINT ... UNIQUE or PRIMARY KEY USING INDEX with an index PostgreSQL refuses: not unique, partial, on an expression, sorted DESC or NULLS FIRST, or of another table.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'The safe way to add a UNIQUE or PRIMARY KEY constraint to a table in use is to build its index with',
      '`CREATE UNIQUE INDEX CONCURRENTLY` and then attach it with `ADD CONSTRAINT ... USING INDEX`. PostgreSQL',
      'accepts only a plain index for that: unique, over columns (no expression), covering every row (no WHERE),',
      'in the default sort order, on the same table. Any other index makes the migration fail at that',
      'statement, after the slow concurrent build has already run, and in a transaction with the statements',
      'before it rolled back.',
      '',
      'Build the index the constraint can use, or keep the index for what it is (a partial or expression unique',
      'index enforces uniqueness on its own, without a constraint). Only indexes the history shows are judged.',
    ].join('\n'),
    bad: [
      'CREATE UNIQUE INDEX CONCURRENTLY agents_email_key ON agents (lower(email));',
      'ALTER TABLE agents ADD CONSTRAINT agents_email_key UNIQUE USING INDEX agents_email_key;',
    ].join('\n'),
    good: [
      '-- Migration 1, run without a transaction block:',
      'CREATE UNIQUE INDEX CONCURRENTLY agents_email_key ON agents (email);',
      '-- Migration 2:',
      'ALTER TABLE agents ADD CONSTRAINT agents_email_key UNIQUE USING INDEX agents_email_key;',
    ].join('\n'),
  },
  create() {
    return {
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table) return;
        for (const command of node.cmds ?? []) {
          const alter = nodeOf(command, 'AlterTableCmd');
          const constraint = alter && addedConstraint(alter);
          if (constraint?.indexname === undefined) continue;
          const index = statement.schema.index({ schema: table.schema, name: constraint.indexname });
          const refusal = index && refusalOf(statement, table, index);
          if (refusal) report(statement, table, constraint, refusal);
        }
      },
    };
  },
});

/** PostgreSQL's reason for refusing the index, in its own words where it has them. */
function refusalOf(statement: StatementContext, table: QualifiedName, index: IndexState): string | undefined {
  const name = quoteIdentifier(index.name.name);
  if (index.table !== statement.schema.key(table)) return `index ${name} does not belong to table ${displayName(table)}`;
  if (!index.unique) return `${name} is not a unique index`;
  if (index.unusableForConstraint === 'partial') return `${name} is a partial index`;
  if (index.unusableForConstraint === 'expression') return `index ${name} contains expressions`;
  if (index.unusableForConstraint === 'sort order') return `index ${name} has a column that does not have default sorting behavior`;
  return undefined;
}

function report(statement: StatementContext, table: QualifiedName, constraint: Constraint, refusal: string): void {
  const kind = constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
  statement.report({
    node: constraint,
    message: `ADD CONSTRAINT ... ${kind} USING INDEX ${quoteIdentifier(constraint.indexname ?? '')} fails: PostgreSQL refuses it because ${refusal} (it takes only a unique index over plain columns of the table, covering every row, in the default sort order).`,
    help: [
      `-- Build the index the constraint can use (in a migration of its own, outside a transaction block), then attach it:`,
      `-- CREATE UNIQUE INDEX CONCURRENTLY <name> ON ${displayName(table)} (<columns>);`,
      `-- ALTER TABLE ${displayName(table)} ADD CONSTRAINT <name> ${kind} USING INDEX <name>;`,
      `-- Or keep ${quoteIdentifier(constraint.indexname ?? '')} as it is: a unique index enforces uniqueness without a constraint.`,
    ].join('\n'),
    lock: null,
  });
}
