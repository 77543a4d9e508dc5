import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FormatsPlugin } from 'ajv-formats';

const require = createRequire(import.meta.url);
// CommonJS, whose default export TypeScript's NodeNext typing does not see as callable.
const addFormats = (require('ajv-formats') as { default: FormatsPlugin }).default;

/** The SARIF validator's platform package (an optional dependency of @microsoft/sarif-multitool): the binary and the official schema. */
const MULTITOOL_FOLDER = dirname(require.resolve(`@microsoft/sarif-multitool-${process.platform}/package.json`));

/** Errors of the SARIF 2.1.0 JSON schema (the copy the SARIF SDK ships), as `path: message`. */
export function schemaErrors(log: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(MULTITOOL_FOLDER, 'sarif-2.1.0.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (validate(log)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath}: ${error.message ?? ''}`);
}

export interface ValidatorVerdict {
  /** `level ruleId: message` for each error and warning. */
  readonly problems: readonly string[];
  /** The rule ids of the notes (suggestions). */
  readonly notes: readonly string[];
}

/**
 * Microsoft's SARIF validator with its SARIF rules and GitHub's ingestion rules (`Gh`, `Ghas`).
 * The platform binary is called directly, so no shell splits the `;` in the rule kinds.
 */
export function multitoolVerdict(sarifFile: string, outputFile: string): ValidatorVerdict {
  const binary = join(MULTITOOL_FOLDER, process.platform === 'win32' ? 'Sarif.Multitool.exe' : 'Sarif.Multitool');
  const run = spawnSync(binary, ['validate', sarifFile, '--rule-kind', 'Sarif;Gh;Ghas', '--level', 'Error;Warning;Note', '--output', outputFile, '--log', 'ForceOverwrite'], {
    encoding: 'utf8',
    // .NET loads libicu at start unless told not to: a minimal machine may not have it, and validating needs no culture data.
    env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
  });
  if (run.status !== 0) throw new Error(`the SARIF validator failed (${String(run.status)}): ${run.stdout}${run.stderr}`);
  const log = JSON.parse(readFileSync(outputFile, 'utf8')) as {
    runs: { results?: { ruleId: string; level?: string; message: { text?: string; arguments?: string[] } }[] }[];
  };
  const results = log.runs.flatMap((run) => run.results ?? []);
  return {
    // SARIF's default level is warning.
    problems: results.filter((result) => result.level !== 'note').map((result) => `${result.level ?? 'warning'} ${result.ruleId}: ${result.message.text ?? (result.message.arguments ?? []).join(' ')}`),
    notes: [...new Set(results.filter((result) => result.level === 'note').map((result) => result.ruleId))].sort(),
  };
}
