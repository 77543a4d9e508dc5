import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILT_IN_RULES } from '../../rules/index.js';
import { type FileAnalysisOptions, analyzeFile } from '../analyze/index.js';
import { SchemaState } from '../analyze/schema-state.js';
import { UsageError } from '../config/errors.js';
import { type ConfigOverrides, ConfigLoader, type ResolvedConfig } from '../config/load.js';
import { type Migration, type MigrationFile, type MigrationProject, discover } from '../discover/index.js';
import type { StatementAnalysis } from '../analyze/index.js';
import { type FileAnalysis, type Finding, type LintResult, type RunProblem, type Severity, compareFindings } from '../findings/finding.js';
import { findDirectives } from '../parse/directives.js';
import { type ParsedSource, loadParser, parseSource } from '../parse/parser.js';
import type { AnyRule, FileInfo } from '../plugin/rule.js';
import { fingerprintOf } from './fingerprint.js';
import type { LintCache } from './cache.js';
import { FileRuleRunner, type RawFinding } from './rule-runner.js';
import { applyDirectives, ignoreSuggestion } from './suppress.js';

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
  /** Keep each linted file's parse and statement analyses in the result (`analyses`): an editor's hover reads them. */
  readonly keepAnalyses?: boolean;
  /** Parses and replayed histories kept from earlier runs: an editor lints on every change, and most files do not change. */
  readonly cache?: LintCache;
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
  const run = new Run(texts, { reportUnusedDirectives: options.reportUnusedDirectives === true, keepAnalyses: options.keepAnalyses === true, cache: options.cache });
  for (const project of discovery.projects) {
    run.lintProject(project, await configs.forFolder(project.root), discovery.targets);
  }
  return run.result();
}

/** What every file of a project is linted with. */
interface ProjectContext {
  readonly config: ResolvedConfig;
  readonly state: SchemaState;
  readonly knownRuleIds: ReadonlySet<string>;
}

class Run {
  private readonly findings: Finding[] = [];
  private readonly files: string[] = [];
  private readonly problems: RunProblem[] = [];
  private readonly sources = new Map<string, string>();
  private readonly rulesUsed = new Map<string, { rule: AnyRule; severity: Severity }>();
  private readonly analyses = new Map<string, FileAnalysis>();
  private transactionCounter = 0;
  private readonly texts: ReadonlyMap<string, string>;
  private readonly settings: RunSettings;

  constructor(texts: ReadonlyMap<string, string>, settings: RunSettings) {
    this.texts = texts;
    this.settings = settings;
  }

  /** Replays the project up to its last target; earlier migrations are read for context only. */
  lintProject(project: MigrationProject, config: ResolvedConfig, targets: ReadonlySet<string>): void {
    for (const { rule, severity } of config.rules) this.rulesUsed.set(rule.id, { rule, severity });
    const knownRuleIds = new Set(config.allRules.map((rule) => rule.id));
    const isTarget = (file: MigrationFile | undefined): boolean => file !== undefined && targets.has(file.path);
    const first = project.migrations.findIndex((migration) => isTarget(migration.up) || isTarget(migration.down));
    const last = project.migrations.findLastIndex((migration) => isTarget(migration.up) || isTarget(migration.down));
    const state = this.history(project, config, project.migrations.slice(0, Math.max(first, 0)));
    // The history's state may be kept for the next run: what the linted migrations change is undone at the end.
    const afterHistory = state.checkpoint();
    for (const migration of project.migrations.slice(Math.max(first, 0), last + 1)) {
      this.runFile(project, migration, migration.up, { config, state, knownRuleIds }, isTarget(migration.up));
      if (migration.down && isTarget(migration.down)) {
        // A rollback is judged against the state its migration left, and changes nothing after it.
        const checkpoint = state.checkpoint();
        this.runFile(project, migration, migration.down, { config, state, knownRuleIds }, true);
        state.restore(checkpoint);
      }
    }
    state.restore(afterHistory);
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
      analyses: this.settings.keepAnalyses ? this.analyses : undefined,
    };
  }

  /** The schema after the migrations before the first linted one: replayed, or kept from an earlier run when none of them changed. */
  private history(project: MigrationProject, config: ResolvedConfig, migrations: readonly Migration[]): SchemaState {
    const replayed = migrations.flatMap((migration) => {
      const loaded = this.load(migration.up.path, false);
      return loaded ? [{ migration, parsed: loaded.parsed }] : [];
    });
    const parses = replayed.map(({ parsed }) => parsed);
    const kept = this.settings.cache?.history(project.root, config, parses);
    if (kept) {
      this.transactionCounter = Math.max(this.transactionCounter, kept.transactions);
      return kept.state;
    }
    const state = new SchemaState();
    for (const { migration, parsed } of replayed) analyzeFile(parsed, state, this.analysisOptions(config, migration, migration.up));
    this.settings.cache?.keepHistory(project.root, { config, parses, state, transactions: this.transactionCounter });
    return state;
  }

  private analysisOptions(config: ResolvedConfig, migration: Migration, file: MigrationFile): FileAnalysisOptions {
    return {
      pgVersion: config.pgVersion,
      assumeInTransaction: config.assumeInTransaction,
      position: { migration: migration.id, part: file.part },
      newTransactionId: () => ++this.transactionCounter,
    };
  }

  private load(path: string, report: boolean): { text: string; parsed: ParsedSource } | undefined {
    const text = this.read(path, report);
    if (text === undefined) return undefined;
    return { text, parsed: this.settings.cache?.parse(path, text) ?? parseSource(text) };
  }

  private runFile(project: MigrationProject, migration: Migration, file: MigrationFile, context: ProjectContext, report: boolean): void {
    const { config, state } = context;
    const loaded = this.load(file.path, report);
    if (!loaded) return;
    const { text, parsed } = loaded;
    const analysisOptions = this.analysisOptions(config, migration, file);
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
      statementCount: parsed.statements.length,
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
    analyzeFile(parsed, state, analysisOptions, this.statementObserver(runner, file.path, parsed, config.pgVersion));
    const raw: RawFinding[] = [...runner.endFile(), ...syntaxErrorFindings(parsed, file.path, severityOf(config, SYNTAX_ERROR))];
    // On in the configuration (the strict preset), or asked for on the command line.
    const unusedSeverity = severityOf(config, UNUSED_DIRECTIVE) ?? (this.settings.reportUnusedDirectives ? 'warning' : undefined);
    this.findings.push(
      ...applyDirectives(raw, findDirectives(parsed), parsed, file.path, {
        known: context.knownRuleIds,
        invalidDirective: severityOf(config, INVALID_DIRECTIVE),
        unusedDirective: unusedSeverity,
      }),
    );
  }

  /** What sees each statement of a linted file: the rules, and the kept analyses when asked for. */
  private statementObserver(runner: FileRuleRunner, path: string, parsed: ParsedSource, pgVersion: number): ((analysis: StatementAnalysis) => void) | undefined {
    if (!this.settings.keepAnalyses) return runner.hasStatementHandlers ? (analysis) => { runner.visitStatement(analysis); } : undefined;
    const statements: StatementAnalysis[] = [];
    this.analyses.set(path, { parsed, statements, pgVersion });
    return (analysis) => {
      statements.push(analysis);
      runner.visitStatement(analysis);
    };
  }

  private read(path: string, report: boolean): string | undefined {
    const text = this.texts.get(path);
    if (text !== undefined) return withoutByteOrderMark(text);
    try {
      return withoutByteOrderMark(this.settings.cache?.readFile(path) ?? readFileSync(path, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.problems.push({ file: path, message: `cannot read ${report ? 'the file' : 'this earlier migration'} (${reason})` });
      return undefined;
    }
  }
}

interface RunSettings {
  readonly reportUnusedDirectives: boolean;
  readonly keepAnalyses: boolean;
  readonly cache: LintCache | undefined;
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
      suggestions: [ignoreSuggestion(SYNTAX_ERROR, parsed.source.text, { start: error.statementStart, end: error.statementEnd })],
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
