import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../src/index.js';
import { loadParser } from '../src/parse/parser.js';

const GUIDE = join(import.meta.dirname, '..', 'fixtures', 'guide');

/** The guide's five patterns, and the rule that catches each Unsafe block. */
const GUIDE_RULES = ['not-null-column-without-default', 'require-concurrent-index', 'rename-column', 'drop-table-without-deprecation', 'missing-rollback'];
const UNSAFE: Readonly<Record<string, string>> = {
  'adding-columns.sql': 'not-null-column-without-default',
  'creating-indexes.sql': 'require-concurrent-index',
  'renaming-columns.sql': 'rename-column',
  'dropping-tables.sql': 'drop-table-without-deprecation',
  'missing-rollback': 'missing-rollback',
};

beforeAll(loadParser);

async function guideRulesReported(path: string): Promise<string[]> {
  const result = await lint({ inputs: [path], cwd: GUIDE });
  return [...new Set(result.findings.map((finding) => finding.ruleId).filter((id) => GUIDE_RULES.includes(id)))];
}

describe("the guide's Unsafe blocks", () => {
  it('are all here', () => {
    expect(readdirSync(join(GUIDE, 'unsafe')).sort()).toEqual(Object.keys(UNSAFE).sort());
  });

  it.each(Object.entries(UNSAFE))('%s is caught by %s', async (name, rule) => {
    expect(await guideRulesReported(join(GUIDE, 'unsafe', name))).toEqual([rule]);
  });
});

/**
 * Where the linter deliberately goes beyond the guide (docs/rules.md: "Where migrate-safe departs from the
 * migration safety guide"): step 3 of adding a column is a plain SET NOT NULL on a table in use, which scans the whole
 * table under ACCESS EXCLUSIVE; step 5 of renaming a column drops old_name while the sync trigger of
 * step 2 still reads NEW.old_name, so every INSERT and UPDATE on agents fails from then on. And
 * where the guide puts "add the column" and "backfill it" in one file, the Supabase CLI runs that
 * file in one transaction: the backfill rewrites every row while ADD COLUMN's ACCESS EXCLUSIVE lock
 * is still held, so reads and writes of agents wait for the whole UPDATE.
 */
const DOCUMENTED_EXCEPTIONS: readonly { readonly rule: string; readonly file: string }[] = [
  { rule: 'set-not-null-scan', file: 'safe/adding-columns/supabase/migrations/20240102000000_new_field_not_null.sql' },
  { rule: 'drop-column-used-by-trigger', file: 'safe/renaming-columns/supabase/migrations/20240108000000_drop_old_name.sql' },
  { rule: 'backfill-under-lock', file: 'safe/adding-columns/supabase/migrations/20240101000000_add_new_field.sql' },
  { rule: 'backfill-under-lock', file: 'safe/renaming-columns/supabase/migrations/20240101000000_add_new_name.sql' },
];

describe("the guide's Safe blocks", () => {
  it.each(readdirSync(join(GUIDE, 'safe')))('%s raises no finding of any recommended rule', async (pattern) => {
    const result = await lint({ inputs: [join(GUIDE, 'safe', pattern)], cwd: GUIDE });
    const findings = result.findings
      .map((finding) => ({ rule: finding.ruleId, file: relative(GUIDE, finding.file).replaceAll(sep, '/'), line: finding.line }))
      .filter((finding) => !DOCUMENTED_EXCEPTIONS.some((exception) => exception.rule === finding.rule && exception.file === finding.file));
    expect(findings).toEqual([]);
  });
});
