import { countFindings } from '../findings/finding.js';
import { reportPath } from './paths.js';
import type { Formatter } from './types.js';

/**
 * The JSON report, a stable interface: `findings` (unsuppressed, in file and position order),
 * `notes` (what rules noted about whole projects) and `summary`. Lines and columns are 1-based;
 * columns count characters.
 */
export const formatJson: Formatter = (result, options) => {
  const active = result.findings.filter((finding) => !finding.suppression);
  const { errors, warnings } = countFindings(result.findings);
  const report = {
    findings: active.map((finding) => ({
      ruleId: finding.ruleId,
      severity: finding.severity,
      file: reportPath(finding.file, options.cwd),
      line: finding.line,
      column: finding.column,
      endLine: finding.endLine,
      endColumn: finding.endColumn,
      message: finding.message,
      help: finding.help ?? null,
      lock: finding.lock
        ? {
            mode: finding.lock.mode,
            relation: finding.lock.relation,
            blocksReads: finding.lock.blocksReads,
            blocksWrites: finding.lock.blocksWrites,
            blocksDdl: finding.lock.blocksDdl,
          }
        : null,
      rewrite: finding.lock ? finding.lock.effect === 'rewrite' : null,
      scan: finding.lock ? finding.lock.effect === 'scan' : null,
    })),
    notes: result.notes.map((note) => ({ ruleId: note.ruleId, folder: reportPath(note.folder, options.cwd), message: note.message })),
    summary: {
      files: result.files.length,
      problems: errors + warnings,
      errors,
      warnings,
      suppressed: result.findings.length - active.length,
      // How each project's files run, as the analysis assumed (the migration tool's transactions).
      transactions: (result.projects ?? []).map((project) => ({
        project: reportPath(project.root, options.cwd) || '.',
        layout: project.layout,
        modes: project.transactions,
      })),
    },
  };
  return `${JSON.stringify(report, null, 2)}\n`;
};
