import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type CallToolResult, RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader } from '../config/load.js';
import { redact } from '../db/redact.js';
import { LintCache } from '../engine/cache.js';
import { lint } from '../engine/index.js';
import type { LintResult } from '../findings/finding.js';
import { formatJson } from '../report/json.js';
import { ruleDocument } from '../report/rule-doc.js';
import { statementLocks } from '../report/statement-locks.js';
import { formatText } from '../report/text.js';
import { packageInfo } from '../version.js';

export interface McpServerOptions {
  /**
   * The project folder unless the client names its workspace (MCP roots): relative paths, the
   * configuration and the migrations folder are found from it.
   */
  readonly cwd: string;
  /** A configuration file to use instead of looking one up (`--config`), absolute. */
  readonly configFile?: string | undefined;
  /** The migrations folder `lint_files` lints when given no paths, in a project folder. */
  readonly defaultInputs: (configs: ConfigLoader, folder: string) => Promise<string>;
  /** Migration status from the database, offered while the project in the folder has a database configured. */
  readonly migrationStatus: MigrationStatusSource;
}

export interface MigrationStatusSource {
  /** Whether a database is configured for the project (an environment variable, the configuration's database.url). */
  configured(folder: string): Promise<boolean>;
  /** The `status --format json` report of the project's migrations against its database. */
  read(folder: string): Promise<object>;
}

const INSTRUCTIONS = [
  'migrate-safe lints PostgreSQL migrations for zero-downtime hazards: the lock each statement takes and what it blocks,',
  'table rewrites and scans, changes that break the application version still running, missing rollbacks.',
  'Lint every migration you write with lint_sql before saving it, passing the path it will have: the migrations before it',
  "are its history (an index on a table created in the same migration is harmless; on an existing one it blocks writes),",
  "and the project's configuration applies. Each finding gives safe SQL to use instead. statement_locks tells what a",
  'statement locks on a PostgreSQL version; explain_rule documents a rule; migration_status (when the project has a',
  'database) tells which migrations are applied, pending or need attention.',
].join(' ');

/** Where a text without a path is linted: a folder of its own, so no migration is its history (as the editor does for an untitled buffer). */
const UNTITLED = ['.migrate-safe-untitled', 'untitled.sql'];

const PG_VERSION = z.number().int().min(9).max(99).optional().describe('PostgreSQL major version the migrations run on; default: the configuration\'s (pgVersion, supabase/config.toml), else 15');
const SQL = z.string().describe('The SQL of the migration, as it would be saved');
const PATH = z
  .string()
  .optional()
  .describe('Where the migration is (or will be) saved, relative to the project folder, e.g. supabase/migrations/20240601120000_add_status.sql: the migrations before it are its history. Without it, the text is linted on its own.');

/** The JSON report (src/report/json.ts), a stable interface, as structured content. */
const REPORT = {
  findings: z.array(
    z.looseObject({
      ruleId: z.string(),
      severity: z.enum(['error', 'warning']),
      file: z.string(),
      line: z.number(),
      column: z.number(),
      message: z.string(),
      help: z.string().nullable(),
    }),
  ),
  summary: z.looseObject({ files: z.number(), problems: z.number(), errors: z.number(), warnings: z.number(), suppressed: z.number() }),
};

/**
 * `migrate-safe mcp`: the linter as a Model Context Protocol server, so a coding agent checks the
 * migrations it writes with the project's own configuration and history. The tools answer with
 * the reports people read (text, Markdown) and, for the lint tools, the JSON report as structured
 * content. Nothing a tool call does ends the server: a bad input or configuration is a tool error.
 */
export async function createMcpServer(options: McpServerOptions): Promise<McpServer> {
  const server = new McpServer({ name: 'migrate-safe', version: packageInfo().version }, { instructions: INSTRUCTIONS });
  const folder = new ProjectFolder(server.server, options.cwd);
  const linter = new Linter(options.configFile);
  const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  server.registerTool(
    'lint_sql',
    {
      title: 'Lint a migration',
      description:
        'Lints the SQL of one migration for zero-downtime hazards, as migrate-safe lint does: each finding names the rule, the lock and what it blocks, and gives safe SQL to use instead. Pass path (where the migration will be saved) so the earlier migrations are its history.',
      inputSchema: { sql: SQL, path: PATH, pgVersion: PG_VERSION },
      outputSchema: REPORT,
      annotations: readOnly,
    },
    ({ sql, path, pgVersion }) =>
      answer(async () => {
        const cwd = await folder.get();
        const file = resolve(cwd, ...(path === undefined ? UNTITLED : [path]));
        const result = await linter.lint(cwd, { inputs: [file], texts: new Map([[file, sql]]), pgVersion });
        return lintReport(result, path === undefined ? dirname(file) : cwd);
      }),
  );

  server.registerTool(
    'lint_files',
    {
      title: 'Lint migration files',
      description:
        "Lints migration files, folders or globs on disk (default: the project's migrations folder) with the project's configuration and each file's history, as migrate-safe lint does.",
      inputSchema: {
        paths: z.array(z.string()).optional().describe('Files, folders or globs, relative to the project folder; default: the configured migrations folder'),
        pgVersion: PG_VERSION,
      },
      outputSchema: REPORT,
      annotations: readOnly,
    },
    ({ paths, pgVersion }) =>
      answer(async () => {
        const cwd = await folder.get();
        const inputs = paths !== undefined && paths.length > 0 ? paths : [await options.defaultInputs(linter.configs(cwd, pgVersion), cwd)];
        return lintReport(await linter.lint(cwd, { inputs, pgVersion }), cwd);
      }),
  );

  server.registerTool(
    'statement_locks',
    {
      title: 'Locks a statement takes',
      description:
        'For each statement of the SQL: the locks it takes on which tables on a PostgreSQL version, what each blocks (reads, writes), whether it rewrites or scans the table, and the transaction that holds them. Pass path to judge it with the migrations before it (a table created earlier in the same migration is not locked against anyone).',
      inputSchema: { sql: z.string().describe('One or more SQL statements'), path: PATH, pgVersion: PG_VERSION },
      annotations: readOnly,
    },
    ({ sql, path, pgVersion }) =>
      answer(async () => {
        const cwd = await folder.get();
        const file = resolve(cwd, ...(path === undefined ? UNTITLED : [path]));
        const result = await linter.lint(cwd, { inputs: [file], texts: new Map([[file, sql]]), pgVersion, keepAnalyses: true });
        const analysis = result.analyses?.get(file);
        const statements = analysis?.statements ?? [];
        if (!analysis || statements.length === 0) return { content: [{ type: 'text', text: 'No statement to describe: the text is empty or does not parse.' }] };
        const sections = statements.map((statement) => `\`\`\`sql\n${statement.statement.text}\n\`\`\`\n\n${statementLocks(statement, analysis.pgVersion)}`);
        return { content: [{ type: 'text', text: sections.join('\n\n---\n\n') }] };
      }),
  );

  const status = server.registerTool(
    'migration_status',
    {
      title: 'Migration status',
      description:
        "Every migration of the project against its database, as migrate-safe status reports it: applied (when, by whom, how long), pending, changed on disk since it was applied, missing on disk, out of order, or failed part-way (with what ran). Offered when the project has a database configured.",
      annotations: { ...readOnly, idempotentHint: false, openWorldHint: true },
    },
    () =>
      answer(async () => {
        const report = await options.migrationStatus.read(await folder.get());
        return { content: [{ type: 'text', text: JSON.stringify(report, null, 2) }], structuredContent: report as Record<string, unknown> };
      }),
  );
  // Listed only while a database is configured for the project: known before the first tool list, and the client hears when it changes.
  const offerStatus = async (cwd: string): Promise<void> => {
    const configured = await options.migrationStatus.configured(cwd).catch(() => false);
    if (configured && !status.enabled) status.enable();
    if (!configured && status.enabled) status.disable();
  };
  await offerStatus(options.cwd);
  folder.onChange(offerStatus);

  server.registerTool(
    'explain_rule',
    {
      title: 'Explain a rule',
      description: 'The documentation of a migrate-safe rule (built-in or from a configured plugin): the hazard, SQL it reports, the safe alternative, its options, how to silence it. Without a rule, the list of rules.',
      inputSchema: { rule: z.string().optional().describe('The rule id, e.g. require-concurrent-index') },
      annotations: readOnly,
    },
    ({ rule }) =>
      answer(async () => {
        const cwd = await folder.get();
        const { allRules } = await linter.configs(cwd, undefined).forFolder(cwd);
        if (rule === undefined) return { content: [{ type: 'text', text: allRules.map((known) => `${known.id}: ${known.meta.description}`).join('\n') }] };
        const found = allRules.find((known) => known.id === rule);
        if (!found) throw new UsageError(`unknown rule "${rule}"; the rules are: ${allRules.map((known) => known.id).join(', ')}`);
        return { content: [{ type: 'text', text: ruleDocument(found) }] };
      }),
  );
  return server;
}

/** Runs the server over standard input and output until the client closes them. */
export async function runMcpServer(options: McpServerOptions): Promise<void> {
  const server = await createMcpServer(options);
  const closed = new Promise<void>((resolveClosed) => {
    server.server.onclose = resolveClosed;
  });
  await server.connect(new StdioServerTransport());
  await closed;
}

interface LintRequest {
  readonly inputs: readonly string[];
  readonly texts?: ReadonlyMap<string, string>;
  readonly pgVersion: number | undefined;
  readonly keepAnalyses?: boolean;
}

/**
 * Lints one request at a time with a cache kept for the server's life (as the language server
 * does): an agent lints again and again, and the history is parsed once. The configuration is
 * read again for each request, so an edit of it counts at once.
 */
class Linter {
  private readonly configFile: string | undefined;
  private readonly cache = new LintCache();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(configFile: string | undefined) {
    this.configFile = configFile;
  }

  configs(cwd: string, pgVersion: number | undefined): ConfigLoader {
    return new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides: { pgVersion }, configFile: this.configFile, cwd });
  }

  lint(cwd: string, request: LintRequest): Promise<LintResult> {
    const { pgVersion, ...rest } = request;
    const run = this.queue.then(() => lint({ ...rest, cwd, configs: this.configs(cwd, pgVersion), cache: this.cache }));
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * The project folder: the client's first `file:` root when it offers roots (an editor's
 * workspace; asked again when they change), else the folder the server was started in.
 */
class ProjectFolder {
  private current: Promise<string>;
  private readonly listeners: ((folder: string) => Promise<void>)[] = [];

  constructor(server: McpServer['server'], started: string) {
    this.current = Promise.resolve(started);
    const refresh = (): void => {
      if (server.getClientCapabilities()?.roots) {
        this.current = server
          .listRoots()
          .then(({ roots }) => {
            const root = roots.find((candidate) => candidate.uri.startsWith('file:'));
            return root ? fileURLToPath(root.uri) : started;
          })
          .catch(() => started);
      }
      // Tool calls wait for the listeners too: the tools they list are then the folder's.
      this.current = this.current.then(async (folder) => {
        await Promise.all(this.listeners.map((listener) => listener(folder)));
        return folder;
      });
    };
    server.oninitialized = refresh;
    server.setNotificationHandler(RootsListChangedNotificationSchema, refresh);
  }

  get(): Promise<string> {
    return this.current;
  }

  /** Calls `listener` with the project folder once the client is initialized, and whenever it changes. */
  onChange(listener: (folder: string) => Promise<void>): void {
    this.listeners.push(listener);
  }
}

function lintReport(result: LintResult, cwd: string): CallToolResult {
  const text = formatText(result, { cwd, color: false });
  const problems = result.problems.map((problem) => `${problem.file ?? ''}: ${problem.message}`);
  return {
    content: [{ type: 'text', text: [text, ...problems].join('\n').trimEnd() }],
    structuredContent: JSON.parse(formatJson(result, { cwd, color: false })) as Record<string, unknown>,
  };
}

/** A tool's answer; what the user must fix (a bad configuration, a path that matches nothing) is a tool error with its message. */
async function answer(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    const message = error instanceof UsageError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    // A database error may quote the URL it was given.
    return { isError: true, content: [{ type: 'text', text: `migrate-safe: ${redact(message)}` }] };
  }
}
