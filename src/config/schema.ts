import * as v from 'valibot';
import { LAYOUT_IDS } from '../discover/layouts/index.js';

const SEVERITY = v.picklist(['off', 'warn', 'error'], 'expected "off", "warn" or "error"');

const RULE_SETTING = v.union(
  [SEVERITY, v.strictTuple([SEVERITY]), v.strictTuple([SEVERITY, v.unknown()])],
  'expected "off", "warn", "error" or [severity, options]',
);

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
        release: v.optional(
          v.pipe(
            v.string('expected a regular expression'),
            v.check(isRegularExpression, 'expected a regular expression matched against each migration\'s version, such as "^\\d{14}"'),
          ),
        ),
      }),
    ),
    ignore: v.optional(v.array(v.string('expected a glob'), 'expected a list of globs')),
    plugins: v.optional(v.array(v.string('expected a path or package name'), 'expected a list of paths or package names')),
    deprecatedSuffix: v.optional(v.pipe(v.string('expected a suffix such as "_deprecated"'), v.minLength(1))),
    exposedSchemas: v.optional(v.array(v.string('expected a schema name'), 'expected a list of schema names')),
  },
  'expected an object',
);

export type UserConfig = v.InferOutput<typeof CONFIG_SCHEMA>;

function isRegularExpression(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
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
