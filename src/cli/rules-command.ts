import { BUILT_IN_RULES } from '../../rules/index.js';
import { UsageError } from '../config/errors.js';
import { ConfigLoader } from '../config/load.js';
import { didYouMean } from '../config/suggest.js';
import { ruleDocument } from '../report/rule-doc.js';
import { EXIT_OK } from './program.js';

/** `migrate-safe rules`: every rule with its default severity; `migrate-safe rules <id>`: its documentation. */
export async function runRules(id: string | undefined, options: { config?: string }): Promise<number> {
  const cwd = process.cwd();
  const config = await new ConfigLoader({ builtInRules: BUILT_IN_RULES, configFile: options.config, cwd }).forFolder(cwd);
  const rules = config.allRules;
  if (id !== undefined) {
    const rule = rules.find((candidate) => candidate.id === id);
    if (!rule) throw new UsageError(`unknown rule "${id}"${didYouMean(id, rules.map((each) => each.id)) || ' (migrate-safe rules lists them)'}`);
    process.stdout.write(ruleDocument(rule));
    return EXIT_OK;
  }
  const width = Math.max(...rules.map((rule) => rule.id.length));
  const lines = rules.map((rule) => {
    const severity = rule.meta.severity === 'error' ? 'error' : 'warn ';
    return `${rule.id.padEnd(width)}  ${severity}  ${rule.meta.preset.padEnd(11)}  ${rule.meta.description}`;
  });
  process.stdout.write(`${'rule'.padEnd(width)}  level  preset       description\n${lines.join('\n')}\n`);
  return EXIT_OK;
}
