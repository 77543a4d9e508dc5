import type { Finding, Severity } from '../findings/finding.js';
import type { Directive, Range } from '../parse/directives.js';
import type { ParsedSource } from '../parse/parser.js';
import type { Fix } from '../plugin/rule.js';
import { didYouMean } from '../config/suggest.js';
import { fingerprintOf } from './fingerprint.js';
import type { RawFinding } from './rule-runner.js';

export interface DirectiveRules {
  /** Every rule that exists, whether on or off. */
  readonly known: ReadonlySet<string>;
  /** Severities of the directive checks that are on. */
  readonly invalidDirective: Severity | undefined;
  readonly unusedDirective: Severity | undefined;
}

/**
 * Marks the findings that directives silence (they stay in the result, so SARIF can show them
 * as dismissed), and reports directives that name unknown rules or, on request, silence nothing.
 */
export function applyDirectives(
  findings: readonly RawFinding[],
  directives: readonly Directive[],
  parsed: ParsedSource,
  file: string,
  rules: DirectiveRules,
): Finding[] {
  const used = new Set<string>();
  const result: Finding[] = findings.map((finding) => {
    const silencing = directives.find((directive) => silences(directive, finding));
    if (!silencing) return finding;
    used.add(usageKey(silencing, finding.ruleId));
    return { ...finding, suppression: { reason: silencing.reason } };
  });
  const occurrences = new Map<string, number>();
  const finding = (ruleId: string, severity: Severity, message: string, directive: Directive): Finding => {
    const text = parsed.source.text.slice(directive.range.start, directive.range.end);
    const key = `${ruleId}\0${text}`;
    const occurrence = occurrences.get(key) ?? 0;
    occurrences.set(key, occurrence + 1);
    return directiveFinding(ruleId, severity, message, directive, parsed, file, fingerprintOf(ruleId, text, occurrence));
  };
  for (const directive of directives) {
    const unknown = directive.ruleIds.filter((id) => !rules.known.has(id));
    if (rules.invalidDirective && (unknown.length > 0 || directive.ruleIds.length === 0)) {
      const message =
        directive.ruleIds.length === 0
          ? 'this directive names no rule: write `-- migrate-safe-ignore <rule-id>: <reason>`'
          : `this directive names ${unknown.length === 1 ? 'an unknown rule' : 'unknown rules'}: ${unknown.map((id) => `"${id}"${didYouMean(id, rules.known)}`).join(', ')}`;
      result.push(finding('invalid-directive', rules.invalidDirective, message, directive));
    }
    if (!rules.unusedDirective) continue;
    for (const id of directive.ruleIds) {
      if (!rules.known.has(id) || used.has(usageKey(directive, id))) continue;
      const scope = directive.scope === 'file' ? 'this file' : 'its statement';
      result.push(finding('unused-directive', rules.unusedDirective, `"${id}" reports nothing in ${scope}: remove it from the directive`, directive));
    }
  }
  return result;
}

function silences(directive: Directive, finding: RawFinding): boolean {
  if (!directive.ruleIds.includes(finding.ruleId)) return false;
  if (directive.scope === 'file') return true;
  const target = directive.target;
  return target !== undefined && finding.offset >= target.start && finding.offset <= target.end;
}

function usageKey(directive: Directive, ruleId: string): string {
  return `${directive.range.start}:${ruleId}`;
}

function directiveFinding(
  ruleId: string,
  severity: Severity,
  message: string,
  directive: Directive,
  parsed: ParsedSource,
  file: string,
  fingerprint: string,
): Finding {
  const start = parsed.source.positionAt(directive.range.start);
  const end = parsed.source.positionAt(directive.range.end);
  return {
    ruleId,
    severity,
    message,
    file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    offset: directive.range.start,
    endOffset: directive.range.end,
    help: undefined,
    lock: undefined,
    fingerprint,
    suppression: undefined,
  };
}

/** What the user writes in place of the placeholder: a directive without a reason teaches nobody. */
const REASON_PLACEHOLDER = '<reason>';

/**
 * The suggestion that silences a finding where it happens: a `migrate-safe-ignore` directive on
 * its own line above the statement (with the statement's indentation), or, when the statement
 * shares its first line with another one, a block comment after it on its last line. A finding
 * about the whole file (`statement` undefined) gets a `migrate-safe-ignore-file` directive on line 1.
 */
export function ignoreSuggestion(ruleId: string, text: string, statement: Range | undefined): Fix {
  const lineBreak = lineBreakAfter(text, statement?.start ?? 0);
  if (!statement) {
    return {
      title: `Ignore ${ruleId} in this file (a directive with the reason)`,
      edits: [{ start: 0, end: 0, text: `-- migrate-safe-ignore-file ${ruleId}: ${REASON_PLACEHOLDER}${lineBreak}` }],
    };
  }
  const title = `Ignore ${ruleId} for this statement (a directive with the reason)`;
  const lineStart = text.lastIndexOf('\n', statement.start - 1) + 1;
  const indentation = text.slice(lineStart, statement.start);
  if (indentation.trim() === '') {
    return { title, edits: [{ start: lineStart, end: lineStart, text: `${indentation}-- migrate-safe-ignore ${ruleId}: ${REASON_PLACEHOLDER}${lineBreak}` }] };
  }
  return { title, edits: [{ start: statement.end, end: statement.end, text: ` /* migrate-safe-ignore ${ruleId}: ${REASON_PLACEHOLDER} */` }] };
}

/** The file's own line break (CRLF or LF), as used on the line at `index`. */
function lineBreakAfter(text: string, index: number): string {
  const newline = text.indexOf('\n', index);
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}
