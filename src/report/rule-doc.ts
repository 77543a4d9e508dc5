import type { AnyRule } from '../plugin/rule.js';
import { packageInfo } from '../version.js';

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
  sections.push(
    '## Silencing it',
    `When the hazard does not apply (a small table, a maintenance window), say so where it happens:`,
    sqlBlock(`-- migrate-safe-ignore ${rule.id}: <why it is safe here>\n${firstStatement(meta.bad)}`),
    `or turn the rule off in the configuration: \`"rules": { "${rule.id}": "off" }\`.`,
  );
  return `${sections.join('\n\n')}\n`;
}

function sqlBlock(sql: string): string {
  return `\`\`\`sql\n${sql}\n\`\`\``;
}

function firstStatement(sql: string): string {
  return sql.split('\n').find((line) => line.trim() !== '' && !line.trimStart().startsWith('--')) ?? sql;
}

/** Where a rule's documentation is read online: its own `docsUrl`, else, for a built-in rule, its page in docs/rules. */
export function ruleDocsUrl(rule: AnyRule, builtIn: boolean): string | undefined {
  if (rule.meta.docsUrl !== undefined) return rule.meta.docsUrl;
  return builtIn ? `${packageInfo().homepage}/blob/main/docs/rules/${rule.id}.md` : undefined;
}
