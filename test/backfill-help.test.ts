import { beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../src/index.js';
import { loadParser } from '../src/parse/parser.js';
import { project } from './support/cli.js';

beforeAll(loadParser);

/** The help unbatched-backfill gives for one statement, after the given history migration. */
async function batchedHelp(statement: string, history = 'SELECT 1;'): Promise<string | undefined> {
  const root = project({ 'migrations/1_history.sql': history, 'migrations/2_backfill.sql': `${statement}\n` });
  const result = await lint({ inputs: [`${root}/migrations`], cwd: root, overrides: { rules: { 'unbatched-backfill': 'warn' } } });
  return result.findings.find((finding) => finding.ruleId === 'unbatched-backfill')?.help;
}

describe('the batched form of a backfill', () => {
  it("keeps the statement's own values and condition, and the key from the history", async () => {
    expect(await batchedHelp("UPDATE agents SET new_field = 'default_value' WHERE new_field IS NULL;", 'CREATE TABLE agents (agent_id bigint PRIMARY KEY, new_field text);')).toBe(
      [
        '-- Repeat until it updates 0 rows (a script or a DO loop with COMMIT), each batch its own transaction:',
        "UPDATE agents SET new_field = 'default_value'",
        'WHERE agent_id IN (SELECT agent_id FROM agents WHERE new_field IS NULL LIMIT 10000);',
      ].join('\n'),
    );
  });

  it('stops at 0 rows: rows already given their value are left out when the WHERE does not test the assigned columns', async () => {
    expect(await batchedHelp("UPDATE agents SET status = 'archived', note = old_note WHERE team_id = 7 RETURNING id;")).toContain(
      "WHERE id IN (SELECT id FROM agents WHERE (team_id = 7) AND status IS DISTINCT FROM 'archived' AND note IS DISTINCT FROM old_note LIMIT 10000);",
    );
  });

  it('walks key ranges when a value is computed anew in each batch, or the statement joins', async () => {
    expect(await batchedHelp('UPDATE agents SET seen_at = now(), label = lower(name);')).toBe(
      [
        '-- Repeat for consecutive ranges of id, from its lowest to its highest value, each batch its own transaction:',
        'UPDATE agents SET seen_at = now(), label = lower(name)',
        'WHERE id >= <start> AND id < <start> + 10000;',
      ].join('\n'),
    );
    expect(await batchedHelp("DELETE FROM sessions AS s USING agents AS a WHERE a.id = s.agent_id AND a.status = 'gone';")).toContain(
      "DELETE FROM sessions AS s USING agents AS a\nWHERE (a.id = s.agent_id AND a.status = 'gone') AND s.id >= <start> AND s.id < <start> + 10000;",
    );
  });

  it('is not fooled by keywords inside strings, subqueries and IS DISTINCT FROM', async () => {
    expect(await batchedHelp("UPDATE agents SET note = 'WHERE FROM', flag = (SELECT true FROM teams WHERE teams.id = 1) WHERE note IS DISTINCT FROM 'x';")).toContain(
      "UPDATE agents SET note = 'WHERE FROM', flag = (SELECT true FROM teams WHERE teams.id = 1)\nWHERE id IN (SELECT id FROM agents WHERE note IS DISTINCT FROM 'x' LIMIT 10000);",
    );
  });
});
