import { defineRule, displayName, namesOfObjects } from '../src/api.js';
import { migrationOfItsOwn } from './support/help.js';

export default defineRule({
  id: 'drop-index-concurrently-refused',
  meta: {
    description: 'DROP INDEX CONCURRENTLY of several indexes, or with CASCADE: PostgreSQL refuses both.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      '`DROP INDEX CONCURRENTLY` drops one index per statement and cannot `CASCADE`: PostgreSQL rejects the statement',
      '("DROP INDEX CONCURRENTLY does not support dropping multiple objects", "... does not support CASCADE"), so',
      'the migration fails there. Write one `DROP INDEX CONCURRENTLY` per index, and drop what depends on an index',
      '(a constraint using it) explicitly first.',
    ].join('\n'),
    bad: 'DROP INDEX CONCURRENTLY agents_status_idx, agents_team_idx;',
    good: ['DROP INDEX CONCURRENTLY IF EXISTS agents_status_idx;', 'DROP INDEX CONCURRENTLY IF EXISTS agents_team_idx;'].join('\n'),
  },
  create() {
    return {
      DropStmt(node, statement) {
        if (node.removeType !== 'OBJECT_INDEX' || !node.concurrent) return;
        const indexes = namesOfObjects(node.objects);
        const several = indexes.length > 1;
        const cascade = node.behavior === 'DROP_CASCADE';
        if (!several && !cascade) return;
        const why = several ? 'it drops one index per statement' : 'it cannot CASCADE';
        statement.report({
          message: `DROP INDEX CONCURRENTLY ${several ? `of ${indexes.length} indexes` : 'with CASCADE'} fails: PostgreSQL refuses it, because ${why}${several && cascade ? ', and cannot CASCADE' : ''}.`,
          help: migrationOfItsOwn(
            statement,
            [
              ...(cascade ? ['-- Drop what depends on the index (a constraint using it) explicitly first.'] : []),
              ...indexes.map((index) => `DROP INDEX CONCURRENTLY IF EXISTS ${displayName(index)};`),
            ].join('\n'),
          ),
          lock: null,
        });
      },
    };
  },
});
