import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import type { CodeAction, Connection, Hover, InitializeParams, InitializeResult, Range } from 'vscode-languageserver';
import { CodeActionKind, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, MessageType, ProposedFeatures, ShowMessageNotification, TextDocumentSyncKind, TextDocuments, createConnection } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CONFIG_SEARCH_PLACES } from '../config/load.js';
import { loadParser } from '../parse/parser.js';
import { packageInfo } from '../version.js';
import { type EditSupport, FIX_ALL_KIND, SOURCE, quickFixes, workspaceEdit } from './convert.js';
import { DocumentLinter } from './document-linter.js';
import { hoverAt } from './project-linting.js';

/** Milliseconds between the last keystroke and the lint; `initializationOptions.debounce` overrides it. */
const DEFAULT_DEBOUNCE = 100;

/** Seconds one call of project code (a plugin's rule) may run before the worker running it is stopped; `initializationOptions.maxRuleTime` overrides it. */
const DEFAULT_MAX_RULE_TIME = 5;

const SQL_LANGUAGES = new Set(['sql', 'pgsql', 'postgres', 'postgresql', 'plpgsql']);

/** Files whose change changes a verdict: configurations, Supabase's project settings, and migrations (the history). */
const WATCHED_GLOBS = [`**/{${CONFIG_SEARCH_PLACES.join(',')}}`, '**/supabase/config.toml', '**/*.sql'];

/**
 * `migrate-safe lsp`: a language server over standard input and output. Diagnostics come from the
 * CLI's engine and configuration, with each migration's history; quick fixes from the rules'
 * fixes and suggestions; hovers from the lock knowledge table. Nothing a request does may end
 * the process: errors become diagnostics, error responses or log lines.
 */
export function runLanguageServer(): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  keepStandardOutputForTheProtocol(connection);
  process.on('uncaughtException', (error) => {
    connection.console.error(`migrate-safe: internal error: ${error.stack ?? error.message}`);
  });
  process.on('unhandledRejection', (reason) => {
    connection.console.error(`migrate-safe: internal error: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  // Compile the parser while the editor is still initializing.
  void loadParser();
  const documents = new TextDocuments(TextDocument);
  let workspaceFolders: string[] = [];
  let editSupport: EditSupport = { versioned: false, createsFiles: false };
  let canWatch = false;
  let followsFolders = false;
  let hearsConfiguration = false;
  let linter: DocumentLinter | undefined;
  const openSqlUris = (): string[] => documents.all().filter(isSql).map((document) => document.uri);

  connection.onInitialize((params): InitializeResult => {
    workspaceFolders = foldersOf(params);
    const workspaceEdits = params.capabilities.workspace?.workspaceEdit;
    editSupport = { versioned: workspaceEdits?.documentChanges === true, createsFiles: workspaceEdits?.documentChanges === true && workspaceEdits.resourceOperations?.includes('create') === true };
    canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    followsFolders = params.capabilities.workspace?.workspaceFolders === true;
    hearsConfiguration = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    linter = new DocumentLinter({
      documents,
      workspaceFolders: () => workspaceFolders,
      debounce: debounceOf(params.initializationOptions),
      since: sinceOf(params.initializationOptions),
      trusted: trustOf(params.initializationOptions) ?? true,
      maxRuleTime: maxRuleTimeOf(params.initializationOptions) * 1000,
      publish: (uri, diagnostics, version) => void connection.sendDiagnostics({ uri, diagnostics, version }),
      log: (message) => {
        connection.console.error(message);
      },
      notify: (message) => {
        // A notification, not window/showMessageRequest: nothing to answer, and every client shows it.
        void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message });
      },
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        hoverProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: SOURCE, version: packageInfo().version },
    };
  });

  connection.onInitialized(() => {
    if (canWatch) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: WATCHED_GLOBS.map((globPattern) => ({ globPattern })) });
    if (hearsConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: SOURCE });
    if (followsFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((event) => {
        const removed = new Set(event.removed.map((folder) => pathOfUri(folder.uri)));
        workspaceFolders = [...workspaceFolders.filter((folder) => !removed.has(folder)), ...event.added.map((folder) => pathOfUri(folder.uri))];
        linter?.relintAll(openSqlUris(), true);
      });
    }
  });

  // A client that knows the workspace's trust (VS Code's workspace.isTrusted) says when it is granted.
  connection.onDidChangeConfiguration(({ settings }) => {
    const trusted = trustOf((settings as Record<string, unknown> | null | undefined)?.[SOURCE]) ?? trustOf(settings);
    if (trusted !== undefined) linter?.setTrusted(trusted, openSqlUris());
  });
  connection.onShutdown(() => {
    linter?.dispose();
  });

  documents.onDidOpen(({ document }) => {
    if (isSql(document)) void linter?.current(document.uri);
  });
  documents.onDidChangeContent(({ document }) => {
    if (isSql(document)) linter?.schedule(document);
  });
  documents.onDidSave(({ document }) => {
    if (isConfigFile(document.uri)) {
      // Without file watching, a configuration saved in the editor is the one change we hear of.
      linter?.relintAll(openSqlUris(), true);
    } else if (isSql(document)) {
      // The saved migration is part of the history of the others.
      void linter?.current(document.uri);
      linter?.relintAll(openSqlUris().filter((uri) => uri !== document.uri), false);
    }
  });
  documents.onDidClose(({ document }) => {
    linter?.close(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });
  connection.onDidChangeWatchedFiles(({ changes }) => {
    // Open documents are linted as the editor has them: their own changes on disk are not news.
    const fromDisk = changes.filter((change) => !documents.get(change.uri));
    if (fromDisk.length === 0) return;
    linter?.relintAll(openSqlUris(), fromDisk.some((change) => isConfigFile(change.uri)));
  });

  connection.onCodeAction(async ({ textDocument, range, context }) => {
    const linted = await linter?.current(textDocument.uri);
    if (!linted) return [];
    const wants = (kind: string): boolean => context.only === undefined || context.only.some((only) => kind === only || kind.startsWith(`${only}.`));
    const actions: CodeAction[] = [];
    if (wants(CodeActionKind.QuickFix)) {
      for (const { finding, diagnostic } of linted.findings) {
        if (overlaps(diagnostic.range, range)) actions.push(...quickFixes(finding, diagnostic, linted.snapshot, editSupport));
      }
    }
    // Fixing the whole document lints it several times: only when asked for by kind (on save, from a menu).
    if (context.only !== undefined && wants(FIX_ALL_KIND)) {
      const fixed = await linter?.fixAll(textDocument.uri);
      if (fixed) {
        const whole = { start: { line: 0, character: 0 }, end: fixed.snapshot.positionAt(fixed.snapshot.getText().length) };
        actions.push({ title: 'Apply every safe migrate-safe fix', kind: FIX_ALL_KIND, edit: workspaceEdit(fixed.snapshot, [{ range: whole, newText: fixed.text }], editSupport.versioned) });
      }
    }
    return actions;
  });

  connection.onHover(async ({ textDocument, position }): Promise<Hover | null> => {
    const linted = await linter?.current(textDocument.uri);
    const hover = linted?.hovers && hoverAt(linted.hovers, linted.snapshot.offsetAt(position));
    if (!linted || !hover) return null;
    return {
      contents: { kind: 'markdown', value: hover.markdown },
      range: { start: linted.snapshot.positionAt(hover.start), end: linted.snapshot.positionAt(hover.end) },
    };
  });

  documents.listen(connection);
  connection.listen();
}

function isSql(document: TextDocument): boolean {
  return SQL_LANGUAGES.has(document.languageId) || /\.sql$/i.test(document.uri);
}

function isConfigFile(uri: string): boolean {
  const name = basename(uri);
  return CONFIG_SEARCH_PLACES.includes(name) || uri.endsWith('/supabase/config.toml');
}

function pathOfUri(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

function foldersOf(params: InitializeParams): string[] {
  // Without workspace folders each document is linted from its own folder: its configuration is found from there anyway.
  return (params.workspaceFolders ?? []).map((folder) => folder.uri).filter((uri) => uri.startsWith('file:')).map(pathOfUri);
}

function sinceOf(options: unknown): string | undefined {
  const value = (options as { since?: unknown } | null | undefined)?.since;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `trusted: false` from a client that knows the workspace is not trusted; undefined when it does not say. */
function trustOf(options: unknown): boolean | undefined {
  const value = (options as { trusted?: unknown } | null | undefined)?.trusted;
  return typeof value === 'boolean' ? value : undefined;
}

function maxRuleTimeOf(options: unknown): number {
  const value = (options as { maxRuleTime?: unknown } | null | undefined)?.maxRuleTime;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : DEFAULT_MAX_RULE_TIME;
}

function debounceOf(options: unknown): number {
  const value = (options as { debounce?: unknown } | null | undefined)?.debounce;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(value, 5000) : DEFAULT_DEBOUNCE;
}

/** Ranges overlap, or touch: a cursor just after a statement still gets its fixes. */
function overlaps(left: Range, right: Range): boolean {
  const before = (a: Range['start'], b: Range['start']): boolean => a.line < b.line || (a.line === b.line && a.character < b.character);
  return !before(left.end, right.start) && !before(right.end, left.start);
}

/** Standard output is the protocol: whatever a plugin logs goes to the editor's log instead. */
function keepStandardOutputForTheProtocol(connection: Connection): void {
  const toLog = (...args: unknown[]): void => {
    connection.console.log(format(...args));
  };
  console.log = toLog;
  console.info = toLog;
  console.debug = toLog;
  console.warn = (...args: unknown[]) => {
    connection.console.warn(format(...args));
  };
  console.error = (...args: unknown[]) => {
    connection.console.error(format(...args));
  };
}
