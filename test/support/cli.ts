import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const REPOSITORY = join(import.meta.dirname, '..', '..');
export const CLI = join(REPOSITORY, 'dist', 'cli', 'main.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user does: `node dist/cli/main.js ...` (the bundled binary), without color unless asked. */
export function runCli(args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm test builds it (npm run build)`);
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPOSITORY,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A fresh folder with the given files (path relative to it, content). */
export function project(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

export interface JsonReport {
  readonly findings: readonly {
    readonly ruleId: string;
    readonly severity: string;
    readonly file: string;
    readonly line: number;
    readonly column: number;
    readonly endLine: number;
    readonly endColumn: number;
    readonly message: string;
    readonly help: string | null;
    readonly lock: { readonly mode: string; readonly relation: string; readonly blocksReads: boolean; readonly blocksWrites: boolean } | null;
    readonly rewrite: boolean | null;
    readonly scan: boolean | null;
  }[];
  readonly notes: readonly { readonly ruleId: string; readonly folder: string; readonly message: string }[];
  readonly summary: { readonly files: number; readonly problems: number; readonly errors: number; readonly warnings: number; readonly suppressed: number };
}

export function jsonReport(result: CliResult): JsonReport {
  return JSON.parse(result.stdout) as JsonReport;
}

/** Runs the built CLI without waiting: for runs that must overlap (two `up` at once, a session killed mid-migration). */
export function runCliAsync(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm test builds it (npm run build)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPOSITORY,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr });
    });
  });
}
