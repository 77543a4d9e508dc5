import { defineRule, displayName } from '../src/api.js';
import { GUIDE_BACKFILL_IN_BATCHES, batchedWriteHelp, rowWriteOf } from './support/backfill.js';

export default defineRule({
  id: 'unbatched-backfill',
  meta: {
    description: 'One UPDATE or DELETE over an unbounded set of rows of an existing table.',
    severity: 'warn',
    preset: 'strict',
    category: 'locking',
    hazard: [
      'One UPDATE or DELETE over a whole table is one transaction: every changed row stays locked until it',
      'commits, so the application\'s writes to those rows wait; the table is doubled in size by new row versions',
      'that vacuum cannot clean while the transaction runs; replicas fall behind replaying it; and a failure',
      'rolls all of it back. Batches of a few thousand rows, each its own transaction, keep every one of those short.',
      '',
      'A statement is bounded when its WHERE limits the batch: `WHERE id IN (SELECT id FROM ... LIMIT n)`, a range',
      'with both ends on one column (`id BETWEEN a AND b`, `id >= a AND id < b`), or equality with a key',
      '(`id = ...`, `id IN (...)`). Tables created in the same migration are not reported.',
      '',
      'Why this rule is in `strict` and not `recommended`: one UPDATE is fine on a small table, and a linter',
      'cannot know how large a table is. Turn it on when your tables are.',
    ].join('\n'),
    bad: "UPDATE agents SET new_field = 'default_value' WHERE new_field IS NULL;",
    good: GUIDE_BACKFILL_IN_BATCHES,
  },
  create() {
    return {
      Statement(_node, statement) {
        const write = rowWriteOf(statement);
        if ((write?.verb !== 'UPDATE' && write?.verb !== 'DELETE') || write.bounded || statement.schema.isNewTable(write.relation)) return;
        const name = displayName(write.table);
        statement.report({
          message: `${write.verb} of ${name} is not bounded to a batch: it changes every matching row in one transaction, keeping each row locked against the application's writes until it commits, bloating ${name} and delaying replicas.`,
          help: batchedWriteHelp(statement, write),
        });
      },
    };
  },
});
