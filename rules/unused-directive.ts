import { defineRule } from '../src/api.js';

/** Reported by the engine with --report-unused-directives (or the strict preset). */
export default defineRule({
  id: 'unused-directive',
  meta: {
    description: 'A migrate-safe-ignore directive that silences nothing.',
    severity: 'warn',
    preset: 'strict',
    category: 'correctness',
    hazard: [
      'A directive left behind after its statement changed no longer documents a reviewed hazard, and it',
      'would silence the next, unreviewed one. Turned on by `--report-unused-directives` or the strict preset.',
    ].join('\n'),
    bad: '-- migrate-safe-ignore require-concurrent-index: reviewed\nCREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);',
    good: 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);',
  },
  create: () => ({}),
});
