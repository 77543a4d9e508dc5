import type { AnyRule, RuleSeverity } from '../plugin/rule.js';
import type { PresetName } from './schema.js';

/** A preset turns on the rules of its level and below: recommended ⊂ strict ⊂ all. */
export function presetSeverity(rule: AnyRule, preset: PresetName): RuleSeverity {
  const included =
    preset === 'all' || rule.meta.preset === 'recommended' || (preset === 'strict' && rule.meta.preset === 'strict');
  return included ? rule.meta.severity : 'off';
}
