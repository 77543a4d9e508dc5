import { type StatementContext, type TransactionInfo, defineRule } from '../src/api.js';

const BEGINS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const ENDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

export default defineRule({
  id: 'unbalanced-transaction',
  meta: {
    description: 'BEGIN inside an open transaction, a COMMIT or ROLLBACK that ends the transaction the migration tool opened, or a BEGIN the file never commits.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'PostgreSQL has no nested transactions. A `BEGIN` inside an open transaction block is ignored with only a',
      'warning ("there is already a transaction in progress"), so the first `COMMIT` ends the outer block too and',
      'every statement after it runs on its own: a failure there leaves the migration half-applied, although the',
      'file looks atomic. Likewise, in a file the migration tool runs in its own transaction (dbmate, Flyway,',
      'Diesel, or `assumeInTransaction`), the file\'s `COMMIT` commits the tool\'s transaction early: the rest of',
      'the file and the tool\'s record that the migration ran are no longer atomic with it; a `ROLLBACK` there',
      'undoes the migration while the tool records it as applied.',
      '',
      'A file run statement by statement (psql, Sqitch) that opens a transaction and never commits it ends with',
      'the transaction open: when the session closes, PostgreSQL rolls it back, and nothing of the migration is',
      'kept, without an error. (A file that ends with a bare `BEGIN`, with nothing after it, loses nothing.)',
      '',
      'Use one transaction per file: either the tool\'s (no BEGIN or COMMIT in the file) or the file\'s own',
      '(`BEGIN` ... `COMMIT`, with a layout or `assumeInTransaction` that lets the file run as written). Use',
      '`SAVEPOINT` for a part that may fail. A file the tool sends as one query string (golang-migrate, Prisma)',
      'is not judged on an unclosed BEGIN: what happens then depends on the tool.',
    ].join('\n'),
    bad: ['BEGIN;', 'ALTER TABLE agents ADD COLUMN nickname text;', 'BEGIN;', 'ALTER TABLE agents ADD COLUMN handle text;', 'COMMIT;', 'COMMIT;'].join('\n'),
    good: ['BEGIN;', 'ALTER TABLE agents ADD COLUMN nickname text;', "COMMENT ON COLUMN agents.nickname IS 'shown instead of the name';", 'COMMIT;'].join('\n'),
  },
  create(context) {
    let opened: (() => void) | undefined;
    /** Statements after the BEGIN that opened the file's own block: an empty open block loses nothing. */
    let inOpenBlock = 0;
    // The transaction of the statement before: a BEGIN already counts as inside the block it opens.
    let previous: TransactionInfo | undefined;
    let current: TransactionInfo | undefined;
    return {
      Statement(_node, statement) {
        previous = current;
        current = statement.transaction;
        inOpenBlock++;
      },
      TransactionStmt(node, statement) {
        const kind = node.kind ?? '';
        const { transaction } = statement;
        if (BEGINS.has(kind)) {
          const nested = previous?.inBlock === true && previous.explicit && previous.id === transaction.id;
          if (nested) reportNestedBegin(statement);
          else if (transaction.explicit) {
            opened = () => { reportUnclosed(statement); };
            inOpenBlock = 0;
          }
          return;
        }
        if (!ENDS.has(kind) || !transaction.inBlock) return;
        if (transaction.explicit) opened = undefined;
        else if (context.file.transactionMode === 'file' && transaction.wrapper !== undefined) reportEndOfToolTransaction(statement, kind === 'TRANS_STMT_ROLLBACK');
      },
      'File:exit'() {
        if (context.file.transactionMode !== 'query-string' && inOpenBlock > 0) opened?.();
      },
    };
  },
});

function reportNestedBegin(statement: StatementContext): void {
  statement.report({
    message: 'BEGIN inside a transaction block that is already open: PostgreSQL ignores it with a warning, so the first COMMIT ends the outer block too, and the statements after it run one by one (a failure among them leaves the migration half-applied).',
    help: '-- Remove this BEGIN; for a part that may fail and be retried inside the transaction, use SAVEPOINT <name> ... RELEASE SAVEPOINT <name>.',
    lock: null,
  });
}

function reportEndOfToolTransaction(statement: StatementContext, rollback: boolean): void {
  const wrapper = statement.transaction.wrapper ?? 'the migration tool runs this file in one transaction';
  statement.report({
    message: rollback
      ? `ROLLBACK ends the transaction the migration tool opened (${wrapper}): it undoes the migration's changes, yet the tool then records the migration as applied.`
      : `COMMIT ends the transaction the migration tool opened (${wrapper}): the statements after it, and the tool's record that the migration ran, are no longer atomic with what came before; a failure after it leaves the migration half-applied.`,
    help: [
      '-- Leave transaction control to the tool: remove BEGIN, COMMIT and ROLLBACK from the file, or let the file run as',
      '-- written (a layout that does so, or assumeInTransaction: false with your own BEGIN ... COMMIT).',
    ].join('\n'),
    lock: null,
  });
}

function reportUnclosed(statement: StatementContext): void {
  statement.report({
    message: 'BEGIN opens a transaction this file never commits: the migration ends with the transaction open, and when the session closes PostgreSQL rolls it back, so nothing of the migration is kept, without an error.',
    help: '-- End the transaction at the end of the file:\nCOMMIT;',
    lock: null,
  });
}
