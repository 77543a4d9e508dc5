import { refusesTransactionBlock } from '../../src/analyze/transaction-block.js';
import { type SqlSession, serverErrorOf } from '../../src/db/session.js';
import { parseSource } from '../../src/parse/parser.js';

/**
 * Safe SQL as the help and the rule pages write it: migrations headed `-- Migration N: ...`, batched
 * backfills to repeat until they write no row, placeholders in angle brackets for what only the user
 * knows (`<value>`), `<start>` for the first key of a key range.
 */
export interface SafeMigration {
  readonly title: string;
  readonly statements: readonly { readonly sql: string; readonly repeat: boolean; readonly alone: boolean }[];
}

const HEADING = /^-- Migration \d+:.*$/gm;
const REPEAT = /^-- Repeat (until|for consecutive ranges)/m;
/** Placeholders the harness can fill: the start of a key range (the rows' keys are small). */
const FILLABLE: Readonly<Record<string, string>> = { '<start>': '0' };

/** The placeholders left for the user in SQL (comments left out), e.g. `<value>`. */
export function placeholdersOf(text: string): string[] {
  const code = text
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
  return [...new Set(code.match(/<[^<>\n]{1,80}>/g) ?? [])].filter((placeholder) => FILLABLE[placeholder] === undefined);
}

const OPTION = /^-- Option \d+\b.*$/gm;

/** The alternatives a help offers (`-- Option 1, ...`), each with what comes before the first; the text itself when it offers one way. */
export function alternativesOf(text: string): string[] {
  const options = [...text.matchAll(OPTION)];
  const first = options[0];
  if (!first) return [text];
  const common = text.slice(0, first.index);
  return options.map((option, index) => common + text.slice(option.index, options[index + 1]?.index ?? text.length));
}

/** The migrations a text describes; text before the first heading is a migration of its own. */
export function migrationsOf(text: string): SafeMigration[] {
  const filled = Object.entries(FILLABLE).reduce((sql, [placeholder, value]) => sql.replaceAll(placeholder, value), text);
  const headings = [...filled.matchAll(HEADING)];
  const starts = [0, ...headings.map((heading) => heading.index)];
  return starts.map((start, index) => {
    const chunk = filled.slice(start, starts[index + 1] ?? filled.length);
    const parsed = parseSource(chunk);
    if (parsed.errors[0]) throw new Error(`the SQL does not parse: ${parsed.errors[0].message}\n${chunk}`);
    return {
      title: (/^-- Migration \d+:.*$/m.exec(chunk)?.[0] ?? '(before the first migration heading)').trim(),
      statements: parsed.statements.map((statement) => ({
        sql: statement.text,
        // A batched write follows its "Repeat until ..." comment directly.
        repeat: REPEAT.test(lastCommentBefore(chunk, statement.start)),
        alone: refusesTransactionBlock(statement.node),
      })),
    };
  });
}

function lastCommentBefore(text: string, index: number): string {
  const before = text.slice(0, index).trimEnd().split('\n');
  const comments: string[] = [];
  for (let line = before.length - 1; line >= 0 && (before[line] ?? '').trim().startsWith('--'); line--) comments.unshift(before[line] ?? '');
  return comments.join('\n');
}

/** Where a run of safe SQL failed, with PostgreSQL's message. */
export interface SafeSqlFailure {
  readonly migration: string;
  readonly sql: string;
  readonly message: string;
  /** SQLSTATE: class 23 is data that breaks a constraint. */
  readonly code: string | undefined;
}

/**
 * Runs migrations as a migration tool would: each in one transaction, unless it holds a statement
 * PostgreSQL refuses in one (CONCURRENTLY), when each statement runs on its own. A batched write
 * runs until it writes no row. `between` runs after each migration (the applications writing).
 */
export async function runMigrations(session: SqlSession, migrations: readonly SafeMigration[], between?: (migration: number) => Promise<void>): Promise<SafeSqlFailure | undefined> {
  for (const [index, migration] of migrations.entries()) {
    if (migration.statements.length === 0) continue;
    const wrapped = !migration.statements.some((statement) => statement.alone);
    if (wrapped) await session.run('BEGIN');
    for (const statement of migration.statements) {
      try {
        for (let batch = 0; ; batch++) {
          const result = await session.run(statement.sql);
          if (!statement.repeat || !result.rowCount || batch === 1000) break;
        }
      } catch (error) {
        const fields = serverErrorOf(error);
        if (!fields) throw error;
        await session.run('ROLLBACK').catch(() => undefined);
        return { migration: migration.title, sql: statement.sql, message: fields.message, code: fields.code };
      }
    }
    if (wrapped) await session.run('COMMIT');
    await between?.(index);
  }
  return undefined;
}

/** Runs statements each on its own, ignoring failures: what a fixture did before the statement its finding is about. */
export async function runTolerantly(session: SqlSession, statements: readonly string[]): Promise<void> {
  for (const sql of statements) {
    await session.run(sql).catch(async () => {
      await session.run('ROLLBACK').catch(() => undefined);
    });
  }
}
