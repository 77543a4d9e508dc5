import { type AlterTableCmd, type FixDescriptors, type StatementContext, defineRule, nodeOf, quoteIdentifier } from '../src/api.js';
import { statementFix } from './support/fixes.js';
import { type TextEdit, applyEdits, identifierPattern, insertAfter } from './support/rewrite.js';

export default defineRule({
  id: 'prefer-robust-statements',
  meta: {
    description: 'CREATE without IF NOT EXISTS, DROP without IF EXISTS outside a transaction: a re-run after a partial failure stops.',
    severity: 'warn',
    preset: 'style',
    category: 'style',
    hazard: [
      'A migration that runs outside a transaction block (a tool that does not wrap files, or a file with',
      '`CREATE INDEX CONCURRENTLY`) keeps whatever it did before it failed. Run again, it stops at the first',
      'statement that already happened: "relation already exists", "column does not exist". With',
      '`IF NOT EXISTS` / `IF EXISTS` (and `OR REPLACE` for functions, views and, from PostgreSQL 14, triggers)',
      'the re-run passes over what is done and finishes the rest.',
      '',
      'Statements inside a transaction block are not reported: a failure undoes the whole block. Nor is',
      '`CREATE INDEX CONCURRENTLY`: a failed build leaves an INVALID index that `IF NOT EXISTS` would',
      'silently keep; drop it (`DROP INDEX CONCURRENTLY IF EXISTS`) and build again instead. Mind that',
      '`IF NOT EXISTS` does not compare definitions: an existing table with other columns is kept as it is.',
    ].join('\n'),
    bad: 'CREATE TABLE teams (id bigint PRIMARY KEY);',
    good: 'CREATE TABLE IF NOT EXISTS teams (id bigint PRIMARY KEY);',
  },
  create(context) {
    const report = (statement: StatementContext, what: string, edits: readonly (TextEdit | undefined)[]): void => {
      if (statement.transaction.inBlock || edits.length === 0) return;
      const present = edits.filter((edit) => edit !== undefined);
      const complete = present.length === edits.length;
      statement.report({
        message: `${what} outside a transaction block: if the migration fails after it and is run again, this statement fails and the re-run stops here.`,
        help: complete ? ['-- Re-runnable:', applyEdits(statement.statement.text, present)].join('\n') : undefined,
        lock: null,
        ...(complete ? robustFixes(statement, present) : {}),
      });
    };
    const create = (statement: StatementContext, keywords: string, clause = 'IF NOT EXISTS'): TextEdit | undefined =>
      insertAfter(statement.statement.text, new RegExp(`${LEADING}CREATE\\s+${keywords}`, 'i'), ` ${clause}`);
    return {
      CreateStmt(node, statement) {
        if (!node.if_not_exists) report(statement, 'CREATE TABLE without IF NOT EXISTS', [create(statement, TABLE)]);
      },
      CreateTableAsStmt(node, statement) {
        if (node.if_not_exists) return;
        const matview = node.objtype === 'OBJECT_MATVIEW';
        report(statement, `CREATE ${matview ? 'MATERIALIZED VIEW' : 'TABLE'} without IF NOT EXISTS`, [create(statement, matview ? 'MATERIALIZED\\s+VIEW' : TABLE)]);
      },
      IndexStmt(node, statement) {
        if (node.if_not_exists || node.concurrent) return;
        // IF NOT EXISTS needs a name: the one PostgreSQL would choose, written out.
        const implicit = statement.implicitNames.get(node);
        if (node.idxname === undefined && implicit === undefined) return;
        const name = node.idxname === undefined ? ` ${quoteIdentifier(implicit ?? '')}` : '';
        report(statement, `CREATE INDEX${name} without IF NOT EXISTS`, [create(statement, '(?:UNIQUE\\s+)?INDEX', `IF NOT EXISTS${name}`)]);
      },
      CreateSchemaStmt(node, statement) {
        if (!node.if_not_exists) report(statement, 'CREATE SCHEMA without IF NOT EXISTS', [create(statement, 'SCHEMA')]);
      },
      CreateSeqStmt(node, statement) {
        if (!node.if_not_exists) report(statement, 'CREATE SEQUENCE without IF NOT EXISTS', [create(statement, `${PERSISTENCE}SEQUENCE`)]);
      },
      CreateExtensionStmt(node, statement) {
        if (!node.if_not_exists) report(statement, 'CREATE EXTENSION without IF NOT EXISTS', [create(statement, 'EXTENSION')]);
      },
      CreateFunctionStmt(node, statement) {
        const kind = node.is_procedure ? 'PROCEDURE' : 'FUNCTION';
        if (!node.replace) report(statement, `CREATE ${kind} without OR REPLACE`, [orReplace(statement)]);
      },
      ViewStmt(node, statement) {
        if (!node.replace) report(statement, 'CREATE VIEW without OR REPLACE', [orReplace(statement)]);
      },
      CreateTrigStmt(node, statement) {
        if (!node.replace && !node.isconstraint && context.pgVersion >= 14) report(statement, 'CREATE TRIGGER without OR REPLACE', [orReplace(statement)]);
      },
      DropStmt(node, statement) {
        const keywords = DROP_KEYWORDS[node.removeType ?? ''];
        if (node.missing_ok || keywords === undefined) return;
        const pattern = new RegExp(`${LEADING}DROP\\s+${keywords}(?:\\s+CONCURRENTLY)?`, 'i');
        report(statement, `DROP ${keywords.replaceAll('\\s+', ' ')} without IF EXISTS`, [insertAfter(statement.statement.text, pattern, ' IF EXISTS')]);
      },
      AlterTableStmt(node, statement) {
        const edits = (node.cmds ?? []).flatMap((command) => alterTableEdit(statement, nodeOf(command, 'AlterTableCmd')));
        report(statement, 'ALTER TABLE ... ADD COLUMN / DROP COLUMN / DROP CONSTRAINT without IF [NOT] EXISTS', edits);
      },
    };
  },
});

/** Comments and space before the first keyword. */
const LEADING = String.raw`^(?:\s+|--[^\n]*\n|/\*[\s\S]*?\*/)*`;
const PERSISTENCE = String.raw`(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?`;
const TABLE = `${PERSISTENCE}TABLE`;

/** The kinds of DROP that take IF EXISTS, and their keywords. */
const DROP_KEYWORDS: Readonly<Record<string, string>> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MATERIALIZED\\s+VIEW',
  OBJECT_FOREIGN_TABLE: 'FOREIGN\\s+TABLE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_TYPE: 'TYPE',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_ROUTINE: 'ROUTINE',
  OBJECT_AGGREGATE: 'AGGREGATE',
  OBJECT_TRIGGER: 'TRIGGER',
  OBJECT_POLICY: 'POLICY',
  OBJECT_RULE: 'RULE',
  OBJECT_EXTENSION: 'EXTENSION',
  OBJECT_COLLATION: 'COLLATION',
  OBJECT_STATISTIC_EXT: 'STATISTICS',
  OBJECT_PUBLICATION: 'PUBLICATION',
  OBJECT_EVENT_TRIGGER: 'EVENT\\s+TRIGGER',
};

/**
 * IF [NOT] EXISTS leaves what the statement does unchanged on a first run: the unattended fix.
 * OR REPLACE silently replaces a different definition that exists: a suggestion.
 */
function robustFixes(statement: StatementContext, edits: readonly TextEdit[]): FixDescriptors {
  const fix = statementFix(statement, `Add ${[...new Set(edits.map((edit) => edit.text.trim()))].join(', ')}`, edits);
  return edits.some((edit) => edit.text.includes('OR REPLACE')) ? { suggestions: [fix] } : { fix };
}

function orReplace(statement: StatementContext): TextEdit | undefined {
  return insertAfter(statement.statement.text, new RegExp(`${LEADING}CREATE`, 'i'), ' OR REPLACE');
}

/** The edits that make one ALTER TABLE command re-runnable: none when it already is, or has no such form. */
function alterTableEdit(statement: StatementContext, command: AlterTableCmd | undefined): (TextEdit | undefined)[] {
  if (!command || command.missing_ok) return [];
  const { text } = statement.statement;
  switch (command.subtype) {
    case 'AT_AddColumn': {
      const column = nodeOf(command.def, 'ColumnDef');
      if (column?.location === undefined) return [undefined];
      const start = statement.textOffset(column.location);
      return [{ start, end: start, text: 'IF NOT EXISTS ' }];
    }
    case 'AT_DropColumn':
      return command.name === undefined ? [] : [insertAfter(text, new RegExp(`\\bDROP\\s+(?:COLUMN\\s+)?(?=${identifierPattern(command.name)})`, 'i'), 'IF EXISTS ')];
    case 'AT_DropConstraint':
      return command.name === undefined ? [] : [insertAfter(text, new RegExp(`\\bDROP\\s+CONSTRAINT\\s+(?=${identifierPattern(command.name)})`, 'i'), 'IF EXISTS ')];
    default:
      return [];
  }
}
