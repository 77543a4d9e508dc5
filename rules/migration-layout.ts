import { defineRule } from '../src/api.js';

/** Reported by the engine when discovery finds files that do not fit the migrations layout. */
export default defineRule({
  id: 'migration-layout',
  meta: {
    description: 'A file that does not fit its migrations layout: a rollback without its migration, two migrations with one version.',
    severity: 'warn',
    preset: 'recommended',
    category: 'rollback',
    hazard: [
      'A rollback whose migration was renamed or deleted will never run, and a version used twice runs',
      'in an order the tool decides, not the author. Both usually mean a rename that went half way.',
    ].join('\n'),
    bad: '-- supabase/migrations/rollback/20240101_add_index_down.sql with no supabase/migrations/20240101_add_index.sql',
    good: '-- supabase/migrations/20240101_add_index.sql and supabase/migrations/rollback/20240101_add_index_down.sql',
  },
  create: () => ({}),
});
