import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isInside, projectRootOf } from '../config/project-root.js';
import { type FixOptions, lintAndFix } from '../engine/fix.js';
import type { LintResult } from '../findings/finding.js';
import { type AppliedInGit, committedOnDefaultBranch } from '../git/index.js';
import { reportPath } from '../report/paths.js';
import { escapeControlCharacters } from '../report/escape.js';

export interface FixFilesOptions extends FixOptions {
  readonly cwd: string;
  /** `--fix-applied`: fix migrations that are already applied too. */
  readonly fixApplied: boolean;
  /** `--since <ref>`: the files of the run changed since its base; a modified one was in the base, so it is applied. */
  readonly since: string | undefined;
  /** The path standard input is linted as: its fixed text goes to standard output, not to a file. */
  readonly stdinPath: string | undefined;
}

export interface FixFilesResult {
  readonly result: LintResult;
  /** One line per file for standard error: fixed, not fixed and why, or could not be written. */
  readonly notes: readonly string[];
  /** A fixed file could not be written: a tool failure (exit code 2). */
  readonly failed: boolean;
}

/**
 * `--fix`: fixes every linted file it may change, and writes each one whole or not at all. It
 * does not change a migration that is already applied (committed on the default branch, or in
 * the base of `--since`) unless asked, a file that is not valid UTF-8 (its other bytes could not
 * be kept), or a file whose real path lies outside its project (a symbolic link). A file that
 * changed on disk meanwhile, or cannot be written, is reported, and the others are still written.
 */
export async function fixFiles(options: FixFilesOptions): Promise<FixFilesResult> {
  const applied = options.fixApplied ? undefined : appliedMigrations(options);
  const declines = (path: string): string | undefined => {
    if (path === options.stdinPath) return undefined;
    return applied?.(path) ?? unwritable(path, options.cwd);
  };
  const run = await lintAndFix({ ...options, declines });
  const notes: string[] = [];
  let failed = false;
  const show = (path: string): string => escapeControlCharacters(reportPath(path, options.cwd));
  for (const [path, text] of [...run.fixed].sort(([left], [right]) => left.localeCompare(right))) {
    if (path === options.stdinPath) continue;
    const failure = writeExactly(path, run.original.get(path), text);
    if (failure === undefined) notes.push(`fixed ${show(path)}`);
    else notes.push(`cannot write the fixes of ${show(path)}: ${failure}`);
    failed ||= failure !== undefined;
  }
  for (const [path, reason] of run.declined) notes.push(`not fixed: ${show(path)}: ${reason}`);
  return { result: run.result, notes, failed };
}

/** Why a file counts as applied, for each file: in the base of `--since`, or committed on the default branch. */
function appliedMigrations(options: FixFilesOptions): (path: string) => string | undefined {
  if (options.since !== undefined) {
    const changes = options.changes;
    return (path) => (changes?.get(path)?.kind === 'modified' ? `already applied (it is in the base of --since ${options.since}): --fix-applied fixes it anyway` : undefined);
  }
  const repositories = new Map<string, AppliedInGit | undefined>();
  return (path) => {
    const folder = dirname(path);
    if (!repositories.has(folder)) repositories.set(folder, committedOnDefaultBranch(folder));
    const repository = repositories.get(folder);
    return repository?.has(path) ? `already applied (it is committed on ${repository.ref}): --fix-applied fixes it anyway` : undefined;
  };
}

/** Why a file cannot be rewritten exactly, or must not be written at all. */
function unwritable(path: string, cwd: string): string | undefined {
  let real: string;
  let bytes: Buffer;
  try {
    real = realpathSync(path);
    bytes = readFileSync(real);
  } catch (error) {
    return `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const project = projectRootOf(path) ?? (isInside(path, cwd) ? cwd : dirname(path));
  if (!isInside(real, realpathSync(project))) return `it leads to ${escapeControlCharacters(real)}, outside the project ${escapeControlCharacters(project)}: --fix writes only inside the project`;
  if (!isUtf8(bytes)) {
    const line = lineOfFirstInvalidByte(bytes);
    return `it is not valid UTF-8 (line ${line}): --fix writes a file only when it can keep every byte outside its edits`;
  }
  return undefined;
}

function lineOfFirstInvalidByte(bytes: Buffer): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix, by halves (a cut inside a character reads as invalid, so it errs a few bytes early).
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (isUtf8(bytes.subarray(0, middle))) low = middle;
    else high = middle - 1;
  }
  let line = 1;
  for (let index = 0; index < low; index++) if (bytes[index] === 0x0a) line++;
  return line;
}

/**
 * Writes a fixed file through a temporary file in its folder and a rename, keeping its mode and
 * owner: readers see the old text or the new one, never a part. The file must still hold the
 * text that was linted (another `--fix`, an editor). Returns why it was not written, if it was not.
 */
function writeExactly(path: string, linted: string | undefined, text: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(path);
    if (readFileSync(real, 'utf8') !== linted) return 'it changed on disk while --fix ran: run --fix again';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
  const temporary = join(dirname(real), `.${basename(real)}.${randomBytes(6).toString('hex')}.migrate-safe-fix`);
  try {
    const { mode, uid, gid } = statSync(real);
    writeFileSync(temporary, text, { flag: 'wx', mode: 0o600 });
    chmodSync(temporary, mode & 0o7777);
    if (process.getuid?.() === 0) chownSync(temporary, uid, gid);
    renameSync(temporary, real);
    return undefined;
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never created, or already renamed.
    }
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}
