import type { StatementAnalysis } from '../analyze/index.js';
import type { TableEffect } from '../analyze/lock-facts.js';
import type { LockMode } from '../analyze/lock-modes.js';
import type { AnyRule, Fix, Suggestion } from '../plugin/rule.js';

export type Severity = 'error' | 'warning';

/** The lock behind a finding, explained for the running application. */
export interface FindingLock {
  readonly mode: LockMode;
  /** The relation as written in the migration. */
  readonly relation: string;
  readonly blocksReads: boolean;
  readonly blocksWrites: boolean;
  readonly blocksDdl: boolean;
  /** "blocks reads and writes", "blocks writes (reads continue)". */
  readonly impact: string;
  readonly effect: TableEffect;
  /** What the rewrite or scan means for this statement, when the plain word is not enough. */
  readonly effectNote: string | undefined;
}

/** An in-source directive silenced the finding; kept so SARIF can show it as dismissed. */
export interface Suppression {
  readonly reason: string | undefined;
}

/** One problem in one file. Lines and columns are 1-based; columns count characters. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  /** Absolute path of the file. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  /** UTF-16 indexes into the file's text, for editors and fixes. */
  readonly offset: number;
  readonly endOffset: number;
  /** The safe alternative, as SQL to paste. */
  readonly help: string | undefined;
  readonly lock: FindingLock | undefined;
  /** Stable across edits elsewhere in the file: rule, file and the statement's normalized text. */
  readonly fingerprint: string;
  readonly suppression: Suppression | undefined;
  /** A fix safe to apply unattended (`--fix`, an editor's preferred quick fix). */
  readonly fix?: Fix | undefined;
  /** Changes an editor offers, each needing a person's judgement; the last one silences the finding with a directive. */
  readonly suggestions?: readonly Suggestion[] | undefined;
}

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1 };

/** Files in path order; within a file, by position, then errors before warnings, then rule. */
export function compareFindings(left: Finding, right: Finding): number {
  if (left.file !== right.file) return left.file < right.file ? -1 : 1;
  return (
    left.line - right.line ||
    left.column - right.column ||
    SEVERITY_ORDER[left.severity] - SEVERITY_ORDER[right.severity] ||
    left.ruleId.localeCompare(right.ruleId)
  );
}

/** A file the run could not read, or another problem that is not a finding in a file. */
export interface RunProblem {
  readonly file: string | undefined;
  readonly message: string;
}

/** One line about a whole project from a rule (`RuleContext.note`), shown once beside the findings. */
export interface ProjectNote {
  readonly ruleId: string;
  /** The project's folder. */
  readonly folder: string;
  readonly message: string;
}

/** What a run returns: the findings (suppressed ones included), and what it looked at. */
export interface LintResult {
  readonly findings: readonly Finding[];
  /** Files that were linted (reported on), in order. */
  readonly files: readonly string[];
  /** Files whose content the run needed and could not read. */
  readonly problems: readonly RunProblem[];
  /** What rules noted about whole projects, once each, in project order. */
  readonly notes: readonly ProjectNote[];
  /** The rules that ran, for reports that describe them (SARIF). */
  readonly rules: readonly RuleInRun[];
  /** The text of each linted file as it was linted (stdin and editor buffers are not on disk). */
  readonly sources: ReadonlyMap<string, string>;
  /** With `keepAnalyses`: each linted file's parse and the analysis of its statements, by path. */
  readonly analyses?: ReadonlyMap<string, FileAnalysis> | undefined;
  /** Each linted project with how its files run (the transaction model, in words): reports say it once. */
  readonly projects?: readonly ProjectSummary[];
  /** How parsing was shared: parser threads started, parses made (a long file is parsed in pieces) and how many of them the threads made. */
  readonly parsing: { readonly threads: number; readonly parses: number; readonly parsedByThreads: number };
  /** With the persistent cache: how many linted files' findings it gave, unchanged since a run that linted them. */
  readonly reusedFiles?: number | undefined;
}

export interface ProjectSummary {
  /** The migrations folder. */
  readonly root: string;
  readonly layout: string;
  /** Each distinct way its linted files run: "the Supabase CLI runs each migration file in one transaction (...)". */
  readonly transactions: readonly string[];
}

/** A linted file as the engine saw it: what an editor shows about a statement (its locks) comes from here. */
export interface FileAnalysis {
  /** In file order (both sections of a file that has two); a statement's `schema` view reflects the end of the run, not the moment it ran. */
  readonly statements: readonly StatementAnalysis[];
  readonly pgVersion: number;
}

export interface RuleInRun {
  readonly rule: AnyRule;
  readonly severity: Severity;
}

export interface FindingCounts {
  readonly errors: number;
  readonly warnings: number;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  let errors = 0;
  let warnings = 0;
  for (const finding of findings) {
    if (finding.suppression) continue;
    if (finding.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}
