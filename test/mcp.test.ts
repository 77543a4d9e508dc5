import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type CallToolResult, ListRootsRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, type JsonReport, jsonReport, project, runCli } from './support/cli.js';
import { testServerBinaries, useTestServer } from './support/postgres.js';

const HISTORY = {
  'supabase/migrations/20240101000000_create_agents.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\n',
  'supabase/migrations/20240102000000_deprecate.sql': 'ALTER TABLE agents RENAME TO agents_deprecated;\n',
};

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** An agent connected to `migrate-safe mcp`, the built CLI, started in `cwd` over stdio by the SDK's own client. */
async function agentIn(
  cwd: string,
  options: { args?: readonly string[]; roots?: () => string[]; env?: Record<string, string> } = {},
): Promise<{ client: Client; transport: StdioClientTransport; stderr: string[] }> {
  // The SDK passes on only a few safe variables of the test's environment (no DATABASE_URL), and these.
  const env = { ...getDefaultEnvironment(), ...options.env };
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...(options.args ?? [])], cwd, env, stderr: 'pipe' });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const { roots } = options;
  const client = new Client({ name: 'test-agent', version: '1.0.0' }, roots ? { capabilities: { roots: { listChanged: true } } } : {});
  if (roots) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: roots().map((folder) => ({ uri: pathToFileURL(folder).href, name: 'project' })) }));
  await client.connect(transport);
  clients.push(client);
  return { client, transport, stderr };
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function verdicts(report: Pick<JsonReport, 'findings'>): string[] {
  return report.findings.map((finding) => `${finding.ruleId}@${finding.file}:${finding.line}`);
}

describe('migrate-safe mcp, driven by the SDK client over stdio', () => {
  it('describes itself and its tools', async () => {
    const { client } = await agentIn(project(HISTORY));
    expect(client.getServerVersion()).toMatchObject({ name: 'migrate-safe', version: expect.stringMatching(/^\d+\.\d+\.\d+/) as string });
    expect(client.getInstructions()).toContain('lint_sql');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['explain_rule', 'lint_files', 'lint_sql', 'statement_locks']);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      expect(tool.annotations).toMatchObject({ readOnlyHint: true });
    }
    const lintSql = tools.find((tool) => tool.name === 'lint_sql');
    expect(lintSql?.inputSchema).toMatchObject({ type: 'object', required: ['sql'], properties: { sql: { type: 'string' }, path: { type: 'string' }, pgVersion: { type: 'integer' } } });
  });

  it('lints a text with the history and configuration of the path it will have, as the CLI does', async () => {
    const root = project(HISTORY);
    const { client } = await agentIn(root);
    const sql = 'CREATE INDEX agents_status ON agents_deprecated (status);\nDROP TABLE agents_deprecated;\n';
    const path = 'supabase/migrations/20240103000000_drop.sql';

    const withHistory = await call(client, 'lint_sql', { sql, path });
    expect(withHistory.isError).toBeFalsy();
    const report = withHistory.structuredContent as unknown as JsonReport;
    // The history renamed the table first: dropping it is the safe path; the index before it still locks it.
    // (In the other order the index would name a table already dropped: missing-object.)
    // (The project keeps no rollbacks: missing-rollback gives one project note, no finding per migration.)
    expect(verdicts(report)).toEqual([`require-concurrent-index@${path}:1`]);
    const cli = jsonReport(runCli(['lint', '--format', 'json', '--stdin-filename', path, '-'], { cwd: root, input: sql }));
    expect(report).toEqual(cli);
    expect(textOf(withHistory)).toContain('CREATE INDEX CONCURRENTLY agents_status ON agents_deprecated (status);');
    expect(textOf(withHistory)).toContain('lock: takes SHARE on agents_deprecated: blocks writes (reads continue)');

    // Without a path the text has no history: the same DROP is reported.
    const alone = await call(client, 'lint_sql', { sql });
    expect(verdicts(alone.structuredContent as unknown as JsonReport)).toEqual(['require-concurrent-index@untitled.sql:1', 'drop-table-without-deprecation@untitled.sql:2']);

    // The project's configuration applies, read again at each call.
    writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ rules: { 'require-concurrent-index': 'off', 'missing-rollback': 'off' } }));
    const configured = await call(client, 'lint_sql', { sql, path });
    expect((configured.structuredContent as unknown as JsonReport).findings).toEqual([]);
    expect(textOf(configured)).toContain('✔ no problems in 1 file');
  });

  it('lints files on disk, the migrations folder by default', async () => {
    const root = project({ ...HISTORY, 'supabase/migrations/20240103000000_index.sql': 'CREATE INDEX agents_status ON agents_deprecated (status);\n' });
    const { client } = await agentIn(root);
    const all = await call(client, 'lint_files', {});
    const cli = jsonReport(runCli(['lint', '--format', 'json'], { cwd: root }));
    expect(all.structuredContent).toEqual(cli);
    expect(verdicts(cli)).toContain('require-concurrent-index@supabase/migrations/20240103000000_index.sql:1');
    const one = await call(client, 'lint_files', { paths: ['supabase/migrations/20240103000000_index.sql'] });
    expect((one.structuredContent as unknown as JsonReport).summary.files).toBe(1);
    const none = await call(client, 'lint_files', { paths: ['no/such/migration.sql'] });
    expect(none).toMatchObject({ isError: true, content: [{ type: 'text', text: 'migrate-safe: no files match "no/such/migration.sql"' }] });
  });

  it('works in the project folder it is given, wherever it was started', async () => {
    const root = project(HISTORY);
    const { client } = await agentIn(project({}), { args: [root] });
    expect((await call(client, 'lint_files', {})).structuredContent).toEqual(jsonReport(runCli(['lint', '--format', 'json'], { cwd: root })));
    const missing = runCli(['mcp', join(root, 'nowhere')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`migrate-safe: the project folder ${join(root, 'nowhere')} does not exist\n`);
  });

  it("works in the client's workspace when it names one (MCP roots), wherever the server was started", async () => {
    const first = project(HISTORY);
    const second = project({ 'migrations/1_index.sql': 'CREATE INDEX agents_status ON agents (status);\n' });
    let workspace = first;
    const { client } = await agentIn(project({}), { roots: () => [workspace] });
    expect(verdicts((await call(client, 'lint_files', {})).structuredContent as unknown as JsonReport)).toEqual([
      'rls-disabled@supabase/migrations/20240101000000_create_agents.sql:1',
    ]);
    workspace = second;
    await client.sendRootsListChanged();
    expect(verdicts((await call(client, 'lint_files', {})).structuredContent as unknown as JsonReport)).toEqual(['require-concurrent-index@migrations/1_index.sql:1']);
  });

  it('tells the locks a statement takes on a PostgreSQL version', async () => {
    const { client } = await agentIn(project(HISTORY));
    const sql = "ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu';";
    const today = textOf(await call(client, 'statement_locks', { sql, pgVersion: 15 }));
    expect(today).toContain('PostgreSQL 15');
    expect(today).toContain('`ACCESS EXCLUSIVE` on `agents`: blocks reads and writes; no rewrite, no scan');
    expect(today).toContain("```sql\nALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu'\n```");
    const old = textOf(await call(client, 'statement_locks', { sql, pgVersion: 10 }));
    expect(old).toContain('PostgreSQL 10');
    expect(old).toContain('**rewrites** the table');
    // With its path, a table created earlier in the history is an existing table; one created in the same text is not locked against anyone.
    const created = textOf(await call(client, 'statement_locks', { sql: 'CREATE TABLE teams (id bigint);\nCREATE INDEX teams_id ON teams (id);' }));
    expect(created).toContain('The lock table lists no lock on an existing table for this statement.');
    expect(textOf(await call(client, 'statement_locks', { sql: 'SELEC 1' }))).toBe('No statement to describe: the text is empty or does not parse.');
    const invalid = await call(client, 'statement_locks', { sql, pgVersion: 'fifteen' });
    expect(invalid.isError).toBe(true);
  });

  it('explains rules, and reports what the user must fix as tool errors without stopping', async () => {
    const root = project(HISTORY);
    const { client, transport } = await agentIn(root);
    const doc = textOf(await call(client, 'explain_rule', { rule: 'require-concurrent-index' }));
    expect(doc).toMatch(/^# require-concurrent-index\n/);
    expect(doc).toContain('## Safe alternative');
    expect(textOf(await call(client, 'explain_rule', {}))).toMatch(/^[a-z-]+: .+$/m);
    const unknown = await call(client, 'explain_rule', { rule: 'require-concurent-index' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain('unknown rule "require-concurent-index"');

    writeFileSync(join(root, '.migrate-saferc.json'), '{ "rules": { "no-such-rule": "off" } }');
    const broken = await call(client, 'lint_sql', { sql: 'SELECT 1;' });
    expect(broken).toMatchObject({ isError: true, content: [{ type: 'text', text: 'migrate-safe: .migrate-saferc.json: rules.no-such-rule: unknown rule "no-such-rule"' }] });
    writeFileSync(join(root, '.migrate-saferc.json'), '{}');
    expect((await call(client, 'lint_sql', { sql: 'SELECT 1;' })).isError).toBeFalsy();

    // The agent closes the connection: the server exits cleanly.
    const exited = new Promise<number | null>((resolveExit) => {
      const pid = transport.pid;
      if (pid === null) resolveExit(null);
      const poll = setInterval(() => {
        try {
          process.kill(pid ?? 0, 0);
        } catch {
          clearInterval(poll);
          resolveExit(0);
        }
      }, 50);
    });
    await client.close();
    clients.splice(clients.indexOf(client), 1);
    expect(await exited).toBe(0);
  });
});

const binaries = testServerBinaries(15);

describe.skipIf(!binaries)('migrate-safe mcp: migration status from a real PostgreSQL 15 server', () => {
  const server = useTestServer(binaries);
  const applied = {
    'supabase/migrations/20240101000000_create_agents.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, name text NOT NULL);\nALTER TABLE agents ENABLE ROW LEVEL SECURITY;\n',
    'supabase/migrations/rollback/20240101000000_create_agents_down.sql': 'DROP TABLE agents;\n',
  };
  const pending = {
    'supabase/migrations/20240102000000_add_status.sql': 'ALTER TABLE agents ADD COLUMN status text;\n',
    'supabase/migrations/rollback/20240102000000_add_status_down.sql': 'ALTER TABLE agents DROP COLUMN status;\n',
  };

  it("offers the runner's status once a database is configured, and answers it as migrate-safe status does", async () => {
    const url = await server.createDatabase();
    const root = project({ 'package.json': '{ "name": "app", "private": true }', ...applied });
    const env = { MIGRATE_SAFE_DB_URL: url, SUPABASE_DB_URL: undefined, DATABASE_URL: undefined };
    expect(runCli(['up', '--skip-backup'], { cwd: root, env }).status).toBe(0);
    for (const [path, text] of Object.entries(pending)) writeFileSync(join(root, path), text);

    // No database named for the project: no status tool.
    const { client: offline } = await agentIn(root, { roots: () => [root] });
    expect((await offline.listTools()).tools.map((tool) => tool.name)).not.toContain('migration_status');

    // Named in the environment: the tool is there, and its report is the CLI's.
    const { client } = await agentIn(root, { env: { MIGRATE_SAFE_DB_URL: url } });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('migration_status');
    const status = await call(client, 'migration_status', {});
    const cli = runCli(['status', '--format', 'json'], { cwd: root, env });
    expect(cli.status).toBe(0);
    expect(status.structuredContent).toEqual(JSON.parse(cli.stdout));
    expect(status.structuredContent).toMatchObject({
      migrations: [
        { version: '20240101000000', state: 'applied', file: 'supabase/migrations/20240101000000_create_agents.sql' },
        { version: '20240102000000', state: 'pending', appliedAt: null },
      ],
      summary: { applied: 1, pending: 1, needsAttention: 0 },
    });
    expect(textOf(status)).not.toContain(server.server.password);

    // Named in the configuration once the agent is running: the client hears that the tools changed.
    const changed = new Promise<void>((resolveChanged) => {
      offline.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        resolveChanged();
      });
    });
    writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ database: { url } }));
    await offline.sendRootsListChanged();
    await changed;
    expect((await offline.listTools()).tools.map((tool) => tool.name)).toContain('migration_status');
    expect((await call(offline, 'migration_status', {})).structuredContent).toEqual(JSON.parse(cli.stdout));

    // A server that refuses the connection is a tool error without the password.
    const wrong = new URL(url);
    wrong.port = '1';
    writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ database: { url: wrong.href } }));
    const refused = await call(offline, 'migration_status', {});
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^migrate-safe: /);
    expect(textOf(refused)).not.toContain(server.server.password);
  });
});
