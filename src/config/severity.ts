import type { RuleSeverity } from '../plugin/rule.js';

/** The severities a configuration or `--rule` may give a rule: `warning`, as the reports print it, is `warn`. */
export const SEVERITIES = ['off', 'warn', 'warning', 'error'] as const;

export type SeverityName = (typeof SEVERITIES)[number];

/** One spelling from here on: `warning` becomes `warn`. */
export function normalSeverity(severity: SeverityName): RuleSeverity {
  return severity === 'warning' ? 'warn' : severity;
}
