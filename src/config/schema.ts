import * as v from 'valibot';
import { parseDuration } from '../analyze/session.js';
import { LAYOUT_IDS } from '../discover/layouts/index.js';
import { SEVERITIES, normalSeverity } from './severity.js';
import { didYouMean } from './suggest.js';

const SEVERITY = v.pipe(v.picklist(SEVERITIES, 'expected "off", "warn" (or "warning") or "error"'), v.transform(normalSeverity));

const RULE_SETTING = v.union(
  [SEVERITY, v.strictTuple([SEVERITY]), v.strictTuple([SEVERITY, v.unknown()])],
  'expected "off", "warn" (or "warning"), "error" or [severity, options]',
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
    // The JSON Schema an editor checks the file with (configuration.schema.json); not a setting.
    $schema: v.optional(v.pipe(v.string('expected the URL or path of a JSON Schema'), v.description('The JSON Schema editors check this file with.'))),
    extends: v.optional(
      v.pipe(
        v.picklist(PRESETS, `expected one of ${PRESETS.map((preset) => `"${preset}"`).join(', ')}`),
        v.description('The preset the rules start from: recommended (the default), strict or all.'),
      ),
    ),
    rules: v.optional(v.pipe(v.record(v.string(), RULE_SETTING), v.description('Per rule: "off", "warn" (or "warning"), "error", or [severity, options].'))),
    pgVersion: v.optional(
      v.pipe(
        v.number('expected a PostgreSQL major version such as 15'),
        v.integer(),
        v.minValue(9),
        v.maxValue(99),
        v.description('The PostgreSQL major version the migrations run on; default: [db] major_version of supabase/config.toml, else 15.'),
      ),
    ),
    assumeInTransaction: v.optional(
      v.pipe(v.boolean('expected true or false'), v.description("true: each file runs in one transaction; false: each statement on its own; default: as the layout's tool runs it.")),
    ),
    migrations: v.optional(
      v.pipe(
        v.strictObject({
          folder: v.optional(v.pipe(v.string('expected a folder path'), v.description('The folder validate lints, relative to this file.'))),
          layout: v.optional(
            v.pipe(
              v.picklist(LAYOUT_IDS, `expected one of ${LAYOUT_IDS.map((id) => `"${id}"`).join(', ')}`),
              v.description('The migrations layout, instead of detecting it.'),
            ),
          ),
          release: v.optional(
            v.pipe(
              v.string('expected a regular expression'),
              v.check(isRegularExpression, 'expected a regular expression matched against each migration\'s version, such as "^\\d{14}"'),
              v.description('A regular expression over each migration\'s version: migrations it matches alike (its first capture group, if any) are one release, deployed together.'),
            ),
          ),
          releaseWindow: v.optional(
            v.pipe(
              DURATION,
              v.description('Migrations whose versions are timestamps at most this far apart, one after the other, are one release (files generated together for one deploy), e.g. "60s".'),
            ),
          ),
          appliedBy: v.optional(
            v.pipe(
              v.picklist(APPLIED_BY, 'expected "tool" or "migrate-safe"'),
              v.description('Who applies the files: "tool" (the layout\'s migration tool, the default) or "migrate-safe" (migrate-safe up).'),
            ),
          ),
        }),
        v.description('Where the migrations are, how they are laid out and who applies them.'),
      ),
    ),
    database: v.optional(
      v.pipe(
        v.strictObject({
          url: v.optional(
            v.pipe(
              v.string('expected a postgresql:// URL, or one with ${VARIABLE} placeholders'),
              v.description('The database up, down, status, history and backup connect to; ${NAME} placeholders are read from the environment.'),
            ),
          ),
          historyTable: v.optional(
            v.pipe(
              v.string(),
              v.regex(/^[a-z_][a-z0-9_$]*\.[a-z_][a-z0-9_$]*$/, 'expected schema.table in lower case, such as "migrate_safe.schema_migrations"'),
              v.description('The table of applied migrations, as schema.table.'),
            ),
          ),
          lockTimeout: v.optional(v.pipe(DURATION, v.description('lock_timeout while a migration runs, such as "5s".'))),
          statementTimeout: v.optional(v.pipe(DURATION, v.description('statement_timeout while a migration runs, such as "15min".'))),
          lockRetries: v.optional(
            v.pipe(v.number('expected a number of retries'), v.integer(), v.minValue(0), v.maxValue(100), v.description('How often a migration that hit lock_timeout is tried again.')),
          ),
          lockRetryDelay: v.optional(v.pipe(DURATION, v.description('The wait before trying again after a lock timeout.'))),
        }),
        v.description('The database the runner applies migrations to, and how.'),
      ),
    ),
    backups: v.optional(
      v.pipe(
        v.strictObject({
          folder: v.optional(v.pipe(v.string('expected a folder path'), v.description('Where backups are written.'))),
          keepDays: v.optional(v.pipe(v.number('expected a number of days'), v.minValue(0), v.description('Backups older than this many days are removed.'))),
        }),
        v.description('The backups taken before migrations are applied.'),
      ),
    ),
    migrationLog: v.optional(
      v.pipe(v.union([v.string(), v.literal(false)], 'expected a file path, or false for no log'), v.description('The file the runner logs each event to, or false for none.')),
    ),
    ignore: v.optional(v.pipe(v.array(v.string('expected a glob'), 'expected a list of globs'), v.description('Globs, relative to this file, of files not to report on.'))),
    plugins: v.optional(
      v.pipe(
        v.array(v.string('expected a path or package name'), 'expected a list of paths or package names'),
        v.description('Paths or package names of modules that export rules.'),
      ),
    ),
    deprecatedSuffix: v.optional(
      v.pipe(v.string('expected a suffix such as "_deprecated"'), v.minLength(1), v.description('The suffix that marks a table renamed for deprecation; default "_deprecated".')),
    ),
    exposedSchemas: v.optional(
      v.pipe(
        v.array(v.string('expected a schema name'), 'expected a list of schema names'),
        v.description('Schemas an API exposes, for rls-disabled; default: [api] schemas of supabase/config.toml, else public for the supabase layout.'),
      ),
    ),
    cache: v.optional(v.pipe(v.boolean('expected true or false'), v.description('Keep parses, schema states and findings between runs (--cache).'))),
    cacheLocation: v.optional(
      v.pipe(v.string('expected a folder path'), v.minLength(1), v.description('Where the cache is kept; default node_modules/.cache/migrate-safe.')),
    ),
    timeZone: v.optional(
      v.pipe(
        v.string('expected a time zone name such as "UTC"'),
        v.minLength(1),
        v.description('The TimeZone the migration tool\'s sessions start with (the server\'s timezone setting), such as "UTC".'),
      ),
    ),
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
  if (issue.type === 'strict_object' && path !== null) {
    const keys = (issue.path ?? []).map((item) => String(item.key));
    return `unknown key "${path}"${didYouMean(keys.at(-1) ?? '', acceptedKeys(schema, keys.slice(0, -1)))}`;
  }
  return path === null ? issue.message : `${path}: ${issue.message}`;
}

interface SchemaNode {
  readonly type?: string;
  readonly wrapped?: SchemaNode;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
}

/** The keys the object schema found at `keys` (inside optional wrappers) accepts. */
function acceptedKeys(schema: v.GenericSchema, keys: readonly string[]): string[] {
  const entriesOf = (node: SchemaNode | undefined): Readonly<Record<string, SchemaNode>> | undefined => {
    let current = node;
    while (current?.wrapped) current = current.wrapped;
    return current?.entries;
  };
  let node: SchemaNode | undefined = schema;
  for (const key of keys) node = entriesOf(node)?.[key];
  return Object.keys(entriesOf(node) ?? {});
}
