import * as v from 'valibot';
import { parseDuration } from '../analyze/session.js';
import { LAYOUT_IDS } from '../discover/layouts/index.js';

const SEVERITY = v.picklist(['off', 'warn', 'error'], 'expected "off", "warn" or "error"');

const RULE_SETTING = v.union(
  [SEVERITY, v.strictTuple([SEVERITY]), v.strictTuple([SEVERITY, v.unknown()])],
  'expected "off", "warn", "error" or [severity, options]',
);

const DURATION = v.pipe(
  v.string('expected a duration such as "5s", "500ms" or "10min"'),
  v.check((value) => parseDuration(value) !== undefined, 'expected a duration such as "5s", "500ms" or "10min"'),
);

/** Who applies the migrations: the tool the layout belongs to (the Supabase CLI, dbmate, ...), or migrate-safe's own `up`. */
export const APPLIED_BY = ['tool', 'migrate-safe'] as const;

export const PRESETS = ['recommended', 'strict', 'all'] as const;
export type PresetName = (typeof PRESETS)[number];

/** The configuration file's shape. Unknown keys are errors: a typo must not silently do nothing. */
export const CONFIG_SCHEMA = v.strictObject(
  {
    extends: v.optional(v.picklist(PRESETS, `expected one of ${PRESETS.map((preset) => `"${preset}"`).join(', ')}`)),
    rules: v.optional(v.record(v.string(), RULE_SETTING)),
    pgVersion: v.optional(v.pipe(v.number('expected a PostgreSQL major version such as 15'), v.integer(), v.minValue(9), v.maxValue(99))),
    assumeInTransaction: v.optional(v.boolean('expected true or false')),
    migrations: v.optional(
      v.strictObject({
        folder: v.optional(v.string('expected a folder path')),
        layout: v.optional(v.picklist(LAYOUT_IDS, `expected one of ${LAYOUT_IDS.map((id) => `"${id}"`).join(', ')}`)),
        appliedBy: v.optional(v.picklist(APPLIED_BY, 'expected "tool" or "migrate-safe"')),
      }),
    ),
    database: v.optional(
      v.strictObject({
        url: v.optional(v.string('expected a postgresql:// URL, or one with ${VARIABLE} placeholders')),
        historyTable: v.optional(
          v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$/, 'expected schema.table in lower case, such as "migrate_safe.schema_migrations"')),
        ),
        lockTimeout: v.optional(DURATION),
        statementTimeout: v.optional(DURATION),
        lockRetries: v.optional(v.pipe(v.number('expected a number of retries'), v.integer(), v.minValue(0), v.maxValue(100))),
        lockRetryDelay: v.optional(DURATION),
      }),
    ),
    backups: v.optional(
      v.strictObject({
        folder: v.optional(v.string('expected a folder path')),
        keepDays: v.optional(v.pipe(v.number('expected a number of days'), v.minValue(0))),
      }),
    ),
    migrationLog: v.optional(v.union([v.string(), v.literal(false)], 'expected a file path, or false for no log')),
    ignore: v.optional(v.array(v.string('expected a glob'), 'expected a list of globs')),
    plugins: v.optional(v.array(v.string('expected a path or package name'), 'expected a list of paths or package names')),
    deprecatedSuffix: v.optional(v.pipe(v.string('expected a suffix such as "_deprecated"'), v.minLength(1))),
    exposedSchemas: v.optional(v.array(v.string('expected a schema name'), 'expected a list of schema names')),
    cache: v.optional(v.boolean('expected true or false')),
    cacheLocation: v.optional(v.pipe(v.string('expected a folder path'), v.minLength(1))),
  },
  'expected an object',
);

export type UserConfig = v.InferOutput<typeof CONFIG_SCHEMA>;
export type RuleSetting = v.InferOutput<typeof RULE_SETTING>;

/** The first problem of a value against a schema, as `key.path: message`; undefined when it is valid. */
export function firstIssue(schema: v.GenericSchema, value: unknown): string | undefined {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return undefined;
  const [issue] = result.issues;
  const path = v.getDotPath(issue);
  if (issue.type === 'strict_object' && path !== null) return `unknown key "${path}"`;
  return path === null ? issue.message : `${path}: ${issue.message}`;
}
