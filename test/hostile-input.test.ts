import { spawn } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, jsonReport, project, runCli } from './support/cli.js';
import { git, gitEnv, repository } from './support/git.js';
import { SUPPORTED_MAJORS, testServerBinaries, useTestServer } from './support/postgres.js';

/** Unusual but valid input gets the answer PostgreSQL and psql give (issue 14, items 8 to 11). */
describe('psql input', () => {
  it('an unterminated /* comment is a syntax error at its start, as PostgreSQL says', () => {
    const root = project({ 'm.sql': 'SELECT 1;\n/* never closed\nDROP TABLE agents;\n' });
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: root });
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line, finding.column, finding.message])).toEqual([
      ['syntax-error', 2, 1, 'PostgreSQL cannot parse this statement: unterminated /* comment. The rest of the file is still checked.'],
    ]);
    expect(result.status).toBe(1);
  });

  it('the rows after COPY ... FROM stdin are data up to \\., and the statements after them are checked', () => {
    const sql = [
      'COPY agents (id, name) FROM stdin;',
      "1\tO'Brien",
      '2\t\\N',
      '\\.',
      'ALTER TABLE agents RENAME COLUMN name TO full_name;',
      'COPY teams FROM STDIN WITH (FORMAT csv);',
      '"a;b",\'',
      '\\.',
      'DROP TABLE old_agents;',
      '',
    ].join('\n');
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: project({ 'm.sql': sql }) });
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line])).toEqual([
      ['rename-column', 5],
      ['drop-table-without-deprecation', 9],
    ]);
  });

  it('a meta-command after SQL on its line (\\gset) is psql\'s, and sends the query before it', () => {
    const sql = 'SELECT count(*) AS n FROM agents \\gset\nSELECT 1\n\\g\nALTER TABLE agents RENAME COLUMN a TO b;\n';
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: project({ 'm.sql': sql }) });
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line])).toEqual([['rename-column', 4]]);
  });

  it('a byte order mark is not a column', () => {
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: project({ 'm.sql': '\uFEFFALTER TABLE agents RENAME COLUMN a TO b;\n' }) });
    expect(jsonReport(result).findings.map((finding) => [finding.line, finding.column])).toEqual([[1, 1]]);
  });

  it('many meta-command lines take linear time (40,000 \\echo lines took 7 s, 80,000 two minutes)', { timeout: 120_000 }, () => {
    const sql = `${'\\echo step\n'.repeat(150_000)}ALTER TABLE agents RENAME COLUMN a TO b;\n`;
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: project({ 'm.sql': sql }) });
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line])).toEqual([['rename-column', 150_001]]);
  });
});

/** Valid SQL nested deeper than a recursive walk goes: psql runs all of these (issue 14, item 6). */
describe('deeply nested statements', () => {
  const nested = (depth: number, wrap: (inner: string) => string, core: string): string => {
    let sql = core;
    for (let level = 0; level < depth; level++) sql = wrap(sql);
    return sql;
  };
  const deep: Record<string, string> = {
    subqueries: nested(1000, (inner) => `SELECT * FROM (${inner}) s`, 'SELECT 1'),
    cases: `SELECT ${nested(1000, (inner) => `CASE WHEN x THEN ${inner} ELSE 0 END`, '1')}`,
    calls: `SELECT ${nested(2000, (inner) => `abs(${inner})`, 'x')} FROM t`,
    nots: `SELECT ${nested(2000, (inner) => `NOT ${inner}`, 'true')}`,
    sums: `SELECT ${Array(2100).fill('x').join(' + ')} FROM t`,
    unions: Array(5000).fill('SELECT 1').join(' UNION ALL '),
    joins: `SELECT * FROM t0 ${Array.from({ length: 5000 }, (_, index) => `JOIN t${index + 1} ON true`).join(' ')}`,
  };

  it('are analysed like any other, and the findings after them are kept', () => {
    const files = Object.fromEntries(Object.entries(deep).map(([name, sql]) => [`${name}.sql`, `${sql};\nALTER TABLE ${name} RENAME COLUMN a TO b;\n`]));
    const result = runCli(['lint', '.', '--format', 'json'], { cwd: project(files) });
    expect(result.stderr).toBe('');
    expect(jsonReport(result).findings.map((finding) => [finding.file, finding.ruleId, finding.line])).toEqual(
      Object.keys(deep).sort().map((name) => [`${name}.sql`, 'rename-column', 2]),
    );
  });

  it('too deep to analyse is reported as not checked, at its line; the rest of the file is', () => {
    const sql = [
      `ALTER TABLE t ALTER COLUMN a TYPE bigint USING ${Array(2100).fill('a').join(' + ')};`,
      `SELECT ${Array(100_000).fill('a').join('+')} FROM t;`,
      'ALTER TABLE t RENAME COLUMN c TO d;',
      '',
    ].join('\n');
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: project({ 'm.sql': sql }) });
    const notChecked = 'This statement nests deeper than migrate-safe can analyse: it is not checked (review it by hand). The rest of the file is still checked.';
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line, finding.message.startsWith('RENAME') ? 'rename' : finding.message])).toEqual([
      ['syntax-error', 1, notChecked],
      ['syntax-error', 2, notChecked],
      ['rename-column', 3, 'rename'],
    ]);
    expect(result.status).toBe(1);
  });
});

/** What a pull request writes reaches a terminal or a CI log only as text (issue 14, item 13). */
describe('the text report', () => {
  const forged = 'ALTER TABLE "x\n::error title=FORGED::y" RENAME COLUMN "a\u001b[2J" TO b;\n';

  it('shows control characters of names and SQL escaped, never raw', () => {
    const result = runCli(['lint', 'm.sql'], { cwd: project({ 'm.sql': forged }) });
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout.split('\n').some((line) => line.trimStart().startsWith('::'))).toBe(false);
    expect(result.stdout).toContain('U&"x\\000A::error title=FORGED::y"');
  });

  it('in GitHub Actions, stops workflow commands around the report with a token nobody can guess', () => {
    const result = runCli(['lint', 'm.sql'], { cwd: project({ 'm.sql': forged }), env: { GITHUB_ACTIONS: 'true' } });
    const lines = result.stdout.trimEnd().split('\n');
    const token = /^::stop-commands::([0-9a-f]{32})$/.exec(lines[0] ?? '')?.[1];
    expect(token).toBeDefined();
    expect(lines.at(-1)).toBe(`::${token}::`);
    // The github format's own annotations are commands on purpose: not stopped.
    expect(runCli(['lint', 'm.sql', '--format', 'github'], { cwd: project({ 'm.sql': forged }), env: { GITHUB_ACTIONS: 'true' } }).stdout).not.toContain('stop-commands');
  });
});

const newest = SUPPORTED_MAJORS.at(-1) ?? 18;
const binaries = testServerBinaries(newest);

describe.skipIf(!binaries)(`identifiers with control characters on PostgreSQL ${newest}`, () => {
  const server = useTestServer(binaries);

  it('are written in the U& escape form, which names the same object', async () => {
    const { quoteIdentifier } = await import('../src/analyze/ast.js');
    const url = await server.createDatabase();
    const name = 'x\n::error title=FORGED::y\\z\u001b';
    await server.query(url, `CREATE TABLE ${quoteIdentifier(name)} (a int)`);
    const rows = await server.query<{ relname: string }>(url, "SELECT relname FROM pg_class WHERE relname LIKE 'x%'");
    expect(rows.map((row) => row.relname)).toEqual([name]);
  });
});

/** Code in a configuration file runs only when it belongs to the linted project (issue 14, item 14). */
describe('JavaScript configuration', () => {
  it('in a folder above the project, or one another user can write (/tmp), never runs', () => {
    const planted = "require('node:fs').writeFileSync(require('node:path').join(__dirname, 'RAN'), '');\nmodule.exports = { rules: { 'rename-column': 'off' } };\n";
    const rename = 'ALTER TABLE agents RENAME COLUMN a TO b;\n';
    const shared = project({ '.migrate-saferc.cjs': planted, 'loose/db/m.sql': rename, 'app/db/m.sql': rename });
    git(join(shared, 'app'), 'init', '-q');
    chmodSync(shared, 0o1777);
    for (const [cwd, path] of [['app', 'db'], ['loose', 'db'], ['loose/db', 'm.sql']] as const) {
      const result = runCli(['lint', path, '--format', 'json'], { cwd: join(shared, cwd) });
      expect(jsonReport(result).findings.map((finding) => finding.ruleId), `${cwd}: lint ${path}`).toEqual(['rename-column']);
    }
    expect(existsSync(join(shared, 'RAN'))).toBe(false);
    chmodSync(shared, 0o700);
    expect(jsonReport(runCli(['lint', 'db', '--format', 'json'], { cwd: join(shared, 'loose') })).findings).toEqual([]);
    expect(existsSync(join(shared, 'RAN'))).toBe(true);
  });
});

/** A bad configuration is one line naming the file, and exit 2 (issue 14, item 17). */
describe('bad configuration', () => {
  it.each([
    ['.migrate-saferc.json', '[]', '.migrate-saferc.json: expected an object of settings, not a list'],
    ['.migrate-saferc.json', 'null', '.migrate-saferc.json: expected an object of settings, not null'],
    ['.migrate-saferc.json', '{ "rules": { "__proto__": "off" } }', '.migrate-saferc.json: rules.__proto__: unknown rule "__proto__"'],
    ['.migrate-saferc.json', '{ "rules": { "constructor": "off" } }', '.migrate-saferc.json: rules.constructor: unknown rule "constructor"'],
    ['supabase/config.toml', '[db]\nmajor_version = 3\n', 'supabase/config.toml: [db] major_version: Invalid value: Expected >=9 but received 3'],
    ['supabase/config.toml', '[db\nmajor_version = 15\n', 'supabase/config.toml: not valid TOML: Invalid TOML document: illegal character in key'],
  ])('%s holding %j', (file, text, message) => {
    const result = runCli(['lint', 'm.sql'], { cwd: project({ [file]: text, 'm.sql': 'ALTER TABLE agents RENAME COLUMN a TO b;\n' }) });
    expect([result.status, result.stdout, result.stderr]).toEqual([2, '', `migrate-safe: ${message}\n`]);
  });

  it('a package.json that is not JSON is named', () => {
    const root = project({ 'package.json': '{ "name": ', 'm.sql': 'SELECT 1;\n' });
    const result = runCli(['lint', 'm.sql'], { cwd: root });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^migrate-safe: cannot read configuration: JSON Error in ${join(root, 'package.json')}: Unexpected end of JSON input[^\n]*\n$`));
  });
});

/** A plugin rule that fails is a tool failure naming it: exit 2, never a finding nor a crash (issue 14, item 15). */
describe('a failing plugin rule', () => {
  const plugin = [
    "const meta = { description: 'd', severity: 'error', preset: 'recommended', category: 'locking', hazard: 'h', bad: 'SELECT 1;', good: 'SELECT 1;' };",
    'const failing = (id, fail) => ({ id, meta, create: () => ({ Statement: (_node, statement) => fail(statement) }) });',
    'export const rules = [',
    '  failing(process.env.RULE, (statement) => {',
    "    if (process.env.RULE === 'throws-null') throw null;",
    "    if (process.env.RULE === 'throws-string') throw 'boom';",
    "    if (process.env.RULE === 'message-object') statement.report({ message: { text: 'x' } });",
    "    if (process.env.RULE === 'lock-string') statement.report({ message: 'm', lock: 'TOTAL LOCK' });",
    '  }),',
    '];',
  ].join('\n');
  it.each([
    ['throws-null', 'rule throws-null of plugin ./plugin.mjs failed on m.sql: it threw null'],
    ['throws-string', 'rule throws-string of plugin ./plugin.mjs failed on m.sql: it threw "boom"'],
    ['message-object', 'rule message-object of plugin ./plugin.mjs reported a finding without a text message on m.sql'],
    ['lock-string', 'rule lock-string of plugin ./plugin.mjs reported a lock that is no PostgreSQL lock mode ("TOTAL LOCK") on m.sql'],
  ])('%s', (rule, message) => {
    const root = project({ 'plugin.mjs': plugin, '.migrate-saferc.json': JSON.stringify({ plugins: ['./plugin.mjs'] }), 'm.sql': 'SELECT 1;\n' });
    const result = runCli(['lint', 'm.sql'], { cwd: root, env: { RULE: rule } });
    expect([result.status, result.stdout, result.stderr]).toEqual([2, '', `migrate-safe: ${message}\n`]);
  });
});

describe('the command line', () => {
  it('exits quietly when the reader of its output leaves early (| head -1)', async () => {
    const root = project({ 'm.sql': 'ALTER TABLE agents RENAME COLUMN a TO b;\n'.repeat(3000) });
    const child = spawn(process.execPath, [CLI, 'lint', 'm.sql'], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect([0, 1]).toContain(status);
  });

  it('--staged lints what the commit records: a migration staged, then deleted from the working tree', () => {
    const root = repository({ 'migrations/1.sql': 'SELECT 1;\n' });
    writeFileSync(join(root, 'migrations/2.sql'), 'ALTER TABLE agents RENAME COLUMN a TO b;\n');
    git(root, 'add', 'migrations/2.sql');
    rmSync(join(root, 'migrations/2.sql'));
    const result = runCli(['lint', '--staged', 'migrations', '--format', 'json'], { cwd: root, env: gitEnv() });
    expect(jsonReport(result).findings.map((finding) => [finding.file, finding.ruleId])).toEqual([['migrations/2.sql', 'rename-column']]);
  });
});
