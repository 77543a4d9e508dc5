import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonReport, project, runCli } from './support/cli.js';
import { commitAll, git, gitEnv, repository } from './support/git.js';

/** A statement `--fix` changes when it runs alone: CREATE INDEX gets CONCURRENTLY. */
const FIXABLE = 'CREATE INDEX idx_agents_status ON agents (status);\n';
const FIXED = 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n';

/** `--fix` changes the bytes of its edits and nothing else (issue 14, items 1, 3, 4 and 5). */
describe('lint --fix writes', () => {
  it('no file that is not valid UTF-8: it stays byte for byte, and the message says why; the other files are fixed', () => {
    // A Latin-1 comment and value: 'été' as single bytes.
    const latin1 = Buffer.concat([Buffer.from('-- r'), Buffer.from([0xe9]), Buffer.from('sum\n'), Buffer.from(FIXABLE), Buffer.from("INSERT INTO t VALUES ('"), Buffer.from([0xe9, 0x74, 0xe9]), Buffer.from("');\n")]);
    const root = project({ 'migrations/2_utf8.sql': FIXABLE });
    writeFileSync(join(root, 'migrations/1_latin1.sql'), latin1);
    const result = runCli(['lint', '--fix', 'migrations', '--format', 'json'], { cwd: root });
    expect(readFileSync(join(root, 'migrations/1_latin1.sql')).equals(latin1)).toBe(true);
    expect(readFileSync(join(root, 'migrations/2_utf8.sql'), 'utf8')).toBe(FIXED);
    expect(result.stderr).toContain('not fixed: migrations/1_latin1.sql: it is not valid UTF-8 (line 1)');
    expect(result.stderr).toContain('fixed migrations/2_utf8.sql');
  });

  it('nothing through a symbolic link out of the project: the link is reported, its target untouched', () => {
    const outside = mkdtempSync(join(tmpdir(), 'migrate-safe-outside-'));
    writeFileSync(join(outside, 'shared.sql'), FIXABLE);
    const root = project({ 'package.json': '{}', 'migrations/2_own.sql': FIXABLE });
    symlinkSync(join(outside, 'shared.sql'), join(root, 'migrations/1_linked.sql'));
    const result = runCli(['lint', '--fix', 'migrations'], { cwd: root });
    expect(readFileSync(join(outside, 'shared.sql'), 'utf8')).toBe(FIXABLE);
    expect(readFileSync(join(root, 'migrations/2_own.sql'), 'utf8')).toBe(FIXED);
    expect(result.stderr).toMatch(/not fixed: migrations\/1_linked\.sql: it leads to .*shared\.sql, outside the project/);
  });

  it('through a link inside the project to the file it names, and keeps the link, the mode and the line endings', () => {
    const root = project({ 'package.json': '{}', 'sql/real.sql': FIXABLE.replace('\n', '\r\n') });
    mkdirSync(join(root, 'migrations'));
    symlinkSync(join(root, 'sql/real.sql'), join(root, 'migrations/1_link.sql'));
    chmodSync(join(root, 'sql/real.sql'), 0o640);
    const inode = statSync(join(root, 'sql/real.sql')).ino;
    runCli(['lint', '--fix', 'migrations'], { cwd: root });
    expect(lstatSync(join(root, 'migrations/1_link.sql')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, 'sql/real.sql'), 'utf8')).toBe(FIXED.replace('\n', '\r\n'));
    const after = statSync(join(root, 'sql/real.sql'));
    expect(after.mode & 0o777).toBe(0o640);
    // Written to a new file renamed over the old one: a reader never sees half a file.
    expect(after.ino).not.toBe(inode);
  });

  it('every file it can when one cannot be written, reports that one, prints the report, and exits 2', () => {
    // A plugin rule that edits the first file on disk while the run lints it, as an editor or another --fix would.
    const root = project({
      '.migrate-saferc.json': JSON.stringify({ plugins: ['./touch.mjs'] }),
      'touch.mjs': `import { appendFileSync } from 'node:fs';\nlet done = false;\nexport const rules = [{ id: 'touch', meta: { description: 'd', severity: 'warn', preset: 'recommended', category: 'style', hazard: 'h', bad: 'b', good: 'g' }, create(context) { return { File(file) { if (!done && file.path.endsWith('1_a.sql')) { done = true; appendFileSync(file.path, '-- edited meanwhile\\n'); } } }; } }];\n`,
      'migrations/1_a.sql': FIXABLE,
      'migrations/2_b.sql': FIXABLE,
    });
    const result = runCli(['lint', '--fix', 'migrations', '--format', 'json'], { cwd: root });
    expect(readFileSync(join(root, 'migrations/1_a.sql'), 'utf8')).toBe(`${FIXABLE}-- edited meanwhile\n`);
    expect(readFileSync(join(root, 'migrations/2_b.sql'), 'utf8')).toBe(FIXED);
    expect(result.stderr).toContain('cannot write the fixes of migrations/1_a.sql: it changed on disk while --fix ran');
    expect(jsonReport(result).summary.files).toBe(2);
    expect(result.status).toBe(2);
  });

  it('a byte order mark back where it was, and reports columns after it', () => {
    const root = project({ 'migrations/1_bom.sql': `\uFEFF${FIXABLE}`, 'migrations/2_bom.sql': '\uFEFFALTER TABLE agents RENAME COLUMN a TO b;\n' });
    const result = runCli(['lint', '--fix', 'migrations', '--format', 'json'], { cwd: root });
    expect(readFileSync(join(root, 'migrations/1_bom.sql'), 'utf8')).toBe(`\uFEFF${FIXED}`);
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line, finding.column])).toEqual([['rename-column', 1, 1]]);
  });
});

/** Issue 17: `--fix` rewrote migrations already committed on main, and said nothing. */
describe('lint --fix and migrations already applied', () => {
  function history(): string {
    const root = repository({ 'migrations/1_applied.sql': FIXABLE });
    git(root, 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(root, 'migrations/2_new.sql'), FIXABLE);
    commitAll(root, 'feature');
    writeFileSync(join(root, 'migrations/3_uncommitted.sql'), FIXABLE);
    return root;
  }

  it('leaves a migration committed on the default branch alone, fixes the others, and lists every file', () => {
    const root = history();
    const result = runCli(['lint', '--fix', 'migrations'], { cwd: root, env: gitEnv() });
    expect(readFileSync(join(root, 'migrations/1_applied.sql'), 'utf8')).toBe(FIXABLE);
    expect(readFileSync(join(root, 'migrations/2_new.sql'), 'utf8')).toBe(FIXED);
    expect(readFileSync(join(root, 'migrations/3_uncommitted.sql'), 'utf8')).toBe(FIXED);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toEqual([
      'migrate-safe: fixed migrations/2_new.sql',
      'migrate-safe: fixed migrations/3_uncommitted.sql',
      'migrate-safe: not fixed: migrations/1_applied.sql: already applied (it is committed on main): --fix-applied fixes it anyway',
    ]);
    // What is left is reported: the applied migration's finding.
    expect(result.stdout).toContain('1_applied.sql');
  });

  it('fixes applied migrations too with --fix-applied', () => {
    const root = history();
    runCli(['lint', '--fix', '--fix-applied', 'migrations'], { cwd: root, env: gitEnv() });
    expect(readFileSync(join(root, 'migrations/1_applied.sql'), 'utf8')).toBe(FIXED);
  });

  it('with --since, counts the files of the base as applied', () => {
    const root = history();
    writeFileSync(join(root, 'migrations/1_applied.sql'), `${FIXABLE}-- edited on the branch\n`);
    const result = runCli(['lint', '--fix', '--since', 'main', 'migrations'], { cwd: root, env: gitEnv() });
    expect(readFileSync(join(root, 'migrations/1_applied.sql'), 'utf8')).toBe(`${FIXABLE}-- edited on the branch\n`);
    expect(readFileSync(join(root, 'migrations/2_new.sql'), 'utf8')).toBe(FIXED);
    expect(result.stderr).toContain('not fixed: migrations/1_applied.sql: already applied (it is in the base of --since main)');
  });
});
