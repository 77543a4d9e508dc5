import type { Finding, FindingLock, LintResult } from '../findings/finding.js';
import { countFindings } from '../findings/finding.js';
import { type Colors, colors } from './color.js';
import { escapeControlCharacters as shown } from './escape.js';
import { reportPath } from './paths.js';
import type { Formatter } from './types.js';

/**
 * The report for people: findings grouped by file, each with its source line underlined, the lock
 * and what it blocks, and the safe alternative as SQL; then the rules' notes about whole projects
 * and a summary line. Readable without color.
 */
export const formatText: Formatter = (result, options) => {
  const c = colors(options.color);
  const active = result.findings.filter((finding) => !finding.suppression);
  const out: string[] = [];
  let currentFile: string | undefined;
  for (const finding of active) {
    if (finding.file !== currentFile) {
      currentFile = finding.file;
      out.push(c.underline(shown(reportPath(finding.file, options.cwd))));
    }
    // Each finding ends with a blank line, which also separates the files.
    out.push(...formatFinding(finding, result.sources.get(finding.file), c));
  }
  for (const note of result.notes) out.push(`${c.cyan(c.bold('note'))}  ${reportPath(note.folder, options.cwd)}  ${c.bold(note.ruleId)}  ${note.message}`);
  if (result.notes.length > 0) out.push('');
  out.push(...transactionLines(result, options.cwd, c));
  out.push(summary(result, c));
  return `${out.join('\n')}\n`;
};

function formatFinding(finding: Finding, source: string | undefined, c: Colors): string[] {
  const severity = finding.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const lines = [`  ${c.dim(`${finding.line}:${finding.column}`)}  ${severity}  ${c.bold(shown(finding.ruleId))}  ${shown(finding.message)}`];
  const sourceLine = source?.split('\n')[finding.line - 1]?.replace(/\r$/, '').replace(/^\uFEFF/, '');
  if (sourceLine !== undefined && sourceLine.trim() !== '') lines.push(...snippet(finding, sourceLine, c));
  if (finding.lock) lines.push(`      ${c.magenta('lock:')} ${shown(describeLock(finding.lock))}`);
  if (finding.help) {
    lines.push(`      ${c.green('safe alternative:')}`);
    for (const helpLine of finding.help.split('\n')) lines.push(`        ${c.cyan(shown(helpLine.replace(/\r$/, ''), { keepTabs: true }))}`);
  }
  lines.push('');
  return lines;
}

/**
 * The finding's first line with the offending range underlined; tabs are kept so the carets line
 * up, and control characters are shown escaped (`\x1b`), the carets as wide as the escapes.
 */
function snippet(finding: Finding, sourceLine: string, c: Colors): string[] {
  // Columns count code points, so the underline does too.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- columns are code points by definition
  const characters = [...sourceLine].map((character) => shown(character, { keepTabs: true }));
  const start = Math.min(finding.column - 1, characters.length);
  const end = Math.min(finding.endLine === finding.line ? Math.max(finding.endColumn - 1, start + 1) : characters.length, characters.length);
  const padding = characters.slice(0, start).map((character) => (character === '\t' ? '\t' : ' '.repeat(character.length))).join('');
  const width = characters.slice(start, end).reduce((sum, character) => sum + character.length, 0);
  const gutter = String(finding.line);
  const blank = ' '.repeat(gutter.length);
  const caret = finding.severity === 'error' ? c.red : c.yellow;
  return [
    `    ${c.dim(`${gutter} |`)} ${characters.join('')}`,
    `    ${c.dim(`${blank} |`)} ${padding}${caret('^'.repeat(Math.max(1, width)))}`,
  ];
}

/** "takes ACCESS EXCLUSIVE on agents: blocks reads and writes; rewrites the table". */
export function describeLock(lock: FindingLock): string {
  const effect = lock.effect === 'none' ? '' : `; ${lock.effectNote ?? (lock.effect === 'rewrite' ? 'rewrites the table' : 'scans the whole table')}`;
  return `takes ${lock.mode} on ${lock.relation}: ${lock.impact}${effect}`;
}

/** Once per report: how each project's files run, which every transaction finding depends on. */
function transactionLines(result: LintResult, cwd: string, c: Colors): string[] {
  return (result.projects ?? []).flatMap((project) =>
    project.transactions.map((mode) => c.dim(shown(`transactions in ${reportPath(project.root, cwd) || '.'}: ${mode}`))),
  );
}

/** "✖ 4 problems (3 errors, 1 warning) in 13 files, 2 suppressed": the last line of the text and compact reports. */
export function summary(result: LintResult, c: Colors): string {
  const files = result.files.length;
  const fileWord = `${files} ${files === 1 ? 'file' : 'files'}`;
  const { errors, warnings } = countFindings(result.findings);
  const suppressed = result.findings.filter((finding) => finding.suppression).length;
  // Findings silenced by migrate-safe-ignore directives: counted, so a growing number is visible.
  const silenced = suppressed === 0 ? '' : `, ${suppressed} suppressed`;
  if (errors + warnings === 0) return c.green(`✔ no problems in ${fileWord}${silenced}`);
  const problems = `${errors + warnings} ${errors + warnings === 1 ? 'problem' : 'problems'}`;
  const detail = `${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`;
  const line = `✖ ${problems} (${detail}) in ${fileWord}${silenced}`;
  return errors > 0 ? c.red(c.bold(line)) : c.yellow(c.bold(line));
}
