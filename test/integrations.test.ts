import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPOSITORY } from './support/cli.js';
import { commitAll, git, gitEnv, repository, snapshotOfThisRepository } from './support/git.js';
import { linkPackages } from './support/packages.js';
import { releasedRepository } from './support/release.js';

interface Step {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  'working-directory'?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const ACTION = parse(readFileSync(join(REPOSITORY, 'action.yml'), 'utf8')) as Action;
const CI_DOCS = readFileSync(join(REPOSITORY, 'docs', 'ci.md'), 'utf8');
const EXAMPLES = join(REPOSITORY, 'examples', 'supabase');

/** What a composite step's expressions can name here: inputs, github.*, and earlier steps' outputs. */
interface Context {
  readonly inputs: Readonly<Record<string, string>>;
  readonly github: Readonly<Record<string, string>>;
  readonly steps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The value of a context path such as `inputs.fail-level` or `steps.lint.outputs.exit-code`; anything else is not emulated. */
function lookup(path: string, context: Context): string {
  const inputs = /^inputs\.([\w-]+)$/.exec(path);
  if (inputs?.[1] !== undefined) return context.inputs[inputs[1]] ?? '';
  const github = /^github\.([\w.]+)$/.exec(path);
  if (github?.[1] !== undefined) return context.github[github[1]] ?? '';
  const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path);
  if (output?.[1] !== undefined && output[2] !== undefined) return context.steps[output[1]]?.[output[2]] ?? '';
  throw new Error(`expression not emulated by this test: ${path}`);
}

/** `${{ path }}` substitutions, as the runner makes them in env, with and working-directory. */
function substitute(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, path: string) => lookup(path, context));
}

/** An `if:` made of `path == 'literal'` and `path != 'literal'` joined by `&&`, the only forms the action uses. */
function condition(expression: string, context: Context): boolean {
  return expression.split('&&').every((part) => {
    const match = /^\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*$/.exec(part);
    if (!match?.[1] || !match[2] || match[3] === undefined) throw new Error(`condition not emulated by this test: ${part}`);
    return (lookup(match[1], context) === match[3]) === (match[2] === '==');
  });
}

interface StepRun {
  readonly status: number | null;
  readonly output: string;
  readonly outputs: Record<string, string>;
}

/** Runs a `run:` step with bash as the runner does: its env, GITHUB_ACTION_PATH and GITHUB_OUTPUT. */
function runStep(step: Step, cwd: string, actionPath: string, context: Context): StepRun {
  if (step.run === undefined || step.shell !== 'bash') throw new Error(`${step.name}: not a bash step`);
  const outputFile = join(mkdtempSync(join(tmpdir(), 'migrate-safe-output-')), 'output');
  writeFileSync(outputFile, '');
  const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([key, value]) => [key, substitute(value, context)]));
  const workingDirectory = step['working-directory'] === undefined ? cwd : substitute(step['working-directory'], context);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', step.run], {
    cwd: workingDirectory,
    env: gitEnv({ ...env, GITHUB_ACTION_PATH: actionPath, GITHUB_OUTPUT: outputFile, npm_config_prefer_offline: 'true' }),
    encoding: 'utf8',
  });
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { status: result.status, output: result.stdout + result.stderr, outputs };
}

function step(name: string): Step {
  const found = ACTION.runs.steps.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`action.yml has no step "${name}"`);
  return found;
}

/** The inputs table of docs/ci.md's GitHub Action section: name → default. */
function documentedInputs(): Map<string, string> {
  const section = CI_DOCS.slice(CI_DOCS.indexOf('<!-- action-inputs:start -->'), CI_DOCS.indexOf('<!-- action-inputs:end -->'));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return new Map(
    rows.map((row) => {
      const [name = '', fallback = ''] = row.split('|').slice(1, 3).map((cell) => cell.trim());
      return [name.replaceAll('`', ''), fallback.replace(/^`(.*)`$/, '$1')];
    }),
  );
}

describe('action.yml', () => {
  it('is a composite action whose inputs are the ones docs/ci.md documents, with the same defaults', () => {
    expect(ACTION.runs.using).toBe('composite');
    const documented = documentedInputs();
    expect([...documented.keys()]).toEqual(Object.keys(ACTION.inputs));
    for (const [name, input] of Object.entries(ACTION.inputs)) {
      expect(input.description, name).not.toBe('');
      expect(documented.get(name), name).toBe(input.default === '' ? '' : input.default);
    }
  });

  it('stops with one line when used from a branch, which has no built CLI', () => {
    const source = snapshotOfThisRepository();
    const install = runStep(step('Install migrate-safe'), REPOSITORY, source, { inputs: {}, github: { action_path: source, action_ref: 'main' }, steps: {} });
    expect(install.status).toBe(2);
    expect(install.output).toBe('::error title=migrate-safe::migrate-safe@main is not a release and has no built CLI: use a release tag, such as migrate-safe/migrate-safe@v1\n');
  });

  describe('run locally against the bundled examples, as a pull request adding migrations', () => {
    let actionPath = '';
    let pullRequest = '';
    let base = '';

    beforeAll(() => {
      // The action's own checkout, as `uses: migrate-safe/migrate-safe@v1` gets it: the release tag
      // made by `npm run release`, installed by the action's first step.
      const { root, release } = releasedRepository();
      actionPath = mkdtempSync(join(tmpdir(), 'migrate-safe-action-'));
      git(actionPath, 'clone', '-q', '--branch', release.majorTag, root, '.');
      const install = runStep(step('Install migrate-safe'), REPOSITORY, actionPath, { inputs: {}, github: { action_path: actionPath, action_ref: release.majorTag }, steps: {} });
      expect(install.status, install.output).toBe(0);
      // Only the production dependencies: TypeScript is not there, and nothing was built.
      expect(existsSync(join(actionPath, 'node_modules', 'libpg-query'))).toBe(true);
      expect(existsSync(join(actionPath, 'node_modules', 'typescript'))).toBe(false);
      // main has the first three migrations; the pull request adds the rest.
      pullRequest = repository({});
      cpSync(EXAMPLES, join(pullRequest, 'supabase'), { recursive: true, filter: (path) => !/2024010[4-9]|202401[1-9]/.test(path) });
      commitAll(pullRequest, 'first migrations');
      base = git(pullRequest, 'rev-parse', 'HEAD').trim();
      git(pullRequest, 'checkout', '-q', '-b', 'feature');
      cpSync(EXAMPLES, join(pullRequest, 'supabase'), { recursive: true });
      commitAll(pullRequest, 'more migrations');
    }, 300_000);

    /** The inputs as the runner sees them: the action's defaults, then the workflow's `with`. */
    function lint(given: Record<string, string>): { lint: StepRun; context: Context } {
      const github = { action_path: actionPath, 'event.pull_request.base.sha': base };
      const defaults = Object.fromEntries(Object.entries(ACTION.inputs).map(([name, input]) => [name, substitute(input.default ?? '', { inputs: {}, github, steps: {} })]));
      const inputs = { ...defaults, ...given };
      const run = runStep(step('Lint migrations'), pullRequest, actionPath, { inputs, github, steps: {} });
      return { lint: run, context: { inputs, github, steps: { lint: run.outputs } } };
    }

    it('lints only the migrations the pull request adds, writes SARIF for the upload step, and fails on errors', () => {
      const { lint: run, context } = lint({ paths: 'supabase/migrations' });
      expect(run.outputs['exit-code']).toBe('1');
      expect(run.output).toContain('rename-column');
      const upload = step('Upload SARIF to code scanning');
      expect(upload.uses).toMatch(/^github\/codeql-action\/upload-sarif@/);
      expect(condition(upload.if ?? '', context)).toBe(true);
      const sarifFile = substitute(upload.with?.sarif_file ?? '', context);
      const sarif = JSON.parse(readFileSync(join(pullRequest, sarifFile), 'utf8')) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
      const files = new Set(sarif.runs[0]?.results.map((result) => result.locations[0]?.physicalLocation.artifactLocation.uri));
      // The pull request deprecates old_table and drops it: one deploy, so the drop is reported too.
      expect([...files].sort()).toEqual(['supabase/migrations/20240104000000_rename_old_name.sql', 'supabase/migrations/20240112000000_drop_old_table.sql']);
      expect(runStep(step('Fail on findings'), pullRequest, actionPath, context).status).toBe(1);
    });

    it('keeps the job green with fail-level none, fails on warnings with fail-level warning, and can annotate', () => {
      const none = lint({ 'fail-level': 'none', since: '' });
      expect(none.lint.outputs['exit-code']).toBe('1');
      expect(runStep(step('Fail on findings'), pullRequest, actionPath, none.context).status).toBe(0);
      // Only a warning left: the missing rollback of 20240103000000_add_new_field.sql.
      writeFileSync(join(pullRequest, 'warnings-only.json'), JSON.stringify({ rules: { 'not-null-column-without-default': 'off' } }));
      const only = { paths: 'supabase/migrations/20240103000000_add_new_field.sql', config: 'warnings-only.json', since: '' };
      const error = lint(only);
      expect(error.lint.outputs['exit-code']).toBe('0');
      const warnings = lint({ ...only, 'fail-level': 'warning', annotations: 'true' });
      expect(warnings.lint.output).toMatch(/^::warning file=supabase\/migrations\/20240103000000_add_new_field\.sql,line=1,.*title=missing-rollback::/m);
      expect(runStep(step('Fail on findings'), pullRequest, actionPath, warnings.context).status).toBe(1);
      const skipped = lint({ 'upload-sarif': 'false' });
      expect(condition(step('Upload SARIF to code scanning').if ?? '', skipped.context)).toBe(false);
    });

    it('refuses a fail-level it does not know, and a missing base commit, without a report to upload', () => {
      const unknown = lint({ 'fail-level': 'sometimes' });
      expect(unknown.lint.status).toBe(2);
      expect(unknown.lint.output).toContain('::error title=migrate-safe::fail-level is error, warning or none, not "sometimes"');
      const shallow = lint({ since: '0123456789abcdef0123456789abcdef01234567' });
      expect(shallow.lint.outputs).toEqual({ 'exit-code': '2' });
      expect(shallow.lint.output).toContain('no commit "0123456789abcdef0123456789abcdef01234567" in this repository');
      expect(condition(step('Upload SARIF to code scanning').if ?? '', shallow.context)).toBe(false);
      expect(runStep(step('Fail on findings'), pullRequest, actionPath, shallow.context).status).toBe(2);
    });
  });
});

describe('examples/github/migrate-safe.yml', () => {
  const workflow = parse(readFileSync(join(REPOSITORY, 'examples', 'github', 'migrate-safe.yml'), 'utf8')) as {
    permissions: Record<string, string>;
    jobs: Record<string, { steps: { uses?: string; with?: Record<string, string | number> }[] }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);

  it('checks out the history, grants code scanning uploads, and passes only inputs the action has', () => {
    expect(workflow.permissions['security-events']).toBe('write');
    expect(steps.find((each) => each.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth']).toBe(0);
    const action = steps.find((each) => each.uses?.startsWith('migrate-safe/migrate-safe@'));
    expect(action).toBeDefined();
    for (const input of Object.keys(action?.with ?? {})) expect(Object.keys(ACTION.inputs)).toContain(input);
  });
});

describe('examples/gitlab/.gitlab-ci.yml', () => {
  const pipeline = parse(readFileSync(join(REPOSITORY, 'examples', 'gitlab', '.gitlab-ci.yml'), 'utf8')) as Record<
    string,
    { script: string[]; artifacts: { reports: { codequality: string } } }
  >;
  const job = pipeline['migrate-safe'];

  it("writes the Code Quality report the job declares, for the merge request's changes", () => {
    const report = job?.artifacts.reports.codequality ?? '';
    const command = job?.script.find((line) => line.startsWith('npx migrate-safe')) ?? '';
    expect(command).toContain(`--format gitlab=${report}`);
    const project = repository({ '.gitignore': 'node_modules/\n' });
    cpSync(EXAMPLES, join(project, 'supabase'), { recursive: true, filter: (path) => !/2024010[4-9]|202401[1-9]/.test(path) });
    commitAll(project, 'first migrations');
    const diffBase = git(project, 'rev-parse', 'HEAD').trim();
    cpSync(EXAMPLES, join(project, 'supabase'), { recursive: true });
    linkPackages(project, [REPOSITORY]);
    const run = spawnSync('bash', ['-c', command], { cwd: project, env: gitEnv({ CI_MERGE_REQUEST_DIFF_BASE_SHA: diffBase }), encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('rename-column');
    const issues = JSON.parse(readFileSync(join(project, report), 'utf8')) as { check_name: string; location: { path: string } }[];
    expect(issues.map((issue) => `${issue.check_name} ${issue.location.path}`)).toEqual([
      'rename-column supabase/migrations/20240104000000_rename_old_name.sql',
      // The merge request deprecates old_table and drops it: one deploy, no monitoring period between them.
      'drop-table-without-deprecation supabase/migrations/20240112000000_drop_old_table.sql',
    ]);
  });
});
