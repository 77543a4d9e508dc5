import { defineRule } from '../src/api.js';

/** Reported by the engine for directives it cannot honour. */
export default defineRule({
  id: 'invalid-directive',
  meta: {
    description: 'A migrate-safe-ignore directive that names an unknown rule, or no rule.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'A directive with a misspelled rule id silences nothing, so the hazard it was meant to acknowledge',
      'is still reported, or worse, a later rename of the rule leaves stale directives behind. Every',
      'directive names the rules it silences, each of which must exist (built in or from a plugin).',
    ].join('\n'),
    bad: '-- migrate-safe-ignore require-concurent-index: typo\nCREATE INDEX idx_agents_status ON agents (status);',
    good: '-- migrate-safe-ignore require-concurrent-index: agents has 200 rows, the lock lasts milliseconds\nCREATE INDEX idx_agents_status ON agents (status);',
  },
  create: () => ({}),
});
