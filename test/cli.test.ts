import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonReport, project, runCli } from './support/cli.js';

const UNSAFE_INDEX = 'CREATE INDEX idx_agents_status ON agents (status);\n';
const SAFE_INDEX = 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n';

describe('exit codes', () => {
  it('is 0 without errors, 1 with an error-level finding', () => {
    const root = project({ 'safe.sql': SAFE_INDEX, 'unsafe.sql': UNSAFE_INDEX });
    expect(runCli(['lint', 'safe.sql'], { cwd: root }).status).toBe(0);
    const unsafe = runCli(['lint', 'unsafe.sql'], { cwd: root });
    expect(unsafe.status).toBe(1);
    expect(unsafe.stdout).toContain('require-concurrent-index');
  });

  it('is 1 with more warnings than --max-warnings, and --quiet reports errors only', () => {
    // A project without any rollback gets a note, not warnings, unless the configuration requires them.
    const root = project({ 'supabase/migrations/20240101000000_a.sql': SAFE_INDEX, '.migrate-saferc.json': JSON.stringify({ rules: { 'missing-rollback': ['warn', { require: true }] } }) });
    expect(runCli(['lint', 'supabase/migrations'], { cwd: root }).status).toBe(0);
    expect(runCli(['lint', 'supabase/migrations', '--max-warnings', '0'], { cwd: root }).status).toBe(1);
    const quiet = runCli(['lint', 'supabase/migrations', '--quiet', '--format', 'json'], { cwd: root });
    expect(jsonReport(quiet).findings).toEqual([]);
  });

  it('is 2, with one line naming the problem, for a missing path, an unknown rule or option', () => {
    const root = project({ 'a.sql': SAFE_INDEX });
    symlinkSync('loop.sql', join(root, 'loop.sql'));
    for (const [args, message] of [
      [['lint', 'nope.sql'], 'migrate-safe: no files match "nope.sql"\n'],
      [['lint', 'loop.sql'], 'migrate-safe: no files match "loop.sql"\n'],
      [['lint', 'a.sql', '--rule', 'no-such-rule=warn'], 'migrate-safe: --rule no-such-rule=warn: unknown rule "no-such-rule"\n'],
      [['lint', 'a.sql', '--rule', 'require-concurrent-index'], "migrate-safe: option '--rule <id=severity>' argument 'require-concurrent-index' is invalid. expected <rule-id>=off|warn|error\n"],
      [['lint', 'a.sql', '--bogus'], "migrate-safe: unknown option '--bogus'\n"],
      [['lint', 'a.sql', '--format', 'xml'], "migrate-safe: option '-f, --format <format[=path]>' argument 'xml' is invalid. Allowed choices are text, compact, json, sarif, github, gitlab.\n"],
      [['rules', 'no-such-rule'], 'migrate-safe: unknown rule "no-such-rule" (migrate-safe rules lists them)\n'],
    ] as const) {
      const result = runCli(args, { cwd: root });
      expect(result.stderr, args.join(' ')).toBe(message);
      expect(result.status, args.join(' ')).toBe(2);
    }
  });
});

describe('configuration', () => {
  it('is found upward from the linted files: .migrate-saferc.json', () => {
    const root = project({
      '.migrate-saferc.json': JSON.stringify({ rules: { 'require-concurrent-index': 'off' } }),
      'db/migrations/1_index.sql': UNSAFE_INDEX,
    });
    expect(runCli(['lint', 'migrations'], { cwd: join(root, 'db') }).status).toBe(0);
    expect(runCli(['lint', 'db/migrations'], { cwd: root }).status).toBe(0);
  });

  it('is read from the "migrate-safe" key of package.json, and from YAML', () => {
    const fromPackage = project({
      'package.json': JSON.stringify({ name: 'app', 'migrate-safe': { rules: { 'require-concurrent-index': 'warn' } } }),
      'm.sql': UNSAFE_INDEX,
    });
    const packageRun = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: fromPackage });
    expect(jsonReport(packageRun).findings.map((finding) => finding.severity)).toEqual(['warning']);
    const fromYaml = project({ '.migrate-saferc.yml': 'rules:\n  require-concurrent-index: off\n', 'm.sql': UNSAFE_INDEX });
    expect(runCli(['lint', 'm.sql'], { cwd: fromYaml }).status).toBe(0);
  });

  it('is looked up to the project folder (the first with a package.json) and no further, in the places cosmiconfig options add', () => {
    const offIndex = JSON.stringify({ rules: { 'require-concurrent-index': 'off' } });
    const aboveProject = project({ '.migrate-saferc.json': offIndex, 'app/package.json': JSON.stringify({ name: 'app' }), 'app/db/migrations/1_index.sql': UNSAFE_INDEX });
    expect(runCli(['lint', 'app/db/migrations'], { cwd: aboveProject }).status).toBe(1);
    const inProject = project({ 'package.json': JSON.stringify({ name: 'app', 'migrate-safe': JSON.parse(offIndex) as unknown }), 'db/migrations/1_index.sql': UNSAFE_INDEX });
    expect(runCli(['lint', 'db/migrations'], { cwd: inProject }).status).toBe(0);
    const addedPlace = project({
      '.config/config.json': JSON.stringify({ cosmiconfig: { searchPlaces: ['{name}.custom.json'] } }),
      'migrate-safe.custom.json': offIndex,
      'm.sql': UNSAFE_INDEX,
    });
    expect(runCli(['lint', 'm.sql'], { cwd: addedPlace }).status).toBe(0);
  });

  it('--config overrides discovery', () => {
    const root = project({ 'strict.json': JSON.stringify({ rules: { 'require-concurrent-index': 'off' } }), 'm.sql': UNSAFE_INDEX });
    expect(runCli(['lint', 'm.sql'], { cwd: root }).status).toBe(1);
    expect(runCli(['lint', 'm.sql', '--config', 'strict.json'], { cwd: root }).status).toBe(0);
  });

  it('rejects an unknown key, a bad value, an unknown rule and bad syntax with one line naming file and key', () => {
    const cases: [string, string][] = [
      [JSON.stringify({ rulez: {} }), 'migrate-safe: .migrate-saferc.json: unknown key "rulez" (did you mean "rules"?)\n'],
      [JSON.stringify({ pgVersion: 'fifteen' }), 'migrate-safe: .migrate-saferc.json: pgVersion: expected a PostgreSQL major version such as 15\n'],
      [
        JSON.stringify({ rules: { 'require-concurrent-index': 'loud' } }),
        'migrate-safe: .migrate-saferc.json: rules.require-concurrent-index: expected "off", "warn" (or "warning"), "error" or [severity, options]\n',
      ],
      [JSON.stringify({ rules: { 'no-such-rule': 'off' } }), 'migrate-safe: .migrate-saferc.json: rules.no-such-rule: unknown rule "no-such-rule"\n'],
      [JSON.stringify({ migrations: { folder: 1 } }), 'migrate-safe: .migrate-saferc.json: migrations.folder: expected a folder path\n'],
    ];
    for (const [config, message] of cases) {
      const root = project({ '.migrate-saferc.json': config, 'm.sql': SAFE_INDEX });
      const result = runCli(['lint', 'm.sql'], { cwd: root });
      expect(result.stderr, config).toBe(message);
      expect(result.status, config).toBe(2);
    }
    const broken = runCli(['lint', 'm.sql'], { cwd: project({ '.migrate-saferc.json': '{ "rules": ', 'm.sql': SAFE_INDEX }) });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/^migrate-safe: cannot read configuration .*\n$/);
  });
});

describe('standard input', () => {
  it('lints - as the file named by --stdin-filename, with its history from disk', () => {
    const root = project({ 'supabase/migrations/20240101000000_create.sql': 'CREATE TABLE teams (id bigint PRIMARY KEY);\n' });
    const result = runCli(['lint', '-', '--stdin-filename', 'supabase/migrations/20240102000000_index.sql', '--format', 'json'], {
      cwd: root,
      input: 'CREATE INDEX idx_teams_id ON teams (id);\n',
    });
    const report = jsonReport(result);
    expect(report.findings.map((finding) => [finding.ruleId, finding.file, finding.line])).toEqual([
      ['require-concurrent-index', 'supabase/migrations/20240102000000_index.sql', 1],
    ]);
    expect(report.notes.map((note) => [note.ruleId, note.folder])).toEqual([['missing-rollback', 'supabase/migrations']]);
    expect(result.status).toBe(1);
  });
});

describe('findings', () => {
  it('after a syntax error in the middle of a file are still reported', () => {
    const root = project({ 'm.sql': 'CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN;\nCREATE INDEX i ON agents (a);\n' });
    const report = jsonReport(runCli(['lint', 'm.sql', '--format', 'json'], { cwd: root }));
    expect(report.findings.map((finding) => [finding.ruleId, finding.line, finding.column])).toEqual([
      ['syntax-error', 2, 25],
      ['require-concurrent-index', 3, 1],
    ]);
  });

  it('count columns in characters (code points) after Cyrillic text and emoji', () => {
    // 27 + 12 Cyrillic and ASCII characters, then 😀 (one code point, two bytes more than UTF-16 has units) and "'); ".
    const root = project({ 'm.sql': "INSERT INTO notes VALUES ('Привет, мир 😀'); CREATE INDEX i ON agents (a);\n" });
    const [finding] = jsonReport(runCli(['lint', 'm.sql', '--format', 'json'], { cwd: root })).findings;
    expect(finding).toMatchObject({ ruleId: 'require-concurrent-index', line: 1, column: 45, endLine: 1, endColumn: 73 });
  });

  it('in JSON have the documented shape, with the lock and what it blocks', () => {
    const root = project({ 'm.sql': UNSAFE_INDEX });
    const report = jsonReport(runCli(['lint', 'm.sql', '--format', 'json'], { cwd: root }));
    expect(report).toEqual({
      findings: [
        {
          ruleId: 'require-concurrent-index',
          severity: 'error',
          file: 'm.sql',
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 50,
          message: expect.stringContaining('SHARE lock') as string,
          help: expect.stringContaining('CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);') as string,
          lock: { mode: 'SHARE', relation: 'agents', blocksReads: false, blocksWrites: true, blocksDdl: true },
          rewrite: false,
          scan: true,
        },
      ],
      notes: [],
      summary: {
        files: 1,
        problems: 1,
        errors: 1,
        warnings: 0,
        suppressed: 0,
        transactions: [{ project: '.', layout: 'plain', modes: ["each statement runs on its own, as psql runs a file: only the file's own BEGIN opens a transaction"] }],
      },
    });
  });

  it('in text show the file, position, rule, source line, lock and safe SQL, and a summary', () => {
    const root = project({ 'm.sql': `-- a comment\n${UNSAFE_INDEX}` });
    const { stdout } = runCli(['lint', 'm.sql'], { cwd: root });
    expect(stdout).toContain('m.sql\n  2:1  error  require-concurrent-index  CREATE INDEX without CONCURRENTLY');
    expect(stdout).toContain('    2 | CREATE INDEX idx_agents_status ON agents (status);\n      | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n');
    expect(stdout).toContain('lock: takes SHARE on agents: blocks writes (reads continue)');
    expect(stdout).toContain('        CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);');
    expect(stdout).toContain('✖ 1 problem (1 error, 0 warnings) in 1 file\n');
  });

  it('silenced by a directive are counted as suppressed', () => {
    const root = project({ 'm.sql': `-- migrate-safe-ignore require-concurrent-index: 200 rows\n${UNSAFE_INDEX}` });
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: root });
    expect(jsonReport(result).summary).toMatchObject({ problems: 0, suppressed: 1 });
    expect(result.status).toBe(0);
  });

  it('--report-unused-directives reports a directive that silenced nothing', () => {
    const root = project({ 'm.sql': `-- migrate-safe-ignore require-concurrent-index: reviewed\n${SAFE_INDEX}` });
    expect(runCli(['lint', 'm.sql'], { cwd: root }).status).toBe(0);
    const report = jsonReport(runCli(['lint', 'm.sql', '--report-unused-directives', '--format', 'json'], { cwd: root }));
    expect(report.findings.map((finding) => [finding.ruleId, finding.line])).toEqual([['unused-directive', 1]]);
  });
});

describe('output', () => {
  it('colors only when asked, or on a terminal, obeying NO_COLOR and FORCE_COLOR', () => {
    const root = project({ 'm.sql': UNSAFE_INDEX });
    const escape = '\u001b[';
    expect(runCli(['lint', 'm.sql'], { cwd: root }).stdout).not.toContain(escape);
    expect(runCli(['lint', 'm.sql'], { cwd: root, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } }).stdout).toContain(escape);
    expect(runCli(['lint', 'm.sql'], { cwd: root, env: { NO_COLOR: undefined, FORCE_COLOR: '0' } }).stdout).not.toContain(escape);
    expect(runCli(['lint', 'm.sql', '--color'], { cwd: root }).stdout).toContain(escape);
    expect(runCli(['lint', 'm.sql', '--no-color'], { cwd: root, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } }).stdout).not.toContain(escape);
  });

  it('--output-file writes the report to a file', () => {
    const root = project({ 'm.sql': UNSAFE_INDEX });
    const result = runCli(['lint', 'm.sql', '--format', 'json', '--output-file', 'report.json'], { cwd: root });
    expect(result.stdout).toBe('');
    expect(JSON.parse(readFileSync(join(root, 'report.json'), 'utf8'))).toMatchObject({ summary: { errors: 1 } });
  });
});

describe('commands', () => {
  it("validate lints the migrations folder, and the guide's `--dry-run validate` works", () => {
    const root = project({ 'supabase/migrations/20240101000000_index.sql': UNSAFE_INDEX });
    for (const args of [['validate'], ['--dry-run', 'validate'], ['-d', 'validate'], ['lint']]) {
      const result = runCli(args, { cwd: root });
      expect(result.stdout, args.join(' ')).toContain('supabase/migrations/20240101000000_index.sql');
      expect(result.status, args.join(' ')).toBe(1);
    }
  });

  it('validate uses migrations.folder from the configuration, and says so when there is none', () => {
    const root = project({ '.migrate-saferc.json': JSON.stringify({ migrations: { folder: 'sql/schema' } }), 'sql/schema/1_a.sql': UNSAFE_INDEX });
    expect(runCli(['validate'], { cwd: root }).stdout).toContain('sql/schema/1_a.sql');
    const empty = runCli(['validate'], { cwd: project({ 'README.md': '' }) });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/^migrate-safe: no migrations folder here .*\n$/);
  });

  it('rules lists every rule with its default severity, and rules <id> prints its documentation', () => {
    const list = runCli(['rules']);
    expect(list.stdout).toMatch(/^require-concurrent-index\s+error\s+recommended\s+CREATE INDEX without CONCURRENTLY/m);
    expect(list.stdout).toMatch(/^missing-rollback\s+warn\s+recommended/m);
    const doc = runCli(['rules', 'rename-column']);
    expect(doc.stdout).toContain('# rename-column');
    expect(doc.stdout).toContain('ALTER TABLE agents RENAME COLUMN old_name TO new_name;');
    expect(doc.stdout).not.toContain('## Options');
  });

  it('rules <id> documents the rule options from their schema: type, default, description', () => {
    const doc = runCli(['rules', 'require-lock-timeout']).stdout;
    expect(doc).toContain('## Options');
    expect(doc).toMatch(/^\| `maxLockTimeout` \| string \| `"5s"` \| The longest lock_timeout accepted.* \|$/m);
    expect(doc).toContain('"require-lock-timeout": [\n      "warn",\n      {\n        "maxLockTimeout": "5s"');
  });

  it('rule options change the verdict, and a bad option value stops the run with one line', () => {
    const migration = "SET lock_timeout = '20s';\nALTER TABLE agents ADD COLUMN nickname text;\n";
    const lintWith = (options: object) =>
      runCli(['lint', 'm.sql', '--format', 'json'], {
        cwd: project({ '.migrate-saferc.json': JSON.stringify({ rules: { 'require-lock-timeout': ['warn', options] } }), 'm.sql': migration }),
      });
    expect(jsonReport(lintWith({})).findings.map((finding) => finding.ruleId)).toEqual(['require-lock-timeout']);
    expect(jsonReport(lintWith({ maxLockTimeout: '30s' })).findings).toEqual([]);
    const bad = lintWith({ maxLockTimeout: 'soon' });
    expect(bad.stderr).toBe('migrate-safe: .migrate-saferc.json: rules.require-lock-timeout: maxLockTimeout: expected a duration such as "5s", "500ms" or "1min"\n');
    expect(bad.status).toBe(2);
  });
});
