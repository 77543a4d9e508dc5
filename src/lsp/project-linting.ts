import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { CodeNotRun, ConfigLoader, type ProjectCode } from '../config/load.js';
import { LintCache } from '../engine/cache.js';
import { lintAndFix } from '../engine/fix.js';
import { type LintOptions, lint } from '../engine/index.js';
import type { FileAnalysis, Finding, LintResult } from '../findings/finding.js';
import { type BaseFiles, filesAtBase } from '../git/index.js';
import { statementLocks } from '../report/statement-locks.js';
import { diagnosticOf, problemDiagnostic } from './convert.js';

/** A statement's hover: where it is, and its locks in Markdown. */
export interface StatementHover {
  readonly start: number;
  readonly end: number;
  readonly markdown: string;
}

/**
 * One lint of a document, as data that can cross from a worker thread: the findings with their
 * diagnostics, everything published, and what a hover shows.
 */
export interface LintedData {
  readonly path: string;
  /** The findings that are not silenced, each with the diagnostic published for it. */
  readonly findings: readonly { readonly finding: Finding; readonly diagnostic: Diagnostic }[];
  /** Everything published: the findings' diagnostics and problems such as a bad configuration. */
  readonly diagnostics: readonly Diagnostic[];
  /** The hover of the statement at an offset; undefined when the document was not linted (ignored, bad configuration). */
  readonly hovers: StatementHovers | undefined;
  /** Project code the configuration names that was not run (an untrusted workspace). */
  readonly skippedCode: readonly string[];
}

/** Hovers computed when asked (on this thread), or all of them (from a worker thread, where the analysis stays). */
export type StatementHovers = { readonly analysis: FileAnalysis } | { readonly computed: readonly StatementHover[] };

export function hoverAt(hovers: StatementHovers, offset: number): StatementHover | undefined {
  const contains = (start: number, end: number): boolean => start <= offset && offset <= end;
  // The innermost statement: one of a DO block's body comes after the DO block in the list.
  if ('computed' in hovers) return hovers.computed.findLast((hover) => contains(hover.start, hover.end));
  const { analysis } = hovers;
  const found = analysis.statements.findLast(({ statement }) => contains(statement.start, statement.end));
  return found && { start: found.statement.start, end: found.statement.end, markdown: statementLocks(found, analysis.pgVersion) };
}

/** A document's text to lint, as the editor has it. */
export interface DocumentText {
  readonly uri: string;
  readonly languageId: string;
  readonly version: number;
  readonly text: string;
}

export interface ProjectLintingOptions {
  /** Workspace folders, absolute: a document is linted from the one that holds it. */
  readonly workspaceFolders: () => readonly string[];
  readonly log: (message: string) => void;
  /** The ref whose merge base with HEAD is the base; by default origin/HEAD, main or master. */
  readonly since: string | undefined;
  /** What to do with a JavaScript configuration and plugins (src/config/load.ts). */
  readonly projectCode: ProjectCode;
}

/**
 * Lints documents with the CLI's engine and configuration, keeping the engine's cache (parses,
 * the project's replayed history) and each repository's base between runs. On the language
 * server's thread it never runs project code (`projectCode` skip or refuse); in a worker thread
 * it does, under a time limit (src/cli/code-worker.ts).
 */
export class ProjectLinting {
  private readonly options: ProjectLintingOptions;
  private readonly cache = new LintCache();
  private configs: ConfigLoader;
  /** Whether the configuration failed to load: the next lint loads it again (the user may have fixed it). */
  private configFailed = false;
  /** By folder: the files of its repository's base, read once until files change on disk. */
  private readonly bases = new Map<string, BaseFiles | undefined>();

  constructor(options: ProjectLintingOptions) {
    this.options = options;
    this.configs = this.newConfigLoader();
  }

  /** Files changed on disk: a commit or a checkout may have moved the base; a configuration may have changed. */
  reset(reloadConfiguration: boolean): void {
    if (reloadConfiguration) this.configs = this.newConfigLoader();
    this.bases.clear();
  }

  /** Throws CodeNotRun when the configuration would run project code and this thread refuses it. */
  async lint(document: DocumentText): Promise<LintedData> {
    const snapshot = TextDocument.create(document.uri, document.languageId, document.version, document.text);
    const path = pathOf(document.uri, this.options.workspaceFolders());
    try {
      if (this.configFailed) this.configs = this.newConfigLoader();
      const result = await lint({ ...this.lintOptions(path, document.text), keepAnalyses: true });
      this.configFailed = false;
      return lintedData(snapshot, path, result, await this.skippedCode(path));
    } catch (error) {
      if (error instanceof CodeNotRun) throw error;
      const usage = error instanceof UsageError;
      this.configFailed = usage;
      const message = error instanceof Error ? error.message : String(error);
      if (!usage) this.options.log(`migrate-safe: internal error while linting ${path}: ${error instanceof Error ? (error.stack ?? message) : message}`);
      return { path, findings: [], diagnostics: [cannotLint(message)], hovers: undefined, skippedCode: [] };
    }
  }

  /** The document's text with every unattended fix applied, round after round; undefined when none applies. */
  async fix(path: string, text: string): Promise<string | undefined> {
    const { fixed } = await lintAndFix(this.lintOptions(path, text));
    return fixed.get(path);
  }

  private async skippedCode(path: string): Promise<readonly string[]> {
    return this.options.projectCode === 'skip' ? (await this.configs.forFolder(dirname(path))).skippedCode : [];
  }

  private lintOptions(path: string, text: string): LintOptions {
    const base = this.baseOf(dirname(path));
    return {
      inputs: [path],
      cwd: folderOf(path, this.options.workspaceFolders()),
      configs: this.configs,
      texts: new Map([[path, text]]),
      cache: this.cache,
      undeployed: base && ((file) => !base.files.has(file)),
    };
  }

  /** The base of the repository around a folder; undefined outside one, or when the configured base does not exist (logged once). */
  private baseOf(folder: string): BaseFiles | undefined {
    if (this.bases.has(folder)) return this.bases.get(folder);
    let base: BaseFiles | undefined;
    try {
      base = filesAtBase(folder, this.options.since);
    } catch (error) {
      this.options.log(`migrate-safe: ${error instanceof Error ? error.message : String(error)}: every migration counts as deployed`);
    }
    this.bases.set(folder, base);
    return base;
  }

  private newConfigLoader(): ConfigLoader {
    return new ConfigLoader({ builtInRules: BUILT_IN_RULES, cwd: this.options.workspaceFolders()[0] ?? process.cwd(), projectCode: this.options.projectCode });
  }
}

/** The one diagnostic of a document that could not be linted. */
export function cannotLint(message: string): Diagnostic {
  return problemDiagnostic(`migrate-safe cannot lint this file: ${message}`, DiagnosticSeverity.Error);
}

/** What the language server asks its worker thread (src/lsp/document-linter.ts). */
export type ProjectLintingRequest =
  | { readonly kind: 'lint'; readonly document: DocumentText; readonly folders: readonly string[]; readonly since: string | undefined }
  | { readonly kind: 'fix'; readonly path: string; readonly text: string; readonly folders: readonly string[]; readonly since: string | undefined }
  | { readonly kind: 'reset'; readonly reloadConfiguration: boolean };

/** The worker thread's side: a ProjectLinting that runs project code, its hovers computed here, where the analysis is. */
export function projectLintingRequests(): (request: unknown) => Promise<unknown> {
  let folders: readonly string[] = [];
  let linting: ProjectLinting | undefined;
  const linter = (since: string | undefined): ProjectLinting =>
    (linting ??= new ProjectLinting({
      workspaceFolders: () => folders,
      since,
      projectCode: 'run',
      log: (message) => process.stderr.write(`${message}\n`),
    }));
  return async (message) => {
    const request = message as ProjectLintingRequest;
    if (request.kind === 'reset') {
      linting?.reset(request.reloadConfiguration);
      return undefined;
    }
    folders = request.folders;
    if (request.kind === 'fix') return linter(request.since).fix(request.path, request.text);
    const data = await linter(request.since).lint(request.document);
    return { ...data, hovers: data.hovers && { computed: allHovers(data.hovers) } };
  };
}

function allHovers(hovers: StatementHovers): StatementHover[] {
  if ('computed' in hovers) return [...hovers.computed];
  const { statements, pgVersion } = hovers.analysis;
  return statements.map((analysis) => ({ start: analysis.statement.start, end: analysis.statement.end, markdown: statementLocks(analysis, pgVersion) }));
}

function lintedData(snapshot: TextDocument, path: string, result: LintResult, skippedCode: readonly string[]): LintedData {
  const rules = new Map(result.rules.map(({ rule }) => [rule.id, rule]));
  const findings = result.findings
    .filter((finding) => finding.file === path && !finding.suppression)
    .map((finding) => {
      const rule = rules.get(finding.ruleId);
      return { finding, diagnostic: diagnosticOf(finding, snapshot, rule?.meta.docsUrl) };
    });
  const problems = result.problems.map((problem) =>
    problemDiagnostic(`${problem.file === undefined || problem.file === path ? '' : `${basename(problem.file)}: `}${problem.message}`, DiagnosticSeverity.Warning),
  );
  const analysis = result.analyses?.get(path);
  return { path, findings, diagnostics: [...findings.map(({ diagnostic }) => diagnostic), ...problems], hovers: analysis && { analysis }, skippedCode };
}

/**
 * The path a document is linted as: its file, or for a document without one (an untitled
 * buffer), a file in a folder of its own in the workspace, so no other migration is its history.
 */
export function pathOf(uri: string, workspaceFolders: readonly string[]): string {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  const name = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1).replace(/^[a-z-]+:/i, '')).replace(/[^\w.-]+/g, '_') || 'untitled';
  return join(workspaceFolders[0] ?? process.cwd(), '.migrate-safe-untitled', name.endsWith('.sql') ? name : `${name}.sql`);
}

/** The workspace folder that holds a path, else the path's own folder. */
function folderOf(path: string, workspaceFolders: readonly string[]): string {
  const holding = workspaceFolders.filter((folder) => path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`));
  return holding.sort((left, right) => right.length - left.length)[0] ?? dirname(path);
}
