import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import picomatch from 'picomatch';
import type { Loader, PublicExplorer, cosmiconfig } from 'cosmiconfig';
import * as v from 'valibot';
import { parseDuration } from '../analyze/session.js';
import type { Severity } from '../findings/finding.js';
import type { AnyRule, RuleSeverity } from '../plugin/rule.js';
import { UsageError } from './errors.js';
import { importModule } from './import-module.js';
import { DATABASE_DEFAULTS, DEFAULT_DEPRECATED_SUFFIX, DEFAULT_PG_VERSION, DEFAULT_RELEASE_WINDOW, type DatabaseSettings } from './defaults.js';
import { presetSeverity } from './presets.js';
import { projectRootOf } from './project-root.js';
import { type APPLIED_BY, CONFIG_SCHEMA, type RuleSetting, type UserConfig, firstIssue } from './schema.js';
import { didYouMean } from './suggest.js';
import { findSupabaseConfig, readSupabaseSettings } from './supabase-project.js';
import { certainlyUnconfigured, cosmiconfigCodeOptions } from './unconfigured.js';
import { codeLabel, enterCode, leaveCode } from '../engine/watch.js';

export { DATABASE_DEFAULTS, DEFAULT_DEPRECATED_SUFFIX, DEFAULT_PG_VERSION, type DatabaseSettings } from './defaults.js';

export type AppliedBy = (typeof APPLIED_BY)[number];

/** A rule that runs, with the severity and options the configuration gives it. */
export interface ConfiguredRule {
  readonly rule: AnyRule;
  readonly severity: Severity;
  readonly options: unknown;
  /** The plugin that brought the rule, as the configuration names it; undefined for a built-in rule. */
  readonly plugin?: string | undefined;
}

/**
 * What a loader does with project code (a JavaScript or TypeScript configuration file, plugins):
 * `run` it; `skip` it and say so (`ResolvedConfig.skippedCode`: an editor's untrusted workspace);
 * `refuse` it with `CodeNotRun` (a caller that then runs the lint where it can stop it).
 */
export type ProjectCode = 'run' | 'skip' | 'refuse';

/** The configuration would run project code, and the loader was told to refuse it. */
export class CodeNotRun extends Error {}

export interface ResolvedConfig {
  /** The configuration file, when one was found. */
  readonly filepath: string | undefined;
  readonly pgVersion: number;
  /** Whether each file runs in one transaction; undefined: as the layout knows its migration tool to run it. */
  readonly assumeInTransaction: boolean | undefined;
  /** The migrations folder `validate` lints, absolute. */
  readonly migrationsFolder: string | undefined;
  readonly layout: string | undefined;
  /**
   * Which migrations deploy together (`migrations.release`): matched against each migration's
   * version, equal matches (the first capture group, when there is one) are one release.
   */
  readonly release: RegExp | undefined;
  /** Consecutive migrations whose version timestamps are at most this many milliseconds apart are one release (`migrations.releaseWindow`); 0: by none. */
  readonly releaseWindow: number;
  /** Who applies the migrations (`migrations.appliedBy`); undefined: the layout's tool. */
  readonly appliedBy: AppliedBy | undefined;
  readonly database: DatabaseSettings;
  /** Where `backup` and `up` write `backup_YYYYMMDD_HHMMSS.sql` (absolute), and how many days they are kept. */
  readonly backups: { readonly folder: string; readonly keepDays: number };
  /** The append-only `migration.log` (absolute); undefined: none. */
  readonly migrationLog: string | undefined;
  readonly isIgnored: (path: string) => boolean;
  /** The rules that are on, in the order they were registered. */
  readonly rules: readonly ConfiguredRule[];
  /** Every rule that exists (built-in and plugins), on or off: directives may name any of them. */
  readonly allRules: readonly AnyRule[];
  readonly deprecatedSuffix: string;
  /** The configuration's `exposedSchemas`, else `supabase/config.toml`'s `[api] schemas`; undefined when neither says (an empty list says: none). */
  readonly exposedSchemas: readonly string[] | undefined;
  /** The TimeZone the migration tool's sessions start with; undefined when unknown (a SET in the file still counts). */
  readonly timeZone: string | undefined;
  /** The plugins' module files, absolute: the persistent cache is only valid for the code that made it. */
  readonly pluginFiles: readonly string[];
  /** `cache: true`: keep what can be reused between runs (as `--cache` does). */
  readonly cache: boolean;
  /** With `projectCode: 'skip'`: the code that was not run ("the configuration .migrate-saferc.js", "plugin ./rules.js"). */
  readonly skippedCode: readonly string[];
  /** Where the cache is kept, absolute; undefined: node_modules/.cache/migrate-safe in the working folder. */
  readonly cacheLocation: string | undefined;
}

/** Command-line settings, which win over the configuration file. */
export interface ConfigOverrides {
  readonly pgVersion?: number | undefined;
  readonly assumeInTransaction?: boolean | undefined;
  /** `up` and `down` lint what they run as migrate-safe runs it. */
  readonly appliedBy?: AppliedBy | undefined;
  readonly rules?: Readonly<Record<string, RuleSeverity>>;
}

/** The name cosmiconfig looks for: the package.json key, and the `.migrate-saferc` files. */
const MODULE_NAME = 'migrate-safe';

export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.migrate-saferc',
  '.migrate-saferc.json',
  '.migrate-saferc.yaml',
  '.migrate-saferc.yml',
  '.migrate-saferc.js',
  '.migrate-saferc.cjs',
  '.migrate-saferc.mjs',
  'migrate-safe.config.js',
  'migrate-safe.config.cjs',
  'migrate-safe.config.mjs',
  'migrate-safe.config.ts',
];

interface FoundConfig {
  readonly filepath: string | undefined;
  readonly config: UserConfig;
  /** A JavaScript or TypeScript configuration file that was not run (`projectCode: 'skip'`). */
  readonly skipped?: boolean;
}

/** What the loaders of code files give instead of running them (`projectCode` skip or refuse). */
const NOT_RUN = Object.freeze({ notRun: true });

/** The configuration files that are code: cosmiconfig's loaders for them, by extension. */
const CODE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts'];

/**
 * Finds and resolves configuration: from a folder upward (the project's package.json stops the
 * search), or the file given with --config. Results are cached per configuration file.
 */
export class ConfigLoader {
  private readonly builtInRules: readonly AnyRule[];
  private readonly overrides: ConfigOverrides;
  private readonly explicitFile: string | undefined;
  private readonly cwd: string;
  private readonly resolved = new Map<string, Promise<ResolvedConfig>>();
  private explorer: Promise<PublicExplorer> | undefined;
  readonly projectCode: ProjectCode;

  constructor(options: { builtInRules: readonly AnyRule[]; overrides?: ConfigOverrides; configFile?: string | undefined; cwd: string; projectCode?: ProjectCode }) {
    this.builtInRules = options.builtInRules;
    this.overrides = options.overrides ?? {};
    this.explicitFile = options.configFile === undefined ? undefined : resolve(options.cwd, options.configFile);
    this.cwd = options.cwd;
    this.projectCode = options.projectCode ?? 'run';
  }

  /** The configuration that applies to the migrations in `folder`. */
  async forFolder(folder: string): Promise<ResolvedConfig> {
    const found = await this.find(folder);
    const supabaseConfig = findSupabaseConfig(folder);
    const cacheKey = `${found.filepath ?? ''}\0${supabaseConfig ?? ''}`;
    let result = this.resolved.get(cacheKey);
    if (!result) {
      result = this.resolve(found, supabaseConfig);
      this.resolved.set(cacheKey, result);
    }
    return result;
  }

  private async find(folder: string): Promise<FoundConfig> {
    if (this.explicitFile === undefined && certainlyUnconfigured(folder, CONFIG_SEARCH_PLACES, MODULE_NAME)) return { filepath: undefined, config: {} };
    const optionsCode = this.projectCode === 'run' ? undefined : cosmiconfigCodeOptions(process.cwd());
    if (optionsCode !== undefined) {
      // Loading any configuration would run it: none is loaded.
      if (this.projectCode === 'refuse') throw new CodeNotRun(`cosmiconfig's options ${this.show(optionsCode)} are code`);
      return { filepath: optionsCode, config: {}, skipped: true };
    }
    const explorer = await (this.explorer ??= createExplorer(this.projectCode !== 'run'));
    const result = await this.loadOrSearch(explorer, folder);
    if (result?.config === NOT_RUN) {
      if (this.projectCode === 'refuse') throw new CodeNotRun(`the configuration ${this.show(result.filepath)} is code`);
      return { filepath: result.filepath, config: {}, skipped: true };
    }
    if (!result || result.isEmpty) return { filepath: result?.filepath, config: {} };
    const issue = notSettings(result.config) ?? firstIssue(CONFIG_SCHEMA, result.config);
    if (issue !== undefined) throw new UsageError(`${this.show(result.filepath)}: ${issue}`);
    return { filepath: result.filepath, config: v.parse(CONFIG_SCHEMA, result.config) };
  }

  private async loadOrSearch(explorer: PublicExplorer, folder: string) {
    try {
      if (this.explicitFile !== undefined) return await this.watched(`the configuration ${this.show(this.explicitFile)}`, () => explorer.load(this.explicitFile ?? ''));
      for (const candidate of searchedFolders(folder)) {
        const found = await this.watched(`the configuration file in ${relative(this.cwd, candidate) || '.'}`, () => explorer.search(candidate));
        if (found) return found;
        // cosmiconfig passes over a file whose configuration is `null` as if it were not there.
        const nullFile = CONFIG_SEARCH_PLACES.find((place) => place !== 'package.json' && existsSync(join(candidate, place)));
        if (nullFile !== undefined) return { filepath: join(candidate, nullFile), config: null };
      }
      return null;
    } catch (error) {
      const where = this.explicitFile === undefined ? folder : this.show(this.explicitFile);
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : firstLine(error);
      throw new UsageError(`cannot read configuration ${where}: ${reason}`);
    }
  }

  /** Runs a configuration's code under the watch of the thread that started this one, if any (src/engine/watch.ts). */
  private async watched<T>(label: string, load: () => Promise<T>): Promise<T> {
    if (this.projectCode !== 'run') return load();
    enterCode(codeLabel(label));
    try {
      return await load();
    } finally {
      leaveCode();
    }
  }

  private async resolve(found: FoundConfig, supabaseConfig: string | undefined): Promise<ResolvedConfig> {
    const { config, filepath } = found;
    const base = filepath === undefined ? this.cwd : dirname(filepath);
    const supabase = supabaseConfig === undefined ? undefined : await readSupabaseSettings(supabaseConfig, this.show(supabaseConfig));
    const skippedCode = found.skipped === true ? [`the configuration ${this.show(filepath ?? '')}`] : [];
    const pluginNames = config.plugins ?? [];
    if (pluginNames.length > 0 && this.projectCode === 'refuse') throw new CodeNotRun(`${this.show(filepath ?? 'configuration')} names plugins`);
    if (this.projectCode === 'skip') skippedCode.push(...pluginNames.map((name) => `plugin ${name}`));
    const plugins = this.projectCode === 'skip' ? [] : await loadPlugins(pluginNames, base, this.show(filepath ?? 'configuration'), (label, load) => this.watched(label, load));
    const pluginOf = new Map(plugins.flatMap((plugin) => plugin.rules.map((rule) => [rule, plugin.specifier] as const)));
    const allRules = [...this.builtInRules, ...plugins.flatMap((plugin) => plugin.rules)];
    const rulesById = new Map<string, AnyRule>();
    for (const rule of allRules) {
      if (rulesById.has(rule.id)) throw new UsageError(`${this.show(filepath ?? 'configuration')}: plugins: two rules are named "${rule.id}"`);
      rulesById.set(rule.id, rule);
    }
    // Settings of rules whose plugins were skipped cannot be checked: they wait for the code to run.
    const settings = this.ruleSettings(config, rulesById, filepath, skippedCode.length > 0);
    const rules: ConfiguredRule[] = [];
    for (const rule of allRules) {
      const setting = settings.get(rule.id) ?? [presetSeverity(rule, config.extends ?? 'recommended')];
      const [severity, options] = setting;
      if (severity === 'off') continue;
      rules.push({ rule, severity: severity === 'warn' ? 'warning' : 'error', options: this.ruleOptions(rule, options, filepath), plugin: pluginOf.get(rule) });
    }
    const ignore = config.ignore ?? [];
    const matchesIgnore = ignore.length === 0 ? undefined : picomatch(ignore, { dot: true });
    return {
      filepath,
      pgVersion: this.overrides.pgVersion ?? config.pgVersion ?? supabase?.majorVersion ?? DEFAULT_PG_VERSION,
      assumeInTransaction: this.overrides.assumeInTransaction ?? config.assumeInTransaction,
      migrationsFolder: config.migrations?.folder === undefined ? undefined : resolve(base, config.migrations.folder),
      layout: config.migrations?.layout,
      release: config.migrations?.release === undefined ? undefined : new RegExp(config.migrations.release),
      releaseWindow: config.migrations?.releaseWindow === undefined ? DEFAULT_RELEASE_WINDOW : (parseDuration(config.migrations.releaseWindow) ?? DEFAULT_RELEASE_WINDOW),
      appliedBy: this.overrides.appliedBy ?? config.migrations?.appliedBy,
      database: {
        url: config.database?.url,
        historyTable: config.database?.historyTable ?? DATABASE_DEFAULTS.historyTable,
        lockTimeout: config.database?.lockTimeout ?? DATABASE_DEFAULTS.lockTimeout,
        statementTimeout: config.database?.statementTimeout ?? DATABASE_DEFAULTS.statementTimeout,
        lockRetries: config.database?.lockRetries ?? DATABASE_DEFAULTS.lockRetries,
        lockRetryDelay: config.database?.lockRetryDelay ?? DATABASE_DEFAULTS.lockRetryDelay,
      },
      backups: { folder: resolve(base, config.backups?.folder ?? 'backups'), keepDays: config.backups?.keepDays ?? 7 },
      migrationLog: config.migrationLog === false ? undefined : resolve(base, config.migrationLog ?? 'migration.log'),
      isIgnored: (path) => matchesIgnore?.(relative(base, path)) ?? false,
      rules,
      allRules,
      deprecatedSuffix: config.deprecatedSuffix ?? DEFAULT_DEPRECATED_SUFFIX,
      exposedSchemas: config.exposedSchemas ?? supabase?.exposedSchemas,
      timeZone: config.timeZone,
      pluginFiles: plugins.map((plugin) => plugin.file),
      cache: config.cache ?? false,
      skippedCode,
      cacheLocation: config.cacheLocation === undefined ? undefined : resolve(base, config.cacheLocation),
    };
  }

  /** Configuration file settings, then command-line settings, checked against the known rules. */
  private ruleSettings(config: UserConfig, rulesById: ReadonlyMap<string, AnyRule>, filepath: string | undefined, pluginsSkipped: boolean): Map<string, RuleSetting> {
    const settings = new Map<string, RuleSetting>();
    for (const [id, setting] of Object.entries(config.rules ?? {})) {
      if (!rulesById.has(id) && pluginsSkipped) continue;
      if (!rulesById.has(id)) throw new UsageError(`${this.show(filepath ?? 'configuration')}: rules.${id}: unknown rule "${id}"${didYouMean(id, rulesById.keys())}`);
      settings.set(id, typeof setting === 'string' ? [setting] : setting);
    }
    for (const [id, severity] of Object.entries(this.overrides.rules ?? {})) {
      if (!rulesById.has(id)) throw new UsageError(`--rule ${id}=${severity}: unknown rule "${id}"${didYouMean(id, rulesById.keys())}`);
      const options = settings.get(id)?.[1];
      settings.set(id, [severity, options]);
    }
    return settings;
  }

  private ruleOptions(rule: AnyRule, options: unknown, filepath: string | undefined): unknown {
    const schema = rule.meta.options;
    const where = `${this.show(filepath ?? 'configuration')}: rules.${rule.id}`;
    if (!schema) {
      if (options !== undefined) throw new UsageError(`${where}: the rule takes no options`);
      return {};
    }
    const issue = firstIssue(schema, options ?? {});
    if (issue !== undefined) throw new UsageError(`${where}: ${issue}`);
    return v.parse(schema, options ?? {});
  }

  private show(path: string): string {
    return isAbsolute(path) ? relative(this.cwd, path) || path : path;
  }
}

/** `withoutCode`: configuration files that are code are found, not run: their loader gives NOT_RUN. */
async function createExplorer(withoutCode: boolean): Promise<PublicExplorer> {
  const loaded = (await importModule('cosmiconfig')) as { cosmiconfig: typeof cosmiconfig };
  const notRun: Loader = () => NOT_RUN;
  const loaders = withoutCode ? Object.fromEntries(CODE_EXTENSIONS.map((extension) => [extension, notRun])) : {};
  try {
    // cosmiconfig reads its own options from the working folder's package.json here.
    return loaded.cosmiconfig(MODULE_NAME, { searchPlaces: CONFIG_SEARCH_PLACES, searchStrategy: 'none', ignoreEmptySearchPlaces: false, loaders });
  } catch (error) {
    throw new UsageError(`cannot read configuration: ${firstLine(error)}`);
  }
}

/**
 * What is wrong with a configuration that is no object of settings (`[]`, `null`, a number), or
 * names a rule `__proto__`, `constructor` or `prototype` (which the schema's record drops unseen).
 */
function notSettings(config: unknown): string | undefined {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return `expected an object of settings, not ${Array.isArray(config) ? 'a list' : JSON.stringify(config)}`;
  const rules = (config as { rules?: unknown }).rules;
  if (typeof rules !== 'object' || rules === null) return undefined;
  const forbidden = Object.keys(rules).find((id) => ['__proto__', 'constructor', 'prototype'].includes(id));
  return forbidden === undefined ? undefined : `rules.${forbidden}: unknown rule "${forbidden}"`;
}

/**
 * Where a configuration for `folder` may be, nearest first: up to the project's top folder (its
 * git repository or package.json) and no further, never above the home folder, and never into a
 * folder that another user can write. A JavaScript configuration runs when it is found, so one
 * in a shared parent folder (/tmp, another user's folder) must never be.
 */
function searchedFolders(folder: string): string[] {
  const top = projectRootOf(folder);
  const home = homedir();
  const folders = [folder];
  for (let current = folder; current !== top && current !== home; ) {
    const parent = dirname(current);
    if (parent === current || !onlyTrustedUsersWrite(parent)) break;
    folders.push(parent);
    current = parent;
  }
  return folders;
}

/** Whether only this user (or root) can write in `folder`, as git's safe.directory judges an owner. */
function onlyTrustedUsersWrite(folder: string): boolean {
  const stats = statSync(folder, { throwIfNoEntry: false });
  if (!stats) return false;
  const writableByOthers = (stats.mode & 0o002) !== 0;
  return !writableByOthers && (stats.uid === 0 || stats.uid === process.getuid?.());
}

/** A plugin exports its rules as `rules` (an array), or as the `rules` of its default export. */
async function loadPlugins(
  specifiers: readonly string[],
  base: string,
  where: string,
  watched: (label: string, load: () => Promise<unknown>) => Promise<unknown>,
): Promise<{ file: string; specifier: string; rules: AnyRule[] }[]> {
  const plugins: { file: string; specifier: string; rules: AnyRule[] }[] = [];
  for (const specifier of specifiers) {
    let module: { rules?: unknown; default?: { rules?: unknown } | unknown[] };
    let url: string;
    try {
      url = pluginUrl(specifier, base);
      module = (await watched(`the code of plugin ${specifier}`, () => importModule(url))) as typeof module;
    } catch (error) {
      throw new UsageError(`${where}: plugins: cannot load "${specifier}": ${firstLine(error)}`);
    }
    const exported = module.rules ?? (Array.isArray(module.default) ? module.default : module.default?.rules);
    if (!Array.isArray(exported)) throw new UsageError(`${where}: plugins: "${specifier}" exports no "rules" array`);
    const rules: AnyRule[] = [];
    for (const rule of exported as unknown[]) {
      if (!isRule(rule)) throw new UsageError(`${where}: plugins: "${specifier}" exports a rule without id, meta and create (use defineRule)`);
      rules.push(rule);
    }
    plugins.push({ file: fileURLToPath(url), specifier, rules });
  }
  return plugins;
}

function pluginUrl(specifier: string, base: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(base, specifier)).href;
  return pathToFileURL(createRequire(join(base, 'package.json')).resolve(specifier)).href;
}

function isRule(value: unknown): value is AnyRule {
  const rule = value as Partial<AnyRule> | undefined;
  return typeof rule?.id === 'string' && typeof rule.meta === 'object' && typeof rule.create === 'function';
}

/** The first line of an error's message; a message that ends its first line with `:` goes on, as cosmiconfig's JSON errors do. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/:\n\s*/, ': ').split('\n')[0] ?? '';
}
