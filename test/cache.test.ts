import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LintCache } from '../src/engine/cache.js';
import { lint } from '../src/index.js';
import { project } from './support/cli.js';
import { loadParser } from './support/expectations.js';

beforeAll(loadParser);

/** A run's verdicts, as people read them. */
async function verdicts(root: string, cache: LintCache | undefined, texts?: ReadonlyMap<string, string>): Promise<string[]> {
  const result = await lint({ inputs: ['migrations/3_drop.sql'], cwd: root, cache, texts });
  return result.findings.map((finding) => `${finding.ruleId}@${finding.line}`);
}

describe('a LintCache kept between runs (an editor\'s)', () => {
  it('gives the verdicts of a fresh run, and follows the history as it changes on disk', async () => {
    const root = project({
      'migrations/1_create.sql': 'CREATE TABLE teams (id bigint PRIMARY KEY);\n',
      'migrations/2_deprecate.sql': 'ALTER TABLE teams RENAME TO teams_deprecated;\n',
      'migrations/3_drop.sql': 'DROP TABLE teams_deprecated;\nCREATE INDEX teams_name ON teams_deprecated (id);\n',
    });
    const cache = new LintCache();
    const fresh = await verdicts(root, undefined);
    expect(await verdicts(root, cache)).toEqual(fresh);
    // The same history again, now from the cache, and an edited document on top of it.
    expect(await verdicts(root, cache)).toEqual(fresh);
    const edited = new Map([[join(root, 'migrations/3_drop.sql'), 'DROP TABLE teams_deprecated;\n']]);
    expect(await verdicts(root, cache, edited)).toEqual(await verdicts(root, undefined, edited));

    // The rename leaves the history: dropping the table is no longer the end of a deprecation.
    const deprecate = join(root, 'migrations/2_deprecate.sql');
    writeFileSync(deprecate, 'SELECT 1;\n');
    utimesSync(deprecate, new Date(), new Date(Date.now() + 5000));
    const changed = await verdicts(root, cache);
    expect(changed).toEqual(await verdicts(root, undefined));
    expect(changed).not.toEqual(fresh);
  });
});
