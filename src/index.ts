/**
 * The package's entry point: the plugin API (./api.ts) and `lint` with the built-in rules. Rules
 * import ./api.ts itself, so the rule list never depends on the rules that import it.
 */
import { BUILT_IN_RULES } from '../rules/index.js';
import { type ConfigOverrides, ConfigLoader } from './config/load.js';
import { type LintOptions as EngineOptions, lint as lintWith } from './engine/index.js';
import type { LintResult } from './findings/finding.js';

export * from './api.js';

export interface LintOptions extends Omit<EngineOptions, 'configs'> {
  /** A configuration file to use instead of looking one up. */
  readonly configFile?: string | undefined;
  /** Settings that win over every configuration file, as the command line's options do. */
  readonly overrides?: ConfigOverrides;
}

/** Lints migrations with the built-in rules and the plugins each project's configuration loads. */
export function lint(options: LintOptions): Promise<LintResult> {
  const { configFile, overrides, ...rest } = options;
  const configs = new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides, configFile, cwd: options.cwd ?? process.cwd() });
  return lintWith({ ...rest, configs });
}
