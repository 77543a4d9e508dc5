import * as v from 'valibot';
import type { AnyRule } from '../plugin/rule.js';
import type { ResolvedConfig } from './load.js';
import { presetSeverity } from './presets.js';

/*
 * The defaults of a configuration, without the file system: the configuration loader fills them
 * in, and the web playground, which has no configuration file, runs on them alone.
 */

export const DEFAULT_PG_VERSION = 15;
/** `migrations.releaseWindow` unset: no release by the versions' timestamps. */
export const DEFAULT_RELEASE_WINDOW = 0;
export const DEFAULT_DEPRECATED_SUFFIX = '_deprecated';

/** What `up`, `down`, `status`, `history` and `backup` use, with their defaults filled in. */
export interface DatabaseSettings {
  /** As configured: a URL, or one with `${VARIABLE}` placeholders; the environment and --db-url come first. */
  readonly url: string | undefined;
  /** migrate-safe's table of applied migrations, `schema.table`; its run log is the same name with `_log`. */
  readonly historyTable: string;
  /** Set for each migration (SET LOCAL in its transaction, SET for statements run on their own). */
  readonly lockTimeout: string;
  readonly statementTimeout: string;
  /** How often a migration that hit lock_timeout is tried again, waiting `lockRetryDelay`, doubled each time. */
  readonly lockRetries: number;
  readonly lockRetryDelay: string;
}

export const DATABASE_DEFAULTS: Omit<DatabaseSettings, 'url'> = {
  historyTable: 'migrate_safe.schema_migrations',
  lockTimeout: '5s',
  statementTimeout: '15min',
  lockRetries: 3,
  lockRetryDelay: '5s',
};

/**
 * The configuration of a project with no configuration file and no files around it: the
 * recommended rules with their default options, migrations in `root` linted as plain SQL files.
 */
export function defaultConfig(options: { readonly allRules: readonly AnyRule[]; readonly root: string; readonly pgVersion: number; readonly assumeInTransaction: boolean | undefined }): ResolvedConfig {
  const { allRules, root } = options;
  return {
    filepath: undefined,
    pgVersion: options.pgVersion,
    assumeInTransaction: options.assumeInTransaction,
    migrationsFolder: root,
    layout: undefined,
    appliedBy: undefined,
    database: { url: undefined, ...DATABASE_DEFAULTS },
    backups: { folder: `${root}/backups`, keepDays: 7 },
    migrationLog: undefined,
    isIgnored: () => false,
    rules: allRules.flatMap((rule) => {
      const severity = presetSeverity(rule, 'recommended');
      // A rule's defaults are what its options schema gives an empty object.
      return severity === 'off' ? [] : [{ rule, severity: severity === 'warn' ? 'warning' : 'error', options: defaultOptions(rule) }];
    }),
    allRules,
    deprecatedSuffix: DEFAULT_DEPRECATED_SUFFIX,
    exposedSchemas: undefined,
    timeZone: undefined,
    pluginFiles: [],
    cache: false,
    cacheLocation: undefined,
    skippedCode: [],
    release: undefined,
    releaseWindow: DEFAULT_RELEASE_WINDOW,
  };
}

function defaultOptions(rule: AnyRule): unknown {
  return rule.meta.options ? v.parse(rule.meta.options, {}) : {};
}
