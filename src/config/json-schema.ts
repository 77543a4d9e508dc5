import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import type { AnyRule } from '../plugin/rule.js';
import { CONFIG_SCHEMA } from './schema.js';
import { SEVERITIES } from './severity.js';

/** Where a configuration file points its `$schema` at, in a project that has migrate-safe installed. */
export const SCHEMA_PATH = './node_modules/migrate-safe/configuration.schema.json';

const SEVERITY: JsonSchema = { enum: [...SEVERITIES] };

/**
 * The JSON Schema of the configuration file (configuration.schema.json, written by `npm run docs`),
 * generated from the valibot schema the loader checks files with, so editors complete and check
 * what the loader accepts. `rules` lists every built-in rule with its options; other ids (plugins'
 * rules) take any setting.
 */
export function configurationJsonSchema(rules: readonly AnyRule[]): JsonSchema {
  // The severities' `warning` → `warn` transform has no JSON Schema form: the accepted values are what matter.
  const schema = toJsonSchema(CONFIG_SCHEMA, { errorMode: 'ignore' });
  const properties = { ...(schema.properties ?? {}) };
  properties.rules = {
    type: 'object',
    description: 'Per rule: "off", "warn" (or "warning"), "error", or [severity, options]. `migrate-safe rules` lists them.',
    properties: Object.fromEntries(rules.map((rule) => [rule.id, { description: rule.meta.description, ...ruleSetting(optionsOf(rule)) }])),
    // Plugins' rules: their options are checked when the plugin is loaded.
    additionalProperties: ruleSetting({}),
  };
  return { $schema: schema.$schema, title: 'migrate-safe configuration', ...schema, properties };
}

/** A rule's options as JSON Schema; undefined for a rule that takes none. */
function optionsOf(rule: AnyRule): JsonSchema | undefined {
  if (rule.meta.options === undefined) return undefined;
  const schema = { ...toJsonSchema(rule.meta.options, { errorMode: 'ignore' }) };
  delete schema.$schema;
  return schema;
}

/** A severity, or [severity] and [severity, options] for a rule that takes options. */
function ruleSetting(options: JsonSchema | undefined): JsonSchema {
  const array: JsonSchema = options === undefined ? { type: 'array', items: [SEVERITY], minItems: 1, maxItems: 1 } : { type: 'array', items: [SEVERITY, options], minItems: 1, maxItems: 2 };
  return { anyOf: [SEVERITY, array] };
}
