import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader } from '../config/load.js';
import { LintCache } from '../engine/cache.js';
import { lintAndFix } from '../engine/fix.js';
import { type LintOptions, lint } from '../engine/index.js';
import { type BaseFiles, filesAtBase } from '../git/index.js';
import type { FileAnalysis, Finding, LintResult } from '../findings/finding.js';
import { diagnosticOf, problemDiagnostic } from './convert.js';

/** One version of a document as it was linted: what diagnostics, code actions and hovers need. */
export interface LintedDocument {
  /** The text that was linted: positions are computed against it. */
  readonly snapshot: TextDocument;
  readonly path: string;
  /** The findings that are not silenced, each with the diagnostic published for it. */
  readonly findings: readonly { readonly finding: Finding; readonly diagnostic: Diagnostic }[];
  /** Everything published: the findings' diagnostics and problems such as a bad configuration. */
  readonly diagnostics: readonly Diagnostic[];
  /** The parse and the analysis of each statement, for hovers; undefined when the document was not linted (ignored, bad configuration). */
  readonly analysis: FileAnalysis | undefined;
}

export interface DocumentSource {
  /** The open document's current version, or undefined once it is closed. */
  get(uri: string): TextDocument | undefined;
}

export interface LinterOptions {
  readonly documents: DocumentSource;
  /** Workspace folders, absolute: a document is linted from the one that holds it. */
  readonly workspaceFolders: () => readonly string[];
  /** Milliseconds between the last change and the lint. */
  readonly debounce: number;
  readonly publish: (uri: string, diagnostics: Diagnostic[], version: number) => void;
  readonly log: (message: string) => void;
  /**
   * The ref whose merge base with HEAD is the base (`since` in the client's initializationOptions);
   * by default origin/HEAD, main or master. What the base lacks was never deployed.
   */
  readonly since?: string | undefined;
}

/**
 * Lints open documents with the CLI's engine and configuration: one lint at a time, a change
 * debounced, requests answered for the version the editor has. The engine's cache keeps parses
 * and the project's replayed history between runs, so a change costs the edited statements and
 * the document's own analysis.
 */
export class DocumentLinter {
  private readonly options: LinterOptions;
  private readonly cache = new LintCache();
  private configs: ConfigLoader;
  /** Whether the configuration failed to load: the next lint loads it again (the user may have fixed it). */
  private configFailed = false;
  private readonly latest = new Map<string, { readonly version: number; readonly linted: Promise<LintedDocument> }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** By folder: the files of its repository's base, read once until files change on disk. */
  private readonly bases = new Map<string, BaseFiles | undefined>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LinterOptions) {
    this.options = options;
    this.configs = this.newConfigLoader();
  }

  /** Lints after the debounce delay, unless another change comes first. */
  schedule(document: TextDocument): void {
    if (this.latest.get(document.uri)?.version === document.version) return;
    clearTimeout(this.timers.get(document.uri));
    this.timers.set(
      document.uri,
      setTimeout(() => {
        void this.lintCurrent(document.uri);
      }, this.options.debounce),
    );
  }

  /** The lint of the document's current version: the one done or under way, else a new one now. */
  async current(uri: string): Promise<LintedDocument | undefined> {
    const document = this.options.documents.get(uri);
    if (!document) return undefined;
    const latest = this.latest.get(uri);
    if (latest?.version === document.version) return latest.linted;
    return this.lintCurrent(uri);
  }

  /** Lints every open document again: a configuration or an earlier migration changed. */
  relintAll(uris: readonly string[], reloadConfiguration: boolean): void {
    if (reloadConfiguration) this.configs = this.newConfigLoader();
    // Files changed on disk: a commit or a checkout may have moved the base.
    this.bases.clear();
    for (const uri of uris) {
      this.latest.delete(uri);
      void this.lintCurrent(uri);
    }
  }

  close(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.latest.delete(uri);
  }

  /** The document's text with every unattended fix applied, round after round; undefined when none applies. */
  async fixAll(uri: string): Promise<{ snapshot: TextDocument; text: string } | undefined> {
    const linted = await this.current(uri);
    if (!linted?.findings.some(({ finding }) => finding.fix)) return undefined;
    const text = linted.snapshot.getText();
    const { fixed } = await this.enqueue(() => lintAndFix(this.lintOptions(linted.path, text)));
    const result = fixed.get(linted.path);
    return result === undefined ? undefined : { snapshot: linted.snapshot, text: result };
  }

  private lintCurrent(uri: string): Promise<LintedDocument | undefined> {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    const document = this.options.documents.get(uri);
    if (!document) return Promise.resolve(undefined);
    const snapshot = TextDocument.create(uri, document.languageId, document.version, document.getText());
    const linted = this.enqueue(() => this.lintSnapshot(snapshot));
    this.latest.set(uri, { version: snapshot.version, linted });
    void linted.then((result) => {
      // A newer version has its own lint coming: publishing this one would flash stale diagnostics.
      if (this.options.documents.get(uri)?.version === snapshot.version) this.options.publish(uri, [...result.diagnostics], snapshot.version);
    });
    return linted;
  }

  /** Runs one lint at a time: runs share the engine's cache, and the editor sees results in order. */
  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async lintSnapshot(snapshot: TextDocument): Promise<LintedDocument> {
    const path = pathOf(snapshot.uri, this.options.workspaceFolders());
    try {
      if (this.configFailed) this.configs = this.newConfigLoader();
      const result = await lint({ ...this.lintOptions(path, snapshot.getText()), keepAnalyses: true });
      this.configFailed = false;
      return linted(snapshot, path, result);
    } catch (error) {
      const usage = error instanceof UsageError;
      this.configFailed = usage;
      const message = error instanceof Error ? error.message : String(error);
      if (!usage) this.options.log(`migrate-safe: internal error while linting ${path}: ${error instanceof Error ? (error.stack ?? message) : message}`);
      const diagnostic = problemDiagnostic(`migrate-safe cannot lint this file: ${message}`, DiagnosticSeverity.Error);
      return { snapshot, path, findings: [], diagnostics: [diagnostic], analysis: undefined };
    }
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
    return new ConfigLoader({ builtInRules: BUILT_IN_RULES, cwd: this.options.workspaceFolders()[0] ?? process.cwd() });
  }
}

function linted(snapshot: TextDocument, path: string, result: LintResult): LintedDocument {
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
  return { snapshot, path, findings, diagnostics: [...findings.map(({ diagnostic }) => diagnostic), ...problems], analysis: result.analyses?.get(path) };
}

/**
 * The path a document is linted as: its file, or for a document without one (an untitled
 * buffer), a file in a folder of its own in the workspace, so no other migration is its history.
 */
function pathOf(uri: string, workspaceFolders: readonly string[]): string {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  const name = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1).replace(/^[a-z-]+:/i, '')).replace(/[^\w.-]+/g, '_') || 'untitled';
  return join(workspaceFolders[0] ?? process.cwd(), '.migrate-safe-untitled', name.endsWith('.sql') ? name : `${name}.sql`);
}

/** The workspace folder that holds a path, else the path's own folder. */
function folderOf(path: string, workspaceFolders: readonly string[]): string {
  const holding = workspaceFolders.filter((folder) => path.startsWith(folder.endsWith(sep) ? folder : `${folder}${sep}`));
  return holding.sort((left, right) => right.length - left.length)[0] ?? dirname(path);
}
