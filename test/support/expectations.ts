import { loadParser, parseSource } from '../../src/parse/parser.js';
import { isUnread, routineBodyOf } from '../../src/parse/plpgsql.js';
import type { Finding } from '../../src/findings/finding.js';

export { loadParser };

/**
 * Fixture expectations: `-- expect: <rule-id>[, <rule-id>]` before a statement (or a directive
 * comment) means that rule reports there; `-- expect-file: <rule-id>` means it reports on the
 * file as a whole. Each becomes `rule@line`, the line of the first following line that is not
 * itself an expectation (file-level: line 1).
 */
export function expectedKeys(text: string): string[] {
  const lines = text.split('\n');
  const keys: string[] = [];
  lines.forEach((line, index) => {
    const match = /^\s*--\s*expect(-file)?:\s*(.+)$/.exec(line);
    if (!match?.[2]) return;
    const target = match[1] ? 1 : targetLine(lines, index);
    for (const rule of match[2].split(',')) keys.push(`${rule.trim()}@${target}`);
  });
  return keys.sort();
}

function targetLine(lines: readonly string[], expectIndex: number): number {
  for (let index = expectIndex + 1; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line.trim() !== '' && !/^\s*--\s*expect(-file)?:/.test(line)) return index + 1;
  }
  return lines.length;
}

/** Findings as `rule@line`: the first line of the statement they are in (inside a DO block or function body: of the body's statement), or their own line outside statements. */
export function actualKeys(text: string, findings: readonly Finding[]): string[] {
  const parsed = parseSource(text);
  // The statements of DO blocks and function bodies first: a finding there is at its own line.
  const ranges = [
    ...parsed.statements.flatMap((statement) => {
      const body = routineBodyOf(parsed, statement);
      return body && !isUnread(body) ? body.units.map((unit) => (unit.kind === 'sql' ? unit.statement : unit)) : [];
    }),
    ...parsed.statements.map((statement) => ({ start: statement.start, end: statement.end })),
    ...parsed.errors.map((error) => ({ start: error.statementStart, end: error.statementEnd })),
  ];
  return findings
    .map((finding) => {
      const range = ranges.find((candidate) => finding.offset >= candidate.start && finding.offset <= candidate.end);
      const line = range ? parsed.source.positionAt(range.start).line : finding.line;
      return `${finding.ruleId}@${line}`;
    })
    .sort();
}
