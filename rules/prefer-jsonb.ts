import { baseTypeName, defineRule, displayName, formatTypeName, quoteIdentifier } from '../src/api.js';
import { type ColumnTypeFinding, type DefinedColumn, columnTypeVisitor } from './support/rewrite.js';

export default defineRule({
  id: 'prefer-jsonb',
  meta: {
    description: 'json columns: store JSON as jsonb, which can be compared, indexed and read without parsing.',
    severity: 'warn',
    preset: 'style',
    category: 'style',
    hazard: [
      '`json` keeps the text exactly as written and parses it again on every access. It has no equality operator, so',
      '`SELECT DISTINCT`, `GROUP BY`, `UNION` and unique constraints over it fail ("could not identify an equality',
      'operator for type json"), and it cannot take a GIN index. `jsonb` stores the parsed value: it compares,',
      'indexes (`USING gin`) and queries (`@>`, `?`, `jsonb_path_query`) fast. Changing the type later is',
      '`ALTER COLUMN ... TYPE jsonb`, which rewrites the table under an ACCESS EXCLUSIVE lock.',
      '',
      'Keep `json` only when the exact text matters: key order, duplicate keys, white space.',
    ].join('\n'),
    bad: 'CREATE TABLE events (id bigint PRIMARY KEY, payload json NOT NULL);',
    good: 'CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb NOT NULL);',
  },
  create: () => columnTypeVisitor(judge),
});

function judge(defined: DefinedColumn): ColumnTypeFinding | undefined {
  const { typeName } = defined.column;
  if (baseTypeName(typeName) !== 'json') return undefined;
  const arrays = '[]'.repeat(typeName?.arrayBounds?.length ?? 0);
  return {
    replacement: `jsonb${arrays}`,
    message: `${quoteIdentifier(defined.column.colname)} ${formatTypeName(typeName) ?? 'json'} on ${displayName(defined.table)}: json is parsed again on every access and has no equality operator (DISTINCT, GROUP BY and unique constraints fail on it), nor GIN indexes; jsonb has all of them.`,
  };
}
