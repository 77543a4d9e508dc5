import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, uriOf } from './lsp-client.js';

/**
 * A seeded mutation fuzzer over SQL (issue 14, "keep it so"): mutants of the statements the
 * fixtures hold, and generated extremes (nesting, size, hostile bytes), linted by the built CLI
 * as a user runs it. A case fails when the CLI crashes (exit other than 0 or 1), prints anything
 * but a JSON report, or runs past its time limit; with `--fix`, when the fixed file gains syntax
 * errors, a second `--fix` changes it again, or a line no finding points at is changed. The same
 * seed gives the same cases, so a failure is replayed from the seed it prints.
 */

/** The repository: this module runs from scripts/support in tests and from dist/scripts/support built. */
export const ROOT = ((): string => {
  let folder = import.meta.dirname;
  while (!existsSync(join(folder, 'fixtures'))) folder = dirname(folder);
  return folder;
})();
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** A small, fast generator of 32-bit numbers (mulberry32): the same seed, the same cases, on every machine. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }
  below(limit: number): number {
    return Math.floor(this.next() * limit);
  }
  pick<Item>(items: readonly Item[]): Item {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** The SQL the fixtures hold: regression-style statements for every rule, good and bad. */
export function seedTexts(): string[] {
  const texts: string[] = [];
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.sql')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  visit(join(ROOT, 'fixtures'));
  return texts.sort();
}

/** Text that breaks lexers: quotes, bodies and comments opened and closed, psql's own lines, odd characters. */
const HOSTILE = [
  ';', "'", '"', '$$', '$body$', '/*', '*/', '--', '\n', '\r\n', '(', ')', ',', '\\', '\\echo x\n', '\\gset\n', '\\.\n',
  'COPY t FROM stdin;\n1\t2\n', 'BEGIN;', 'COMMIT;', 'ROLLBACK;', 'BEGIN ATOMIC', 'END;', 'E\'\\\'', 'U&"\\0041"', '😀', 'é',
  '\uFEFF', '\u0000', '\u001b[31m', '\u202e', '-- migrate-safe-disable-next-line\n', '-- migrate-safe-disable\n',
  'DO $$ BEGIN UPDATE t SET a = 1; END $$;', 'CREATE INDEX i ON t (a);', 'ALTER TABLE t ADD COLUMN c int NOT NULL;',
  'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);', 'ALTER TABLE t ALTER COLUMN a SET NOT NULL;', 'DROP TABLE t;',
];

function nested(depth: number, wrap: (inner: string) => string, core: string): string {
  let sql = core;
  for (let level = 0; level < depth; level++) sql = wrap(sql);
  return sql;
}

/** Valid statements at the extremes psql still runs: deep nesting, long names and literals, many statements. */
function extreme(random: Random): string {
  const depth = 50 + random.below(3000);
  switch (random.below(8)) {
    case 0:
      return `SELECT * FROM ${nested(Math.min(depth, 1000), (inner) => `(${inner}) s`, 't')};\n`;
    case 1:
      return `SELECT ${nested(depth, (inner) => `abs(${inner})`, 'a')} FROM t;\n`;
    case 2:
      return `SELECT ${nested(Math.min(depth, 1000), (inner) => `CASE WHEN a THEN ${inner} ELSE 0 END`, '1')};\n`;
    case 3:
      return `SELECT ${Array(depth).fill('a').join(' + ')} FROM t;\n`;
    case 4:
      return `CREATE TABLE "${'名'.repeat(10 + random.below(100))}" ("${'x'.repeat(random.below(200))}" int);\n`;
    case 5:
      return `INSERT INTO t VALUES ('${"x''".repeat(random.below(200_000))}');\n`;
    case 6:
      return 'SELECT 1;\n'.repeat(random.below(20_000));
    default:
      return `${Array(depth).fill('SELECT 1').join(' UNION ALL ')};\n`;
  }
}

/** One mutant: a seed text changed by a few random steps. */
export function mutant(random: Random, seeds: readonly string[]): string {
  let text = random.below(10) === 0 ? '' : random.pick(seeds);
  const steps = 1 + random.below(4);
  for (let step = 0; step < steps; step++) {
    const at = random.below(text.length + 1);
    const end = Math.min(text.length, at + random.below(80));
    switch (random.below(7)) {
      case 0:
        text = text.slice(0, at) + text.slice(end);
        break;
      case 1:
        text = text.slice(0, at) + random.pick(HOSTILE) + text.slice(at);
        break;
      case 2: {
        const other = random.pick(seeds);
        const from = random.below(other.length + 1);
        text = text.slice(0, at) + other.slice(from, from + random.below(400)) + text.slice(end);
        break;
      }
      case 3:
        text = text.slice(0, end) + text.slice(at, end) + text.slice(end);
        break;
      case 4:
        text = random.below(2) === 0 ? text.replaceAll('\n', '\r\n') : `\uFEFF${text}`;
        break;
      case 5:
        text = text.slice(0, at) + extreme(random) + text.slice(at);
        break;
      default:
        text += `\n${random.pick(seeds)}`;
    }
  }
  return text;
}

export interface Failure {
  readonly seed: number;
  /** The case's number under that seed (0-based): replayed alone, it fails the same way. */
  readonly case: number | undefined;
  readonly problem: string;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs the CLI with a time limit, without blocking (a batch's runs and the language server overlap). */
function runCli(args: readonly string[], cwd: string, timeLimitMs: number, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, CI: undefined, GITHUB_ACTIONS: undefined } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeLimitMs);
    child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut });
    });
    child.stdin.end(input);
  });
}

interface ReportedFinding {
  readonly ruleId: string;
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
}

/** What is wrong with a run of `lint --format json`, or its findings. */
function report(run: Run, timeLimitMs: number): { problem: string } | { findings: ReportedFinding[] } {
  if (run.timedOut) return { problem: `no answer within ${timeLimitMs / 1000} s` };
  if (run.status !== 0 && run.status !== 1) return { problem: `exit ${String(run.status)}: ${run.stderr.slice(0, 400)}` };
  try {
    return { findings: (JSON.parse(run.stdout) as { findings: ReportedFinding[] }).findings };
  } catch {
    return { problem: `stdout is not one JSON report: ${run.stdout.slice(0, 200)}` };
  }
}

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  /** Cases linted by one CLI run; a failing batch is narrowed down to its case. */
  readonly batch?: number;
  readonly timeLimitMs?: number;
  readonly onProgress?: (done: number) => void;
}

const caseName = (index: number): string => `${String(index).padStart(5, '0')}_case.sql`;

/** The cases of a seed, in order: case i is always the same text. */
export function cases(seed: number, count: number): string[] {
  const random = new Random(seed);
  const seeds = seedTexts();
  return Array.from({ length: count }, () => mutant(random, seeds));
}

/** Lints and fixes `count` mutants of `seed`; the failures found. */
export async function fuzzCli(options: FuzzOptions): Promise<Failure[]> {
  const { seed, count, batch = 25, timeLimitMs = 20_000 } = options;
  const all = cases(seed, count);
  const failures: Failure[] = [];
  for (let first = 0; first < all.length; first += batch) {
    const texts = all.slice(first, first + batch);
    const problems = await checkProject(texts, first, timeLimitMs * texts.length);
    if (problems.length > 0) {
      // Narrowed to single cases where they fail alone; the batch's problem where none does.
      const alone: Failure[] = [];
      for (const [offset, text] of texts.entries()) {
        for (const problem of await checkProject([text], first + offset, timeLimitMs)) alone.push({ seed, case: first + offset, problem });
      }
      failures.push(...(alone.length > 0 ? alone : problems.map((problem) => ({ seed, case: undefined, problem: `cases ${first}..${first + texts.length - 1} together: ${problem}` }))));
    }
    options.onProgress?.(Math.min(all.length, first + batch));
  }
  return failures;
}

/** Lints a project of the given files, then fixes a copy of it twice; every problem found. */
async function checkProject(texts: readonly string[], firstIndex: number, timeLimitMs: number): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-fuzz-'));
  try {
    const lintRoot = join(root, 'lint');
    mkdirSync(join(lintRoot, 'migrations'), { recursive: true });
    for (const [offset, text] of texts.entries()) writeFileSync(join(lintRoot, 'migrations', caseName(firstIndex + offset)), text);
    const linted = report(await runCli(['lint', 'migrations', '--format', 'json', '--no-cache'], lintRoot, timeLimitMs), timeLimitMs);
    if ('problem' in linted) return [`lint: ${linted.problem}`];

    const fixRoot = join(root, 'fix');
    cpSync(lintRoot, fixRoot, { recursive: true });
    const fixed = report(await runCli(['lint', 'migrations', '--fix', '--format', 'json', '--no-cache'], fixRoot, timeLimitMs), timeLimitMs);
    if ('problem' in fixed) return [`--fix: ${fixed.problem}`];
    const problems: string[] = [];
    const once = new Map<string, string>();
    texts.forEach((text, offset) => {
      const file = `migrations/${caseName(firstIndex + offset)}`;
      const after = readFileSync(join(fixRoot, file), 'utf8');
      once.set(file, after);
      if (after === text) return;
      const syntaxErrors = (findings: readonly ReportedFinding[]): number => findings.filter((finding) => finding.file === file && finding.ruleId === 'syntax-error').length;
      if (syntaxErrors(fixed.findings) > syntaxErrors(linted.findings)) problems.push(`--fix: ${file} no longer parses`);
      const untouched = linesOutsideFindings(text, linted.findings.filter((finding) => finding.file === file));
      if (!keepsInOrder(after, untouched)) problems.push(`--fix: ${file} changed a line no finding points at`);
    });
    const again = report(await runCli(['lint', 'migrations', '--fix', '--format', 'json', '--no-cache'], fixRoot, timeLimitMs), timeLimitMs);
    if ('problem' in again) return [...problems, `second --fix: ${again.problem}`];
    for (const [file, after] of once) {
      if (readFileSync(join(fixRoot, file), 'utf8') !== after) problems.push(`second --fix: ${file} changed again`);
    }
    return problems;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The lines (with their line break) that no finding's range covers: a fix never has a reason to change them. */
function linesOutsideFindings(text: string, findings: readonly ReportedFinding[]): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.filter((_, index) => !findings.some((finding) => finding.line <= index + 1 && index + 1 <= finding.endLine));
}

/** Whether `lines` appear in `text` as whole lines, in order (a fix may insert lines between them). */
function keepsInOrder(text: string, lines: readonly string[]): boolean {
  const after = text.split(/(?<=\n)/);
  let next = 0;
  for (const line of after) if (next < lines.length && line === lines[next]) next++;
  return next === lines.length;
}

/**
 * Random edits to a document in the language server: after each, its diagnostics must be what
 * the CLI reports for the same text (rule and lines).
 */
export async function fuzzLsp(options: { readonly seed: number; readonly edits: number; readonly timeLimitMs?: number }): Promise<Failure[]> {
  const { seed, edits, timeLimitMs = 20_000 } = options;
  const random = new Random(seed);
  const seeds = seedTexts();
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-fuzz-lsp-'));
  writeFileSync(join(root, 'package.json'), '{}');
  const file = join('migrations', '0001_edited.sql');
  const uri = uriOf(join(root, file));
  const client = new LspClient(CLI, root);
  const failures: Failure[] = [];
  const withinLimit = <Value>(promise: Promise<Value>): Promise<Value | undefined> =>
    Promise.race([promise, delay(timeLimitMs, undefined, { ref: false })]);
  try {
    await client.initialize(root);
    let document = TextDocument.create(uri, 'sql', 1, random.pick(seeds));
    let published = await withinLimit(client.open(uri, document.getText()));
    for (let edit = 0; edit <= edits; edit++) {
      if (!published) {
        failures.push({ seed, case: edit, problem: `the language server published no diagnostics within ${timeLimitMs / 1000} s` });
        break;
      }
      const text = document.getText();
      const cli = report(await runCli(['lint', '--format', 'json', '--no-cache', '--stdin-filename', file, '-'], root, timeLimitMs, text), timeLimitMs);
      if ('problem' in cli) failures.push({ seed, case: edit, problem: `CLI on the edited text: ${cli.problem}` });
      else {
        const expected = cli.findings.map((finding) => `${finding.ruleId}@${finding.line}`).sort();
        const got = published.diagnostics.map((diagnostic: Diagnostic) => `${String(diagnostic.code)}@${diagnostic.range.start.line + 1}`).sort();
        if (JSON.stringify(expected) !== JSON.stringify(got)) {
          failures.push({ seed, case: edit, problem: `after edit ${edit} the editor shows ${JSON.stringify(got)}, the CLI ${JSON.stringify(expected)}` });
          break;
        }
      }
      if (edit === edits) break;
      const start = random.below(text.length + 1);
      const end = Math.min(text.length, start + random.below(120));
      const insert = random.below(3) === 0 ? random.pick(HOSTILE) : mutant(random, seeds).slice(0, random.below(300));
      const range = { start: document.positionAt(start), end: document.positionAt(end) };
      document = TextDocument.update(document, [{ range, text: insert }], document.version + 1);
      published = await withinLimit(client.change(uri, document.version, [{ range, text: insert }]));
    }
  } finally {
    client.kill();
    rmSync(root, { recursive: true, force: true });
  }
  return failures;
}
