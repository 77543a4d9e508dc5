import { colors } from './color.js';
import { reportPath } from './paths.js';
import { summary } from './text.js';
import type { Formatter } from './types.js';

/**
 * One line per finding, `path:line:column: severity: message [rule-id]` (the GCC style that
 * editors' compile modes, problem matchers and squawk's gcc reporter share), then the summary line
 * of the text report; the rules' notes about whole projects come before it as
 * `folder: note: message [rule-id]` (GCC's own word for them). For CI logs: the lock and the safe SQL are in `migrate-safe rules <rule-id>`.
 */
export const formatCompact: Formatter = (result, options) => {
  const c = colors(options.color);
  const lines = result.findings
    .filter((finding) => !finding.suppression)
    .map((finding) => {
      const severity = finding.severity === 'error' ? c.red('error') : c.yellow('warning');
      return `${reportPath(finding.file, options.cwd)}:${finding.line}:${finding.column}: ${severity}: ${finding.message} ${c.dim(`[${finding.ruleId}]`)}`;
    });
  for (const note of result.notes) lines.push(`${reportPath(note.folder, options.cwd)}: ${c.cyan('note')}: ${note.message} ${c.dim(`[${note.ruleId}]`)}`);
  lines.push(summary(result, c));
  return `${lines.join('\n')}\n`;
};
