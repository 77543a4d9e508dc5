import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { analyzeFile } from '../analyze/index.js';
import { SchemaState } from '../analyze/schema-state.js';
import { UsageError } from '../config/errors.js';
import { type ConfigOverrides, ConfigLoader, type ResolvedConfig } from '../config/load.js';
import { type Migration, type MigrationFile, type MigrationProject, discover } from '../discover/index.js';
import { type Finding, type LintResult, type RunProblem, type Severity, compareFindings } from '../findings/finding.js';
import { findDirectives } from '../parse/directives.js';
import { loadParser, parseSource } from '../parse/parser.js';
import type { AnyRule, FileChange, FileInfo } from '../plugin/rule.js';
import { fingerprintOf } from './fingerprint.js';
import { FileRuleRunner, type RawFinding } from './rule-runner.js';
import { applyDirectives } from './suppress.js';

export interface LintOptions {
  /** Files, folders and globs, as on the command line. */
  readonly inputs: readonly string[];
  readonly cwd?: string;
  /** A configuration file to use instead of looking one up. */
  readonly configFile?: string | undefined;
  readonly overrides?: ConfigOverrides;
  /** A loader the caller already used (its cache is shared); built from the options above otherwise. */
  readonly configs?: ConfigLoader;
  /** Contents that replace what is on disk (stdin, unsaved editor buffers), by path. */
  readonly texts?: ReadonlyMap<string, string>;
  readonly reportUnusedDirectives?: boolean;
  /**
   * Report only on these files (absolute paths), as git changed them (`--since`, `--staged`);
   * every migration before them is still read for context.
   */
  readonly changes?: ReadonlyMap<string, FileChange>;
}

/** Findings the engine itself produces; they are rules so they can be configured and documented like any other. */
const SYNTAX_ERROR = 'syntax-error';
const INVALID_DIRECTIVE = 'invalid-directive';
const UNUSED_DIRECTIVE = 'unused-directive';
const MIGRATION_LAYOUT = 'migration-layout';

/**
 * Lints migrations: discovers the projects the inputs belong to, replays each project's history
 * in order, runs the configured rules over the files asked for, and returns the findings.
 */
export async function lint(options: LintOptions): Promise<LintResult> {
  const cwd = options.cwd ?? process.cwd();
  const parserReady = loadParser();
  const configs = options.configs ?? new ConfigLoader({ builtInRules: BUILT_IN_RULES, overrides: options.overrides, configFile: options.configFile, cwd });
  const texts = new Map([...(options.texts ?? new Map<string, string>())].map(([path, text]) => [resolve(cwd, path), text]));
  const discovery = await discover(options.inputs, {
    cwd,
    virtualFiles: [...texts.keys()],
    settingsFor: async (root) => {
      const config = await configs.forFolder(root);
      return { layout: config.layout, isIgnored: config.isIgnored };
    },
  });
  if (discovery.unmatched.length > 0) {
    throw new UsageError(`no files match ${discovery.unmatched.map((input) => `"${input}"`).join(', ')}`);
  }
  await parserReady;
  const changes = options.changes;
  const targets = changes ? new Set([...discovery.targets].filter((file) => changes.has(file))) : discovery.targets;
  const run = new Run(texts, options.reportUnusedDirectives === true, changes);
  for (const project of discovery.projects) {
    run.lintProject(project, await configs.forFolder(project.root), targets);
  }
  return run.result();
}

/** What every file of a project is linted with. */
interface ProjectContext {
  readonly config: ResolvedConfig;
  readonly state: SchemaState;
  readonly knownRuleIds: ReadonlySet<string>;
  readonly unusedDirective: Severity | undefined;
}

class Run {
  private readonly findings: Finding[] = [];
  private readonly files: string[] = [];
  private readonly problems: RunProblem[] = [];
  private readonly sources = new Map<string, string>();
  private readonly rulesUsed = new Map<string, { rule: AnyRule; severity: Severity }>();
  private transactionCounter = 0;
  private readonly texts: ReadonlyMap<string, string>;
  private readonly reportUnusedDirectives: boolean;
  private readonly changes: ReadonlyMap<string, FileChange> | undefined;

  constructor(texts: ReadonlyMap<string, string>, reportUnusedDirectives: boolean, changes: ReadonlyMap<string, FileChange> | undefined) {
    this.texts = texts;
    this.reportUnusedDirectives = reportUnusedDirectives;
    this.changes = changes;
  }

  /** Replays the project up to its last target; earlier migrations are read for context only. */
  lintProject(project: MigrationProject, config: ResolvedConfig, targets: ReadonlySet<string>): void {
    for (const { rule, severity } of config.rules) this.rulesUsed.set(rule.id, { rule, severity });
    // On in the configuration (the strict preset), or asked for on the command line.
    const unusedDirective = severityOf(config, UNUSED_DIRECTIVE) ?? (this.reportUnusedDirectives ? 'warning' : undefined);
    const unusedDirectiveRule = config.allRules.find((rule) => rule.id === UNUSED_DIRECTIVE);
    // Reports describe every rule that ran, this one too when only the command line turned it on.
    if (unusedDirective && unusedDirectiveRule) this.rulesUsed.set(UNUSED_DIRECTIVE, { rule: unusedDirectiveRule, severity: unusedDirective });
    const context: ProjectContext = { config, state: new SchemaState(), knownRuleIds: new Set(config.allRules.map((rule) => rule.id)), unusedDirective };
    const isTarget = (file: MigrationFile | undefined): boolean => file !== undefined && targets.has(file.path);
    const last = project.migrations.findLastIndex((migration) => isTarget(migration.up) || isTarget(migration.down));
    const { state } = context;
    for (const migration of project.migrations.slice(0, last + 1)) {
      this.runFile(project, migration, migration.up, context, isTarget(migration.up));
      if (migration.down && isTarget(migration.down)) {
        // A rollback is judged against the state its migration left, and changes nothing after it.
        const checkpoint = state.checkpoint();
        this.runFile(project, migration, migration.down, context, true);
        state.restore(checkpoint);
      }
    }
    const layoutSeverity = severityOf(config, MIGRATION_LAYOUT);
    for (const problem of project.problems) {
      if (layoutSeverity && targets.has(problem.file)) this.findings.push(fileStartFinding(MIGRATION_LAYOUT, layoutSeverity, problem.message, problem.file));
    }
  }

  result(): LintResult {
    return {
      findings: this.findings.sort(compareFindings),
      files: this.files,
      problems: this.problems,
      rules: [...this.rulesUsed.values()],
      sources: this.sources,
    };
  }

  private runFile(project: MigrationProject, migration: Migration, file: MigrationFile, context: ProjectContext, report: boolean): void {
    const { config, state } = context;
    const text = this.read(file.path, report);
    if (text === undefined) return;
    const parsed = parseSource(text);
    const analysisOptions = {
      pgVersion: config.pgVersion,
      assumeInTransaction: config.assumeInTransaction,
      position: { migration: migration.id, part: file.part },
      newTransactionId: () => ++this.transactionCounter,
    };
    if (!report) {
      analyzeFile(parsed, state, analysisOptions);
      return;
    }
    this.files.push(file.path);
    this.sources.set(file.path, text);
    const info: FileInfo = {
      path: file.path,
      part: file.part,
      text,
      change: this.changes?.get(file.path),
      migration: {
        id: migration.id,
        name: migration.name,
        layout: project.layout,
        path: migration.up.path,
        rollbackPath: migration.down?.path,
        expectedRollbackPath: migration.expectedRollbackPath,
      },
    };
    const runner = new FileRuleRunner(config.rules, config, info, parsed);
    runner.startFile();
    analyzeFile(parsed, state, analysisOptions, runner.hasStatementHandlers ? (analysis) => { runner.visitStatement(analysis); } : undefined);
    const raw: RawFinding[] = [...runner.endFile(), ...syntaxErrorFindings(parsed, file.path, severityOf(config, SYNTAX_ERROR))];
    this.findings.push(
      ...applyDirectives(raw, findDirectives(parsed), parsed, file.path, {
        known: context.knownRuleIds,
        invalidDirective: severityOf(config, INVALID_DIRECTIVE),
        unusedDirective: context.unusedDirective,
      }),
    );
  }

  private read(path: string, report: boolean): string | undefined {
    const text = this.texts.get(path);
    if (text !== undefined) return withoutByteOrderMark(text);
    try {
      return withoutByteOrderMark(readFileSync(path, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.problems.push({ file: path, message: `cannot read ${report ? 'the file' : 'this earlier migration'} (${reason})` });
      return undefined;
    }
  }
}

function severityOf(config: ResolvedConfig, ruleId: string): Severity | undefined {
  return config.rules.find((configured) => configured.rule.id === ruleId)?.severity;
}

/** A byte order mark would be a syntax error; a space keeps every position where it was. */
function withoutByteOrderMark(text: string): string {
  return text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text;
}

function syntaxErrorFindings(parsed: ReturnType<typeof parseSource>, file: string, severity: Severity | undefined): RawFinding[] {
  if (!severity) return [];
  const occurrences = new Map<string, number>();
  return parsed.errors.map((error) => {
    const text = parsed.source.text.slice(error.statementStart, error.statementEnd);
    const occurrence = occurrences.get(text) ?? 0;
    occurrences.set(text, occurrence + 1);
    const start = parsed.source.positionAt(error.start);
    const end = parsed.source.positionAt(Math.max(error.end, error.start));
    return {
      ruleId: SYNTAX_ERROR,
      severity,
      message: `PostgreSQL cannot parse this statement: ${error.message}. The rest of the file is still checked.`,
      file,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      offset: error.start,
      endOffset: error.end,
      help: undefined,
      lock: undefined,
      fingerprint: fingerprintOf(SYNTAX_ERROR, text, occurrence),
    };
  });
}

function fileStartFinding(ruleId: string, severity: Severity, message: string, file: string): Finding {
  return {
    ruleId,
    severity,
    message,
    file,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 1,
    offset: 0,
    endOffset: 0,
    help: undefined,
    lock: undefined,
    fingerprint: fingerprintOf(ruleId, message, 0),
    suppression: undefined,
  };
}
