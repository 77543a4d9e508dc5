import { type ConstraintState, type LockAcquisition, type QualifiedName, type StatementContext, defineRule, displayName, quoteIdentifier, statementForm } from '../src/api.js';
import { changeOfExistingTable } from './support/alter-table.js';
import { REST_OF_THIS_MIGRATION, migrationStep } from './support/help.js';
import { strongestLockOn, whoWaits } from './support/locks.js';

export default defineRule({
  id: 'validate-in-same-transaction',
  meta: {
    description: 'VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID keeps the strong lock through the scan.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'Adding a constraint `NOT VALID` and validating it later avoids a long lock only if a commit comes in',
      'between. Locks are held until the transaction ends, so a `VALIDATE CONSTRAINT` in the same transaction',
      'reads every row while the lock taken by `ADD CONSTRAINT` is still held: ACCESS EXCLUSIVE for a CHECK',
      '(every read and write waits), SHARE ROW EXCLUSIVE on both tables for a FOREIGN KEY (every write to',
      'either waits). That is exactly the outage `NOT VALID` was meant to avoid.',
      '',
      'The usual trap: both statements in one migration file, which the migration tool runs in one',
      'transaction (`assumeInTransaction`). Validate in a later migration, or COMMIT in between.',
    ].join('\n'),
    bad: [
      'BEGIN;',
      'ALTER TABLE agents ADD CONSTRAINT agents_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID;',
      'ALTER TABLE agents VALIDATE CONSTRAINT agents_team_id_fkey;',
      'COMMIT;',
    ].join('\n'),
    good: [
      '-- Migration 1:',
      'ALTER TABLE agents ADD CONSTRAINT agents_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID;',
      '-- Migration 2, committed separately: reads and writes continue during the scan',
      'ALTER TABLE agents VALIDATE CONSTRAINT agents_team_id_fkey;',
    ].join('\n'),
  },
  create() {
    return {
      AlterTableStmt(node, statement) {
        const change = changeOfExistingTable(node, statement);
        if (!change) return;
        for (const command of change.commands) {
          const name = command.subtype === 'AT_ValidateConstraint' ? command.name : undefined;
          const constraint = name === undefined ? undefined : statement.schema.table(change.table)?.constraints.get(name);
          if (!constraint || constraint.validated || constraint.origin?.transaction !== statement.transaction.id) continue;
          reportHeldLocks(statement, change.table, constraint);
        }
      },
    };
  },
});

function reportHeldLocks(statement: StatementContext, table: QualifiedName, constraint: ConstraintState): void {
  const held = strongestLockOn(statement.transaction.heldLocks, statement.schema.key(table));
  const referenced = constraint.references;
  const referencedHeld = referenced ? strongestLockOn(statement.transaction.heldLocks, statement.schema.key(referenced)) : undefined;
  const tableName = displayName(table);
  const waits = [held ? whoWaits(held.mode, tableName) : `every write to ${tableName}`];
  if (referenced && referencedHeld) waits.push(whoWaits(referencedHeld.mode, displayName(referenced)));
  const locks = [held, referencedHeld].filter((lock) => lock !== undefined).map((lock) => `${lock.mode} on ${displayName(lock.relation)}`);
  const name = quoteIdentifier(constraint.name);
  const where = statement.transaction.explicit ? 'inside the same BEGIN ... COMMIT block' : 'in the same migration, which runs as one transaction';
  statement.report({
    message: `VALIDATE CONSTRAINT ${name} runs in the transaction that added it NOT VALID (${where}): the ${locks.length > 0 ? locks.join(' and ') : 'lock'} taken by ADD CONSTRAINT ${locks.length > 1 ? 'are' : 'is'} still held while every row is read, so ${waits.join(' and ')} ${waits.length > 1 ? 'wait' : 'waits'} until the scan finishes.`,
    help: [
      `${REST_OF_THIS_MIGRATION}: it adds the constraint NOT VALID and commits`,
      migrationStep(2, 'validate it: the scan runs under SHARE UPDATE EXCLUSIVE, while reads and writes continue', `ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${name};`),
    ].join('\n'),
    lock: held && asValidationScan(held, constraint),
  });
}

/** The held lock as the report shows it: held through a full read, as if the constraint had been added without NOT VALID. */
function asValidationScan(held: LockAcquisition, constraint: ConstraintState): LockAcquisition {
  return { ...held, form: statementForm(constraint.kind === 'foreign-key' ? 'add-foreign-key' : 'add-check'), effect: 'scan' };
}
