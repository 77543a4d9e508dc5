import { basename } from 'node:path';
import { type SchemaChange, defineRule } from '../src/api.js';

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
      'The rollback is compared with what its migration did, by replaying both: every change the migration',
      'made that is still in place after the rollback is reported, with the statement that undoes it. Dropping',
      'and renaming back what the migration created or renamed is what a rollback is for, and is not reported',
      'by the rules about dropping and renaming.',
    ].join('\n'),
    bad: [
      '-- The migration: ALTER TABLE agents ADD COLUMN team_id bigint; CREATE INDEX CONCURRENTLY idx_agents_team ON agents (team_id);',
      '-- Its rollback:',
      'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_team;',
    ].join('\n'),
    good: [
      '-- The rollback undoes both changes, newest first:',
      'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_team;',
      'ALTER TABLE agents DROP COLUMN IF EXISTS team_id;',
    ].join('\n'),
  },
  create(context) {
    if (context.file.part !== 'down') return {};
    return {
      'File:exit'() {
        const migration = basename(context.file.migration.path);
        for (const change of context.schema.changesOfThisMigration()) {
          context.report({ message: messageFor(change, migration), help: change.undo });
        }
      },
    };
  },
});

function messageFor(change: SchemaChange, migration: string): string {
  switch (change.kind) {
    case 'rename':
      return `The rollback does not rename ${change.object} back (${change.change} by ${migration}): the previous application version still uses the old name.`;
    case 'property':
      return `The rollback leaves ${change.object} ${change.change}, as ${migration} left it: the previous application version expects it as it was.`;
    default:
      return `The rollback leaves ${change.object} in place: ${migration} ${change.change === 'created' ? 'creates' : 'adds'} it, and nothing here removes it.`;
  }
}
