import { basename } from 'node:path';
import { type SchemaChange, defineRule } from '../src/api.js';
import { appendToFile } from './support/fixes.js';
import { inTransaction } from './support/rollback.js';

/**
 * The order the undo statements run in: what depends on an object goes before it (a trigger before
 * its function, a column before the type it uses), and a rename back comes after the statements
 * that still name the object by its new name.
 */
const UNDO_ORDER: readonly SchemaChange['kind'][] = ['policy', 'trigger', 'index', 'constraint', 'property', 'column', 'rename', 'table', 'function', 'type', 'enum-value', 'schema'];

export default defineRule({
  id: 'incomplete-rollback',
  meta: {
    description: 'A rollback that leaves part of its migration in place: a created object, a rename, a changed column.',
    severity: 'warn',
    preset: 'recommended',
    category: 'rollback',
    hazard: [
      'A rollback runs when a deploy goes wrong, to put the schema back the way the previous application',
      'version expects it. One that forgets part of its migration leaves a half-migrated schema: a rename not',
      'reversed breaks the previous version\'s queries at once, a NOT NULL left in place makes its inserts fail,',
      'and a leftover table, column, index, policy, trigger, function, type or enum value makes the migration',
      'fail the next time it runs (`already exists`).',
      '',
      'The rollback is compared with what its migration did, by replaying both: the finding names every change',
      'the migration made that is still in place after the rollback, and the help drafts the statements that',
      'undo them. Dropping and renaming back what the migration created or renamed is what a rollback is for,',
      'and is not reported by the rules about dropping and renaming.',
    ].join('\n'),
    bad: [
      '-- migrations/1_add_team.down.sql, the rollback of 1_add_team.up.sql, which adds agents.team_id and builds idx_agents_team:',
      'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_team;',
    ].join('\n'),
    good: [
      '-- migrations/1_add_team.down.sql undoes both changes, newest first:',
      'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_team;',
      'ALTER TABLE agents DROP COLUMN IF EXISTS team_id;',
    ].join('\n'),
  },
  create(context) {
    if (context.file.part !== 'down') return {};
    // With the drafted statements added, a file sent as one query string holds several: one implicit transaction.
    const wrapped = context.file.transactionMode !== 'none';
    return {
      'File:exit'() {
        const changes = context.schema.changesOfThisMigration();
        if (changes.length === 0) return;
        const { release } = context.file.migration;
        const migration = basename(context.file.migration.path);
        const undone = release ? `release ${release.name} (its ${release.migrations.length} migrations, rolled back together)` : migration;
        const pieces = changes.map((change) => `${change.object} (${change.change})`);
        const count = changes.length === 1 ? 'a change' : `${changes.length} changes`;
        const leftovers = changes.some((change) => change.kind !== 'rename' && change.kind !== 'property');
        const rerun = leftovers ? ', and running the migration again fails on what is left (already exists)' : '';
        const undo = [`-- Rollback: ${migration} (add to this rollback)`, ...inUndoOrder(changes).map((change) => (wrapped ? inTransaction(change.undo) : change.undo))].join('\n');
        // A rollback that is a section of its migration's file (dbmate) does not end where the file does.
        const wholeFile = (context.file.startLine ?? 1) === 1;
        context.report({
          message: `The rollback leaves ${count} of ${undone} in place: ${pieces.join(', ')}. The previous application version expects the schema as it was before${rerun}.`,
          help: undo,
          // Where the undo belongs among the rollback's statements is for a person to check.
          suggestions: wholeFile ? [{ title: 'Append what undoes the rest of the migration', edits: [appendToFile(context.file, undo)] }] : [],
        });
      },
    };
  },
});

function inUndoOrder(changes: readonly SchemaChange[]): SchemaChange[] {
  return [...changes].sort((left, right) => UNDO_ORDER.indexOf(left.kind) - UNDO_ORDER.indexOf(right.kind));
}
