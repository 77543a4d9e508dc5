import { pathToFileURL } from 'node:url';
import type { Finding, LintResult, ProjectNote, RunProblem, Severity } from '../findings/finding.js';
import type { AnyRule } from '../plugin/rule.js';
import { packageInfo } from '../version.js';
import { explainFinding, sentence } from './explain.js';
import { reportPath } from './paths.js';
import { ruleDocument, ruleHelpText } from './rule-doc.js';
import type { Formatter, ReportOptions } from './types.js';

/** Result paths are relative to this base, which `originalUriBaseIds` resolves to the working folder. */
const SRCROOT = '%SRCROOT%';

/** GitHub code scanning cuts rule descriptions longer than this. */
const DESCRIPTION_LIMIT = 1024;

/** The key of our line-independent fingerprint in `partialFingerprints` (GitHub computes its own `primaryLocationLineHash`). */
const FINGERPRINT_KEY = 'migrateSafe/v1';

/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: every rule that ran with its help,
 * every finding (silenced ones as suppressed results), and the files that could not be read as
 * tool execution notifications.
 */
export const formatSarif: Formatter = (result, options) => {
  const { version, homepage } = packageInfo();
  const rules = [...result.rules].sort((left, right) => (left.rule.id < right.rule.id ? -1 : left.rule.id > right.rule.id ? 1 : 0));
  // Sorted by id, so an index means the same rule in every run.
  const ruleIndex = new Map(rules.map(({ rule }, index) => [rule.id, index]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'migrate-safe',
            version,
            semanticVersion: version,
            informationUri: homepage,
            rules: rules.map(({ rule, severity }) => reportingDescriptor(rule, severity)),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: folderUri(options.cwd) } },
        // Our columns count characters (code points), not UTF-16 units, which is SARIF's default.
        columnKind: 'unicodeCodePoints',
        invocations: [invocation(result.problems, result.notes, options)],
        results: result.findings.map((finding) => sarifResult(finding, ruleIndex.get(finding.ruleId), result, options)),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};

function reportingDescriptor(rule: AnyRule, severity: Severity): Record<string, unknown> {
  const helpUri = rule.meta.docsUrl;
  return {
    id: rule.id,
    name: friendlyName(rule.id),
    shortDescription: { text: capped(rule.meta.description) },
    fullDescription: { text: capped(oneParagraph(rule.meta.hazard)), markdown: rule.meta.hazard },
    help: { text: ruleHelpText(rule), markdown: ruleDocument(rule) },
    ...(helpUri === undefined ? {} : { helpUri }),
    defaultConfiguration: { level: severity },
    properties: { tags: [rule.meta.category], 'problem.severity': severity },
  };
}

function sarifResult(finding: Finding, ruleIndex: number | undefined, result: LintResult, options: ReportOptions): Record<string, unknown> {
  const snippet = result.sources.get(finding.file)?.slice(finding.offset, finding.endOffset);
  return {
    ruleId: finding.ruleId,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: finding.severity,
    message: { text: explainFinding(finding) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifactLocation(finding.file, options),
          region: {
            startLine: finding.line,
            startColumn: finding.column,
            endLine: finding.endLine,
            endColumn: finding.endColumn,
            ...(snippet ? { snippet: { text: snippet } } : {}),
          },
        },
      },
    ],
    // Rule and normalized statement text, never the line: adding lines above keeps it.
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(finding.suppression
      ? { suppressions: [{ kind: 'inSource', ...(finding.suppression.reason === undefined ? {} : { justification: finding.suppression.reason }) }] }
      : {}),
  };
}

function invocation(problems: readonly RunProblem[], notes: readonly ProjectNote[], options: ReportOptions): Record<string, unknown> {
  return {
    executionSuccessful: problems.length === 0,
    toolExecutionNotifications: [
      ...problems.map((problem) => ({
        level: 'error',
        message: { text: sentence(problem.message) },
        ...(problem.file === undefined ? {} : { locations: [{ physicalLocation: { artifactLocation: artifactLocation(problem.file, options) } }] }),
      })),
      ...notes.map((note) => ({
        level: 'note',
        message: { text: sentence(note.message) },
        descriptor: { id: note.ruleId },
        locations: [{ physicalLocation: { artifactLocation: artifactLocation(note.folder, options) } }],
      })),
    ],
  };
}

function artifactLocation(file: string, options: ReportOptions): { uri: string; uriBaseId: string } {
  return { uri: reportPath(file, options.cwd).split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function folderUri(folder: string): string {
  const uri = pathToFileURL(folder).href;
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** `require-concurrent-index` → `RequireConcurrentIndex`; a plugin's `acme/no-x` → `AcmeNoX`. */
function friendlyName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join('');
}

/** Markdown hard-wrapped over several lines, as one paragraph of text. */
function oneParagraph(markdown: string): string {
  return markdown.replace(/\s*\n\s*/g, ' ').trim();
}

/** Within GitHub's limit, cut after the last whole sentence that fits. */
function capped(text: string): string {
  if (text.length <= DESCRIPTION_LIMIT) return text;
  const head = text.slice(0, DESCRIPTION_LIMIT - 1);
  const end = head.lastIndexOf('. ');
  return end > 0 ? head.slice(0, end + 1) : `${head}…`;
}
