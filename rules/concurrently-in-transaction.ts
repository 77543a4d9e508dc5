import { type StatementContext, defineRule, nodeOf } from '../src/api.js';
import { REST_OF_THIS_MIGRATION, migrationStep } from './support/help.js';

export default defineRule({
  id: 'concurrently-in-transaction',
  meta: {
    description: 'A CONCURRENTLY statement inside a transaction block fails: PostgreSQL refuses to run it there.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      '`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY` and',
      '`ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY` work in several transactions of their own, so',
      'PostgreSQL refuses to run them inside a transaction block ("cannot run inside a transaction block"):',
      'the migration fails in production and its transaction is rolled back.',
      '',
      'A transaction block is an explicit `BEGIN`, or the whole file when the migration tool runs each file in',
      'one transaction (`assumeInTransaction`), as most tools do by default. Put the statement in a migration',
      'of its own and turn the tool\'s transaction off for that migration. Inside a DO block or a function',
      'they fail too ("cannot be executed from a function"), in or out of a transaction block.',
    ].join('\n'),
    bad: ['BEGIN;', 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);', 'COMMIT;'].join('\n'),
    good: ['-- A migration of its own, run without a transaction block:', 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);'].join('\n'),
  },
  create() {
    return {
      IndexStmt(node, statement) {
        if (node.concurrent) reportInTransaction(statement, 'CREATE INDEX CONCURRENTLY');
      },
      DropStmt(node, statement) {
        if (node.concurrent && node.removeType === 'OBJECT_INDEX') reportInTransaction(statement, 'DROP INDEX CONCURRENTLY');
      },
      ReindexStmt(node, statement) {
        if ((node.params ?? []).some((param) => nodeOf(param, 'DefElem')?.defname === 'concurrently')) reportInTransaction(statement, 'REINDEX CONCURRENTLY');
      },
      AlterTableStmt(node, statement) {
        const detachesConcurrently = (node.cmds ?? []).some((command) => {
          const alter = nodeOf(command, 'AlterTableCmd');
          return alter?.subtype === 'AT_DetachPartition' && nodeOf(alter.def, 'PartitionCmd')?.concurrent === true;
        });
        if (detachesConcurrently) reportInTransaction(statement, 'ALTER TABLE ... DETACH CONCURRENTLY');
      },
    };
  },
});

function reportInTransaction(statement: StatementContext, command: string): void {
  if (statement.routine) {
    const body = statement.routine.kind === 'do' ? 'a DO block' : `the body of ${statement.routine.functionName ?? 'a function'}()`;
    statement.report({
      message: `${command} in ${body}: PostgreSQL refuses it with "${command} cannot be executed from a function", so the migration fails.`,
      help: outsideTransactionHelp(statement),
      lock: null,
    });
    return;
  }
  if (!statement.transaction.inBlock) return;
  const where = statement.transaction.explicit
    ? 'inside the transaction block opened by BEGIN'
    : `in a transaction block: ${statement.transaction.wrapper ?? 'the migration tool runs the file in one transaction'}`;
  statement.report({
    message: `${command} ${where}: PostgreSQL refuses it with "${command} cannot run inside a transaction block", so the migration fails.`,
    help: outsideTransactionHelp(statement),
    lock: null,
  });
}

function outsideTransactionHelp(statement: StatementContext): string {
  const switches = [
    '-- (Rails: disable_ddl_transaction!; Flyway: executeInTransaction=false; node-pg-migrate: pgm.noTransaction();',
    '-- Knex: config = { transaction: false }; dbmate: "-- migrate:up transaction:false"). Tools without such a',
    '-- switch (golang-migrate, the Supabase CLI) run a file that holds this statement alone outside a transaction block.',
    `${statement.statement.text};`,
  ];
  if (!statement.transaction.explicit && isAloneInFile(statement)) {
    return ["-- This migration holds only this statement: turn the migration tool's transaction off for it", ...switches].join('\n');
  }
  return [
    statement.transaction.explicit ? `${REST_OF_THIS_MIGRATION} (out of its BEGIN ... COMMIT block)` : REST_OF_THIS_MIGRATION,
    migrationStep(2, "a migration of its own, with the migration tool's transaction turned off for it", switches.join('\n')),
  ].join('\n');
}

/** The file's only statement: nothing but comments around it. */
function isAloneInFile(statement: StatementContext): boolean {
  const after = statement.file.text.slice(statement.statement.end);
  return statement.index === 0 && /^\s*;?(\s*--[^\n]*)*\s*$/.test(after);
}
