import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, jsonReport, project, runCli } from './support/cli.js';
import { commitAll, git, gitEnv, repository } from './support/git.js';

const MIGRATIONS = 'db/migrations';
const CREATE = 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\nCREATE TABLE old_table (id bigint);\n';
const UNSAFE_INDEX = 'CREATE INDEX idx_agents_status ON agents (status);\n';
const SAFE_INDEX = 'CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);\n';

function lint(root: string, ...args: string[]): CliResult {
  return runCli(['lint', MIGRATIONS, '--format', 'json', ...args], { cwd: root, env: gitEnv() });
}

function reported(result: CliResult): string[] {
  return jsonReport(result).findings.map((finding) => `${finding.ruleId} ${finding.file}:${finding.line}`);
}

/** main holds migrations 1 and 2 (2 has an unsafe index that already ran); the branch `feature` starts there. */
function pullRequest(): string {
  const root = repository({ [`${MIGRATIONS}/1_create.sql`]: CREATE, [`${MIGRATIONS}/2_index.sql`]: UNSAFE_INDEX });
  git(root, 'checkout', '-q', '-b', 'feature');
  return root;
}

describe('--since <ref>', () => {
  it('reports only on migrations added or modified since the merge base, reading the whole history for context', () => {
    const root = pullRequest();
    // Drop the table an earlier deploy deprecated: judged with the history, it is the safe path.
    writeFileSync(join(root, MIGRATIONS, '3_deprecate.sql'), 'ALTER TABLE old_table RENAME TO old_table_deprecated;\n');
    commitAll(root, 'deprecate old_table');
    git(root, 'branch', '-f', 'main');
    writeFileSync(join(root, MIGRATIONS, '4_drop.sql'), 'DROP TABLE old_table_deprecated;\n');
    writeFileSync(join(root, MIGRATIONS, '5_index.sql'), 'CREATE INDEX idx_agents_id ON agents (id);\n');
    commitAll(root, 'feature migrations');
    expect(reported(lint(root))).toContain(`require-concurrent-index ${MIGRATIONS}/2_index.sql:1`);
    const result = lint(root, '--since', 'main');
    expect(reported(result)).toEqual([`require-concurrent-index ${MIGRATIONS}/5_index.sql:1`]);
    expect(jsonReport(result).summary.files).toBe(2);
    expect(result.status).toBe(1);
  });

  it('counts uncommitted and untracked files as changed, and ignores what the base branch did after the branch point', () => {
    const root = pullRequest();
    git(root, 'checkout', '-q', 'main');
    writeFileSync(join(root, MIGRATIONS, '1_create.sql'), `${CREATE}-- main edits it after the branch point\n`);
    commitAll(root, 'main moves on');
    git(root, 'checkout', '-q', 'feature');
    writeFileSync(join(root, MIGRATIONS, '3_index.sql'), UNSAFE_INDEX.replace('idx_agents_status', 'idx_agents_id').replace('(status)', '(id)'));
    // Compared with main's tip, 1_create.sql would look modified; compared with the merge base it is not.
    expect(reported(lint(root, '--since', 'main'))).toEqual([`require-concurrent-index ${MIGRATIONS}/3_index.sql:1`]);
  });

  it('with nothing changed reports nothing and exits 0; an empty ref lints everything', () => {
    const root = pullRequest();
    const result = lint(root, '--since', 'main');
    expect(jsonReport(result).findings).toEqual([]);
    expect(result.status).toBe(0);
    expect(reported(lint(root, '--since', ''))).toEqual([`require-concurrent-index ${MIGRATIONS}/2_index.sql:1`]);
  });

  it('accepts a commit id, and a ref that starts the way an option does is taken as a ref', () => {
    const root = pullRequest();
    const base = git(root, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(root, MIGRATIONS, '3_index.sql'), SAFE_INDEX);
    expect(lint(root, '--since', base).status).toBe(0);
    const dashed = runCli(['lint', MIGRATIONS, '--since=--output=x'], { cwd: root, env: gitEnv() });
    expect(dashed.stderr).toBe('migrate-safe: --since --output=x: no commit "--output=x" in this repository (in CI, fetch it: a shallow checkout has only the last commit)\n');
  });

  it('is a usage error (exit 2, one line) for an unknown ref or outside a git repository', () => {
    const root = pullRequest();
    const unknown = lint(root, '--since', 'origin/nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('migrate-safe: --since origin/nope: no commit "origin/nope" in this repository (in CI, fetch it: a shallow checkout has only the last commit)\n');
    const plain = project({ [`${MIGRATIONS}/1_create.sql`]: CREATE });
    const outside = lint(plain, '--since', 'main');
    expect(outside.status).toBe(2);
    expect(outside.stderr).toBe(`migrate-safe: --since main needs a git repository, and ${join(plain, MIGRATIONS)} is not in one\n`);
  });

  it('compares the repository of the linted paths, not the one of the working folder', () => {
    const root = pullRequest();
    writeFileSync(join(root, MIGRATIONS, '3_index.sql'), UNSAFE_INDEX.replace('idx_agents_status', 'idx_agents_id').replace('(status)', '(id)'));
    const expected = [`require-concurrent-index ${join(root, MIGRATIONS, '3_index.sql')}`];
    const absolute = (result: CliResult): string[] => jsonReport(result).findings.map((finding) => `${finding.ruleId} ${join(outside, finding.file)}`);
    // A folder outside any repository, and then another repository whose main knows nothing of these files.
    const outside = project({ 'notes.txt': 'not a repository\n' });
    const since = (cwd: string, ...inputs: string[]): CliResult => runCli(['lint', ...inputs, '--since', 'main', '--format', 'json'], { cwd, env: gitEnv() });
    expect(absolute(since(outside, join(root, MIGRATIONS)))).toEqual(expected);
    expect(absolute(since(outside, `${join(root, MIGRATIONS)}/*.sql`))).toEqual(expected);
    expect(absolute(since(outside, join(root, MIGRATIONS, '3_index.sql')))).toEqual(expected);
    const other = repository({ 'README.md': 'another project\n' });
    const fromOther = since(other, join(root, MIGRATIONS));
    expect(jsonReport(fromOther).findings.map((finding) => `${finding.ruleId} ${join(other, finding.file)}`)).toEqual(expected);
    git(root, 'add', '-A');
    const staged = runCli(['lint', join(root, MIGRATIONS), '--staged', '--format', 'json'], { cwd: outside, env: gitEnv() });
    expect(absolute(staged)).toEqual(expected);
  });

  it('compares each repository with its own merge base when the paths sit in several', () => {
    const first = pullRequest();
    const second = pullRequest();
    writeFileSync(join(first, MIGRATIONS, '3_index.sql'), UNSAFE_INDEX.replace('idx_agents_status', 'idx_first').replace('(status)', '(id)'));
    writeFileSync(join(second, MIGRATIONS, '3_index.sql'), UNSAFE_INDEX.replace('idx_agents_status', 'idx_second').replace('(status)', '(id)'));
    const outside = project({});
    const result = runCli(['lint', join(first, MIGRATIONS), join(second, MIGRATIONS), '--since', 'main', '--format', 'json'], { cwd: outside, env: gitEnv() });
    expect(jsonReport(result).findings.map((finding) => join(outside, finding.file)).sort()).toEqual([join(first, MIGRATIONS, '3_index.sql'), join(second, MIGRATIONS, '3_index.sql')].sort());
  });

  it('works from a subfolder of the repository', () => {
    const root = pullRequest();
    writeFileSync(join(root, MIGRATIONS, '3_index.sql'), UNSAFE_INDEX);
    const result = runCli(['lint', 'migrations', '--since', 'main', '--format', 'json'], { cwd: join(root, 'db'), env: gitEnv() });
    expect(reported(result)).toEqual(['require-concurrent-index migrations/3_index.sql:1']);
  });
});

describe('--since: what the branch creates is new', () => {
  it('operations on tables and columns created by migrations the base does not have are no lock or breaking-change hazards', () => {
    const root = pullRequest();
    writeFileSync(join(root, MIGRATIONS, '3_reports.sql'), 'CREATE TABLE reports (id bigint PRIMARY KEY, body text);\n');
    writeFileSync(
      join(root, MIGRATIONS, '4_reports_author.sql'),
      [
        'ALTER TABLE reports ADD COLUMN author bigint NOT NULL;',
        'CREATE INDEX reports_author_idx ON reports (author);',
        'ALTER TABLE reports RENAME COLUMN body TO text;',
        'ALTER TABLE agents ADD COLUMN team bigint;',
        '',
      ].join('\n'),
    );
    writeFileSync(join(root, MIGRATIONS, '5_agents_team.sql'), 'ALTER TABLE agents RENAME COLUMN team TO team_id;\nCREATE INDEX agents_status_idx2 ON agents (status);\n');
    commitAll(root, 'feature migrations');
    // Without --since every table is one that may have served traffic.
    expect(reported(lint(root)).filter((finding) => !finding.includes('2_index'))).toEqual([
      `not-null-column-without-default ${MIGRATIONS}/4_reports_author.sql:1`,
      `require-concurrent-index ${MIGRATIONS}/4_reports_author.sql:2`,
      `rename-column ${MIGRATIONS}/4_reports_author.sql:3`,
      `rename-column ${MIGRATIONS}/5_agents_team.sql:1`,
      `require-concurrent-index ${MIGRATIONS}/5_agents_team.sql:2`,
    ]);
    // agents is in main; reports, and agents.team, come with the branch.
    expect(reported(lint(root, '--since', 'main'))).toEqual([`require-concurrent-index ${MIGRATIONS}/5_agents_team.sql:2`]);
    // The persistent cache keeps findings by what was never deployed too: a run without --since does not answer for one with it.
    expect(reported(lint(root, '--cache')).length).toBeGreaterThan(1);
    expect(reported(lint(root, '--since', 'main', '--cache'))).toEqual([`require-concurrent-index ${MIGRATIONS}/5_agents_team.sql:2`]);
  });

  it('a table renamed for deprecation and dropped on the same branch went through no deploy', () => {
    const root = pullRequest();
    writeFileSync(join(root, MIGRATIONS, '3_deprecate.sql'), 'ALTER TABLE old_table RENAME TO old_table_deprecated;\n');
    writeFileSync(join(root, MIGRATIONS, '4_drop.sql'), 'DROP TABLE old_table_deprecated;\n');
    const findings = jsonReport(lint(root, '--since', 'main')).findings;
    expect(findings.map((finding) => `${finding.ruleId} ${finding.file}:${finding.line}`)).toEqual([`drop-table-without-deprecation ${MIGRATIONS}/4_drop.sql:1`]);
    expect(findings[0]?.message).toContain('in the same deploy that renamed old_table to it (migration 3_deprecate)');
  });
});

describe('modified-applied-migration', () => {
  it('reports a migration that existed at the base and was edited, at its first changed line', () => {
    const root = pullRequest();
    // A user's configuration must not change what migrate-safe reads from git.
    git(root, 'config', 'color.ui', 'always');
    writeFileSync(join(root, MIGRATIONS, '1_create.sql'), `${CREATE}ALTER TABLE agents ADD COLUMN nickname text;\n`);
    const result = lint(root, '--since', 'main');
    const findings = jsonReport(result).findings;
    expect(findings.map((finding) => `${finding.ruleId} ${finding.file}:${finding.line}`)).toEqual([`modified-applied-migration ${MIGRATIONS}/1_create.sql:3`]);
    expect(findings[0]?.severity).toBe('warning');
    expect(findings[0]?.message).toContain('existed at main and was modified');
    expect(result.status).toBe(0);
  });

  it('is quiet for added migrations, edited rollbacks, --staged alone and a run without --since', () => {
    const root = repository({
      'supabase/migrations/20240101000000_create.sql': CREATE,
      'supabase/migrations/rollback/20240101000000_create_down.sql': 'DROP TABLE agents;\n',
    });
    git(root, 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(root, 'supabase/migrations/rollback/20240101000000_create_down.sql'), 'DROP TABLE old_table;\nDROP TABLE agents;\n');
    writeFileSync(join(root, 'supabase/migrations/20240101000000_create.sql'), `${CREATE}-- reviewed\n`);
    git(root, 'add', '-A');
    const modified = (...args: string[]): string[] =>
      jsonReport(runCli(['lint', 'supabase/migrations', '--format', 'json', ...args], { cwd: root, env: gitEnv() }))
        .findings.filter((finding) => finding.ruleId === 'modified-applied-migration')
        .map((finding) => finding.file);
    expect(modified('--since', 'main')).toEqual(['supabase/migrations/20240101000000_create.sql']);
    expect(modified('--staged')).toEqual([]);
    expect(modified()).toEqual([]);
  });
});

describe('--staged', () => {
  it('lints what is staged, not the working copy, and reports only files with staged changes', () => {
    const root = pullRequest();
    writeFileSync(join(root, MIGRATIONS, '3_index.sql'), SAFE_INDEX.replace('idx_agents_status', 'idx_agents_id').replace('(status)', '(id)'));
    git(root, 'add', '-A');
    // The working copy turns unsafe after staging: the commit would still hold the safe version.
    writeFileSync(join(root, MIGRATIONS, '3_index.sql'), 'CREATE INDEX idx_agents_id ON agents (id);\n');
    writeFileSync(join(root, MIGRATIONS, '4_index.sql'), UNSAFE_INDEX);
    const staged = lint(root, '--staged');
    expect(jsonReport(staged).findings).toEqual([]);
    expect(jsonReport(staged).summary.files).toBe(1);
    expect(staged.status).toBe(0);
    git(root, 'add', '-A');
    expect(reported(lint(root, '--staged'))).toEqual([`require-concurrent-index ${MIGRATIONS}/3_index.sql:1`, `require-concurrent-index ${MIGRATIONS}/4_index.sql:1`]);
  });

  it('reads the history from the index too', () => {
    const root = repository({ [`${MIGRATIONS}/1_create.sql`]: CREATE, [`${MIGRATIONS}/2_deprecate.sql`]: 'ALTER TABLE old_table RENAME TO old_table_deprecated;\n' });
    writeFileSync(join(root, MIGRATIONS, '3_drop.sql'), 'DROP TABLE old_table_deprecated;\n');
    git(root, 'add', '-A');
    // Unstaged: the deprecation is gone from the working copy, but the commit keeps it.
    rmSync(join(root, MIGRATIONS, '2_deprecate.sql'));
    expect(reported(lint(root))).toEqual([`drop-table-without-deprecation ${MIGRATIONS}/3_drop.sql:1`]);
    expect(reported(lint(root, '--staged'))).toEqual([]);
  });

  it('works before the first commit, and refuses standard input', () => {
    const root = project({
      [`${MIGRATIONS}/1_create.sql`]: CREATE,
      [`${MIGRATIONS}/2_index.sql`]: UNSAFE_INDEX,
      [`${MIGRATIONS}/3_teams.sql`]: 'CREATE INDEX idx_teams_id ON teams (id);\n',
    });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    // Nothing was ever committed, so nothing was deployed: agents is new, teams (created elsewhere) is not.
    expect(reported(lint(root, '--staged'))).toEqual([`require-concurrent-index ${MIGRATIONS}/3_teams.sql:1`]);
    const stdin = runCli(['lint', '-', '--staged'], { cwd: root, env: gitEnv(), input: UNSAFE_INDEX });
    expect(stdin.status).toBe(2);
    expect(stdin.stderr).toBe('migrate-safe: --staged reports on files as git has them: it cannot lint standard input\n');
  });
});
