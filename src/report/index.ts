import type { Formatter } from './types.js';

export type { Formatter, ReportOptions } from './types.js';

/** Each format is loaded only when a run asks for it. */
const FORMATS: Readonly<Record<string, () => Promise<Formatter>>> = {
  text: async () => (await import('./text.js')).formatText,
  compact: async () => (await import('./compact.js')).formatCompact,
  json: async () => (await import('./json.js')).formatJson,
  sarif: async () => (await import('./sarif.js')).formatSarif,
  github: async () => (await import('./github.js')).formatGithub,
  gitlab: async () => (await import('./gitlab.js')).formatGitlab,
};

export const FORMAT_NAMES: readonly string[] = Object.keys(FORMATS);

export async function loadFormatter(name: string): Promise<Formatter | undefined> {
  return FORMATS[name]?.();
}
