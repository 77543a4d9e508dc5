import { type FileAnalysisOptions, type StatementAnalysis, analyzeFile } from '../analyze/index.js';
import { policyFor, transactionChoice } from '../analyze/transaction-model.js';
import { SchemaState } from '../analyze/schema-state.js';
import { SchemaView } from '../analyze/schema-view.js';
import type { ResolvedConfig } from '../config/load.js';
import { partText } from '../discover/part-text.js';
import type { Migration, MigrationFile, MigrationProject } from '../discover/types.js';
import { type FileAnalysis, type Finding, type LintResult, type ProjectNote, type RunProblem, type Severity, compareFindings } from '../findings/finding.js';
import { findDirectives } from '../parse/directives.js';
import { type ParseError, type ParsedSource, type ParsedStatement, TOO_DEEP, parseSource } from '../parse/parser.js';
import { MAX_PARSER_INPUT_BYTES, TOO_LARGE } from '../parse/wasm.js';
import type { ParserPool } from '../parse/pool.js';
import type { AnyRule, FileChange, FileInfo, ProjectInfo, ReleaseInfo } from '../plugin/rule.js';
import type { LintCache } from './cache.js';
import { fingerprintOf } from './fingerprint.js';
import type { KeptProject, MigrationResult } from './kept-project.js';
import { FileRuleRunner, type RawFinding } from './rule-runner.js';
import { applyDirectives, ignoreSuggestion } from './suppress.js';

/*
 * A lint run over discovered projects: the engine's core, without the file system, threads or the
 * persistent cache's storage (src/engine/index.ts brings those, as RunSettings and a TextReader).
 * Nothing here may import a Node module: the web playground runs this module in a browser.
 */

/** The texts a run reads, by absolute path (the file system, an editor's buffers, the playground's text box). */
export interface TextReader {
  read(path: string): { readonly text: string } | { readonly error: string };
  text(path: string): string | undefined;
}

/**
 * How many migrations linted after the kept schema before them make a snapshot of the schema
 * after them worth writing: replaying one costs about a millisecond, writing a snapshot of a
 * 2,000-migration history about half a second.
 */
const REPLAY_RATHER_THAN_SNAPSHOT = 64;

/** Findings the engine itself produces; they are rules so they can be configured and documented like any other. */
const SYNTAX_ERROR = 'syntax-error';
const INVALID_DIRECTIVE = 'invalid-directive';
const UNUSED_DIRECTIVE = 'unused-directive';
const MIGRATION_LAYOUT = 'migration-layout';

/** What a project's run reads: the migrations before the first target for context, then those up to the last target. */
export interface LintScope {
  readonly history: readonly Migration[];
  readonly linted: readonly Migration[];
}

export function scopeOf(project: MigrationProject, isTarget: (file: MigrationFile | undefined) => boolean, sameRelease?: Deploys['sameRelease']): LintScope {
  const { migrations } = project;
  let first = Math.max(0, migrations.findIndex((migration) => isTarget(migration.up) || isTarget(migration.down)));
  let last = migrations.findLastIndex((migration) => isTarget(migration.up) || isTarget(migration.down));
  // A release is linted whole: its rollback undoes all of its files together.
  const together = (index: number, other: number): boolean => sameRelease?.(migrations[index]?.id ?? '', migrations[other]?.id ?? '') === true;
  while (last >= 0 && first > 0 && together(first - 1, first)) first--;
  while (last >= 0 && last + 1 < migrations.length && together(last, last + 1)) last++;
  return { history: migrations.slice(0, first), linted: migrations.slice(first, last + 1) };
}

/** Consecutive migrations of one release each (a migration of no release is one of its own). */
function releasesOf(migrations: readonly Migration[], sameRelease: Deploys['sameRelease']): Migration[][] {
  const releases: Migration[][] = [];
  for (const migration of migrations) {
    const current = releases.at(-1);
    const previous = current?.at(-1);
    if (current && previous && sameRelease?.(previous.id, migration.id) === true) current.push(migration);
    else releases.push([migration]);
  }
  return releases;
}

/** The parts a project's run parses, in the order it parses them. */
export function partsToParse(scope: LintScope, isTarget: (file: MigrationFile | undefined) => boolean): MigrationFile[] {
  return [
    ...scope.history.map((migration) => migration.up),
    ...scope.linted.flatMap((migration) => (migration.down && isTarget(migration.down) ? [migration.up, migration.down] : [migration.up])),
  ];
}

/** A part's key in the caches: a section of a file is parsed under its part, the other section blanked in its text. */
export function partKey(file: MigrationFile): string {
  return `${file.path}\0${file.part}`;
}

/** What every file of a project is linted with. */
interface ProjectContext {
  readonly project: MigrationProject;
  readonly info: ProjectInfo;
  readonly deploys: Deploys;
  readonly config: ResolvedConfig;
  readonly state: SchemaState;
  readonly knownRuleIds: ReadonlySet<string>;
  readonly unusedDirective: Severity | undefined;
}

/** A part that was reported on: its findings wait for the file's directives. */
interface LintedPart {
  readonly path: string;
  readonly text: string;
  readonly parsed: ParsedSource;
  readonly whole: boolean;
  readonly raw: readonly RawFinding[];
}

export class Run {
  private readonly findings: Finding[] = [];
  private readonly files: string[] = [];
  private readonly problems: RunProblem[] = [];
  /** By project folder, rule and message: a note is shown once however many files make it. */
  private readonly notes = new Map<string, ProjectNote>();
  private readonly sources = new Map<string, string>();
  private readonly rulesUsed = new Map<string, { rule: AnyRule; severity: Severity }>();
  private readonly analyses = new Map<string, FileAnalysis>();
  /** How each linted project's files run, in words, by project folder. */
  private readonly transactions = new Map<string, { layout: string; up: Set<string>; down: Set<string> }>();
  private transactionCounter = 0;
  private reusedFiles = 0;
  /** Parts already reported on: a file sits in one project, and is reported once even if a layout lists it twice. */
  private readonly reported = new Set<string>();
  private readonly reader: TextReader;
  private readonly settings: RunSettings;

  constructor(reader: TextReader, settings: RunSettings) {
    this.reader = reader;
    this.settings = settings;
  }

  /**
   * Replays the project up to its last target; earlier migrations are read for context only. Each
   * migration's changes are recorded, so its rollback can be compared with what it did.
   */
  lintProject(project: MigrationProject, config: ResolvedConfig, targets: ReadonlySet<string>): void {
    for (const { rule, severity } of config.rules) this.rulesUsed.set(rule.id, { rule, severity });
    // On in the configuration (the strict preset), or asked for on the command line.
    const unusedDirective = severityOf(config, UNUSED_DIRECTIVE) ?? (this.settings.reportUnusedDirectives ? 'warning' : undefined);
    const unusedDirectiveRule = config.allRules.find((rule) => rule.id === UNUSED_DIRECTIVE);
    // Reports describe every rule that ran, this one too when only the command line turned it on.
    if (unusedDirective && unusedDirectiveRule) this.rulesUsed.set(UNUSED_DIRECTIVE, { rule: unusedDirectiveRule, severity: unusedDirective });
    const isTarget = (file: MigrationFile | undefined): boolean => file !== undefined && targets.has(file.path) && !this.reported.has(partKey(file));
    const deploys = deploysOf(project, config, this.settings.undeployed);
    const scope = scopeOf(project, isTarget, deploys.sameRelease);
    const keep = this.settings.keptProject;
    const info: ProjectInfo = { root: project.root, layout: project.layout, keepsRollbacks: project.migrations.some((migration) => migration.down !== undefined) };
    const shared = { project, info, deploys, config, knownRuleIds: new Set(config.allRules.map((rule) => rule.id)), unusedDirective };
    // A release is linted as one (its rollbacks together): the persistent cache keeps findings per migration.
    if (keep && !deploys.sameRelease) this.lintKept(keep, shared, scope, isTarget);
    else this.lintReplayed(shared, scope, isTarget);
    const layoutSeverity = severityOf(config, MIGRATION_LAYOUT);
    for (const problem of project.problems) {
      // A problem of a file that is not linted itself (sqitch.plan) belongs to the whole project.
      const reported = targets.has(problem.file) || !problem.file.endsWith('.sql');
      if (layoutSeverity && reported) this.findings.push(fileStartFinding(MIGRATION_LAYOUT, layoutSeverity, problem.message, problem.file));
    }
  }

  /** Replays the history (or takes it from an editor's cache), then lints the migrations in scope. */
  private lintReplayed(shared: Omit<ProjectContext, 'state'>, scope: LintScope, isTarget: (file: MigrationFile | undefined) => boolean): void {
    const state = this.history(shared.project, shared.config, scope.history);
    const context: ProjectContext = { ...shared, state };
    // The history's state may be kept for the next run: what the linted migrations change is undone at the end.
    // Without a cache nothing is kept, and a journal of every change would only keep each replaced entry alive.
    const afterHistory = this.settings.cache ? state.checkpoint() : undefined;
    try {
      for (const release of releasesOf(scope.linted, context.deploys.sameRelease)) this.lintRelease(context, release, isTarget);
    } catch (error) {
      // A run stopped half way (a plugin rule that throws) may leave a kept state inconsistent: replay it next time.
      this.settings.cache?.forgetHistories();
      throw error;
    } finally {
      if (afterHistory !== undefined) state.restore(afterHistory);
    }
  }

  /**
   * With the persistent cache: a migration whose findings are kept, with the same history before
   * it, is not linted again; the schema is brought (from the nearest kept snapshot) to the first
   * migration that must be linted, and only then.
   */
  private lintKept(keep: KeepProject, shared: Omit<ProjectContext, 'state'>, scope: LintScope, isTarget: (file: MigrationFile | undefined) => boolean): void {
    const { project, config } = shared;
    const end = scope.history.length + scope.linted.length;
    const migrations = project.migrations.slice(0, end);
    const kept = keep(project, config, migrations.map((migration) => this.reader.text(migration.up.path)));
    let current: { state: SchemaState; at: number } | undefined;
    /** The schema after the first `length` migrations; `keep`: a length worth a snapshot. */
    const stateAt = (length: number, keep: ReadonlySet<number>): SchemaState => {
      if (!current || current.at > length) {
        const nearest = kept.nearestState(length);
        this.transactionCounter = Math.max(this.transactionCounter, nearest.transactions);
        current = nearest;
      }
      for (; current.at < length; current.at++) {
        const migration = migrations[current.at];
        const parsed = migration && this.parse(migration.up, false, (file, text) => kept.parse(current?.at ?? 0, file, text));
        if (migration && parsed) this.replay(current.state, config, migration, parsed);
        if (keep.has(current.at + 1)) kept.keepState(current.at + 1, current.state, this.transactionCounter);
      }
      return current.state;
    };
    // The schema before the first migration linted: where the next run of one new migration starts.
    const snapshots = new Set([scope.history.length]);
    // The migrations never deployed (`--since`), with their places: each migration's findings depend on those up to it.
    const undeployed = migrations.flatMap((migration, place) => (shared.deploys.undeployed?.(migration.id) === true ? [{ id: migration.id, place }] : []));
    for (const [offset, migration] of scope.linted.entries()) {
      const index = scope.history.length + offset;
      const down = migration.down && isTarget(migration.down) ? migration.down : undefined;
      if (!isTarget(migration.up) && !down) continue;
      const key =
        index < kept.length
          ? kept.resultKey(index, migration, {
              up: isTarget(migration.up),
              down: down !== undefined,
              downText: down && this.reader.text(down.path),
              changes: [migration.up, down].map((file) => file && this.settings.changes?.get(file.path)),
              reportUnusedDirectives: this.settings.reportUnusedDirectives,
              keepsRollbacks: shared.info.keepsRollbacks,
              undeployed: undeployed.filter(({ place }) => place <= index).map(({ id }) => id),
            })
          : undefined;
      const known = key === undefined ? undefined : kept.result(index, key);
      if (known) {
        this.addKept(known, [migration.up, down], project, config);
        continue;
      }
      const state = stateAt(index, snapshots);
      const files = this.files.length;
      const findings = this.findings.length;
      const problems = this.problems.length;
      const notes = new Map(this.notes);
      this.lintRelease({ ...shared, state }, [migration], isTarget, (file, text) => kept.parse(index, file, text));
      if (current) current.at = index + 1;
      const noted = [...this.notes].filter(([identity]) => !notes.has(identity)).map(([, note]) => note);
      if (key !== undefined && this.problems.length === problems) kept.keepResult(index, key, { files: this.files.slice(files), findings: this.findings.slice(findings), notes: noted });
    }
    // The schema at the end: where the next run starts when a migration is added. Not when a few
    // migrations were linted after a history whose schema is kept (one changed file before a
    // commit): the next run replays those few from there in less time than writing a snapshot
    // of a long history takes (megabytes: most of such a run).
    const fewAfterKept = scope.history.length > 0 && scope.linted.length < REPLAY_RATHER_THAN_SNAPSHOT;
    if (current?.at === end && !fewAfterKept) kept.keepState(end, current.state, this.transactionCounter);
    kept.save();
  }

  /** Adds a migration's kept findings as if it had been linted. */
  private addKept(result: MigrationResult, parts: readonly (MigrationFile | undefined)[], project: MigrationProject, config: ResolvedConfig): void {
    for (const part of parts) {
      if (!part) continue;
      this.reported.add(partKey(part));
      if (result.files.includes(part.path)) this.noteTransactions(project, part.part, policyFor(part, transactionChoice(config)).reason);
    }
    this.reusedFiles += result.files.length;
    for (const path of result.files) {
      this.files.push(path);
      const text = this.reader.text(path);
      if (text !== undefined) this.sources.set(path, text);
    }
    this.findings.push(...result.findings);
    for (const note of result.notes ?? []) this.notes.set(noteIdentity(note), note);
  }

  /**
   * Lints a release (one migration, or the several `migrations.release` groups): each part, then
   * the rollbacks newest first against the state the whole release left; each file's directives
   * are applied once.
   */
  private lintRelease(context: ProjectContext, release: readonly Migration[], isTarget: (file: MigrationFile | undefined) => boolean, parseKept?: KeptParse): void {
    const parts: LintedPart[] = [];
    // The last rollback to run is judged against everything the release did.
    const rollingBack = [...release].reverse();
    const lastRollback = rollingBack.findLast((migration) => migration.down !== undefined) ?? release[0];
    if (!lastRollback) return;
    context.state.startRecording(lastRollback.id, release.length > 1 ? new Set(release.map((migration) => migration.id)) : undefined);
    for (const migration of release) parts.push(...this.runPart(context, migration, migration.up, isTarget(migration.up), parseKept));
    context.state.stopRecording();
    if (release.some((migration) => isTarget(migration.down))) {
      // A rollback is judged against the state its migration (its release) left, and changes nothing after it.
      const checkpoint = context.state.checkpoint();
      for (const migration of rollingBack) if (migration.down) parts.push(...this.runPart(context, migration, migration.down, isTarget(migration.down), parseKept));
      context.state.restore(checkpoint);
    }
    this.applyDirectives(parts, context);
  }

  result(): Omit<LintResult, 'parsing'> {
    return {
      findings: this.findings.sort(compareFindings),
      files: this.files,
      problems: this.problems,
      notes: [...this.notes.values()],
      rules: [...this.rulesUsed.values()],
      sources: this.sources,
      analyses: this.settings.keepAnalyses ? this.analyses : undefined,
      projects: [...this.transactions].map(([root, { layout, up, down }]) => ({
        root,
        layout,
        transactions: [...up, ...[...down].filter((mode) => !up.has(mode)).map((mode) => `rollbacks: ${mode}`)],
      })),
      reusedFiles: this.settings.keptProject ? this.reusedFiles : undefined,
    };
  }

  /**
   * The schema after the migrations before the first linted one: replayed (each migration's
   * changes recorded, as the linted ones are), or kept from an earlier run when none changed.
   */
  private history(project: MigrationProject, config: ResolvedConfig, migrations: readonly Migration[]): SchemaState {
    const state = new SchemaState();
    const replay = (migration: Migration, parsed: ParsedSource): void => {
      this.replay(state, config, migration, parsed);
    };
    const { cache } = this.settings;
    if (!cache) {
      // Each file replayed as soon as it is parsed: parser threads work ahead meanwhile.
      for (const migration of migrations) {
        const parsed = this.parse(migration.up, false);
        if (parsed) replay(migration, parsed);
      }
      return state;
    }
    const replayed = migrations.flatMap((migration) => {
      const parsed = this.parse(migration.up, false);
      return parsed ? [{ migration, parsed }] : [];
    });
    const parses = replayed.map(({ parsed }) => parsed);
    const kept = cache.history(project.root, config, parses);
    if (kept) {
      this.transactionCounter = Math.max(this.transactionCounter, kept.transactions);
      return kept.state;
    }
    for (const { migration, parsed } of replayed) replay(migration, parsed);
    cache.keepHistory(project.root, { config, parses, state, transactions: this.transactionCounter });
    return state;
  }

  /** Replays a migration read for context, recording what it changes as a linted one would. */
  private replay(state: SchemaState, config: ResolvedConfig, migration: Migration, parsed: ParsedSource): void {
    state.startRecording(migration.id);
    analyzeFile(parsed, state, this.analysisOptions(config, migration, migration.up));
    state.stopRecording();
  }

  private analysisOptions(config: ResolvedConfig, migration: Migration, file: MigrationFile, deploys?: Deploys): FileAnalysisOptions {
    const sameRelease = deploys?.sameRelease;
    return {
      pgVersion: config.pgVersion,
      assumeInTransaction: config.assumeInTransaction ?? false,
      transaction: policyFor(file, transactionChoice(config)),
      position: {
        migration: migration.id,
        part: file.part,
        sameRelease: sameRelease && ((other) => sameRelease(migration.id, other)),
        undeployed: deploys?.undeployed,
      },
      newTransactionId: () => ++this.transactionCounter,
      timeZone: config.timeZone,
    };
  }

  private noteTransactions(project: MigrationProject, part: MigrationFile['part'], mode: string): void {
    let noted = this.transactions.get(project.root);
    if (!noted) {
      noted = { layout: project.layout, up: new Set(), down: new Set() };
      this.transactions.set(project.root, noted);
    }
    noted[part].add(mode);
  }

  /**
   * A part's text and parse (through the cache, when there is one; `parseKept`: the persistent
   * cache's); undefined, with a problem noted, when it cannot be read.
   */
  private parse(file: MigrationFile, report: boolean, parseKept?: KeptParse): ParsedSource | undefined {
    const read = this.reader.read(file.path);
    if ('error' in read) {
      this.problems.push({ file: file.path, message: `cannot read ${report ? 'the file' : 'this earlier migration'} (${read.error})` });
      return undefined;
    }
    const text = partText(file, read.text);
    const key = partKey(file);
    if (parseKept) return parseKept(file, text);
    return this.settings.cache?.parse(key, text) ?? this.settings.pool?.parse(key, text) ?? parseSource(text);
  }

  /** Replays one part of a migration; when it is reported on, returns its findings before directives. */
  private runPart(context: ProjectContext, migration: Migration, file: MigrationFile, report: boolean, parseKept: KeptParse | undefined): LintedPart[] {
    const { config, state } = context;
    const parsed = this.parse(file, report, parseKept);
    const read = this.reader.read(file.path);
    if (!parsed || 'error' in read) return [];
    if (report) this.reported.add(partKey(file));
    const analysisOptions = this.analysisOptions(config, migration, file, context.deploys);
    if (report && analysisOptions.transaction) this.noteTransactions(context.project, file.part, analysisOptions.transaction.reason);
    if (!report) {
      analyzeFile(parsed, state, analysisOptions);
      return [];
    }
    const ownSection = file.sections?.[0];
    const info: FileInfo = {
      path: file.path,
      part: file.part,
      transactionMode: analysisOptions.transaction?.mode ?? 'none',
      text: read.text,
      startLine: ownSection === undefined ? 1 : parsed.source.positionAt(ownSection.start).line,
      change: this.settings.changes?.get(file.path),
      project: context.info,
      migration: {
        id: migration.id,
        name: migration.name,
        layout: context.project.layout,
        path: migration.up.path,
        rollbackPath: migration.down?.path,
        expectedRollbackPath: migration.expectedRollbackPath,
        rollbackMarker: migration.rollbackMarker,
        release: context.deploys.releaseOf(migration.id),
      },
    };
    const schema = new SchemaView(state, 'public', analysisOptions.position);
    const runner = new FileRuleRunner(config.rules, config, info, parsed, schema);
    runner.startFile();
    const tooDeep = analyzeFile(parsed, state, analysisOptions, this.statementObserver(runner, file.path, config.pgVersion));
    const unread = [...parsed.errors.map(parserRefusal), ...tooDeep.map(tooDeepToAnalyse)];
    const raw = [...runner.endFile(), ...syntaxErrorFindings(unread, parsed, file.path, severityOf(config, SYNTAX_ERROR))];
    for (const { ruleId, message } of runner.notes) {
      const note = { ruleId, folder: context.project.root, message };
      this.notes.set(noteIdentity(note), note);
    }
    return [{ path: file.path, text: read.text, parsed, whole: file.sections === undefined, raw }];
  }

  /** What sees each statement of a linted part: the rules, and the kept analyses when asked for. */
  private statementObserver(runner: FileRuleRunner, path: string, pgVersion: number): ((analysis: StatementAnalysis) => void) | undefined {
    if (!this.settings.keepAnalyses) return runner.hasStatementHandlers ? (analysis) => { runner.visitStatement(analysis); } : undefined;
    // The parts of a file split into sections are kept together: each statement with its position in the file.
    const kept = this.analyses.get(path);
    const statements: StatementAnalysis[] = kept ? [...kept.statements] : [];
    this.analyses.set(path, { statements, pgVersion });
    return (analysis) => {
      statements.push(analysis);
      runner.visitStatement(analysis);
    };
  }

  /** Applies each file's directives once to the findings of all its parts (a dbmate file has two). */
  private applyDirectives(parts: readonly LintedPart[], context: ProjectContext): void {
    const { config } = context;
    for (const path of new Set(parts.map((part) => part.path))) {
      const ofFile = parts.filter((part) => part.path === path);
      const [first] = ofFile;
      if (!first) continue;
      this.files.push(path);
      this.sources.set(path, first.text);
      // The directives of a file split into sections are found in the whole file.
      const parsed = ofFile.length === 1 && first.whole ? first.parsed : parseSource(first.text);
      this.findings.push(
        ...applyDirectives(
          ofFile.flatMap((part) => part.raw),
          findDirectives(parsed),
          parsed,
          path,
          { known: context.knownRuleIds, invalidDirective: severityOf(config, INVALID_DIRECTIVE), unusedDirective: context.unusedDirective },
        ),
      );
    }
  }
}

/** The persistent cache's parse of a part. */
type KeptParse = (file: MigrationFile, text: string) => ParsedSource;

export interface RunSettings {
  readonly reportUnusedDirectives: boolean;
  readonly changes: ReadonlyMap<string, FileChange> | undefined;
  readonly undeployed: ((path: string) => boolean) | undefined;
  readonly keepAnalyses: boolean;
  readonly cache: LintCache | undefined;
  readonly pool: ParserPool | undefined;
  /** With the persistent cache: what it keeps of a project, given its migrations' texts. */
  readonly keptProject: KeepProject | undefined;
}

export type KeepProject = (project: MigrationProject, config: ResolvedConfig, texts: readonly (string | undefined)[]) => KeptProject;

/** Which migrations of a project deploy together: each one's release, and which were never deployed. */
interface Deploys {
  /** Whether two migrations (by id) belong to one release: `migrations.release` matches both versions alike, or `migrations.releaseWindow` holds both. */
  readonly sameRelease: ((migration: string, other: string) => boolean) | undefined;
  /** The release of a migration (by id), when it is one of several. */
  readonly releaseOf: (migration: string) => ReleaseInfo | undefined;
  readonly undeployed: ((migration: string) => boolean) | undefined;
}

function deploysOf(project: MigrationProject, config: ResolvedConfig, undeployedFile: ((path: string) => boolean) | undefined): Deploys {
  const members = new Map<string, string[]>();
  const releases = new Map<string, string>();
  const join = (migration: string, name: string): void => {
    releases.set(migration, name);
    members.set(name, [...(members.get(name) ?? []), migration]);
  };
  // The previous migration dated by its version, while it can open a release for the next one.
  let previous: { readonly name: string; readonly time: number } | undefined;
  for (const migration of project.migrations) {
    const match = config.release?.exec(migration.version);
    const time = match || config.releaseWindow <= 0 ? undefined : versionTime(migration.version);
    if (match) join(migration.id, match[1] ?? match[0]);
    if (time === undefined) {
      previous = undefined;
      continue;
    }
    const name = previous !== undefined && time >= previous.time && time - previous.time <= config.releaseWindow ? previous.name : migration.version;
    join(migration.id, name);
    previous = { name, time };
  }
  // Without a release of several migrations, each is its own (and the persistent cache can keep them one by one).
  const sameRelease: Deploys['sameRelease'] =
    ![...members.values()].some((migrations) => migrations.length > 1)
      ? undefined
      : (migration, other) => {
          const release = releases.get(migration);
          return release !== undefined && releases.get(other) === release;
        };
  const releaseOf = (migration: string): ReleaseInfo | undefined => {
    const name = releases.get(migration);
    const migrations = name === undefined ? undefined : members.get(name);
    return name !== undefined && migrations !== undefined && migrations.length > 1 ? { name, migrations } : undefined;
  };
  let undeployed: Deploys['undeployed'];
  if (undeployedFile) {
    const ids = new Set(project.migrations.filter((migration) => undeployedFile(migration.up.path)).map((migration) => migration.id));
    undeployed = (migration) => ids.has(migration);
  }
  return { sameRelease, releaseOf, undeployed };
}

/** A version that starts with a timestamp (`20240101120000`, Diesel's `2024-01-01-120000`), in milliseconds; undefined for any other. */
function versionTime(version: string): number | undefined {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})[-_]?(\d{2})(\d{2})(\d{2})/.exec(version);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** A note is one per project, rule and message. */
function noteIdentity(note: ProjectNote): string {
  return `${note.folder}\0${note.ruleId}\0${note.message}`;
}

function severityOf(config: ResolvedConfig, ruleId: string): Severity | undefined {
  return config.rules.find((configured) => configured.rule.id === ruleId)?.severity;
}

/** A statement migrate-safe cannot read, where and why. */
interface UnreadStatement extends Omit<ParseError, 'message'> {
  readonly message: string;
}

const NOT_ANALYSED = 'This statement nests deeper than migrate-safe can analyse: it is not checked (review it by hand). The rest of the file is still checked.';

const TOO_LARGE_TO_ANALYSE = `This statement is larger than migrate-safe can analyse (over ${MAX_PARSER_INPUT_BYTES / 1_000_000} MB): it is not checked (review it by hand). The rest of the file is still checked.`;

function parserRefusal(error: ParseError): UnreadStatement {
  if (error.message === TOO_DEEP) return { ...error, message: NOT_ANALYSED };
  if (error.message === TOO_LARGE) return { ...error, message: TOO_LARGE_TO_ANALYSE };
  return { ...error, message: `PostgreSQL cannot parse this statement: ${error.message}. The rest of the file is still checked.` };
}

function tooDeepToAnalyse(statement: ParsedStatement): UnreadStatement {
  return { start: statement.start, end: statement.end, statementStart: statement.start, statementEnd: statement.end, message: NOT_ANALYSED };
}

function syntaxErrorFindings(unread: readonly UnreadStatement[], parsed: ParsedSource, file: string, severity: Severity | undefined): RawFinding[] {
  if (!severity) return [];
  const occurrences = new Map<string, number>();
  return unread.map((error) => {
    const text = parsed.source.text.slice(error.statementStart, error.statementEnd);
    const occurrence = occurrences.get(text) ?? 0;
    occurrences.set(text, occurrence + 1);
    const start = parsed.source.positionAt(error.start);
    const end = parsed.source.positionAt(Math.max(error.end, error.start));
    return {
      ruleId: SYNTAX_ERROR,
      severity,
      message: error.message,
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
      suppression: undefined,
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
