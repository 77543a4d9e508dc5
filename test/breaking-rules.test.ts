import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../src/index.js';
import { loadParser } from '../src/parse/parser.js';
import { FIXTURES } from './support/fixtures.js';

beforeAll(loadParser);

async function findingsOf(sql: string): Promise<Awaited<ReturnType<typeof lint>>['findings']> {
  const folder = mkdtempSync(join(tmpdir(), 'migrate-safe-breaking-'));
  writeFileSync(join(folder, 'migration.sql'), sql);
  return (await lint({ inputs: [join(folder, 'migration.sql')], cwd: folder })).findings;
}

describe('findings of the breaking-change and security rules', () => {
  it('name the lock the lock knowledge table gives the statement, and none where no lock is the point', async () => {
    const findings = await findingsOf(
      [
        'ALTER TABLE agents RENAME TO members;',
        'TRUNCATE sessions;',
        'DROP VIEW active_agents CASCADE;',
        'ALTER TABLE agents DISABLE ROW LEVEL SECURITY;',
        'DROP DATABASE staging;',
      ].join('\n'),
    );
    expect(findings.map((finding) => [finding.ruleId, finding.lock?.mode ?? null, finding.lock?.relation ?? null, finding.lock?.effect ?? null])).toEqual([
      ['rename-table', 'ACCESS EXCLUSIVE', 'agents', 'none'],
      ['destructive-operation', 'ACCESS EXCLUSIVE', 'sessions', 'rewrite'],
      ['destructive-operation', 'ACCESS EXCLUSIVE', 'active_agents', 'none'],
      ['drop-object-without-deprecation', null, null, null],
      ['rls-disabled', 'ACCESS EXCLUSIVE', 'agents', 'none'],
      ['destructive-operation', null, null, null],
    ]);
  });

  it('tell a column dropped and added again in one transaction by its lost values, not by failing queries', async () => {
    const text = readFileSync(join(FIXTURES, 'drop-column', 'drop-add.sql'), 'utf8');
    const messages = (await findingsOf(text)).filter((finding) => finding.ruleId === 'drop-column').map((finding) => [finding.line, finding.message]);
    expect(messages).toEqual([
      [5, expect.stringContaining('DROP COLUMN role on invitations, added again in the same transaction: queries naming role keep working, but every value it held is gone for good')],
      [7, expect.stringContaining('DROP COLUMN project_id on invitations, added again in the same transaction')],
      [13, expect.stringContaining('DROP COLUMN team_id on invitations: every query of the running application that still reads or writes team_id fails')],
    ]);
  });

  it('give the safe SQL with the statement\'s own names', async () => {
    const [rename, drop] = await findingsOf('ALTER TABLE app.invoices RENAME TO bills;\nALTER TABLE app.payments DROP COLUMN legacy_total;\n');
    expect(rename?.help).toContain('ALTER TABLE app.invoices RENAME TO bills;\nCREATE VIEW app.invoices WITH (security_invoker = true) AS SELECT * FROM app.bills;');
    expect(drop?.help).toContain('ALTER TABLE app.payments DROP COLUMN legacy_total;');
  });
});
