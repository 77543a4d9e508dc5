import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPOSITORY, project, runCli } from './support/cli.js';
import { projectWithPlugin } from './support/packages.js';
import { multitoolVerdict, schemaErrors } from './support/sarif.js';

interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  snippet?: { text: string };
}

interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: SarifRegion } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; justification?: string }[];
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string; markdown: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: { tags: string[] };
}

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; semanticVersion: string; informationUri: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; message: { text: string }; locations?: unknown[] }[] }[];
    results: SarifResult[];
  }[];
}

const PACKAGE = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as { version: string };
const scratch = mkdtempSync(join(tmpdir(), 'migrate-safe-sarif-'));

/** Lints in `cwd` with the SARIF report written to a file; returns the file and the parsed log. */
function sarifRun(cwd: string, name: string, args: readonly string[]): { file: string; log: SarifLog; status: number | null } {
  const file = join(scratch, `${name}.sarif`);
  const result = runCli(['lint', ...args, '--format', `sarif=${file}`], { cwd });
  return { file, log: JSON.parse(readFileSync(file, 'utf8')) as SarifLog, status: result.status };
}

function onlyRun(log: SarifLog): SarifLog['runs'][number] {
  const [run] = log.runs;
  if (!run || log.runs.length !== 1) throw new Error('expected exactly one run');
  return run;
}

/** Suppressions, plugin rules, a path that needs URI escaping, an unreadable earlier migration, a directive that silences nothing. */
function richProject(): string {
  const root = projectWithPlugin(
    {
      id: 'acme/no-truncate',
      severity: 'error',
      create: "() => ({ TruncateStmt(node, statement) { statement.report({ message: 'TRUNCATE empties agents: 100% of it, \"quoted\", with commas' }); } })",
    },
    {
      'db/my migrations/1_create.sql': 'CREATE TABLE agents (id bigint PRIMARY KEY, status text);\n',
      'db/my migrations/3_change.sql': [
        '-- migrate-safe-ignore require-concurrent-index: agents has 200 rows',
        'CREATE INDEX idx_agents_status ON agents (status);',
        '-- migrate-safe-ignore rename-column',
        'ALTER TABLE agents RENAME COLUMN status TO state;',
        'TRUNCATE agents;',
        '-- migrate-safe-ignore not-null-column-without-default: reviewed',
        'SELECT 1;',
        '',
      ].join('\n'),
    },
  );
  // A file name that is not UTF-8 is listed under its decoded name, which does not open: an earlier migration that cannot be read.
  writeFileSync(Buffer.from([...Buffer.from(join(root, 'db/my migrations/2_')), 0xff, ...Buffer.from('.sql')]), 'SELECT 1;\n');
  return root;
}

describe('SARIF of the bundled examples', () => {
  const { file, log, status } = sarifRun(REPOSITORY, 'examples', ['examples/supabase/migrations']);

  it('is valid against the SARIF 2.1.0 JSON schema', () => {
    expect(status).toBe(1);
    expect(schemaErrors(log)).toEqual([]);
    // The check can fail: a log without a driver name is rejected.
    expect(schemaErrors({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).not.toEqual([]);
  });

  it("passes Microsoft's SARIF validator with GitHub's rules: no error, no warning", () => {
    const verdict = multitoolVerdict(file, join(scratch, 'examples.validation.sarif'));
    expect(verdict.problems).toEqual([]);
    // Suggestions left on purpose (docs/ci.md, "SARIF"): message ids, version control details, reachability of URLs (offline here), rule id style, context regions.
    for (const note of verdict.notes) expect(['SARIF2002', 'SARIF2003', 'SARIF2006', 'SARIF2009', 'SARIF2011']).toContain(note);
  });

  it('describes the tool and every rule that ran, with help and the safe SQL', () => {
    const run = onlyRun(log);
    expect(log.version).toBe('2.1.0');
    const { driver } = run.tool;
    expect(driver).toMatchObject({ name: 'migrate-safe', version: PACKAGE.version, semanticVersion: PACKAGE.version, informationUri: 'https://github.com/migrate-safe/migrate-safe' });
    const index = driver.rules.find((rule) => rule.id === 'require-concurrent-index');
    expect(index).toMatchObject({
      name: 'RequireConcurrentIndex',
      shortDescription: { text: expect.stringContaining('CREATE INDEX without CONCURRENTLY') as string },
      helpUri: 'https://github.com/migrate-safe/migrate-safe/blob/main/docs/rules/require-concurrent-index.md',
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['locking'] },
    });
    expect(index?.fullDescription.text).toContain('SHARE lock');
    expect(index?.help.text).toContain('CREATE INDEX CONCURRENTLY idx_agents_status ON agents (status);');
    expect(index?.help.markdown).toContain('```sql\n-- In a migration of its own, run without a transaction block:\nCREATE INDEX CONCURRENTLY');
    expect(driver.rules.find((rule) => rule.id === 'missing-rollback')).toMatchObject({ defaultConfiguration: { level: 'warning' }, properties: { tags: ['rollback'] } });
    expect(driver.rules.map((rule) => rule.id)).toEqual(expect.arrayContaining(['not-null-column-without-default', 'rename-column', 'drop-table-without-deprecation']));
  });

  it('puts every finding on its line, relative to %SRCROOT%, with its rule and the safe SQL for that statement', () => {
    const run = onlyRun(log);
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: pathToFileURL(`${REPOSITORY}/`).href } });
    const result = run.results.find((candidate) => candidate.ruleId === 'require-concurrent-index');
    expect(result).toMatchObject({
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'examples/supabase/migrations/20240102000000_add_status_index.sql', uriBaseId: '%SRCROOT%' },
            region: { startLine: 2, startColumn: 1, endLine: 2, endColumn: 49, snippet: { text: 'CREATE INDEX idx_agents_status ON agents(status)' } },
          },
        },
      ],
    });
    expect(result?.message.text).toContain('Lock: takes SHARE on agents: blocks writes (reads continue)');
    expect(result?.message.text).toContain('Safe alternative:\n-- Migration 1: this migration, without this statement\n-- Migration 2: a migration of its own, run without a transaction block');
    for (const each of run.results) expect(run.tool.driver.rules[each.ruleIndex ?? -1]?.id).toBe(each.ruleId);
    expect(run.invocations).toEqual([{ executionSuccessful: true, toolExecutionNotifications: [] }]);
  });
});

describe('SARIF of a project with silenced findings, a plugin rule and an unreadable migration', () => {
  const root = richProject();
  const { file, log, status } = sarifRun(root, 'rich', ['db/my migrations/3_change.sql', '--report-unused-directives']);
  const run = onlyRun(log);

  it('is valid and passes the validator with no error and no warning', () => {
    expect(status).toBe(2);
    expect(schemaErrors(log)).toEqual([]);
    expect(multitoolVerdict(file, join(scratch, 'rich.validation.sarif')).problems).toEqual([]);
  });

  it('keeps silenced findings as results suppressed in source, with the reason', () => {
    const suppressed = run.results.filter((result) => result.suppressions).map((result) => [result.ruleId, result.suppressions]);
    expect(suppressed).toEqual([
      ['require-concurrent-index', [{ kind: 'inSource', justification: 'agents has 200 rows' }]],
      ['rename-column', [{ kind: 'inSource' }]],
    ]);
  });

  it('describes plugin rules and the rules turned on from the command line too', () => {
    const ids = run.tool.driver.rules.map((rule) => rule.id);
    expect(ids).toContain('acme/no-truncate');
    expect(ids).toContain('unused-directive');
    expect(run.tool.driver.rules.find((rule) => rule.id === 'acme/no-truncate')).not.toHaveProperty('helpUri');
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex ?? -1]?.id).toBe(result.ruleId);
    expect(run.results.map((result) => result.locations[0]?.physicalLocation.artifactLocation.uri)).toContain('db/my%20migrations/3_change.sql');
  });

  it('reports the file it could not read as a tool execution notification, and the run as unsuccessful', () => {
    expect(run.invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          {
            level: 'error',
            message: { text: 'cannot read this earlier migration (ENOENT).' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'db/my%20migrations/2_%EF%BF%BD.sql', uriBaseId: '%SRCROOT%' } } }],
          },
        ],
      },
    ]);
  });
});

describe('SARIF fingerprints', () => {
  it('stay the same when lines are added above the statement, and differ between statements', () => {
    const statements = 'CREATE INDEX idx_agents_status ON agents (status);\nCREATE INDEX idx_agents_team ON agents (team_id);\n';
    const root = project({ 'm.sql': statements });
    const fingerprints = (name: string): [number, string][] =>
      onlyRun(sarifRun(root, name, ['m.sql']).log).results.map((result) => [
        result.locations[0]?.physicalLocation.region.startLine ?? 0,
        result.partialFingerprints['migrateSafe/v1'] ?? '',
      ]);
    const before = fingerprints('before');
    writeFileSync(join(root, 'm.sql'), `-- Teams\nCREATE TABLE teams (id bigint);\n\n${statements}`);
    const after = fingerprints('after');
    expect(before.map(([line]) => line)).toEqual([1, 2]);
    expect(after.map(([line]) => line)).toEqual([4, 5]);
    expect(after.map(([, fingerprint]) => fingerprint)).toEqual(before.map(([, fingerprint]) => fingerprint));
    expect(new Set(before.map(([, fingerprint]) => fingerprint)).size).toBe(2);
  });
});
