import type { Finding, RunProblem } from '../findings/finding.js';
import { explainFinding, sentence } from './explain.js';
import { reportPath } from './paths.js';
import type { Formatter } from './types.js';

/**
 * GitHub Actions workflow commands (`::error file=...,line=...::message`): each finding becomes an
 * annotation on its line in the pull request, without code scanning. Silenced findings are left out.
 */
export const formatGithub: Formatter = (result, options) => {
  const lines = result.findings
    .filter((finding) => !finding.suppression)
    .map((finding) => annotation(finding, reportPath(finding.file, options.cwd)));
  lines.push(...result.problems.map((problem) => problemAnnotation(problem, options.cwd)));
  // A note is about a folder, not a line: a notice without a file shows in the run's summary.
  lines.push(...result.notes.map((note) => command('notice', { title: `migrate-safe ${note.ruleId}` }, `${reportPath(note.folder, options.cwd)}: ${note.message}`)));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
};

function annotation(finding: Finding, path: string): string {
  // Columns only make sense on one line: GitHub rejects them on a range of lines.
  const columns = finding.line === finding.endLine;
  const properties = {
    file: path,
    line: finding.line,
    ...(columns ? { col: finding.column } : {}),
    endLine: finding.endLine,
    ...(columns ? { endColumn: finding.endColumn } : {}),
    title: finding.ruleId,
  };
  return command(finding.severity, properties, explainFinding(finding));
}

function problemAnnotation(problem: RunProblem, cwd: string): string {
  const properties: Record<string, string> = problem.file === undefined ? {} : { file: reportPath(problem.file, cwd) };
  return command('error', { ...properties, title: 'migrate-safe' }, sentence(problem.message));
}

function command(level: 'error' | 'warning' | 'notice', properties: Readonly<Record<string, string | number>>, message: string): string {
  const list = Object.entries(properties)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${level} ${list}::${escapeData(message)}`;
}

/** What the runner decodes in a command's message (actions/toolkit's escapeData). */
function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Property values also end at `,` and `:` (actions/toolkit's escapeProperty). */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}
