import { createHash } from 'node:crypto';
import type { Finding } from '../findings/finding.js';
import { reportPath } from './paths.js';
import type { Formatter } from './types.js';

/** GitLab's Code Quality severities: `info`, `minor`, `major`, `critical`, `blocker`. An error is an outage. */
const SEVERITY = { error: 'critical', warning: 'minor' } as const;

/**
 * A GitLab Code Quality report (the Code Climate issue subset GitLab reads): findings appear in the
 * merge request widget and the changes view. Silenced findings are left out.
 */
export const formatGitlab: Formatter = (result, options) => {
  const issues = result.findings
    .filter((finding) => !finding.suppression)
    .map((finding) => {
      const path = reportPath(finding.file, options.cwd);
      return {
        description: finding.message,
        check_name: finding.ruleId,
        fingerprint: fingerprint(path, finding),
        severity: SEVERITY[finding.severity],
        location: { path, lines: { begin: finding.line } },
      };
    });
  return `${JSON.stringify(issues, null, 2)}\n`;
};

/** Unique in the report and stable across runs: the file plus the engine's line-independent fingerprint. */
function fingerprint(path: string, finding: Finding): string {
  return createHash('sha256').update(`${path}\0${finding.fingerprint}`).digest('hex').slice(0, 32);
}
