import { type TypeName, defineRule, displayName, nodeOf, quoteIdentifier, stringsOf } from '../src/api.js';
import { type ColumnTypeFinding, type DefinedColumn, columnTypeVisitor, textWithCheck } from './support/rewrite.js';

export default defineRule({
  id: 'prefer-text-over-char',
  meta: {
    description: 'char(n) columns pad every value with spaces to n characters: use text, with a CHECK for the length.',
    severity: 'warn',
    preset: 'style',
    category: 'style',
    hazard: [
      '`char(n)` (`character(n)`, and `char` alone, which is `char(1)`) pads every value with spaces to n characters',
      'and ignores trailing spaces when comparing: `\'ab\'` is stored as `\'ab   \'`, yet compares equal to `\'ab\'`,',
      'loses its spaces when cast to text, and a longer value fails. It is no faster than `text` (it stores the',
      'padding too), and, as with `varchar(n)`, the length is part of the type: changing it is an `ALTER COLUMN ...',
      'TYPE` under an ACCESS EXCLUSIVE lock, and shortening it rewrites the table.',
      '',
      'Use `text`, with `CHECK (char_length(col) = n)` when the length really is fixed (a country code).',
      'The internal single-byte type `"char"` is not reported.',
    ].join('\n'),
    bad: 'CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);',
    good: 'CREATE TABLE countries (code text CHECK (char_length(code) = 2) PRIMARY KEY, name text NOT NULL);',
  },
  create: () => columnTypeVisitor(judge),
});

function judge(defined: DefinedColumn): ColumnTypeFinding | undefined {
  const length = charLength(defined.column.typeName);
  if (length === undefined) return undefined;
  const column = quoteIdentifier(defined.column.colname);
  const check = `CHECK (char_length(${column}) = ${length})`;
  return textWithCheck(
    defined,
    check,
    'length',
    `${column} char(${length}) on ${displayName(defined.table)}: values are padded with spaces to ${length} characters and compared without them, and the length is part of the type. text with ${check} checks the length without the padding.`,
  );
}

/** The length of `char(n)` / `character(n)` (1 when none is written); undefined for other types, the internal `"char"` included. */
function charLength(typeName: TypeName | undefined): number | undefined {
  const names = stringsOf(typeName?.names);
  // char and character are pg_catalog.bpchar; a bare bpchar without a length has no limit.
  if (names.length !== 2 || names[0] !== 'pg_catalog' || names[1] !== 'bpchar') return undefined;
  return nodeOf(typeName?.typmods?.[0], 'A_Const')?.ival?.ival ?? 1;
}
