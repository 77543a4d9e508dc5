import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  type CodeAction,
  CodeActionRequest,
  type Command,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExitNotification,
  type FileEvent,
  type Hover,
  HoverRequest,
  type InitializeResult,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  type Position,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  type Range,
  RegistrationRequest,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type TextDocumentContentChangeEvent,
  createProtocolConnection,
} from 'vscode-languageserver-protocol/node';

interface Waiter {
  readonly uri: string;
  readonly accept: (params: PublishDiagnosticsParams) => boolean;
  readonly resolve: (params: PublishDiagnosticsParams) => void;
}

/**
 * An editor, as far as the language server can tell: spawns `migrate-safe lsp --stdio` and talks
 * to it through a real LSP client connection over the child's standard input and output.
 */
export class LspClient {
  readonly connection: ProtocolConnection;
  readonly child: ChildProcess;
  /** What the server logged (window/logMessage) and wrote to standard error. */
  readonly logs: string[] = [];
  readonly registrations: unknown[] = [];
  /** What the server showed the user (window/showMessage). */
  readonly messages: string[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly exited: Promise<number | null>;

  /** `cli`: the built CLI's main.js. */
  constructor(cli: string, cwd: string) {
    this.child = spawn(process.execPath, [cli, 'lsp', '--stdio'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const { stdout, stdin, stderr } = this.child;
    if (!stdout || !stdin || !stderr) throw new Error('the language server has no standard streams');
    stderr.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', resolve);
    });
    this.connection = createProtocolConnection(new StreamMessageReader(stdout), new StreamMessageWriter(stdin));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      const index = this.waiters.findIndex((waiter) => waiter.uri === params.uri && waiter.accept(params));
      if (index === -1) return;
      const [waiter] = this.waiters.splice(index, 1);
      waiter?.resolve(params);
    });
    this.connection.onNotification(LogMessageNotification.type, (params) => {
      this.logs.push(params.message);
    });
    this.connection.onNotification(ShowMessageNotification.type, (params) => {
      this.messages.push(params.message);
    });
    this.connection.onRequest(RegistrationRequest.type, (params) => {
      this.registrations.push(...params.registrations);
    });
    this.connection.listen();
  }

  /** `createsFiles`: the editor applies workspace edits that create files (most do; a few plain ones do not). */
  initialize(folder: string, initializationOptions?: object, { createsFiles = true } = {}): Promise<InitializeResult> {
    const result = this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      // Required by the protocol's type, deprecated in favour of workspaceFolders.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      rootUri: null,
      workspaceFolders: [{ uri: uriOf(folder), name: 'project' }],
      initializationOptions,
      capabilities: {
        workspace: {
          workspaceEdit: { documentChanges: true, ...(createsFiles ? { resourceOperations: ['create'] } : {}) },
          didChangeWatchedFiles: { dynamicRegistration: true },
          workspaceFolders: true,
        },
        textDocument: {
          publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } }, isPreferredSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          synchronization: { didSave: true },
        },
      },
    });
    return result.then(async (initialized) => {
      await this.connection.sendNotification(InitializedNotification.type, {});
      return initialized;
    });
  }

  /** The next diagnostics published for `uri` that `accept` takes (by default any). Ask before causing them. */
  diagnostics(uri: string, accept: (params: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve) => this.waiters.push({ uri, accept, resolve }));
  }

  /** Opens a document (version 1) and returns the diagnostics published for it. */
  async open(uri: string, text: string): Promise<PublishDiagnosticsParams> {
    const published = this.diagnostics(uri);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'sql', version: 1, text } });
    return published;
  }

  /** Changes a document and returns the diagnostics published for that version. */
  async change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): Promise<PublishDiagnosticsParams> {
    const published = this.diagnostics(uri, (params) => params.version === version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
    return published;
  }

  save(uri: string): Promise<void> {
    return this.connection.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** workspace/didChangeConfiguration, as a client sends it when a setting (or the workspace's trust) changes. */
  configurationChanged(settings: unknown): Promise<void> {
    return this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }

  filesChanged(changes: FileEvent[]): Promise<void> {
    return this.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes });
  }

  codeActions(uri: string, range: Range, only?: string[]): Promise<(Command | CodeAction)[] | null> {
    return this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics: [], ...(only ? { only } : {}) } });
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  /** Shuts the server down as an editor does and returns its exit code. */
  async shutdown(): Promise<number | null> {
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    const code = await this.exited;
    this.connection.dispose();
    return code;
  }

  kill(): void {
    this.child.kill();
    this.connection.dispose();
  }
}

export function uriOf(path: string): string {
  return pathToFileURL(path).href;
}
