import type { Finding, LintResult } from '../findings/finding.js';
import type { Fix } from '../plugin/rule.js';
import { applyEdits, compatibleEdits } from './edits.js';
import { type LintOptions, lint } from './index.js';

/** `--fix` stops after this many rounds even if fixes keep coming (two fixes undoing each other). */
const MAX_PASSES = 10;

export interface FixRun {
  /** The findings of the fixed files: what is left after the last round. */
  readonly result: LintResult;
  /** The new text of every file a fix changed, by absolute path. */
  readonly fixed: ReadonlyMap<string, string>;
  /** Each fixed file's text as it was linted first: what must still be on disk when the fix is written. */
  readonly original: ReadonlyMap<string, string>;
  /** Files that had fixes the caller declined (`declines`), with the reason. */
  readonly declined: ReadonlyMap<string, string>;
}

export interface FixOptions extends LintOptions {
  /** Why a file must not be changed (an applied migration, a file that cannot be written back exactly); undefined to fix it. */
  readonly declines?: (path: string) => string | undefined;
}

/**
 * Lints, applies every unattended fix (`finding.fix`) of findings that are not silenced, and
 * lints again, until no fix applies: a fix can make another one possible, and two fixes of one
 * statement that overlap are applied one per round. Nothing is written: the caller decides.
 */
export async function lintAndFix(options: FixOptions): Promise<FixRun> {
  const texts = new Map(options.texts ?? []);
  const fixed = new Map<string, string>();
  const original = new Map<string, string>();
  const declined = new Map<string, string>();
  for (let pass = 1; ; pass++) {
    const result = await lint({ ...options, texts });
    const fixesByFile = unattendedFixes(result.findings);
    let changed = false;
    for (const [file, fixes] of fixesByFile) {
      const text = result.sources.get(file);
      if (text === undefined) continue;
      const reason = declined.get(file) ?? options.declines?.(file);
      if (reason !== undefined) {
        declined.set(file, reason);
        continue;
      }
      if (!original.has(file)) original.set(file, text);
      const next = applyEdits(text, compatibleEdits(fixes));
      if (next === text) continue;
      texts.set(file, next);
      fixed.set(file, next);
      changed = true;
    }
    if (!changed || pass === MAX_PASSES) return { result, fixed, original, declined };
  }
}

function unattendedFixes(findings: readonly Finding[]): Map<string, Fix[]> {
  const byFile = new Map<string, Fix[]>();
  for (const finding of findings) {
    if (!finding.fix || finding.suppression) continue;
    byFile.set(finding.file, [...(byFile.get(finding.file) ?? []), finding.fix]);
  }
  return byFile;
}
