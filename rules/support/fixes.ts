import { type ColumnDef, type Constraint, type FileInfo, type Fix, type FixDescriptors, type QualifiedName, type StatementContext, type TextEdit, constraintsOf, displayName, quoteIdentifier, scanTokens } from '../../src/api.js';
import { type TextEdit as StatementEdit, insertAfter } from './rewrite.js';

/**
 * Building blocks for rules' fixes. Rules compute edits of the statement's text (rewrite.ts,
 * indexes into `statement.statement.text`, as helps use them); a fix carries them as edits of
 * the file. A helper that cannot place its edit safely (a comment between two keywords, an
 * unnamed constraint) returns nothing: the rule then offers no fix, and its help still shows the
 * safe SQL.
 */

/** Edits of the statement's text as edits of the file. */
export function statementFix(statement: StatementContext, title: string, edits: readonly StatementEdit[]): Fix {
  const { start } = statement.statement;
  return { title, edits: edits.map((edit) => ({ start: start + edit.start, end: start + edit.end, text: edit.text })) };
}

/**
 * Inserts a statement before this one: on a line of its own with the same indentation, or on the
 * same line when another statement precedes this one there.
 */
export function insertBeforeStatement(statement: StatementContext, sql: string): TextEdit {
  const { text } = statement.file;
  const { start } = statement.statement;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  // The first line's byte order mark stays first: it is not indentation to repeat.
  const indentation = text.slice(lineStart, start).replace(/^\uFEFF/, '');
  return { start, end: start, text: indentation.trim() === '' ? `${sql}${lineBreakOf(text, start)}${indentation}` : `${sql} ` };
}

/** Inserts a statement after this one's `;` (adding the `;` when the statement has none), on a new line. */
export function insertAfterStatement(statement: StatementContext, sql: string): TextEdit {
  const { text } = statement.file;
  const { end } = statement.statement;
  const terminator = /(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*;/y;
  terminator.lastIndex = end;
  const lineBreak = lineBreakOf(text, end);
  const at = terminator.exec(text) ? terminator.lastIndex : end;
  return { start: at, end: at, text: `${at === end ? ';' : ''}${lineBreak}${sql}` };
}

/** Appends SQL at the end of a file, on lines of its own. */
export function appendToFile(file: FileInfo, sql: string): TextEdit {
  const { text } = file;
  const lineBreak = lineBreakOf(text, 0);
  const separator = text === '' || text.endsWith('\n') ? '' : lineBreak;
  return { start: text.length, end: text.length, text: `${separator}${sql.replaceAll('\n', lineBreak)}${lineBreak}` };
}

/**
 * Where the clause that starts at `from` (an index into the statement's text) ends: before the
 * first comma outside parentheses, quotes and comments after it (PostgreSQL's own scanner says
 * which), or at the statement's end. One command of an `ALTER TABLE` with several.
 */
export function clauseEnd(statement: StatementContext, from: number): number | undefined {
  const { text } = statement.statement;
  const tokens = scanTokens(text);
  if (!tokens) return undefined;
  const bytes = Buffer.from(text, 'utf8');
  const fromByte = Buffer.byteLength(text.slice(0, from));
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (token.text === ',' && depth === 0 && token.start > fromByte) return bytes.subarray(0, token.start).toString('utf8').trimEnd().length;
  }
  return text.length;
}

/** Comments and space before the first keyword. */
const LEADING = String.raw`^(?:\s+|--[^\n]*\n|/\*[\s\S]*?\*/)*`;

const CONCURRENTLY_AFTER: Readonly<Record<string, RegExp>> = {
  IndexStmt: new RegExp(`${LEADING}CREATE\\s+(?:UNIQUE\\s+)?INDEX\\b`, 'i'),
  DropStmt: new RegExp(`${LEADING}DROP\\s+INDEX\\b`, 'i'),
  ReindexStmt: new RegExp(`${LEADING}REINDEX\\s+(?:\\([^)]*\\)\\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE)\\b`, 'i'),
};

/**
 * `CONCURRENTLY` for CREATE INDEX, DROP INDEX and REINDEX. It changes how the statement must run:
 * never inside a transaction block, and a failed build leaves an INVALID index behind. So it is
 * the unattended `fix` only when the statement already runs outside one (the analysis knows the
 * file's own blocks, the one its tool wraps it in, and a query string's implicit one); otherwise
 * a suggestion whose title says the statement needs a migration of its own.
 */
export function concurrentlyFixes(statement: StatementContext): FixDescriptors {
  const pattern = CONCURRENTLY_AFTER[statement.statement.type];
  const edit = pattern && insertAfter(statement.statement.text, pattern, ' CONCURRENTLY');
  if (!edit) return {};
  if (!statement.transaction.inBlock) return { fix: statementFix(statement, 'Add CONCURRENTLY', [edit]) };
  return { suggestions: [statementFix(statement, 'Add CONCURRENTLY (then move the statement to a migration of its own, run outside a transaction block)', [edit])] };
}

/**
 * `NOT VALID` on an added CHECK or FOREIGN KEY constraint, and `VALIDATE CONSTRAINT` right after
 * the statement. The validation only helps in a later transaction than the one that adds the
 * constraint (the lock of ADD CONSTRAINT is held until commit), so this is the unattended `fix`
 * only where each statement runs on its own (no block, and a tool that does not send the file as
 * one query string, which the added statement would turn into one implicit transaction); otherwise
 * the suggestion adds NOT VALID and writes the validation as a comment for the next migration.
 * `name` names an unnamed constraint as PostgreSQL would, written out so VALIDATE can name it.
 */
export function notValidFixes(statement: StatementContext, constraint: Constraint, table: QualifiedName, name = constraint.conname): FixDescriptors {
  if (name === undefined || constraint.skip_validation) return {};
  const start = statement.textOffset(constraint.location);
  const end = clauseEnd(statement, start);
  if (end === undefined) return {};
  const edits: StatementEdit[] = [{ start: end, end, text: ' NOT VALID' }];
  if (constraint.conname === undefined) edits.unshift({ start, end: start, text: `CONSTRAINT ${quoteIdentifier(name)} ` });
  const validate = `ALTER TABLE ${displayName(table)} VALIDATE CONSTRAINT ${quoteIdentifier(name)};`;
  if (!statement.transaction.inBlock && statement.file.transactionMode === 'none') {
    const fix = statementFix(statement, 'Add NOT VALID, then VALIDATE CONSTRAINT in its own transaction', edits);
    return { fix: { ...fix, edits: [...fix.edits, insertAfterStatement(statement, validate)] } };
  }
  const suggestion = statementFix(statement, 'Add NOT VALID (validate in the next migration)', edits);
  return { suggestions: [{ ...suggestion, edits: [...suggestion.edits, insertAfterStatement(statement, `-- Next migration: ${validate}`)] }] };
}

/**
 * `SET lock_timeout` before the statement (`SET LOCAL` inside a transaction block, so it ends
 * with it). A timeout turns a long wait into a failed migration that must be retried, and its
 * value is a choice: a suggestion. A setting lasts for the statements after it, so if a rule
 * makes it a `fix`, only on the first finding of the file: each round of `--fix` lints again,
 * and the statements the new setting covers are no longer reported.
 */
export function lockTimeoutFix(statement: StatementContext, timeout: string): Fix {
  const set = statement.transaction.inBlock ? 'SET LOCAL' : 'SET';
  return {
    title: `Set lock_timeout to ${timeout} before this statement`,
    edits: [insertBeforeStatement(statement, `${set} lock_timeout = '${timeout.replaceAll("'", "''")}';`)],
  };
}

/**
 * For ADD COLUMN ... NOT NULL: add the column nullable, the first of the guide's steps (backfill,
 * then enforce NOT NULL in a later migration). A suggestion: it changes what the statement does.
 */
export function dropNotNullSuggestion(statement: StatementContext, column: ColumnDef): Fix[] {
  const notNull = constraintsOf(column).find((constraint) => constraint.contype === 'CONSTR_NOTNULL');
  if (notNull?.location === undefined) return [];
  const { text } = statement.statement;
  const start = statement.textOffset(notNull.location);
  const keywords = /NOT\s+NULL\b/iy;
  keywords.lastIndex = start;
  if (!keywords.exec(text)) return [];
  const spaceBefore = /[ \t]*$/.exec(text.slice(0, start))?.[0].length ?? 0;
  return [statementFix(statement, 'Add the column as nullable (backfill it, then enforce NOT NULL in a later migration)', [{ start: start - spaceBefore, end: keywords.lastIndex, text: '' }])];
}

/** The file's own line break (CRLF or LF), as used on the line at `index`. */
function lineBreakOf(text: string, index: number): string {
  const newline = text.indexOf('\n', index);
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}
