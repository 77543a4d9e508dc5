import { baseTypeName, defineRule, displayName, nodeOf, quoteIdentifier } from '../src/api.js';
import { type ColumnTypeFinding, type DefinedColumn, columnTypeVisitor } from './support/rewrite.js';

export default defineRule({
  id: 'prefer-timestamptz',
  meta: {
    description: 'timestamp (without time zone) columns: store points in time as timestamptz.',
    severity: 'warn',
    preset: 'style',
    category: 'style',
    hazard: [
      '`timestamp without time zone` stores a wall-clock reading with no zone: the same instant written by',
      'sessions with different `TimeZone` settings (servers, poolers, developers\' laptops) becomes different',
      'values, `now()` is silently converted with the session\'s zone, and daylight saving makes some values',
      'ambiguous. `timestamptz` stores the instant (as UTC) and converts only on display; it takes the same',
      '8 bytes. Converting a column later rewrites the table under an ACCESS EXCLUSIVE lock (PostgreSQL 12+',
      'skips the rewrite only when the session\'s time zone is UTC).',
    ].join('\n'),
    bad: 'ALTER TABLE agents ADD COLUMN last_seen_at timestamp;',
    good: 'ALTER TABLE agents ADD COLUMN last_seen_at timestamptz;',
  },
  create: () => columnTypeVisitor(judge),
});

function judge(defined: DefinedColumn): ColumnTypeFinding | undefined {
  const { typeName, colname } = defined.column;
  if (baseTypeName(typeName) !== 'timestamp') return undefined;
  const precision = nodeOf(typeName?.typmods?.[0], 'A_Const')?.ival?.ival;
  return {
    replacement: `timestamptz${precision === undefined ? '' : `(${precision})`}`,
    message: `${quoteIdentifier(colname)} on ${displayName(defined.table)} is timestamp without time zone: the same instant written from sessions in different time zones becomes different values. timestamptz stores the instant, in the same 8 bytes.`,
  };
}
