import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT_IDS, type MigrationProject, discover, partText } from '../src/discover/index.js';
import { lint } from '../src/index.js';
import { jsonReport, project, runCli } from './support/cli.js';
import { loadParser } from './support/expectations.js';

const PROJECTS = join(import.meta.dirname, '..', 'fixtures', 'projects');

beforeAll(loadParser);

interface Summary {
  readonly layout: string;
  /** Each migration in order: its id, its file and its rollback's, relative to the fixture. */
  readonly migrations: readonly (readonly [string, string, string | null])[];
  readonly problems: readonly string[];
}

/** The project a folder of fixtures/projects is discovered as, files relative to it. */
async function discovered(name: string): Promise<Summary> {
  const root = join(PROJECTS, name);
  const { projects } = await discover([root], { cwd: root });
  const [main] = projects.filter((candidate) => candidate.migrations.length > 1);
  if (!main || projects.filter((candidate) => candidate.migrations.length > 1).length > 1) throw new Error(`${name}: expected one project`);
  return summary(main, root);
}

function summary(found: MigrationProject, root: string): Summary {
  const at = (path: string): string => relative(root, path);
  return {
    layout: found.layout,
    migrations: found.migrations.map((migration) => [migration.id, at(migration.up.path), migration.down ? at(migration.down.path) : null] as const),
    problems: found.problems.map((problem) => at(problem.file)),
  };
}

describe('layouts are detected, ordered and paired', () => {
  it('supabase: timestamped files, rollbacks in rollback/<name>_down.sql', async () => {
    expect(await discovered('supabase')).toEqual({
      layout: 'supabase',
      migrations: [
        ['20240101000000_create_teams', 'supabase/migrations/20240101000000_create_teams.sql', 'supabase/migrations/rollback/20240101000000_create_teams_down.sql'],
        ['20240102000000_add_agents_team', 'supabase/migrations/20240102000000_add_agents_team.sql', 'supabase/migrations/rollback/20240102000000_add_agents_team_down.sql'],
        ['20240103000000_index_teams', 'supabase/migrations/20240103000000_index_teams.sql', 'supabase/migrations/rollback/20240103000000_index_teams_down.sql'],
      ],
      problems: ['supabase/migrations/rollback/20240104000000_removed_down.sql'],
    });
  });

  it('diesel: versions without their dashes, in text order, as Diesel runs them', async () => {
    const root = project({
      'migrations/2017-10-08-193512_b/up.sql': 'SELECT 1;',
      'migrations/20170309122510_a/up.sql': 'SELECT 1;',
      'migrations/2018-01-01-000000_c/up.sql': 'SELECT 1;',
      'migrations/2017-03-09-122510_same_version/up.sql': 'SELECT 1;',
    });
    const { projects } = await discover([join(root, 'migrations')], { cwd: root });
    const [found] = projects;
    expect(found?.migrations.map((migration) => migration.id)).toEqual(['2017-03-09-122510_same_version', '20170309122510_a', '2017-10-08-193512_b', '2018-01-01-000000_c']);
    expect(found?.problems.map((problem) => problem.message)).toEqual([
      'version 20170309122510 is used by 2 migrations (same_version, a): Diesel records migrations by version, so they cannot both run',
      'version 20170309122510 is used by 2 migrations (same_version, a): Diesel records migrations by version, so they cannot both run',
    ]);
  });

  it('popx: the PostgreSQL file of each version, else the dialect-neutral one; other dialects never run', async () => {
    const root = join(PROJECTS, 'popx');
    const { projects } = await discover([root], { cwd: root });
    const [main] = projects.filter((candidate) => candidate.layout === 'popx');
    if (!main) throw new Error('popx: no project found');
    expect(summary(main, root)).toEqual({
      layout: 'popx',
      migrations: [
        ['20240101000000000000', 'migrations/20240101000000000000_teams.postgres.up.sql', 'migrations/20240101000000000000_teams.postgres.down.sql'],
        ['20240102000000000000', 'migrations/20240102000000000000_agents.up.sql', 'migrations/20240102000000000000_agents.down.sql'],
        ['20240103000000000000', 'migrations/20240103000000000000_agents_status_index.postgres.autocommit.up.sql', 'migrations/20240103000000000000_agents_status_index.postgres.autocommit.down.sql'],
        ['20240104000000000000', 'migrations/20240104000000000000_agents_team_index.postgres.up.sql', 'migrations/20240104000000000000_agents_team_index.down.sql'],
        ['20240105000000000000', 'migrations/20240105000000000000_rename_team_name.up.sql', null],
      ],
      problems: ['migrations/README.sql', 'migrations/20240105000000000000_rename_team_name.up.sql'],
    });
    expect(main.problems.map((problem) => problem.message)).toEqual([
      'popx refuses to start: README.sql does not match <version>_<name>[.<dialect>][.autocommit].(up|down).sql',
      'popx refuses to start: migration 20240105000000000000 has no down file (20240105000000000000_rename_team_name.down.sql)',
    ]);
    expect(main.unlinted?.map((file) => relative(root, file)).sort()).toEqual([
      'migrations/20240101000000000000_teams.mysql.down.sql',
      'migrations/20240101000000000000_teams.mysql.up.sql',
      'migrations/20240102000000000000_agents.sqlite3.up.sql',
      'migrations/20240103000000000000_agents_status_index.autocommit.down.sql',
      'migrations/20240103000000000000_agents_status_index.autocommit.up.sql',
    ]);
  });

  it('golang-migrate: .up.sql and .down.sql, versions ordered as numbers', async () => {
    expect(await discovered('golang-migrate')).toEqual({
      layout: 'golang-migrate',
      migrations: [
        ['1_create_tables', 'migrations/1_create_tables.up.sql', 'migrations/1_create_tables.down.sql'],
        ['2_deprecate_old_reports', 'migrations/2_deprecate_old_reports.up.sql', 'migrations/2_deprecate_old_reports.down.sql'],
        ['10_drop_old_reports', 'migrations/10_drop_old_reports.up.sql', 'migrations/10_drop_old_reports.down.sql'],
        ['11_rename_team_name', 'migrations/11_rename_team_name.up.sql', 'migrations/11_rename_team_name.down.sql'],
      ],
      problems: ['migrations/12_orphan.down.sql'],
    });
  });

  it('diesel: a folder per migration with up.sql and down.sql', async () => {
    expect(await discovered('diesel')).toEqual({
      layout: 'diesel',
      migrations: [
        ['00000000000000_diesel_initial_setup', 'migrations/00000000000000_diesel_initial_setup/up.sql', 'migrations/00000000000000_diesel_initial_setup/down.sql'],
        ['2024-01-01-000000_create_teams', 'migrations/2024-01-01-000000_create_teams/up.sql', 'migrations/2024-01-01-000000_create_teams/down.sql'],
        ['2024-01-02-000000_index_agents_team', 'migrations/2024-01-02-000000_index_agents_team/up.sql', 'migrations/2024-01-02-000000_index_agents_team/down.sql'],
        ['2024-01-03-000000_add_team_slug', 'migrations/2024-01-03-000000_add_team_slug/up.sql', null],
      ],
      problems: ['migrations/2024-01-03-000000_add_team_slug/notes.sql'],
    });
  });

  it('dbmate: both parts in one file, each a section of it', async () => {
    expect(await discovered('dbmate')).toEqual({
      layout: 'dbmate',
      migrations: [
        ['20240101000000_create_teams', 'db/migrations/20240101000000_create_teams.sql', 'db/migrations/20240101000000_create_teams.sql'],
        ['20240102000000_index_agents_team', 'db/migrations/20240102000000_index_agents_team.sql', 'db/migrations/20240102000000_index_agents_team.sql'],
        // An empty down section is no rollback.
        ['20240103000000_add_team_slug', 'db/migrations/20240103000000_add_team_slug.sql', null],
        ['20240104000000_no_markers', 'db/migrations/20240104000000_no_markers.sql', null],
      ],
      problems: ['db/migrations/20240104000000_no_markers.sql'],
    });
  });

  it('flyway: V<version>__ in version order (subfolders too), U<version>__ undo, R__ repeatables last', async () => {
    expect(await discovered('flyway')).toEqual({
      layout: 'flyway',
      migrations: [
        ['V1__create_tables', 'db/migration/V1__create_tables.sql', 'db/migration/U1__create_tables.sql'],
        ['V1.2__deprecate_old_reports', 'db/migration/V1.2__deprecate_old_reports.sql', 'db/migration/U1.2__deprecate_old_reports.sql'],
        ['V1.10__drop_old_reports', 'db/migration/V1.10__drop_old_reports.sql', null],
        ['V2__index_teams', 'db/migration/V2__index_teams.sql', null],
        ['V3__add_team_slug', 'db/migration/archive/V3__add_team_slug.sql', 'db/migration/archive/U3__add_team_slug.sql'],
        ['R__team_names', 'db/migration/R__team_names.sql', null],
      ],
      problems: ['db/migration/seed_data.sql', 'db/migration/U4__orphan.sql'],
    });
  });

  it('prisma: <timestamp>_<name>/migration.sql, no rollback expected', async () => {
    const found = await discovered('prisma');
    expect(found).toEqual({
      layout: 'prisma',
      migrations: [
        ['20240101000000_init', 'prisma/migrations/20240101000000_init/migration.sql', null],
        ['20240102000000_add_team', 'prisma/migrations/20240102000000_add_team/migration.sql', 'prisma/migrations/20240102000000_add_team/down.sql'],
        ['20240103000000_index_teams', 'prisma/migrations/20240103000000_index_teams/migration.sql', null],
      ],
      problems: [],
    });
    const { projects } = await discover([join(PROJECTS, 'prisma')], { cwd: PROJECTS });
    expect(projects[0]?.migrations.map((migration) => migration.expectedRollbackPath)).toEqual([undefined, undefined, undefined]);
  });

  it('sqitch: the plan gives the order, a reworked change keeps its old scripts as <name>@<tag>', async () => {
    expect(await discovered('sqitch')).toEqual({
      layout: 'sqitch',
      migrations: [
        ['appschema', 'deploy/appschema.sql', 'revert/appschema.sql'],
        ['teams', 'deploy/teams.sql', 'revert/teams.sql'],
        ['team_name_fn@v1.0', 'deploy/team_name_fn@v1.0.sql', 'revert/team_name_fn@v1.0.sql'],
        ['team_slug', 'deploy/team_slug.sql', 'revert/team_slug.sql'],
        ['team_name_fn', 'deploy/team_name_fn.sql', 'revert/team_name_fn.sql'],
      ],
      problems: ['deploy/forgotten.sql'],
    });
    const { projects } = await discover([join(PROJECTS, 'sqitch')], { cwd: PROJECTS });
    expect(projects[0]?.unlinted?.map((file) => relative(join(PROJECTS, 'sqitch'), file)).sort()).toEqual(['verify/appschema.sql', 'verify/teams.sql']);
  });

  it('plain: .sql files in natural version order', async () => {
    expect(await discovered('plain')).toEqual({
      layout: 'plain',
      migrations: [
        ['1_create_tables', 'migrations/1_create_tables.sql', null],
        ['2_deprecate_old_reports', 'migrations/2_deprecate_old_reports.sql', null],
        ['10_drop_old_reports', 'migrations/10_drop_old_reports.sql', null],
      ],
      problems: [],
    });
  });
});

describe('broken layouts are findings, not crashes', () => {
  it.each([
    ['golang-migrate', { '1_a.up.sql': 'SELECT 1;', '1_b.up.sql': 'SELECT 1;', '2_c.down.sql': 'SELECT 1;', 'notes.sql': 'SELECT 1;' }, [
      ['1_a.up.sql', 'version 1 is used by 2 migrations (a, b): golang-migrate refuses to run them'],
      ['1_b.up.sql', 'version 1 is used by 2 migrations (a, b): golang-migrate refuses to run them'],
      ['2_c.down.sql', 'rollback 2_c.down.sql has no migration 2_c.up.sql: it will never run'],
      ['notes.sql', 'golang-migrate ignores notes.sql: it runs only <version>_<title>.up.sql (and .down.sql)'],
    ]],
    ['dbmate', {
      '1_a.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n',
      '1_b.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n',
      '2_order.sql': '-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 1;\n',
      '3_before.sql': 'SELECT 0;\n-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n',
      '4_no_down.sql': '-- migrate:up\nSELECT 1;\n',
    }, [
      ['1_a.sql', 'version 1 is used by 2 migrations (1_a, 1_b): dbmate tracks migrations by version, so once one has run the other never does'],
      ['1_b.sql', 'version 1 is used by 2 migrations (1_a, 1_b): dbmate tracks migrations by version, so once one has run the other never does'],
      ['2_order.sql', 'dbmate refuses 2_order.sql: `-- migrate:up` must come before `-- migrate:down`'],
      ['3_before.sql', 'dbmate refuses 3_before.sql: it has statements before `-- migrate:up`'],
      ['4_no_down.sql', 'dbmate refuses 4_no_down.sql: it has no `-- migrate:down` line (put the rollback under it)'],
    ]],
    ['flyway', { 'V1__a.sql': 'SELECT 1;', 'V1.0__b.sql': 'SELECT 1;', 'V01__c.sql': 'SELECT 1;' }, [
      ['V01__c.sql', 'version 1 is used by 3 migrations (c, b, a): Flyway refuses to migrate ("Found more than one migration with version")'],
      ['V1.0__b.sql', 'version 1 is used by 3 migrations (c, b, a): Flyway refuses to migrate ("Found more than one migration with version")'],
      ['V1__a.sql', 'version 1 is used by 3 migrations (c, b, a): Flyway refuses to migrate ("Found more than one migration with version")'],
    ]],
    ['diesel', { '1_a/up.sql': 'SELECT 1;', '1_b/up.sql': 'SELECT 1;', '2_c/down.sql': 'SELECT 1;', '3_d/up.sql': 'SELECT 1;', '3_d/metadata.toml': 'run_in_transaction = [' }, [
      ['1_a/up.sql', 'version 1 is used by 2 migrations (a, b): Diesel records migrations by version, so they cannot both run'],
      ['1_b/up.sql', 'version 1 is used by 2 migrations (a, b): Diesel records migrations by version, so they cannot both run'],
      ['2_c/down.sql', '2_c/down.sql has no up.sql beside it: Diesel cannot run this migration'],
      ['3_d/metadata.toml', expect.stringMatching(/^Diesel cannot read 3_d\/metadata.toml: /) as unknown as string],
    ]],
    ['sqitch', { 'sqitch.plan': '%project=x\nmissing 2024-01-01T00:00:00Z A <a@example.com>\n', 'revert/extra.sql': 'SELECT 1;' }, [
      ['revert/extra.sql', 'revert/extra.sql reverts no change in sqitch.plan: it never runs'],
      ['sqitch.plan', 'sqitch.plan lists missing, but deploy/missing.sql is missing: sqitch deploy fails there'],
    ]],
  ])('%s', async (layout, files, problems) => {
    const root = project(Object.fromEntries(Object.entries(files).map(([path, text]) => [`migrations/${path}`, text])));
    const { projects } = await discover([join(root, 'migrations')], { cwd: root });
    const found = projects.find((candidate) => candidate.layout === layout);
    const reported = found?.problems.map((problem) => [relative(join(root, 'migrations'), problem.file), problem.message]);
    expect(reported?.sort(([left = ''], [right = '']) => (left < right ? -1 : 1))).toEqual(problems);
  });

  it('a project with problems still lints every migration, and reports the problems as migration-layout', async () => {
    const root = project({
      'migrations/1_create_teams.up.sql': 'CREATE TABLE teams (id bigint);',
      'migrations/1_create_agents.up.sql': 'CREATE INDEX idx ON teams (id);',
    });
    const result = await lint({ inputs: ['migrations'], cwd: root, overrides: { rules: { 'missing-rollback': 'off' } } });
    expect(result.findings.map((finding) => [relative(root, finding.file), finding.ruleId])).toEqual([
      ['migrations/1_create_agents.up.sql', 'require-concurrent-index'],
      ['migrations/1_create_agents.up.sql', 'migration-layout'],
      ['migrations/1_create_teams.up.sql', 'migration-layout'],
    ]);
  });
});

describe('a file names its project and history', () => {
  /** A deprecation then a drop: the drop is clean only when the rename of the earlier migration is read. */
  it.each([
    ['golang-migrate', { '1_rename.up.sql': 'ALTER TABLE reports RENAME TO reports_deprecated;', '2_drop.up.sql': 'DROP TABLE reports_deprecated;' }, '2_drop.up.sql'],
    ['diesel', { '1_rename/up.sql': 'ALTER TABLE reports RENAME TO reports_deprecated;', '2_drop/up.sql': 'DROP TABLE reports_deprecated;' }, '2_drop/up.sql'],
    ['prisma', { '20240101000000_rename/migration.sql': 'ALTER TABLE reports RENAME TO reports_deprecated;', '20240102000000_drop/migration.sql': 'DROP TABLE reports_deprecated;' }, '20240102000000_drop/migration.sql'],
    ['flyway', { 'V1__rename.sql': 'ALTER TABLE reports RENAME TO reports_deprecated;', 'V2__drop.sql': 'DROP TABLE reports_deprecated;' }, 'V2__drop.sql'],
    ['dbmate', { '1_rename.sql': '-- migrate:up\nALTER TABLE reports RENAME TO reports_deprecated;\n-- migrate:down\nALTER TABLE reports_deprecated RENAME TO reports;\n', '2_drop.sql': '-- migrate:up\nDROP TABLE reports_deprecated;\n-- migrate:down\nSELECT 1;\n' }, '2_drop.sql'],
    ['sqitch', { 'sqitch.plan': 'rename 2024-01-01T00:00:00Z A <a@example.com>\ndrop 2024-01-02T00:00:00Z A <a@example.com>\n', 'deploy/rename.sql': 'ALTER TABLE reports RENAME TO reports_deprecated;', 'deploy/drop.sql': 'DROP TABLE reports_deprecated;' }, 'deploy/drop.sql'],
  ] as const)('%s: linting the last file alone reads the migrations before it', async (_layout, files: Readonly<Record<string, string>>, last) => {
    const root = project(Object.fromEntries(Object.entries(files).map(([path, text]) => [`migrations/${path}`, text])));
    const rules = { 'missing-rollback': 'off', 'migration-layout': 'off' } as const;
    const withHistory = await lint({ inputs: [`migrations/${last}`], cwd: root, overrides: { rules } });
    expect(withHistory.findings.map((finding) => finding.ruleId)).toEqual([]);
    const alone = project({ [`elsewhere/${last.replaceAll('/', '_')}`]: files[last] ?? '' });
    const withoutHistory = await lint({ inputs: ['elsewhere'], cwd: alone, overrides: { rules } });
    expect(withoutHistory.findings.map((finding) => finding.ruleId)).toContain('drop-table-without-deprecation');
  });

  it('an unsaved file in a migration folder that is not on disk yet is linted with its history', async () => {
    const root = project({ 'migrations/1_rename/up.sql': 'ALTER TABLE reports RENAME TO reports_deprecated;' });
    const texts = new Map([[join(root, 'migrations/2_drop/up.sql'), 'DROP TABLE reports_deprecated;']]);
    const result = await lint({ inputs: ['migrations/2_drop/up.sql'], cwd: root, texts, overrides: { rules: { 'missing-rollback': 'off' } } });
    expect(result.findings).toEqual([]);
    expect(result.files).toEqual([join(root, 'migrations/2_drop/up.sql')]);
  });

  it('validate finds a Flyway project in its usual folder', () => {
    const root = project({ 'src/main/resources/db/migration/V1__index.sql': 'CREATE INDEX idx_agents_status ON agents (status);\n' });
    const result = runCli(['validate', '--format', 'json'], { cwd: root });
    expect(jsonReport(result).findings.map((finding) => [finding.file, finding.ruleId])).toEqual([
      ['src/main/resources/db/migration/V1__index.sql', 'require-concurrent-index'],
    ]);
    expect(jsonReport(result).notes.map((note) => [note.folder, note.ruleId])).toEqual([['src/main/resources/db/migration', 'missing-rollback']]);
  });

  it('migrations.layout forces a layout, and an unknown one is a configuration error', async () => {
    const files = { 'migrations/1_a.up.sql': 'SELECT 1;', 'migrations/1_a.down.sql': 'SELECT 1;' };
    const detected = await discover(['migrations'], { cwd: project(files) });
    expect(detected.projects.map((found) => [found.layout, found.migrations.length])).toEqual([['golang-migrate', 1]]);
    const forced = await discover(['migrations'], { cwd: project(files), settingsFor: () => Promise.resolve({ layout: 'plain' }) });
    expect(forced.projects.map((found) => [found.layout, found.migrations.length])).toEqual([['plain', 2]]);
    const root = project({ ...files, '.migrate-saferc.json': JSON.stringify({ migrations: { layout: 'rails' } }) });
    await expect(lint({ inputs: ['migrations'], cwd: root })).rejects.toThrow(
      '.migrate-saferc.json: migrations.layout: expected one of "sqitch", "prisma", "diesel", "dbmate", "flyway", "popx", "supabase", "golang-migrate", "plain"',
    );
  });
});

describe('dbmate sections', () => {
  it('are linted with the other section blanked: every position is the file\'s own', async () => {
    const text = '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n';
    const root = project({ 'db/migrations/1_t.sql': text });
    const { projects } = await discover(['db/migrations'], { cwd: root });
    const [migration] = projects[0]?.migrations ?? [];
    if (!migration?.down) throw new Error('expected both parts');
    const up = partText(migration.up, text);
    const down = partText(migration.down, text);
    expect([up.length, down.length]).toEqual([text.length, text.length]);
    expect(up.split('\n').map((line) => line.trim())).toEqual(['-- migrate:up', 'CREATE TABLE t (id int);', '', '', '']);
    expect(down.split('\n').map((line) => line.trim())).toEqual(['', '', '-- migrate:down', 'DROP TABLE t;', '']);
  });

  it('share the comments above the first marker, so a file directive covers both', async () => {
    const text = [
      '-- migrate-safe-ignore-file require-concurrent-index: agents is a small table',
      '-- migrate:up',
      'CREATE INDEX idx_a ON agents (a);',
      '-- migrate:down',
      'CREATE INDEX idx_b ON agents (b);',
      '',
    ].join('\n');
    const root = project({ 'db/migrations/1_t.sql': text });
    const result = await lint({ inputs: ['db/migrations'], cwd: root, reportUnusedDirectives: true, overrides: { rules: { 'incomplete-rollback': 'off' } } });
    expect(result.findings.map((finding) => [finding.ruleId, finding.line, finding.suppression !== undefined])).toEqual([
      ['require-concurrent-index', 3, true],
      ['require-concurrent-index', 5, true],
    ]);
    expect(result.files).toEqual([join(root, 'db/migrations/1_t.sql')]);
  });
});

it('every layout has a fixture project', () => {
  // history and releases are about what spans migrations, in a layout of their own choosing.
  const fixtures = readdirSync(PROJECTS).filter((name) => name !== 'history' && name !== 'releases');
  expect(fixtures.sort()).toEqual([...LAYOUT_IDS].sort());
});
