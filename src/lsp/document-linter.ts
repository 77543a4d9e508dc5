import type { Diagnostic } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CodeNotRun } from '../config/load.js';
import type { Overrun } from '../engine/watchdog.js';
import { overrunMessage } from '../engine/watchdog.js';
import { type CodeWorker, WorkerStopped } from '../cli/code-worker.js';
import { relative } from 'node:path';
import { type DocumentText, type LintedData, ProjectLinting, type ProjectLintingRequest, cannotLint, pathOf } from './project-linting.js';

/** One version of a document as it was linted: what diagnostics, code actions and hovers need. */
export interface LintedDocument extends LintedData {
  /** The text that was linted: positions are computed against it. */
  readonly snapshot: TextDocument;
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
  /** A message for the user, once per thing to say (project code not run in an untrusted workspace). */
  readonly notify: (message: string) => void;
  /**
   * The ref whose merge base with HEAD is the base (`since` in the client's initializationOptions);
   * by default origin/HEAD, main or master. What the base lacks was never deployed.
   */
  readonly since?: string | undefined;
  /** Whether the workspace is trusted: its JavaScript configuration and plugins may run. */
  readonly trusted: boolean;
  /** Milliseconds one call of project code may run in the worker thread. */
  readonly maxRuleTime: number;
}

/**
 * Lints open documents with the CLI's engine and configuration: one lint at a time, a change
 * debounced, requests answered for the version the editor has. The engine's cache keeps parses
 * and the project's replayed history between runs, so a change costs the edited statements and
 * the document's own analysis.
 *
 * Project code (a JavaScript configuration, plugins) never runs on the server's thread: in a
 * trusted workspace it runs in a worker thread that is stopped when one call runs longer than
 * `maxRuleTime` (the document gets a diagnostic naming the rule and plugin; the next lint starts
 * a fresh worker); in an untrusted one it does not run at all, and the user is told once.
 */
export class DocumentLinter {
  private readonly options: LinterOptions;
  private trusted: boolean;
  /** On this thread: refuses project code when trusted (the worker runs it), skips it when not. */
  private local: ProjectLinting;
  private worker: CodeWorker | undefined;
  /** The server shuts down: no worker starts again. */
  private disposed = false;
  private readonly latest = new Map<string, { readonly version: number; readonly linted: Promise<LintedDocument> }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly told = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LinterOptions) {
    this.options = options;
    this.trusted = options.trusted;
    this.local = this.localLinting();
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
    // Files changed on disk: a commit or a checkout may have moved the base.
    this.local.reset(reloadConfiguration);
    if (reloadConfiguration) this.stopWorker();
    else if (this.worker) void this.worker.request({ kind: 'reset', reloadConfiguration } satisfies ProjectLintingRequest).catch(() => undefined);
    for (const uri of uris) {
      this.latest.delete(uri);
      void this.lintCurrent(uri);
    }
  }

  /** The client granted (or withdrew) trust in the workspace: the configuration is loaded again, and every open document linted. */
  setTrusted(trusted: boolean, uris: readonly string[]): void {
    if (trusted === this.trusted) return;
    this.trusted = trusted;
    this.local = this.localLinting();
    this.stopWorker();
    this.relintAll(uris, true);
  }

  /** Ends the worker thread (the server shuts down). */
  dispose(): void {
    this.disposed = true;
    this.stopWorker();
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
    const { path } = linted;
    const result = await this.enqueue(async () => {
      try {
        return await this.local.fix(path, text);
      } catch (error) {
        if (!(error instanceof CodeNotRun)) throw error;
        return (await this.startedWorker()).request<string | undefined>({ kind: 'fix', path, text, ...this.context() } satisfies ProjectLintingRequest);
      }
    });
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
    const document: DocumentText = { uri: snapshot.uri, languageId: snapshot.languageId, version: snapshot.version, text: snapshot.getText() };
    let data: LintedData | undefined;
    // A worker stopped on purpose meanwhile (the configuration reloaded, trust changed): lint again as things are now.
    while (!data) {
      try {
        data = await this.local.lint(document);
      } catch (error) {
        if (!(error instanceof CodeNotRun)) throw error;
        data = await this.lintInWorker(document);
      }
    }
    this.tellSkipped(data.skippedCode);
    return { ...data, snapshot };
  }

  /** Undefined when the worker was stopped on purpose before it answered. */
  private async lintInWorker(document: DocumentText): Promise<LintedData | undefined> {
    try {
      const worker = await this.startedWorker();
      return await worker.request<LintedData>({ kind: 'lint', document, ...this.context() } satisfies ProjectLintingRequest);
    } catch (error) {
      if (error instanceof WorkerStopped && !this.disposed) return undefined;
      const message = error instanceof Error ? error.message : String(error);
      this.options.log(`migrate-safe: ${message}`);
      // The worker is gone (stopped, or it crashed): the next lint starts a fresh one.
      return { path: pathOf(document.uri, this.options.workspaceFolders()), findings: [], diagnostics: [cannotLint(message)], hovers: undefined, skippedCode: [] };
    }
  }

  private context(): { folders: readonly string[]; since: string | undefined } {
    return { folders: this.options.workspaceFolders(), since: this.options.since };
  }

  private async startedWorker(): Promise<CodeWorker> {
    if (this.disposed) throw new WorkerStopped('the server is shutting down');
    if (this.worker && !this.worker.stopped) return this.worker;
    const { CodeWorker } = await import('../cli/code-worker.js');
    const limitMs = this.options.maxRuleTime;
    const shown = (path: string): string => relative(this.options.workspaceFolders()[0] ?? process.cwd(), path) || path;
    const describe = (overrun: Overrun): string => `${overrunMessage(overrun, limitMs, shown)} (maxRuleTime in the initialization options)`;
    this.worker = new CodeWorker({ kind: 'language-server' }, limitMs, describe);
    return this.worker;
  }

  private stopWorker(): void {
    this.worker?.stop();
    this.worker = undefined;
  }

  /** Says once what project code the untrusted workspace's configuration names and this server did not run. */
  private tellSkipped(skippedCode: readonly string[]): void {
    if (skippedCode.length === 0) return;
    const what = skippedCode.join(', ');
    if (this.told.has(what)) return;
    this.told.add(what);
    this.options.notify(`migrate-safe: this workspace is not trusted, so ${what} did not run; documents are linted with the built-in rules and the rest of the configuration. Trust the workspace to run them.`);
  }

  private localLinting(): ProjectLinting {
    return new ProjectLinting({
      workspaceFolders: this.options.workspaceFolders,
      since: this.options.since,
      log: this.options.log,
      projectCode: this.trusted ? 'refuse' : 'skip',
    });
  }
}
