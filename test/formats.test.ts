import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonReport, project, runCli } from './support/cli.js';
import { projectWithPlugin } from './support/packages.js';

const UNSAFE_INDEX = 'CREATE INDEX idx_agents_status ON agents (status);\n';

/** What the GitHub runner does with a workflow command (actions/toolkit's escaping, undone). */
function parseAnnotation(line: string): { level: string; properties: Record<string, string>; message: string } {
  const match = /^::(error|warning|notice) ([^:]*)::(.*)$/.exec(line);
  if (!match?.[1] || match[2] === undefined || match[3] === undefined) throw new Error(`not a workflow command: ${line}`);
  const unescape = (text: string): string => text.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');
  const properties = Object.fromEntries(
    match[2].split(',').map((pair) => {
      const [key = '', value = ''] = pair.split('=');
      return [key, unescape(value)];
    }),
  );
  return { level: match[1], properties, message: unescape(match[3]) };
}

describe('--format github', () => {
  it('prints one workflow command per finding, on its line and columns, titled with the rule', () => {
    const root = project({ 'db/migrations/1_index.sql': `-- a comment\n${UNSAFE_INDEX}`, 'db/migrations/2_not_null.sql': 'ALTER TABLE agents ADD COLUMN n\n  int NOT NULL;\n' });
    const result = runCli(['lint', 'db/migrations', '--format', 'github'], { cwd: root });
    expect(result.status).toBe(1);
    const [index, column, ...rest] = result.stdout.trimEnd().split('\n').map(parseAnnotation);
    expect(rest).toEqual([]);
    expect(index).toMatchObject({
      level: 'error',
      properties: { file: 'db/migrations/1_index.sql', line: '2', col: '1', endLine: '2', endColumn: '50', title: 'require-concurrent-index' },
    });
    expect(index?.message).toContain('CREATE INDEX without CONCURRENTLY on existing table agents');
    expect(index?.message).toContain('\n\nLock: takes SHARE on agents: blocks writes (reads continue)');
    expect(index?.message).toContain('\n\nSafe alternative:\n-- In a migration of its own');
    // Over two lines: GitHub takes no columns on a range of lines.
    expect(column?.properties).toEqual({ file: 'db/migrations/2_not_null.sql', line: '1', endLine: '2', title: 'not-null-column-without-default' });
  });

  it('escapes what would end a property or the message', () => {
    const root = project({ 'odd, name: 100%.sql': 'ALTER TABLE agents ADD COLUMN n int NOT NULL;\n' });
    const { stdout } = runCli(['lint', 'odd, name: 100%.sql', '--format', 'github'], { cwd: root });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error file=odd%2C name%3A 100%25\.sql,line=1,/);
    const annotation = parseAnnotation(lines[0] ?? '');
    expect(annotation.properties.file).toBe('odd, name: 100%.sql');
    expect(annotation.message).toContain('\n-- Migration 1: add the column as nullable\n');
  });

  it('prints nothing for a clean run, and leaves silenced findings out', () => {
    const root = project({ 'm.sql': `-- migrate-safe-ignore require-concurrent-index: tiny table\n${UNSAFE_INDEX}` });
    expect(runCli(['lint', 'm.sql', '--format', 'github'], { cwd: root })).toMatchObject({ status: 0, stdout: '' });
  });
});

describe('--format gitlab', () => {
  it('writes a Code Quality report: description, check_name, fingerprint, severity, location', () => {
    const root = project({
      'supabase/migrations/20240101000000_a.sql': UNSAFE_INDEX,
      'supabase/migrations/20240102000000_b.sql': UNSAFE_INDEX,
      'supabase/migrations/rollback/20240101000000_a_down.sql': 'DROP INDEX CONCURRENTLY idx_agents_status;\n',
      'supabase/migrations/rollback/20240102000000_b_down.sql': 'DROP INDEX CONCURRENTLY idx_agents_status;\n',
    });
    const result = runCli(['lint', 'supabase/migrations', '--format', 'gitlab'], { cwd: root });
    const issues = JSON.parse(result.stdout) as { description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } }[];
    expect(issues).toEqual([
      {
        description: expect.stringContaining('takes a SHARE lock') as string,
        check_name: 'require-concurrent-index',
        fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
        severity: 'critical',
        location: { path: 'supabase/migrations/20240101000000_a.sql', lines: { begin: 1 } },
      },
      expect.objectContaining({ check_name: 'require-concurrent-index', location: { path: 'supabase/migrations/20240102000000_b.sql', lines: { begin: 1 } } }),
    ]);
    // The same statement in two files: still two issues.
    expect(issues[0]?.fingerprint).not.toBe(issues[1]?.fingerprint);
    writeFileSync(join(root, 'supabase/migrations/20240101000000_a.sql'), `-- moved down a line\n${UNSAFE_INDEX}`);
    const moved = JSON.parse(runCli(['lint', 'supabase/migrations', '--format', 'gitlab'], { cwd: root }).stdout) as typeof issues;
    expect(moved.map((issue) => issue.fingerprint)).toEqual(issues.map((issue) => issue.fingerprint));
    expect(moved[0]?.location.lines.begin).toBe(2);
  });

  it('maps warnings to minor, and an empty run to an empty array', () => {
    const root = project({ 'supabase/migrations/20240101000000_a.sql': 'SELECT 1;\n', 'clean.sql': 'SELECT 1;\n', '.migrate-saferc.json': JSON.stringify({ rules: { 'missing-rollback': ['warn', { require: true }] } }) });
    const [issue] = JSON.parse(runCli(['lint', 'supabase/migrations', '--format', 'gitlab'], { cwd: root }).stdout) as { check_name: string; severity: string }[];
    expect(issue).toMatchObject({ check_name: 'missing-rollback', severity: 'minor' });
    expect(runCli(['lint', 'clean.sql', '--format', 'gitlab'], { cwd: root }).stdout).toBe('[]\n');
  });
});

describe('several reports from one run', () => {
  it('writes text to the terminal and SARIF and JSON to files, linting once', () => {
    // A plugin rule that counts how often each file is linted.
    const root = projectWithPlugin(
      {
        id: 'test/count-runs',
        severity: 'warn',
        imports: ["import { appendFileSync } from 'node:fs';"],
        create: "(context) => ({ File() { appendFileSync(new URL('./runs.log', import.meta.url), `${context.file.path}\\n`); } })",
      },
      { 'm.sql': UNSAFE_INDEX },
    );
    const result = runCli(['lint', 'm.sql', '-f', 'text', '--format', 'sarif=out/report.sarif', '-f', 'json=report.json'], { cwd: root });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('1:1  error  require-concurrent-index');
    expect(readFileSync(join(root, 'runs.log'), 'utf8')).toBe(`${join(root, 'm.sql')}\n`);
    const sarif = JSON.parse(readFileSync(join(root, 'out/report.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]?.results.map((each) => each.ruleId)).toEqual(['require-concurrent-index']);
    expect(jsonReport({ status: 1, stdout: readFileSync(join(root, 'report.json'), 'utf8'), stderr: '' }).summary.errors).toBe(1);
  });

  it('sends --output-file to the one format without a file of its own, and refuses ambiguity', () => {
    const root = project({ 'm.sql': UNSAFE_INDEX });
    const both = runCli(['lint', 'm.sql', '-f', 'json', '-f', 'gitlab=quality.json', '-o', 'report.json'], { cwd: root });
    expect(both.stdout).toBe('');
    expect(JSON.parse(readFileSync(join(root, 'report.json'), 'utf8'))).toHaveProperty('summary');
    expect(JSON.parse(readFileSync(join(root, 'quality.json'), 'utf8'))).toHaveLength(1);
    for (const [args, message] of [
      [['-f', 'text', '-f', 'json', '-o', 'r.txt'], 'migrate-safe: --output-file can take one report: give each format its own file with --format <format>=<path>\n'],
      [['-f', 'json=r.json', '-f', 'sarif=r.json'], `migrate-safe: two reports would be written to ${join(root, 'r.json')}\n`],
      [['-f', 'sarif='], `migrate-safe: option '-f, --format <format[=path]>' argument 'sarif=' is invalid. expected a file after "sarif="\n`],
    ] as const) {
      const result = runCli(['lint', 'm.sql', ...args], { cwd: root });
      expect(result.stderr, args.join(' ')).toBe(message);
      expect(result.status, args.join(' ')).toBe(2);
    }
  });

  it('prints text and GitHub annotations to standard output one after the other', () => {
    const root = project({ 'm.sql': UNSAFE_INDEX });
    const { stdout } = runCli(['lint', 'm.sql', '-f', 'text', '-f', 'github'], { cwd: root });
    expect(stdout).toMatch(/^m\.sql\n {2}1:1 {2}error/);
    expect(stdout).toMatch(/✖ 1 problem \(1 error, 0 warnings\) in 1 file\n::error file=m\.sql,line=1,col=1,endLine=1,endColumn=50,title=require-concurrent-index::/);
  });
});

describe('the lock line of a finding', () => {
  it('explains an older version by its own note, not by the newer behaviour it contradicts', () => {
    const root = project({ 'm.sql': "ALTER TABLE agents ADD COLUMN region text NOT NULL DEFAULT 'eu';\n" });
    const old = runCli(['lint', 'm.sql', '--pg-version', '10'], { cwd: root });
    expect(old.stdout).toContain('; before PostgreSQL 11 any default rewrote the table');
    expect(old.stdout).not.toContain('stored once in the catalog');
  });
});
