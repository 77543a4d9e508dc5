import { type ColumnDef, type Constraint, type Fix, type FixDescriptors, type QualifiedName, type StatementContext, type TextEdit, constraintsOf, displayName, quoteIdentifier } from '../../src/api.js';

/**
 * Building blocks for rules' fixes. Offsets are UTF-16 indexes into the file (`fileOffset` gives
 * a node's). A helper that cannot place its edit safely (a comment between two keywords, an
 * unnamed constraint) returns undefined: the rule then offers no fix, and its help still shows
 * the safe SQL.
 */

/** Where an AST node starts in the file: the statement's start plus the node's place in its text. */
export function fileOffset(statement: StatementContext, node: { readonly location?: number }): number {
  return statement.statement.start + statement.textOffset(node.location);
}

export function insertAt(offset: number, text: string): TextEdit {
  return { start: offset, end: offset, text };
}

/**
 * The file offset just past `pattern` matched exactly at `from` (default: the statement's
 * start), for keywords such as `/CREATE\s+(?:UNIQUE\s+)?INDEX/i`; undefined when it does not match there.
 */
export function afterPattern(statement: StatementContext, pattern: RegExp, from = statement.statement.start): number | undefined {
  const { start, text } = statement.statement;
  const sticky = new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}y`);
  sticky.lastIndex = from - start;
  return sticky.exec(text) ? start + sticky.lastIndex : undefined;
}

/** Inserts ` <words>` just past `pattern` (see `afterPattern`). */
export function insertAfterPattern(statement: StatementContext, pattern: RegExp, words: string, from?: number): TextEdit | undefined {
  const offset = afterPattern(statement, pattern, from);
  return offset === undefined ? undefined : insertAt(offset, ` ${words}`);
}

/** Replaces the statement's code (its `;` and the comments around it stay). */
export function replaceStatement(statement: StatementContext, sql: string): TextEdit {
  return { start: statement.statement.start, end: statement.statement.end, text: sql };
}

/**
 * Inserts a statement before this one: on a line of its own with the same indentation, or on the
 * same line when another statement precedes this one there.
 */
export function insertBeforeStatement(statement: StatementContext, sql: string): TextEdit {
  const { text } = statement.file;
  const { start } = statement.statement;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indentation = text.slice(lineStart, start);
  return insertAt(start, indentation.trim() === '' ? `${sql}${lineBreakOf(text, start)}${indentation}` : `${sql} `);
}

/** Inserts a statement after this one's `;` (adding the `;` when the statement has none), on a new line. */
export function insertAfterStatement(statement: StatementContext, sql: string): TextEdit {
  const { text } = statement.file;
  const { end } = statement.statement;
  const terminator = /(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*;/y;
  terminator.lastIndex = end;
  const lineBreak = lineBreakOf(text, end);
  return terminator.exec(text) ? insertAt(terminator.lastIndex, `${lineBreak}${sql}`) : insertAt(end, `;${lineBreak}${sql}`);
}

/**
 * Where a clause of a statement ends: the first comma outside parentheses, quotes and comments
 * after `from`, or the statement's end (trailing space excluded). For one command of an
 * `ALTER TABLE` with several, or one column of a `CREATE TABLE`.
 */
export function clauseEnd(statement: StatementContext, from: number): number {
  const { start, end, text } = statement.statement;
  let depth = 0;
  let index = from - start;
  while (index < text.length) {
    const char = text[index];
    const closing = char === "'" || char === '"' ? char : text.startsWith('--', index) ? '\n' : text.startsWith('/*', index) ? '*/' : dollarTag(text, index);
    if (closing !== undefined) {
      const close = text.indexOf(closing, index + Math.max(closing.length, 1));
      index = close === -1 ? text.length : close + closing.length;
      continue;
    }
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) return start + text.slice(0, index).trimEnd().length;
    index++;
  }
  return end;
}

function dollarTag(text: string, index: number): string | undefined {
  if (text[index] !== '$') return undefined;
  return /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(index, index + 64))?.[0];
}

/**
 * Whether the statement runs on its own: outside any transaction block, and the only statement
 * of its file (a tool that sends a file as one query string runs its statements in one implicit
 * transaction). What CONCURRENTLY needs to run at all.
 */
export function runsAlone(statement: StatementContext): boolean {
  return !statement.transaction.inBlock && statement.file.statementCount === 1;
}

const CONCURRENTLY_AFTER: Readonly<Record<string, RegExp>> = {
  IndexStmt: /CREATE\s+(?:UNIQUE\s+)?INDEX\b/i,
  DropStmt: /DROP\s+INDEX\b/i,
  ReindexStmt: /REINDEX\s+(?:\([^)]*\)\s*)?(?:INDEX|TABLE)\b/i,
};

/**
 * `CONCURRENTLY` for CREATE INDEX, DROP INDEX and REINDEX. It changes how the statement must run:
 * never inside a transaction block, and a failed build leaves an INVALID index behind. So it is
 * the unattended `fix` only when the statement already runs alone (`runsAlone`); otherwise a
 * suggestion whose title says the statement needs a migration of its own.
 */
export function concurrentlyFixes(statement: StatementContext): FixDescriptors {
  const pattern = CONCURRENTLY_AFTER[statement.statement.type];
  const edit = pattern && insertAfterPattern(statement, pattern, 'CONCURRENTLY');
  if (!edit) return {};
  if (runsAlone(statement)) return { fix: { title: 'Add CONCURRENTLY', edits: [edit] } };
  return { suggestions: [{ title: 'Add CONCURRENTLY (then move the statement to a migration of its own, run outside a transaction block)', edits: [edit] }] };
}

/**
 * `NOT VALID` on an added CHECK or FOREIGN KEY constraint, and `VALIDATE CONSTRAINT` right after
 * the statement. The validation only helps in a later transaction than the one that adds the
 * constraint (the lock of ADD CONSTRAINT is held until commit), so this is the unattended `fix`
 * when the statement runs outside a transaction block; inside one, the suggestion adds NOT VALID
 * and writes the validation as a comment for the next migration. Needs a named constraint.
 */
export function notValidFixes(statement: StatementContext, constraint: Constraint, table: QualifiedName): FixDescriptors {
  if (constraint.conname === undefined || constraint.skip_validation) return {};
  const notValid = insertAt(clauseEnd(statement, fileOffset(statement, constraint)), ' NOT VALID');
  const validate = `ALTER TABLE ${displayName(table)} VALIDATE CONSTRAINT ${quoteIdentifier(constraint.conname)};`;
  if (!statement.transaction.inBlock) {
    return { fix: { title: 'Add NOT VALID, then VALIDATE CONSTRAINT in its own transaction', edits: [notValid, insertAfterStatement(statement, validate)] } };
  }
  return {
    suggestions: [{ title: 'Add NOT VALID (validate in the next migration)', edits: [notValid, insertAfterStatement(statement, `-- Next migration: ${validate}`)] }],
  };
}

/**
 * `SET lock_timeout` before the statement (`SET LOCAL` inside a transaction block, so it ends
 * with it). A timeout turns a long wait into a failed migration that must be retried, and its
 * value is a choice: offer it as a suggestion. A setting lasts for the statements after it, so
 * if a rule makes it a `fix`, only on the first finding of the file: each round of `--fix` lints
 * again, and the statements the new setting covers are no longer reported.
 */
export function lockTimeoutFix(statement: StatementContext, timeout = '5s'): Fix {
  const set = statement.transaction.inBlock ? 'SET LOCAL' : 'SET';
  return { title: `Set lock_timeout to ${timeout} before this statement`, edits: [insertBeforeStatement(statement, `${set} lock_timeout = '${timeout}';`)] };
}

const IF_NOT_EXISTS_AFTER: Readonly<Record<string, RegExp>> = {
  CreateStmt: /CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\b/i,
  IndexStmt: /CREATE\s+(?:UNIQUE\s+)?INDEX(?:\s+CONCURRENTLY)?\b/i,
  CreateSeqStmt: /CREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?SEQUENCE\b/i,
  CreateSchemaStmt: /CREATE\s+SCHEMA\b/i,
  CreateExtensionStmt: /CREATE\s+EXTENSION\b/i,
};

/** The object keywords of DROP, by the statement's `removeType`. */
const DROPPED_OBJECT: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_INDEX: 'INDEX(?:\\s+CONCURRENTLY)?',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED\\s+VIEW',
  OBJECT_FOREIGN_TABLE: 'FOREIGN\\s+TABLE',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_TYPE: 'TYPE',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_EXTENSION: 'EXTENSION',
  OBJECT_TRIGGER: 'TRIGGER',
  OBJECT_POLICY: 'POLICY',
};

/**
 * `IF NOT EXISTS` / `IF EXISTS` for a statement that creates or drops one object: CREATE TABLE,
 * INDEX (named), SEQUENCE, SCHEMA, EXTENSION, and DROP of any object. Undefined when the
 * statement already has it or cannot take it. See `columnIfExistsFix` for ALTER TABLE columns.
 */
export function ifExistsFix(statement: StatementContext): Fix | undefined {
  const { type, node } = statement.statement;
  const fields = (node as Record<string, { if_not_exists?: boolean; missing_ok?: boolean; idxname?: string; removeType?: string } | undefined>)[type];
  if (!fields || fields.if_not_exists || fields.missing_ok || (type === 'IndexStmt' && fields.idxname === undefined)) return undefined;
  const dropped = type === 'DropStmt' ? DROPPED_OBJECT[fields.removeType ?? ''] : undefined;
  const pattern = dropped === undefined ? IF_NOT_EXISTS_AFTER[type] : new RegExp(`DROP\\s+${dropped}\\b`, 'i');
  const words = type === 'DropStmt' ? 'IF EXISTS' : 'IF NOT EXISTS';
  const edit = pattern && insertAfterPattern(statement, pattern, words);
  return edit && { title: `Add ${words}`, edits: [edit] };
}

/** `ADD COLUMN IF NOT EXISTS` for the column definition `column` (a ColumnDef node) of an ALTER TABLE. */
export function columnIfExistsFix(statement: StatementContext, column: { readonly location?: number }): Fix | undefined {
  if (column.location === undefined) return undefined;
  return { title: 'Add IF NOT EXISTS', edits: [insertAt(fileOffset(statement, column), 'IF NOT EXISTS ')] };
}

/** `DROP COLUMN IF EXISTS` for the first `DROP [COLUMN] <name>` of `name` in an ALTER TABLE. */
export function dropColumnIfExistsFix(statement: StatementContext, name: string): Fix | undefined {
  const { start, text } = statement.statement;
  const match = new RegExp(`\\bDROP\\s+(?:COLUMN\\s+)?(?=${escapeRegExp(quoteIdentifier(name))}(?![\\w$]))`, 'i').exec(text);
  return match ? { title: 'Add IF EXISTS', edits: [insertAt(start + match.index + match[0].length, 'IF EXISTS ')] } : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * For ADD COLUMN ... NOT NULL: add the column nullable, the first of the guide's steps (backfill,
 * then enforce NOT NULL in a later migration). A suggestion: it changes what the statement does.
 */
export function dropNotNullSuggestion(statement: StatementContext, column: ColumnDef): Fix[] {
  const notNull = constraintsOf(column).find((constraint) => constraint.contype === 'CONSTR_NOTNULL');
  if (notNull?.location === undefined) return [];
  const start = fileOffset(statement, notNull);
  const end = afterPattern(statement, /NOT\s+NULL\b/i, start);
  if (end === undefined) return [];
  const { text } = statement.file;
  let spaceStart = start;
  while (spaceStart > statement.statement.start && (text[spaceStart - 1] === ' ' || text[spaceStart - 1] === '\t')) spaceStart--;
  return [{ title: 'Add the column as nullable (backfill it, then enforce NOT NULL in a later migration)', edits: [{ start: spaceStart, end, text: '' }] }];
}

/** The file's own line break (CRLF or LF), as used on the line at `index`. */
function lineBreakOf(text: string, index: number): string {
  const newline = text.indexOf('\n', index);
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}
