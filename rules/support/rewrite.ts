import { type ColumnDef, type Node, type QualifiedName, type StatementContext, type TypeName, type Visitor, constraintsOf, displayName, nameOfRangeVar, nodeOf, quoteIdentifier, stringsOf } from '../../src/api.js';

/** A replacement of part of a statement's text, by UTF-16 index into it. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The statement's text with the edits applied (they must not overlap), as a statement to paste. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let result = text;
  for (const edit of [...edits].sort((left, right) => right.start - left.start)) {
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  }
  return `${result};`;
}

/** An insertion right after the first match of `pattern` (which must match at its start when anchored), or undefined. */
export function insertAfter(text: string, pattern: RegExp, insertion: string): TextEdit | undefined {
  const match = pattern.exec(text);
  if (!match) return undefined;
  const end = match.index + match[0].length;
  return { start: end, end, text: insertion };
}

const NAME = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)`;
/** A type as people write it: `int`, `character varying(255)`, `timestamp(3) without time zone`, `public.mood[]`. */
const TYPE_AS_WRITTEN = new RegExp(
  String.raw`^${NAME}(?:\s*\.\s*${NAME})*(?:\s+(?:varying|precision)\b)?(?:\s*\([^()]*\))?(?:\s+with(?:out)?\s+time\s+zone\b)?(?:\s*\[\s*\d*\s*\])*`,
  'i',
);

/** Replaces the type of a column definition where it is written. */
export function typeEdit(statement: StatementContext, typeName: TypeName | undefined, replacement: string): TextEdit | undefined {
  if (typeName?.location === undefined) return undefined;
  const start = statement.textOffset(typeName.location);
  const match = TYPE_AS_WRITTEN.exec(statement.statement.text.slice(start));
  return match ? { start, end: start + match[0].length, text: replacement } : undefined;
}

/** A regular expression source matching an identifier as it may be written: any case unquoted, exact when quoted. */
export function identifierPattern(name: string): string {
  const quoted = quoteIdentifier(name);
  const escaped = quoted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return quoted.startsWith('"') ? escaped : `(?:${escaped}|"${escaped}")(?![\\w$])`;
}

/** The kinds of ALTER whose columns hold rows: ALTER TABLE and ALTER FOREIGN TABLE (not ALTER TYPE's attributes). */
export const COLUMN_OWNERS: ReadonlySet<string> = new Set(['OBJECT_TABLE', 'OBJECT_FOREIGN_TABLE']);

/** A column defined by CREATE TABLE or ALTER TABLE ... ADD COLUMN, with what the statement says about it. */
export interface DefinedColumn {
  readonly column: ColumnDef & { readonly colname: string };
  readonly table: QualifiedName;
  /** Part of the primary key, inline or in a table constraint of the same statement. */
  readonly primaryKey: boolean;
  /** Part of a foreign key (REFERENCES), inline or in a table constraint of the same statement. */
  readonly foreignKey: boolean;
  /** Created in this statement, or its table earlier in the same file: nobody uses it yet. */
  readonly newTable: boolean;
}

/** The columns a statement defines: those of CREATE TABLE, and those ALTER TABLE adds. */
export function definedColumns(statement: StatementContext): DefinedColumn[] {
  const { node } = statement.statement;
  const create = nodeOf(node, 'CreateStmt');
  const alter = nodeOf(node, 'AlterTableStmt');
  const relation = create?.relation ?? alter?.relation;
  const table = nameOfRangeVar(relation);
  if (!table || (alter && !COLUMN_OWNERS.has(alter.objtype ?? ''))) return [];
  const definitions: Node[] = create
    ? (create.tableElts ?? [])
    : (alter?.cmds ?? []).flatMap((node) => {
        const command = nodeOf(node, 'AlterTableCmd');
        const adds = command?.subtype === 'AT_AddColumn' || command?.subtype === 'AT_AddConstraint';
        return adds && command.def ? [command.def] : [];
      });
  const columns: ColumnDef[] = [];
  const keyColumns = new Set<string>();
  const referencing = new Set<string>();
  for (const definition of definitions) {
    const column = nodeOf(definition, 'ColumnDef');
    if (column) columns.push(column);
    const constraint = nodeOf(definition, 'Constraint');
    if (constraint?.contype === 'CONSTR_PRIMARY') for (const key of stringsOf(constraint.keys)) keyColumns.add(key);
    if (constraint?.contype === 'CONSTR_FOREIGN') for (const key of stringsOf(constraint.fk_attrs)) referencing.add(key);
  }
  const newTable = create !== undefined || statement.schema.isNewTable(relation);
  return columns.flatMap((column) => {
    const { colname } = column;
    if (colname === undefined) return [];
    const inline = constraintsOf(column);
    const primaryKey = keyColumns.has(colname) || inline.some((constraint) => constraint.contype === 'CONSTR_PRIMARY');
    const foreignKey = referencing.has(colname) || inline.some((constraint) => constraint.contype === 'CONSTR_FOREIGN');
    return [{ column: { ...column, colname }, table, primaryKey, foreignKey, newTable }];
  });
}

/** What a column type rule says about one column: the type to write instead, and why. */
export interface ColumnTypeFinding {
  readonly replacement: string;
  readonly message: string;
  /** Statements that complete the fix on a table in use: now, and in a later migration. */
  readonly followUp?: { readonly now: string; readonly later: string };
}

/**
 * A column type replaced by `text` with a CHECK of its length: written into the definition on a new
 * table; on a table in use, added NOT VALID now and validated in a later migration.
 */
export function textWithCheck(defined: DefinedColumn, check: string, constraintSuffix: string, message: string): ColumnTypeFinding {
  const table = displayName(defined.table);
  const constraint = quoteIdentifier(`${defined.table.name}_${defined.column.colname}_${constraintSuffix}`);
  return {
    replacement: defined.newTable ? `text ${check}` : 'text',
    message,
    followUp: defined.newTable
      ? undefined
      : { now: `ALTER TABLE ${table} ADD CONSTRAINT ${constraint} ${check} NOT VALID;`, later: `ALTER TABLE ${table} VALIDATE CONSTRAINT ${constraint};` },
  };
}

/** The visitor of a column type rule: every statement's column definitions, judged by `judge`. */
export function columnTypeVisitor(judge: (column: DefinedColumn) => ColumnTypeFinding | undefined): Visitor {
  return {
    Statement(_node, statement) {
      reportColumnTypes(statement, judge);
    },
  };
}

/**
 * Reports each column definition of the statement that `judge` finds fault with, at the column,
 * with one help for all of them: the statement rewritten with every such column fixed.
 */
function reportColumnTypes(statement: StatementContext, judge: (column: DefinedColumn) => ColumnTypeFinding | undefined): void {
  const findings = definedColumns(statement).flatMap((column) => {
    const finding = judge(column);
    return finding ? [{ column, finding }] : [];
  });
  if (findings.length === 0) return;
  const edits = findings.flatMap(({ column, finding }) => typeEdit(statement, column.column.typeName, finding.replacement) ?? []);
  const fixed = edits.length === findings.length ? applyEdits(statement.statement.text, edits) : undefined;
  const followUps = findings.flatMap(({ finding }) => (finding.followUp ? [finding.followUp] : []));
  const help =
    fixed === undefined || followUps.length === 0
      ? fixed
      : [
          '-- Migration 1:',
          fixed,
          ...followUps.map((followUp) => followUp.now),
          '-- Migration 2, a separate transaction (reads and writes continue while it checks the rows):',
          ...followUps.map((followUp) => followUp.later),
        ].join('\n');
  for (const { column, finding } of findings) statement.report({ node: column.column, message: finding.message, help, lock: null });
}
