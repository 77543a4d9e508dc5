import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { type CodeAction, type Diagnostic, FileChangeType, type TextEdit } from 'vscode-languageserver-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { LspClient, uriOf } from '../scripts/support/lsp-client.js';
import { CLI, jsonReport, project, runCli } from './support/cli.js';
import { commitAll, git, repository } from './support/git.js';

const HISTORY = { 'supabase/migrations/20240101000000_create_agents.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\n' };
const MIGRATION = 'supabase/migrations/20240102000000_index.sql';
/** A project that keeps rollbacks: missing-rollback reports each migration without one (not just a project note). */
const KEEPS_ROLLBACKS = { 'supabase/migrations/rollback/20240101000000_create_agents_down.sql': 'DROP TABLE agents;\n' };
/** Cyrillic and an emoji before the finding on its line: LSP columns count UTF-16 units, the CLI's count characters. */
const TEXT = [
  '-- Статусы 😀',
  "UPDATE agents SET status = 'новый 😀' WHERE status IS NULL; CREATE INDEX idx_agents_status ON agents (status);",
  'CREATE TABLE teams (id bigint PRIMARY KEY);',
  'CREATE INDEX idx_teams_id ON teams (id);',
  '',
].join('\n');

let client: LspClient | undefined;
afterEach(() => {
  client?.kill();
  client = undefined;
});

/** A server for a fresh project, initialized as an editor does it. */
async function serverFor(files: Record<string, string>, initializationOptions?: object, editor?: { createsFiles: boolean }): Promise<{ client: LspClient; root: string }> {
  const root = project(files);
  client = new LspClient(CLI, root);
  await client.initialize(root, initializationOptions, editor);
  return { client, root };
}

function byRule(diagnostics: readonly Diagnostic[], code: string): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.code === code);
}

function applied(document: TextDocument, action: CodeAction | undefined): string {
  const change = action?.edit?.documentChanges?.[0];
  if (!change || !('edits' in change)) throw new Error(`no edit in ${JSON.stringify(action)}`);
  expect(change.textDocument.version).toBe(document.version);
  return TextDocument.applyEdits(document, change.edits.filter((edit): edit is TextEdit => 'range' in edit));
}

describe('migrate-safe lsp, driven through a real client connection', () => {
  it('publishes diagnostics on open and change, applies quick fixes, hovers, and shuts down cleanly', async () => {
    const { client, root } = await serverFor(HISTORY);
    const uri = uriOf(join(root, MIGRATION));

    // Open: the history on disk makes agents an existing table; teams is new in this migration.
    const first = await client.open(uri, TEXT);
    expect(first.version).toBe(1);
    // By now the server has asked to hear of configuration and migration files changing on disk.
    expect(client.registrations).toEqual([expect.objectContaining({ method: 'workspace/didChangeWatchedFiles' })]);
    const [index] = byRule(first.diagnostics, 'require-concurrent-index');
    expect(byRule(first.diagnostics, 'require-concurrent-index')).toHaveLength(1);
    expect(index).toMatchObject({
      range: { start: { line: 1, character: 60 }, end: { line: 1, character: 109 } },
      severity: 1,
      source: 'migrate-safe',
      codeDescription: { href: expect.stringMatching(/\/docs\/rules\/require-concurrent-index\.md$/) as string },
    });
    expect(index?.message).toContain('lock: takes SHARE on agents: blocks writes (reads continue)');
    expect(index?.message).toContain('CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);');

    // The editor's verdicts are the CLI's for the same text.
    const cli = jsonReport(runCli(['lint', '--format', 'json', '--stdin-filename', MIGRATION, '-'], { cwd: root, input: TEXT }));
    const cliVerdicts = cli.findings.map((finding) => `${finding.ruleId}@${finding.line}`).sort();
    expect(first.diagnostics.map((diagnostic) => `${String(diagnostic.code)}@${diagnostic.range.start.line + 1}`).sort()).toEqual(cliVerdicts);

    // Edit: an incremental change adds a rename at the end.
    let document = TextDocument.create(uri, 'sql', 1, TEXT);
    const rename = 'ALTER TABLE agents RENAME COLUMN status TO state;\n';
    const end = document.positionAt(TEXT.length);
    document = TextDocument.update(document, [{ range: { start: end, end }, text: rename }], 2);
    const changed = await client.change(uri, 2, [{ range: { start: end, end }, text: rename }]);
    expect(byRule(changed.diagnostics, 'rename-column')).toMatchObject([{ range: { start: { line: 4, character: 0 } } }]);

    // A quick fix: CONCURRENTLY is a suggestion here (other statements share the file), then the diagnostic is gone.
    const actions = (await client.codeActions(uri, index?.range ?? { start: end, end })) as CodeAction[];
    expect(actions.map((action) => [action.title, action.isPreferred])).toEqual([
      ['Add CONCURRENTLY (then move the statement to a migration of its own, run outside a transaction block)', false],
      ['Ignore require-concurrent-index for this statement (a directive with the reason)', false],
    ]);
    const fixedText = applied(document, actions[0]);
    expect(fixedText).toContain('CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);');
    const fixed = await client.change(uri, 3, [{ text: fixedText }]);
    document = TextDocument.create(uri, 'sql', 3, fixedText);
    expect(byRule(fixed.diagnostics, 'require-concurrent-index')).toEqual([]);

    // Hover: the locks of the statement under the cursor, what they block, and the PostgreSQL version.
    const hover = await client.hover(uri, { line: 4, character: 5 });
    const markdown = (hover?.contents as { value: string } | undefined)?.value;
    expect(markdown).toContain('PostgreSQL 15');
    expect(markdown).toContain('**ALTER TABLE ... RENAME (table, column or constraint)**');
    expect(markdown).toContain('`ACCESS EXCLUSIVE` on `agents`: blocks reads and writes; no rewrite, no scan: instant, but queries using the old name fail');
    expect(hover?.range).toEqual({ start: { line: 4, character: 0 }, end: { line: 4, character: 48 } });
    expect(await client.hover(uri, { line: 5, character: 0 })).toBeNull();

    // The ignore action writes a directive with a reason placeholder above the statement: the finding is silenced.
    const renameActions = (await client.codeActions(uri, { start: { line: 4, character: 10 }, end: { line: 4, character: 10 } })) as CodeAction[];
    const ignore = renameActions.find((action) => action.title === 'Ignore rename-column for this statement (a directive with the reason)');
    const ignoredText = applied(document, ignore);
    expect(ignoredText).toContain('-- migrate-safe-ignore rename-column: <reason>\nALTER TABLE agents RENAME COLUMN status TO state;');
    const ignored = await client.change(uri, 4, [{ text: ignoredText }]);
    expect(byRule(ignored.diagnostics, 'rename-column')).toEqual([]);

    expect(await client.shutdown()).toBe(0);
  });

  it('prefers the unattended fix, offers fixing the whole document, and lints with the history on disk', async () => {
    // A plain folder of migrations: no tool wraps them in a transaction, so CONCURRENTLY can be added unattended
    // (the Supabase CLI runs each migration in one, where it is only a suggestion).
    const { client, root } = await serverFor({
      'migrations/1_create_agents.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\n',
      'migrations/3_deprecate.sql': 'ALTER TABLE agents RENAME TO agents_deprecated;\n',
    });
    const uri = uriOf(join(root, 'migrations/2_index.sql'));
    const text = 'CREATE INDEX idx_agents_status ON agents (status);\n';
    const [index] = byRule((await client.open(uri, text)).diagnostics, 'require-concurrent-index');
    const actions = (await client.codeActions(uri, index?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } })) as CodeAction[];
    expect(actions[0]).toMatchObject({ title: 'Add CONCURRENTLY', kind: 'quickfix', isPreferred: true });
    const fixAll = (await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, ['source.fixAll'])) as CodeAction[];
    expect(fixAll.map((action) => action.kind)).toEqual(['source.fixAll.migrate-safe']);
    expect(applied(TextDocument.create(uri, 'sql', 1, text), fixAll[0])).toBe('CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n');

    // The history decides: a migration on disk renamed the table, so dropping it in a later one is the safe path;
    // an untitled document has no history, so the same statement is reported.
    const drop = 'DROP TABLE agents_deprecated;\n';
    const later = uriOf(join(root, 'migrations/4_drop.sql'));
    expect(byRule((await client.open(later, drop)).diagnostics, 'drop-table-without-deprecation')).toEqual([]);
    const untitled = 'untitled:Untitled-1';
    expect((await client.open(untitled, drop)).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['drop-table-without-deprecation']);
    expect(await client.shutdown()).toBe(0);
  });

  it('reloads the configuration when it changes, and reports a bad one without stopping', async () => {
    const { client, root } = await serverFor(HISTORY);
    const uri = uriOf(join(root, MIGRATION));
    const opened = await client.open(uri, "ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu';\nALTER TABLE agents RENAME COLUMN status TO state;\n");
    expect(byRule(opened.diagnostics, 'rename-column')).toHaveLength(1);
    const hoverBefore = await client.hover(uri, { line: 0, character: 3 });
    expect((hoverBefore?.contents as { value: string }).value).toContain('PostgreSQL 15');
    expect((hoverBefore?.contents as { value: string }).value).toContain('no rewrite, no scan: the default is stored once in the catalog');

    const config = join(root, '.migrate-saferc.json');
    writeFileSync(config, JSON.stringify({ rules: { 'rename-column': 'off' }, pgVersion: 10 }));
    const reloaded = client.diagnostics(uri);
    await client.filesChanged([{ uri: uriOf(config), type: FileChangeType.Created }]);
    expect(byRule((await reloaded).diagnostics, 'rename-column')).toEqual([]);
    const hoverAfter = (await client.hover(uri, { line: 0, character: 3 }))?.contents as { value: string };
    expect(hoverAfter.value).toContain('PostgreSQL 10');
    expect(hoverAfter.value).toContain('**rewrites** the table');
    expect(hoverAfter.value).toContain('On PostgreSQL 10: before PostgreSQL 11 any default rewrote the table.');

    writeFileSync(config, JSON.stringify({ rules: { 'no-such-rule': 'off' } }));
    const broken = client.diagnostics(uri);
    await client.filesChanged([{ uri: uriOf(config), type: FileChangeType.Changed }]);
    expect((await broken).diagnostics).toMatchObject([
      { severity: 1, message: 'migrate-safe cannot lint this file: .migrate-saferc.json: rules.no-such-rule: unknown rule "no-such-rule"' },
    ]);

    writeFileSync(config, JSON.stringify({}));
    const repaired = client.diagnostics(uri);
    await client.filesChanged([{ uri: uriOf(config), type: FileChangeType.Changed }]);
    expect(byRule((await repaired).diagnostics, 'rename-column')).toHaveLength(1);
    expect(await client.shutdown()).toBe(0);
  });

  it('creates the missing rollback from the draft, and the finding goes once the file is there', async () => {
    const text = 'ALTER TABLE agents ADD COLUMN region text;\nCREATE TABLE teams (id bigint PRIMARY KEY);\n';
    const { client, root } = await serverFor({ ...HISTORY, ...KEEPS_ROLLBACKS, [MIGRATION]: text });
    const uri = uriOf(join(root, MIGRATION));
    const [missing] = byRule((await client.open(uri, text)).diagnostics, 'missing-rollback');
    const start = { line: 0, character: 0 };
    const actions = (await client.codeActions(uri, missing?.range ?? { start, end: start })) as CodeAction[];
    const create = actions.find((action) => action.title === 'Create rollback/20240102000000_index_down.sql from the draft');
    const rollback = join(root, 'supabase/migrations/rollback/20240102000000_index_down.sql');
    const draft = '-- Rollback: 20240102000000_index.sql\nDROP TABLE IF EXISTS teams;\nALTER TABLE agents DROP COLUMN IF EXISTS region;\n';
    // The new file, then its text: an editor refuses the whole edit if the file exists by then.
    expect(create).toMatchObject({ kind: 'quickfix', isPreferred: false, diagnostics: [missing] });
    expect(create?.edit?.documentChanges).toEqual([
      { kind: 'create', uri: uriOf(rollback) },
      { textDocument: { uri: uriOf(rollback), version: null }, edits: [{ range: { start, end: start }, newText: draft }] },
    ]);

    // The editor creates the file and reports it: the migration has its rollback, and the draft undoes it.
    mkdirSync(dirname(rollback), { recursive: true });
    writeFileSync(rollback, draft);
    const relinted = client.diagnostics(uri);
    await client.filesChanged([{ uri: uriOf(rollback), type: FileChangeType.Created }]);
    expect(byRule((await relinted).diagnostics, 'missing-rollback')).toEqual([]);
    expect((await client.open(uriOf(rollback), draft)).diagnostics).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });

  it('offers no file to create to an editor that cannot create files', async () => {
    const { client, root } = await serverFor({ ...HISTORY, ...KEEPS_ROLLBACKS }, undefined, { createsFiles: false });
    const uri = uriOf(join(root, MIGRATION));
    const [missing] = byRule((await client.open(uri, 'CREATE TABLE teams (id bigint PRIMARY KEY);\n')).diagnostics, 'missing-rollback');
    const start = { line: 0, character: 0 };
    const actions = (await client.codeActions(uri, missing?.range ?? { start, end: start })) as CodeAction[];
    expect(actions.map((action) => action.title)).toContain('Ignore missing-rollback in this file (a directive with the reason)');
    expect(actions.filter((action) => action.title.startsWith('Create'))).toEqual([]);
    expect(missing?.message).toContain('DROP TABLE IF EXISTS teams;');
    expect(await client.shutdown()).toBe(0);
  });

  it('reports what does not parse and keeps serving every request', async () => {
    const { client, root } = await serverFor(HISTORY);
    const uri = uriOf(join(root, MIGRATION));
    const { diagnostics } = await client.open(uri, "ALTER TABLE agents ADD COLUMN;\nCREATE INDEX i ON agents (status);\nSELECT 'unterminated\n");
    expect(diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.range.start.line])).toEqual([
      ['syntax-error', 0],
      ['require-concurrent-index', 1],
      ['syntax-error', 2],
    ]);
    // Requests the server cannot make sense of get an error response, not a crash.
    await expect(client.connection.sendRequest('textDocument/hover', { nonsense: true })).rejects.toThrow();
    await expect(client.connection.sendRequest('textDocument/codeAction', null)).rejects.toThrow();
    expect(await client.hover('file:///nowhere/never-opened.sql', { line: 0, character: 0 })).toBeNull();
    expect(await client.hover(uri, { line: 99, character: 99 })).toBeNull();
    const hover = await client.hover(uri, { line: 1, character: 3 });
    expect((hover?.contents as { value: string }).value).toContain('`SHARE` on `agents`');
    expect(await client.shutdown()).toBe(0);
  });
});

describe('in a git repository, what the base lacks is new', () => {
  /** main has agents; the branch adds reports in a committed migration; the document indexes both tables. */
  async function branchServer(initializationOptions?: object): Promise<{ client: LspClient; uri: string }> {
    const root = repository(HISTORY);
    git(root, 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(root, 'supabase/migrations/20240102000000_reports.sql'), 'CREATE TABLE reports (id bigint PRIMARY KEY, author bigint);\n');
    commitAll(root, 'reports');
    client = new LspClient(CLI, root);
    await client.initialize(root, initializationOptions);
    return { client, uri: uriOf(join(root, 'supabase/migrations/20240103000000_indexes.sql')) };
  }
  const INDEXES = 'CREATE INDEX reports_author_idx ON reports (author);\nCREATE INDEX agents_status_idx ON agents (status);\n';
  const indexed = (diagnostics: readonly Diagnostic[]): number[] => byRule(diagnostics, 'require-concurrent-index').map((diagnostic) => diagnostic.range.start.line);

  it('compares with main by default: a table an earlier migration of the branch created is new', async () => {
    const { client, uri } = await branchServer();
    expect(indexed((await client.open(uri, INDEXES)).diagnostics)).toEqual([1]);
    expect(await client.shutdown()).toBe(0);
  });

  it('compares with the ref in initializationOptions.since; a ref that does not exist leaves every table deployed', async () => {
    const { client, uri } = await branchServer({ since: 'feature' });
    expect(indexed((await client.open(uri, INDEXES)).diagnostics)).toEqual([0, 1]);
    expect(await client.shutdown()).toBe(0);
    const other = await branchServer({ since: 'no-such-branch' });
    expect(indexed((await other.client.open(other.uri, INDEXES)).diagnostics)).toEqual([0, 1]);
    expect(await other.client.shutdown()).toBe(0);
  });
});

/**
 * A plugin with two rules: acme/seen reports every statement; acme/loop never returns from a
 * statement whose text says LOOP. Loading it writes LOADED next to it: proof that its code ran.
 */
const LOOPING_PLUGIN = `
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('./LOADED', import.meta.url), '');
const meta = { description: 'd', severity: 'error', preset: 'recommended', category: 'locking', hazard: 'h', bad: 'SELECT 1;', good: 'SELECT 1;' };
export const rules = [
  {
    id: 'acme/loop',
    meta,
    create: () => ({
      Statement: (_node, statement) => {
        if (!statement.statement.text.includes('LOOP')) return;
        writeFileSync(new URL('./LOOPING', import.meta.url), '');
        for (;;);
      },
    }),
  },
  { id: 'acme/seen', meta, create: () => ({ Statement: (_node, statement) => statement.report({ message: 'seen by the plugin' }) }) },
];
`;

describe('project code (plugins, a JavaScript configuration)', () => {
  it('runs in a worker that is stopped when a rule runs too long: the document says which, everything else keeps working', async () => {
    const { client, root } = await serverFor({ 'plugin.mjs': LOOPING_PLUGIN, '.migrate-saferc.json': JSON.stringify({ plugins: ['./plugin.mjs'] }) }, { maxRuleTime: 3 });
    const good = uriOf(join(root, 'migrations/1_good.sql'));
    expect(byRule((await client.open(good, 'ALTER TABLE agents RENAME COLUMN a TO b;\n')).diagnostics, 'acme/seen')).toHaveLength(1);

    const looping = uriOf(join(root, 'migrations/2_loop.sql'));
    let stopped = false;
    const loopDiagnostics = client.open(looping, "SELECT 'LOOP';\n").then((published) => {
      stopped = true;
      return published;
    });
    // While the plugin spins in the worker, the server answers for the other document.
    while (!existsSync(join(root, 'LOOPING'))) await new Promise((resolve) => setTimeout(resolve, 20));
    const hover = await client.hover(good, { line: 0, character: 3 });
    expect((hover?.contents as { value: string } | undefined)?.value).toContain('`ACCESS EXCLUSIVE` on `agents`');
    expect(stopped).toBe(false);
    expect((await loopDiagnostics).diagnostics).toMatchObject([
      {
        severity: 1,
        message: 'migrate-safe cannot lint this file: rule acme/loop of plugin ./plugin.mjs ran longer than 3 s on migrations/2_loop.sql: stopped (maxRuleTime in the initialization options)',
      },
    ]);
    // The next lint starts a fresh worker.
    const other = uriOf(join(root, 'migrations/3_other.sql'));
    expect(byRule((await client.open(other, 'SELECT 1;\n')).diagnostics, 'acme/seen')).toHaveLength(1);
    const repaired = await client.change(looping, 2, [{ text: 'SELECT 2;\n' }]);
    expect(repaired.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['acme/seen']);
    const fixAll = await client.codeActions(looping, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, ['source.fixAll']);
    expect(fixAll).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });

  it('loads an edited plugin again when the configuration changes', async () => {
    const { client, root } = await serverFor({ 'plugin.mjs': LOOPING_PLUGIN, '.migrate-saferc.json': JSON.stringify({ plugins: ['./plugin.mjs'] }) });
    const uri = uriOf(join(root, 'migrations/1.sql'));
    expect((await client.open(uri, 'SELECT 1;\n')).diagnostics.map((diagnostic) => diagnostic.message)).toEqual(['seen by the plugin']);
    writeFileSync(join(root, 'plugin.mjs'), LOOPING_PLUGIN.replace('seen by the plugin', 'seen by the edited plugin'));
    writeFileSync(join(root, '.migrate-saferc.json'), JSON.stringify({ plugins: ['./plugin.mjs'], rules: { 'acme/loop': 'off' } }));
    const reloaded = client.diagnostics(uri);
    await client.filesChanged([{ uri: uriOf(join(root, '.migrate-saferc.json')), type: FileChangeType.Changed }]);
    expect((await reloaded).diagnostics.map((diagnostic) => diagnostic.message)).toEqual(['seen by the edited plugin']);
    expect(await client.shutdown()).toBe(0);
  });

  it('does not run in an untrusted workspace: the JSON configuration still applies, the user is told once, trust reloads', async () => {
    const { client, root } = await serverFor(
      {
        'plugin.mjs': LOOPING_PLUGIN,
        'package.json': JSON.stringify({ name: 'app', 'migrate-safe': { plugins: ['./plugin.mjs'], rules: { 'acme/loop': 'off', 'drop-table-without-deprecation': 'off' } } }),
      },
      { trusted: false },
    );
    const uri = uriOf(join(root, 'migrations/1_drop.sql'));
    const text = 'DROP TABLE agents;\nALTER TABLE teams RENAME COLUMN a TO b;\n';
    expect((await client.open(uri, text)).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['rename-column']);
    const second = uriOf(join(root, 'migrations/2_more.sql'));
    expect((await client.open(second, text)).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['rename-column']);
    expect(existsSync(join(root, 'LOADED'))).toBe(false);
    expect(client.messages).toEqual([
      'migrate-safe: this workspace is not trusted, so plugin ./plugin.mjs did not run; documents are linted with the built-in rules and the rest of the configuration. Trust the workspace to run them.',
    ]);

    const trusted = client.diagnostics(uri);
    await client.configurationChanged({ 'migrate-safe': { trusted: true } });
    expect((await trusted).diagnostics.map((diagnostic) => diagnostic.code).sort()).toEqual(['acme/seen', 'acme/seen', 'rename-column']);
    expect(existsSync(join(root, 'LOADED'))).toBe(true);
    expect(await client.shutdown()).toBe(0);
  });

  it('an untrusted workspace\'s JavaScript configuration is not run: the built-in rules lint with their defaults', async () => {
    const config = "require('node:fs').writeFileSync(require('node:path').join(__dirname, 'RAN'), '');\nmodule.exports = { rules: { 'rename-column': 'off' } };\n";
    const { client, root } = await serverFor({ '.migrate-saferc.cjs': config }, { trusted: false });
    const uri = uriOf(join(root, 'migrations/1_rename.sql'));
    expect((await client.open(uri, 'ALTER TABLE teams RENAME COLUMN a TO b;\n')).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['rename-column']);
    expect(existsSync(join(root, 'RAN'))).toBe(false);
    expect(client.messages).toEqual([expect.stringContaining('so the configuration .migrate-saferc.cjs did not run;')]);
    const trusted = client.diagnostics(uri);
    await client.configurationChanged({ trusted: true });
    expect((await trusted).diagnostics).toEqual([]);
    expect(existsSync(join(root, 'RAN'))).toBe(true);
    expect(await client.shutdown()).toBe(0);
  });

  it('nor are cosmiconfig\'s own options when they are code (.config/config.cjs, run before any search)', async () => {
    const options = "require('node:fs').writeFileSync(require('node:path').join(__dirname, '..', 'RAN'), '');\nmodule.exports = {};\n";
    const { client, root } = await serverFor({ '.config/config.cjs': options, '.migrate-saferc.json': JSON.stringify({ rules: { 'rename-column': 'off' } }) }, { trusted: false });
    const uri = uriOf(join(root, 'migrations/1_rename.sql'));
    expect((await client.open(uri, 'ALTER TABLE teams RENAME COLUMN a TO b;\n')).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['rename-column']);
    expect(existsSync(join(root, 'RAN'))).toBe(false);
    expect(client.messages).toEqual([expect.stringContaining(`so the configuration ${join('.config', 'config.cjs')} did not run;`)]);
    const trusted = client.diagnostics(uri);
    await client.configurationChanged({ trusted: true });
    expect((await trusted).diagnostics).toEqual([]);
    expect(existsSync(join(root, 'RAN'))).toBe(true);
    expect(await client.shutdown()).toBe(0);
  });
});
