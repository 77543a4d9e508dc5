import { basename } from 'node:path';
import { defineRule } from '../src/api.js';

/** Needs git: with `--since <ref>`, a migration that was already in the base and was edited since. */
export default defineRule({
  id: 'modified-applied-migration',
  meta: {
    description: 'With --since, a migration that existed at the base ref was modified: the edit never reaches databases that already ran it.',
    severity: 'warn',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'Migration tools record which migrations ran and never run them again, so editing a migration that',
      'production already applied changes nothing there: the edit is silently skipped, while a fresh',
      'database (a new environment, a developer machine, CI) runs the edited file. The schemas drift apart',
      'and the next migration that relies on either version fails somewhere. Put the file back as it was and',
      'make the change in a new migration. Reported only with `--since <ref>`, for a migration (not a',
      'rollback) that existed at the merge base with that ref (the branch whose migrations ran, such as',
      '`main`) and differs from it now, at its first changed line.',
    ].join('\n'),
    bad: [
      '-- supabase/migrations/20240101000000_create_agents.sql, applied in production, edited in this pull request:',
      'CREATE TABLE agents (id bigint PRIMARY KEY, name text, nickname text);',
    ].join('\n'),
    good: [
      '-- supabase/migrations/20240101000000_create_agents.sql, unchanged:',
      'CREATE TABLE agents (id bigint PRIMARY KEY, name text);',
      '-- supabase/migrations/20240301000000_add_agents_nickname.sql, a new migration:',
      'ALTER TABLE agents ADD COLUMN nickname text;',
    ].join('\n'),
  },
  create(context) {
    const { change, part, path } = context.file;
    if (part !== 'up' || change?.kind !== 'modified' || change.since === undefined) return {};
    const since = change.since;
    return {
      File() {
        context.report({
          message: `This migration existed at ${since} and was modified: databases that already ran it never run it again, so the edit does not reach them, while new databases get the edited version.`,
          help: [
            `-- Put ${basename(path)} back as it is at ${since}: git restore --source=$(git merge-base HEAD ${since}) -- <path of ${basename(path)}>`,
            '-- and make the change in a new migration that runs after the existing ones:',
            '-- <version>_<what_it_changes>.sql',
          ].join('\n'),
          line: change.firstChangedLine,
        });
      },
    };
  },
});
