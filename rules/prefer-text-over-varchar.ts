import { type TypeName, baseTypeName, defineRule, displayName, nodeOf, quoteIdentifier } from '../src/api.js';
import { type ColumnTypeFinding, type DefinedColumn, columnTypeVisitor, textWithCheck } from './support/rewrite.js';

export default defineRule({
  id: 'prefer-text-over-varchar',
  meta: {
    description: 'varchar(n) columns: a length limit welded into the type is costly to change; use text with a CHECK constraint.',
    severity: 'warn',
    preset: 'style',
    category: 'style',
    hazard: [
      '`varchar(n)` is `text` plus a length check that is part of the column\'s type. Raising the limit',
      'later is `ALTER COLUMN ... TYPE varchar(m)`: rewrite-free when it widens, but it takes an ACCESS',
      'EXCLUSIVE lock (every read and write of the table waits behind it and behind any long query), and',
      'PostgreSQL refuses it outright while a view or rule uses the column, so those must be dropped and',
      'recreated around it. Lowering the limit rewrites the table.',
      '',
      '`text` with `CHECK (char_length(col) <= n)` stores the same bytes, checks the same thing and is just as',
      'fast, and its limit changes without blocking: add the new constraint `NOT VALID`, `VALIDATE` it while',
      'reads and writes continue, drop the old one.',
    ].join('\n'),
    bad: 'CREATE TABLE agents (id bigint PRIMARY KEY, name varchar(255) NOT NULL);',
    good: 'CREATE TABLE agents (id bigint PRIMARY KEY, name text CHECK (char_length(name) <= 255) NOT NULL);',
  },
  create: () => columnTypeVisitor(judge),
});

function judge(defined: DefinedColumn): ColumnTypeFinding | undefined {
  const length = varcharLength(defined.column.typeName);
  if (length === undefined) return undefined;
  const column = quoteIdentifier(defined.column.colname);
  const check = `CHECK (char_length(${column}) <= ${length})`;
  const table = displayName(defined.table);
  return textWithCheck(
    defined,
    check,
    'max_length',
    `${column} varchar(${length}) on ${table}: the limit is part of the type, so raising it later takes an ACCESS EXCLUSIVE lock on ${table} and is refused while a view uses the column. text with ${check} checks the same and changes without blocking.`,
  );
}

function varcharLength(typeName: TypeName | undefined): number | undefined {
  if (baseTypeName(typeName) !== 'varchar') return undefined;
  return nodeOf(typeName?.typmods?.[0], 'A_Const')?.ival?.ival;
}
