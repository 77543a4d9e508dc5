import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { describe, expect, it } from 'vitest';
import { LspClient, uriOf } from '../scripts/support/lsp-client.js';
import { CLI, jsonReport, project, runCli, runCliAsync } from './support/cli.js';

/**
 * A file of some 40 MB once exhausted the WebAssembly parser's memory: the parser printed
 * "Terminating process due to FATAL error" into the JSON on stdout, and every later parse in the
 * process could fail (issue 14, item 7). Big files are now parsed in pieces cut after statements.
 */
const LINE = 'SELECT id, name FROM users WHERE id = 1;\n';
const LINES = Math.ceil(40_000_000 / LINE.length);
const RENAME = 'ALTER TABLE users RENAME COLUMN name TO full_name;\n';
/** 40 MB of statements, the last of which has a finding: the whole file is read, to its last line. */
const BIG = `${LINE.repeat(LINES)}${RENAME}`;
const SMALL = 'CREATE INDEX users_email ON users (email);\n';

const verdicts = (findings: readonly { file: string; ruleId: string; line: number }[]): string[] =>
  findings.map((finding) => `${finding.file}:${finding.ruleId}:${finding.line}`);

describe('a file of 40 MB', () => {
  // Both run at once: each takes a process of its own for a while.
  it.concurrent('is linted to its last line, and the file after it keeps its findings; stdout is the report alone', { timeout: 600_000 }, async () => {
    const root = project({ 'migrations/002_small.sql': SMALL });
    writeFileSync(join(root, 'migrations', '001_big.sql'), BIG);
    const result = await runCliAsync(['lint', 'migrations', '--format', 'json'], { cwd: root });
    const report = jsonReport(result);
    expect(verdicts(report.findings)).toEqual([`migrations/001_big.sql:rename-column:${LINES + 1}`, 'migrations/002_small.sql:require-concurrent-index:1']);
    expect(result.stderr).toBe('');
  });

  it.concurrent('in the language server, is linted, and the document after it gets its diagnostics', { timeout: 600_000 }, async () => {
    const root = project({ 'package.json': '{}' });
    const client = new LspClient(CLI, root);
    try {
      await client.initialize(root);
      const lines = (diagnostics: readonly Diagnostic[]): string[] => diagnostics.map((diagnostic) => `${String(diagnostic.code)}:${diagnostic.range.start.line + 1}`);
      const big = await client.open(uriOf(join(root, 'migrations', '001_big.sql')), BIG);
      expect(lines(big.diagnostics)).toEqual([`rename-column:${LINES + 1}`]);
      const small = await client.open(uriOf(join(root, 'migrations', '002_small.sql')), SMALL);
      expect(lines(small.diagnostics)).toEqual(['require-concurrent-index:1']);
    } finally {
      client.kill();
    }
  });
});

describe('a statement larger than the parser takes', () => {
  it('is reported as not checked; the rest of the file is', () => {
    const sql = `INSERT INTO notes VALUES ('${'x'.repeat(9_000_000)}');\n${RENAME}`;
    const result = runCli(['lint', 'm.sql', '--format', 'json'], { cwd: project({ 'm.sql': sql }) });
    expect(jsonReport(result).findings.map((finding) => [finding.ruleId, finding.line, finding.message.slice(0, 40)])).toEqual([
      ['syntax-error', 1, 'This statement is larger than migrate-sa'],
      ['rename-column', 2, 'RENAME COLUMN name TO full_name on users'],
    ]);
  });
});
