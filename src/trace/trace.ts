import { readFileSync } from 'node:fs';
import type { StatementAnalysis } from '../analyze/index.js';
import { controlsTransaction, refusesTransactionBlock } from '../analyze/transaction-block.js';
import { UsageError } from '../config/errors.js';
import type { ConfigLoader } from '../config/load.js';
import { type Migration, type MigrationFile, discover, partText } from '../discover/index.js';
import { lint } from '../engine/index.js';
import { type ParsedSource, type ParsedStatement, loadParser, parseSource } from '../parse/parser.js';
import { type Disagreement, compareWithAnalysis } from './compare.js';
import { type FillReport, fillTables } from './fill.js';
import { type Observation, observeStatement } from './observe.js';
import { type ServerErrorFields, type SqlSession, serverErrorOf } from '../db/session.js';

/** Where a statement is: its file, its range and first position there, and its text. */
export interface StatementPlace {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** One traced statement: where it is, and what the server did with it. */
export interface TracedStatement extends StatementPlace {
  /** Run inside a transaction block (the file's own, or the one the migration tool opens). */
  readonly inBlock: boolean;
  readonly observation: Observation;
  /** Where what the server did differs from what the static analysis says. */
  readonly disagreements: readonly Disagreement[];
}

/** A statement that failed: in the history (the traced migrations could not be reached) or among the traced ones. */
export interface TraceFailure extends StatementPlace {
  readonly error: ServerErrorFields;
  readonly inHistory: boolean;
}

export interface TraceResult {
  /** Files traced, in the order they ran. */
  readonly files: readonly string[];
  /** Files of the history replayed before them. */
  readonly history: readonly string[];
  readonly statements: readonly TracedStatement[];
  readonly failures: readonly TraceFailure[];
  readonly fill: FillReport | undefined;
  /** Files not run because an earlier statement failed. */
  readonly notRun: readonly string[];
  readonly sources: ReadonlyMap<string, string>;
  /** What the platform provides that a plain server lacks, and trace created in its place (Supabase's auth schema). */
  readonly stubs: readonly string[];
}

export interface TraceOptions {
  readonly inputs: readonly string[];
  readonly cwd: string;
  /** Built with the server's major version as `pgVersion`: the analysis is compared for the version that runs. */
  readonly configs: ConfigLoader;
  readonly session: SqlSession;
  /** Rows put into each table before the traced migrations. */
  readonly rows: number;
}

/**
 * Replays the history before the traced migrations, fills every table with rows, then runs each
 * traced statement in the transaction structure the migration tool gives it, observing its locks,
 * rewrites, scans, duration and errors, and compares them with the static analysis.
 */
export async function trace(options: TraceOptions): Promise<TraceResult> {
  const { session, cwd, configs } = options;
  await loadParser();
  const linted = await lint({ inputs: options.inputs, cwd, configs, keepAnalyses: true, concurrency: 'off' });
  const discovery = await discover(options.inputs, {
    cwd,
    settingsFor: async (root) => {
      const config = await configs.forFolder(root);
      return { layout: config.layout, isIgnored: config.isIgnored };
    },
  });
  if (discovery.projects.length > 1) throw new UsageError(`trace runs one migration project at a time; the paths name ${discovery.projects.length}: ${discovery.projects.map((project) => project.root).join(', ')}`);
  const project = discovery.projects[0];
  const sources = new Map<string, string>();
  const statements: TracedStatement[] = [];
  const failures: TraceFailure[] = [];
  const notRun: string[] = [];
  if (!project) return { files: [], history: [], statements, failures, fill: undefined, notRun, sources, stubs: [] };
  const isTarget = (migration: Migration): boolean => discovery.targets.has(migration.up.path);
  const first = project.migrations.findIndex(isTarget);
  const history = project.migrations.slice(0, Math.max(first, 0));
  const traced = project.migrations.filter(isTarget).map((migration) => migration.up);

  const stubs = project.layout === 'supabase' ? await stubSupabase(session) : [];
  for (const migration of history) {
    const failure = await replay(session, migration.up, sources);
    if (failure) {
      failures.push(failure);
      return { files: [], history: history.map((entry) => entry.up.path), statements, failures, fill: undefined, notRun: traced.map((file) => file.path), sources, stubs };
    }
  }
  let fill = await fillTables(session, options.rows);
  for (const [index, file] of traced.entries()) {
    const text = linted.sources.get(file.path) ?? readFileSync(file.path, 'utf8');
    sources.set(file.path, text);
    const analyses = (linted.analyses?.get(file.path)?.statements ?? []).filter((analysis) => inPart(file, analysis.statement));
    const failure = await runFile(session, file, text, analyses, statements);
    if (failure) {
      failures.push(failure);
      notRun.push(...traced.slice(index + 1).map((later) => later.path));
      break;
    }
    // Tables the migration created get rows too, before the next one runs.
    const more = await fillTables(session, options.rows);
    fill = { filled: [...fill.filled, ...more.filled], empty: [...fill.empty.filter((entry) => !more.filled.includes(entry.table)), ...more.empty.filter((entry) => !fill.empty.some((known) => known.table === entry.table))] };
  }
  return { files: traced.map((file) => file.path), history: history.map((migration) => migration.up.path), statements, failures, fill, notRun, sources, stubs };
}

/**
 * Supabase projects use what the platform creates before any migration: the auth schema with
 * auth.uid(), auth.role(), auth.jwt() and auth.users, and the API roles. A plain server gets
 * stand-ins, so the migrations run as they do on Supabase.
 */
const SUPABASE_STUBS = `
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email text);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'authenticated'::text $$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$ SELECT '{}'::jsonb $$;
CREATE SCHEMA IF NOT EXISTS extensions;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
END $$;`;

async function stubSupabase(session: SqlSession): Promise<string[]> {
  await session.run(SUPABASE_STUBS);
  return ["Supabase's auth schema (auth.uid(), auth.role(), auth.jwt(), auth.users) and roles anon, authenticated, service_role: stand-ins created before the history"];
}

/** A statement of a file that holds both parts (dbmate) belongs to the up part when it lies in one of its sections. */
function inPart(file: MigrationFile, statement: ParsedStatement): boolean {
  return file.sections === undefined || file.sections.some((section) => statement.start >= section.start && statement.start < section.end);
}

/** A file PostgreSQL's parser rejects cannot run: its first syntax error, as the server would report it. */
function syntaxFailure(file: MigrationFile, parsed: ParsedSource, inHistory: boolean): TraceFailure | undefined {
  const syntax = parsed.errors[0];
  if (!syntax) return undefined;
  const error = { message: syntax.message, code: '42601', detail: undefined, hint: undefined, position: undefined };
  return { file: file.path, start: syntax.statementStart, end: syntax.statementEnd, ...parsed.source.positionAt(syntax.statementStart), text: '', error, inHistory };
}

/** Runs an earlier migration statement by statement, each on its own, as the state the traced ones start from. */
async function replay(session: SqlSession, file: MigrationFile, sources: Map<string, string>): Promise<TraceFailure | undefined> {
  const text = readFileSync(file.path, 'utf8');
  sources.set(file.path, text);
  const parsed = parseSource(partText(file, text));
  const syntax = syntaxFailure(file, parsed, true);
  if (syntax) return syntax;
  for (const statement of parsed.statements) {
    if (controlsTransaction(statement.node)) continue;
    try {
      await session.run(statement.text);
    } catch (error) {
      const fields = serverErrorOf(error);
      if (!fields) throw error;
      return { file: file.path, start: statement.start, end: statement.end, ...parsed.source.positionAt(statement.start), text: statement.text, error: fields, inHistory: true };
    }
  }
  return undefined;
}

/**
 * Runs a traced file as its migration tool would: the tool's transaction around the statements it
 * wraps, the file's own BEGIN and COMMIT as written, a statement PostgreSQL refuses in a block on
 * its own. A statement that runs outside any block is still given one of its own (BEGIN, the
 * statement, COMMIT: the same as running it alone), so its locks can be read before it commits.
 */
async function runFile(session: SqlSession, file: MigrationFile, text: string, analyses: readonly StatementAnalysis[], out: TracedStatement[]): Promise<TraceFailure | undefined> {
  const parsed = parseSource(partText(file, text));
  const syntax = syntaxFailure(file, parsed, false);
  if (syntax) return syntax;
  /** The transaction the session is in: the tool's (by analysis id), the file's own, or none. */
  let open: { readonly owner: 'tool' | 'file'; readonly id: number } | undefined;
  for (const analysis of analyses) {
    const { statement, transaction } = analysis;
    if (controlsTransaction(statement.node)) {
      await session.run(statement.text);
      open = /^\s*(begin|start)/i.test(statement.text) ? { owner: 'file', id: transaction.id } : undefined;
      continue;
    }
    if (open?.owner === 'tool' && (!transaction.inBlock || open.id !== transaction.id)) {
      await session.run('COMMIT');
      open = undefined;
    }
    const alone = refusesTransactionBlock(statement.node) && open === undefined;
    if (!alone && open === undefined) {
      await session.run('BEGIN');
      open = { owner: 'tool', id: transaction.inBlock ? transaction.id : -1 };
    }
    const observation = await observeStatement(session, statement.text, !alone);
    const position = parsed.source.positionAt(statement.start);
    if (observation.error) {
      if (open) await session.run('ROLLBACK');
      return { file: file.path, start: statement.start, end: statement.end, ...position, text: statement.text, error: observation.error, inHistory: false };
    }
    out.push({
      file: file.path,
      start: statement.start,
      end: statement.end,
      ...position,
      text: statement.text,
      inBlock: !alone,
      observation,
      disagreements: compareWithAnalysis(analysis, observation),
    });
    // A statement outside the tool's block had a block of its own: it commits now.
    if (open?.owner === 'tool' && !transaction.inBlock) {
      await session.run('COMMIT');
      open = undefined;
    }
  }
  if (open) await session.run(open.owner === 'tool' ? 'COMMIT' : 'ROLLBACK');
  return undefined;
}
