import type { LintResult } from '../findings/finding.js';

export interface ReportOptions {
  /** Paths in the report are relative to this folder. */
  readonly cwd: string;
  readonly color: boolean;
}

/** A report format: the whole result in, the text to print or save out. */
export type Formatter = (result: LintResult, options: ReportOptions) => string;
