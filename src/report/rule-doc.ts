import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import type { AnyRule } from '../plugin/rule.js';

const PRESET_NAMES = { recommended: 'recommended, strict and all', strict: 'strict and all', style: 'all' } as const;

/** A rule's documentation page, in Markdown, generated from its metadata alone. */
export function ruleDocument(rule: AnyRule): string {
  const { meta } = rule;
  const severity = meta.severity === 'error' ? 'error' : 'warning';
  const sections = [
    `# ${rule.id}`,
    meta.description,
    [
      '| | |',
      '|---|---|',
      `| Severity | ${severity} |`,
      `| Presets | ${PRESET_NAMES[meta.preset]} |`,
      `| Category | ${meta.category} |`,
    ].join('\n'),
    '## Why',
    meta.hazard,
    '## Reported',
    sqlBlock(meta.bad),
    '## Safe alternative',
    sqlBlock(meta.good),
  ];
  if (meta.versions !== undefined) sections.push('## PostgreSQL versions', meta.versions);
  const options = optionsSection(rule);
  if (options !== undefined) sections.push('## Options', ...options);
  sections.push(
    '## Silencing it',
    `When the hazard does not apply (a small table, a maintenance window), say so where it happens:`,
    sqlBlock(`-- migrate-safe-ignore ${rule.id}: <why it is safe here>\n${statementToSilence(meta.bad)}`),
    `or turn the rule off in the configuration: \`"rules": { "${rule.id}": "off" }\`.`,
  );
  return `${sections.join('\n\n')}\n`;
}

/** A rule's help as plain text, for readers that do not render Markdown: the hazard, the SQL it reports and the safe SQL. */
export function ruleHelpText(rule: AnyRule): string {
  const { meta } = rule;
  const url = rule.meta.docsUrl;
  const sections = [meta.description, `Why:\n${meta.hazard}`, `Reported:\n${meta.bad}`, `Safe alternative:\n${meta.good}`];
  if (meta.versions !== undefined) sections.push(`PostgreSQL versions:\n${meta.versions}`);
  sections.push(`Silence it where it does not apply: -- migrate-safe-ignore ${rule.id}: <why it is safe here>`);
  if (url !== undefined) sections.push(`Documentation: ${url}`);
  return sections.join('\n\n');
}

/** A table of the rule's options from its valibot schema (type, default, `v.description`), and how to set them. */
function optionsSection(rule: AnyRule): string[] | undefined {
  if (!rule.meta.options) return undefined;
  // Checks that JSON Schema cannot express (v.check) are left out: the table shows types, defaults and descriptions.
  const schema = toJsonSchema(rule.meta.options, { errorMode: 'ignore' });
  const properties = Object.entries(typeof schema.properties === 'object' ? schema.properties : {});
  if (properties.length === 0) return undefined;
  const rows = properties.map(([name, property]) => {
    const option = typeof property === 'object' ? property : {};
    const fallback = option.default === undefined ? '' : `\`${JSON.stringify(option.default)}\``;
    return `| \`${name}\` | ${typeOf(option)} | ${fallback} | ${option.description ?? ''} |`;
  });
  const defaults = Object.fromEntries(properties.map(([name, property]) => [name, typeof property === 'object' ? property.default : undefined]));
  const severity = rule.meta.severity;
  return [
    ['| Option | Type | Default | Description |', '|---|---|---|---|', ...rows].join('\n'),
    'Set them in the configuration, after the severity:',
    `\`\`\`json\n${JSON.stringify({ rules: { [rule.id]: [severity, defaults] } }, null, 2)}\n\`\`\``,
  ];
}

/** `string`, `number`, `"a" \\| "b"`, `string[]`: a JSON Schema type as a table cell. */
function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map((alternative) => (typeof alternative === 'object' ? typeOf(alternative) : '')).join(' \\| ');
  if (schema.type === 'array') return `${typeof schema.items === 'object' && !Array.isArray(schema.items) ? typeOf(schema.items) : 'any'}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  return schema.type ?? 'any';
}

function sqlBlock(sql: string): string {
  return `\`\`\`sql\n${sql}\n\`\`\``;
}

const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|END|START TRANSACTION)\b/i;

/**
 * The statement of a bad example that a directive would silence: the last one that is not
 * BEGIN or COMMIT (in a transaction example, the one that goes wrong comes after its cause).
 * Statements are the example's lines up to each line ending in `;`.
 */
function statementToSilence(sql: string): string {
  const statements: string[][] = [[]];
  for (const line of sql.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('--')) continue;
    statements.at(-1)?.push(line);
    if (line.trimEnd().endsWith(';')) statements.push([]);
  }
  const candidates = statements.filter((lines) => lines.length > 0 && !TRANSACTION_CONTROL.test(lines[0]?.trim() ?? ''));
  return candidates.at(-1)?.join('\n') ?? sql;
}
