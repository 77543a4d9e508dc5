import { type Constraint, type QualifiedName, type StatementContext, defineRule, displayName, quoteIdentifier } from '../src/api.js';
import { additionsOf } from './support/alter-table.js';

export default defineRule({
  id: 'exclusion-constraint',
  meta: {
    description: 'ADD CONSTRAINT ... EXCLUDE on an existing table builds its index while blocking all reads and writes, and has no concurrent form.',
    severity: 'warn',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'An exclusion constraint (`EXCLUDE USING gist (room WITH =, during WITH &&)`) needs an index, and PostgreSQL',
      'builds it while holding ACCESS EXCLUSIVE on the table: every read and write waits until the whole table has',
      'been read and the index built. Unlike UNIQUE, there is no way around it: no `CREATE INDEX CONCURRENTLY` can',
      'become an exclusion constraint (`USING INDEX` takes only unique B-tree indexes). If existing rows conflict,',
      'the build fails after holding the lock all the same.',
      '',
      'So bound the cost instead: look for conflicting rows first, and run the statement with both a short',
      '`lock_timeout` (a busy table makes it fail fast instead of queueing traffic behind it) and a',
      '`statement_timeout` sized from a measured build (a slow build fails instead of stopping traffic for',
      'minutes). With both set, the rule is satisfied. On a table too large for that, enforce the rule in a new',
      'table that has the constraint from the start, and move the rows to it.',
      '',
      'A warning, not an error: on a small table the build takes milliseconds, and there is no safe form to',
      'require. Tables created earlier in the same migration are not reported.',
    ].join('\n'),
    bad: 'ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);',
    good: [
      "SET lock_timeout = '2s';",
      "SET statement_timeout = '30s';",
      'ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);',
      'RESET statement_timeout;',
    ].join('\n'),
  },
  create() {
    return {
      AlterTableStmt(node, statement) {
        const added = additionsOf(node, statement);
        if (!added || isBounded(statement)) return;
        for (const constraint of added.constraints) {
          if (constraint.contype === 'CONSTR_EXCLUSION') report(statement, added.table, constraint);
        }
      },
    };
  },
});

/** Both the wait for the lock and the time it is held are limited. */
function isBounded(statement: StatementContext): boolean {
  const { lockTimeout, statementTimeout } = statement.settings;
  return (lockTimeout?.milliseconds ?? 0) > 0 && (statementTimeout?.milliseconds ?? 0) > 0;
}

function report(statement: StatementContext, table: QualifiedName, constraint: Constraint): void {
  const name = displayName(table);
  const set = statement.transaction.inBlock ? 'SET LOCAL' : 'SET';
  statement.report({
    node: constraint,
    message: `ADD CONSTRAINT ${constraint.conname === undefined ? '' : `${quoteIdentifier(constraint.conname)} `}EXCLUDE on existing table ${name} builds its index while holding ACCESS EXCLUSIVE: every read and write of ${name} waits until the whole table has been read and the index built, and PostgreSQL has no concurrent form for it.`,
    help: [
      '-- No concurrent form exists: bound the cost. First look for rows that conflict (they make the build fail after',
      '-- holding the lock), then run it at a quiet time with both timeouts, so a busy table or a slow build fails fast',
      `-- instead of stopping traffic on ${name}; measure the build on a copy of the data to size statement_timeout.`,
      `${set} lock_timeout = '2s';`,
      `${set} statement_timeout = '30s'; -- the build's time measured on a copy of the data, with margin`,
      `${statement.statement.text};`,
      ...(statement.transaction.inBlock ? [] : ['RESET statement_timeout;']),
      `-- Too large for that: create a new table with the constraint, copy the rows in batches, and switch to it.`,
    ].join('\n'),
  });
}
