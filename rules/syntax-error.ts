import { defineRule } from '../src/api.js';

/** Reported by the engine for each statement PostgreSQL's parser rejects; the rest of the file is still checked. */
export default defineRule({
  id: 'syntax-error',
  meta: {
    description: 'A statement that PostgreSQL cannot parse, or that nests too deep for migrate-safe to read.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'migrate-safe parses with PostgreSQL\'s own parser (libpg-query), so a statement it rejects would fail',
      'in production too: the migration stops there, possibly after earlier statements already ran outside a',
      'transaction. Each bad statement is reported where the parser stopped; the statements around it are',
      'still linted. psql meta-commands (`\\set`, `\\connect`, `\\i` ...) are skipped, not errors. Also reported, as',
      'not checked: a valid statement nested deeper than migrate-safe can analyse (thousands of nested subqueries',
      'or expression terms); review it by hand.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD COLUMN;',
    good: 'ALTER TABLE agents ADD COLUMN nickname text;',
  },
  create: () => ({}),
});
