import { displayName, walk } from '../analyze/ast.js';
import type { LockAcquisition } from '../analyze/classify.js';
import type { StatementAnalysis } from '../analyze/index.js';
import type { SchemaView } from '../analyze/schema-view.js';
import { LOCK_MODES, describeImpact, lockImpact, lockStrength } from '../analyze/lock-modes.js';
import { relative } from 'node:path';
import { UsageError } from '../config/errors.js';
import type { ConfiguredRule, ResolvedConfig } from '../config/load.js';
import type { Finding, FindingLock, Severity } from '../findings/finding.js';
import type { ParsedSource } from '../parse/parser.js';
import { SourceText } from '../parse/source.js';
import { routinePrefix } from '../analyze/routine.js';
import type { Range } from '../parse/directives.js';
import type { FileInfo, FixDescriptors, ReportDescriptor, StatementContext, Visitor } from '../plugin/rule.js';

/** What Supabase's API serves when its config.toml does not say. */
const SUPABASE_EXPOSED: readonly string[] = ['public'];
import { checkedFix, checkedSuggestion } from './edits.js';
import { fingerprintOf } from './fingerprint.js';
import { ignoreSuggestion } from './suppress.js';
import { NOT_RUNNING, codeLabel, enterCode, enterFile, leaveCode } from './watch.js';

type Handler = (node: unknown, statement: StatementContext) => void;

/** Rule code that threw, or reported what is no finding: a tool failure (exit code 2), with the rule and file named. */
export class RuleFailure extends UsageError {}

/** The visitor key called once per statement, whatever its type. */
const STATEMENT = 'Statement';

interface ActiveRule {
  readonly id: string;
  /** "rule x", "rule acme/x of plugin ./rules.mjs": how errors and the time limit name it. */
  readonly name: string;
  readonly severity: Severity;
  readonly visitor: Visitor;
  /** Under which label a watched thread publishes that its code runs (src/engine/watch.ts). */
  readonly label: number;
}

/**
 * A finding before suppressions are applied. It is already a whole `Finding`, so the findings no
 * directive silences (nearly all) are kept as they are instead of copied.
 */
export type RawFinding = Finding & { readonly suppression: undefined };

/**
 * Runs the configured rules over one file: creates each rule's visitor, dispatches every AST
 * node to the handlers for its type, and turns reports into findings with exact positions.
 */
export class FileRuleRunner {
  private readonly rules: ActiveRule[];
  private readonly handlers = new Map<string, { rule: ActiveRule; handler: Handler }[]>();
  private readonly findings: RawFinding[] = [];
  /** The statements the rules found the server refuses (`ReportDescriptor.fails`), with the finding that says so. */
  private readonly failing: { readonly finding: RawFinding; readonly start: number; readonly end: number }[] = [];
  /** The findings about the file as a whole. */
  private readonly aboutFile = new Set<RawFinding>();
  /** What the rules noted about the whole project: one line each, by rule. */
  readonly notes: { readonly ruleId: string; readonly message: string }[] = [];
  private readonly fingerprints = new Map<string, number>();
  private readonly parsed: ParsedSource;
  private readonly file: FileInfo;
  /** How many node types have handlers, `Statement` aside. */
  private readonly nestedHandlerTypes: number;
  /** The rule whose code runs now, to name it when it fails. */
  private current: ActiveRule | undefined;

  /** `schema`: a live view of the schema state, which the file's statements change as they are replayed. */
  constructor(configured: readonly ConfiguredRule[], config: ResolvedConfig, file: FileInfo, parsed: ParsedSource, schema: SchemaView) {
    this.parsed = parsed;
    this.file = file;
    enterFile(codeLabel(file.path));
    this.rules = configured.map(({ rule, severity, options, plugin }) => {
      const name = plugin === undefined ? `rule ${rule.id}` : `rule ${rule.id} of plugin ${plugin}`;
      // Only a plugin's code is watched: the built-in rules are this program's own.
      const label = plugin === undefined ? NOT_RUNNING : codeLabel(name);
      const active: ActiveRule & { visitor: Visitor } = { id: rule.id, name, severity, visitor: {}, label };
      this.enter(active);
      active.visitor = this.guarded(() => rule.create({
        options,
        pgVersion: config.pgVersion,
        deprecatedSuffix: config.deprecatedSuffix,
        // Unset, a Supabase project's API serves public; an empty list (set on purpose) serves nothing.
        exposedSchemas: config.exposedSchemas ?? (file.migration.layout === 'supabase' ? SUPABASE_EXPOSED : []),
        file,
        schema,
        report: (descriptor) => {
          const line = Math.min(Math.max(descriptor.line ?? file.startLine ?? 1, 1), parsed.source.lineCount);
          const start = parsed.source.lineStartIndex(line);
          this.add(active, descriptor, { start, end: start + parsed.source.lineText(line).length }, undefined, `file:${descriptor.message}`, undefined);
          const finding = this.findings.at(-1);
          if (finding) this.aboutFile.add(finding);
        },
        note: (message) => {
          this.notes.push({ ruleId: active.id, message });
        },
      }));
      return active;
    });
    for (const rule of this.rules) {
      // for...in, not Object.entries: a runner is built per file, for every rule.
      for (const type in rule.visitor) {
        const handler: unknown = (rule.visitor as Record<string, unknown>)[type];
        if (type === 'File' || type === 'File:exit' || typeof handler !== 'function') continue;
        const list = this.handlers.get(type);
        if (list) list.push({ rule, handler: handler as Handler });
        else this.handlers.set(type, [{ rule, handler: handler as Handler }]);
      }
    }
    this.nestedHandlerTypes = this.handlers.size - (this.handlers.has(STATEMENT) ? 1 : 0);
  }

  /**
   * Runs rule code. What it throws (an Error, `null`, a string) stops the run as one line naming
   * the rule and the file, exit code 2: a rule that failed must not look like a finding, nor like
   * a clean file. A statement too deep to analyse is the analysis' to report.
   */
  private guarded<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if ((error instanceof RangeError && error.message.includes('call stack')) || error instanceof RuleFailure) throw error;
      const thrown = error instanceof Error ? error.message.split('\n')[0] ?? '' : `it threw ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
      throw new RuleFailure(`${this.current?.name ?? 'a rule'} failed on ${this.shownPath()}: ${thrown}`);
    } finally {
      leaveCode();
    }
  }

  /** The rule whose code runs from here on: named if it fails, timed if it is a plugin's. */
  private enter(rule: ActiveRule): void {
    this.current = rule;
    enterCode(rule.label);
  }

  private shownPath(): string {
    return relative(process.cwd(), this.file.path) || this.file.path;
  }

  get hasStatementHandlers(): boolean {
    return this.handlers.size > 0;
  }

  startFile(): void {
    this.guarded(() => {
      for (const rule of this.rules) {
        this.enter(rule);
        rule.visitor.File?.(this.file);
      }
    });
  }

  endFile(): RawFinding[] {
    this.guarded(() => {
      for (const rule of this.rules) {
        this.enter(rule);
        rule.visitor['File:exit']?.(this.file);
      }
    });
    return this.failing.length === 0 ? this.findings : this.findings.filter((finding) => !this.isAboutFailingStatement(finding));
  }

  /**
   * A finding of another rule on a statement the server refuses: its hazard never happens. In a
   * rollback that fails, what the rollback as a whole leaves undone is moot too: the failure is
   * what to fix.
   */
  private isAboutFailingStatement(finding: RawFinding): boolean {
    return this.failing.some(
      (failing) =>
        failing.finding.ruleId !== finding.ruleId &&
        ((finding.offset >= failing.start && finding.offset < failing.end) || (this.file.part === 'down' && this.aboutFile.has(finding))),
    );
  }

  /** Calls the `Statement` handlers, the handlers for the statement's own type, then those for every node below it. */
  visitStatement(analysis: StatementAnalysis): void {
    this.guarded(() => {
      this.dispatch(analysis);
    });
  }

  private dispatch(analysis: StatementAnalysis): void {
    const { statement } = analysis;
    const every = this.handlers.get(STATEMENT);
    if (every) {
      for (const { rule, handler } of every) {
        this.enter(rule);
        handler(statement.node, new RuleStatementContext(this, analysis, rule, NO_ANCESTORS));
      }
    }
    const own = this.handlers.get(statement.type);
    const root = (statement.node as Record<string, unknown>)[statement.type];
    if (own) {
      for (const { rule, handler } of own) {
        this.enter(rule);
        handler(root, new RuleStatementContext(this, analysis, rule, NO_ANCESTORS));
      }
    }
    if (this.nestedHandlerTypes === (own ? 1 : 0)) return;
    // One walk that dispatches as it goes: most statements hold no node a rule handles, and
    // listing a tree's node types first would walk the ones that do twice.
    walk(root, (type, fields, ancestors) => {
      const nested = this.handlers.get(type);
      if (!nested) return;
      const path = [{ type: statement.type, node: root as Record<string, unknown> }, ...ancestors];
      for (const { rule, handler } of nested) {
        this.enter(rule);
        handler(fields, new RuleStatementContext(this, analysis, rule, path));
      }
    });
  }

  /**
   * A statement-level report: at a node, a range, or the whole statement; by default with the
   * statement's strongest lock. A statement of a PL/pgSQL body says when it runs, and offers no
   * edits: a fix written for a statement of its own (CONCURRENTLY, a separate transaction) does
   * not hold inside a DO block or function.
   */
  report(rule: ActiveRule, analysis: StatementAnalysis, descriptor: ReportDescriptor): void {
    const start = descriptor.at?.start ?? this.parsed.indexOfLocation(analysis.statement, descriptor.node?.location);
    const end = descriptor.at?.end ?? analysis.statement.end;
    const lock = descriptor.lock === null ? undefined : (descriptor.lock ?? primaryLock(analysis));
    const { routine } = analysis;
    const target = descriptor.at ?? analysis.statement;
    if (!routine) {
      this.add(rule, descriptor, { start, end }, lock, analysis.statement.text, target);
      const finding = this.findings.at(-1);
      if (descriptor.fails === true && finding) this.failing.push({ finding, start: analysis.statement.start, end: analysis.statement.end });
      return;
    }
    const message = `${routinePrefix(routine, this.parsed.source.text)}${descriptor.message}`;
    this.add(rule, { message, help: descriptor.help }, { start, end }, lock, analysis.statement.text, target);
  }

  textOffset(analysis: StatementAnalysis, location: number | undefined): number {
    const { statement } = analysis;
    // Locations count bytes of a text that is not the file's at the statement's range.
    if (statement.textSource !== undefined) return location === undefined || location < 0 ? 0 : new SourceText(statement.text).indexOfByte(location);
    return this.parsed.indexOfLocation(statement, location) - statement.start;
  }

  get fileInfo(): FileInfo {
    return this.file;
  }

  /** `statement` is where a directive silences the finding; undefined for a finding about the whole file. */
  private add(
    rule: ActiveRule,
    descriptor: FixDescriptors & { readonly message: string; readonly help?: string | undefined },
    range: Range,
    lock: LockAcquisition | undefined,
    identity: string,
    statement: Range | undefined,
  ): void {
    if (typeof descriptor.message !== 'string' || descriptor.message === '') throw new RuleFailure(`${rule.name} reported a finding without a text message on ${this.shownPath()}`);
    if (descriptor.help !== undefined && typeof descriptor.help !== 'string') throw new RuleFailure(`${rule.name} reported a help that is not text on ${this.shownPath()}`);
    if (lock !== undefined && !(LOCK_MODES as readonly unknown[]).includes(lock.mode)) throw new RuleFailure(`${rule.name} reported a lock that is no PostgreSQL lock mode (${JSON.stringify((lock as { mode?: unknown }).mode ?? lock)}) on ${this.shownPath()}`);
    const { text } = this.parsed.source;
    const start = this.parsed.source.positionAt(range.start);
    const end = this.parsed.source.positionAt(Math.max(range.end, range.start));
    this.findings.push({
      ruleId: rule.id,
      severity: rule.severity,
      message: descriptor.message,
      file: this.file.path,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      offset: range.start,
      endOffset: range.end,
      help: descriptor.help,
      lock: lock && findingLock(lock),
      fingerprint: this.fingerprint(rule.id, identity),
      suppression: undefined,
      fix: checkedFix(descriptor.fix, text.length),
      suggestions: [
        ...(descriptor.suggestions ?? []).flatMap((suggestion) => checkedSuggestion(suggestion, text.length) ?? []),
        ignoreSuggestion(rule.id, text, statement),
      ],
    });
  }

  /** Rule, normalized statement text and occurrence: unchanged when lines are added elsewhere. */
  private fingerprint(ruleId: string, identity: string): string {
    const key = `${ruleId}\0${identity}`;
    const occurrence = this.fingerprints.get(key) ?? 0;
    this.fingerprints.set(key, occurrence + 1);
    return fingerprintOf(ruleId, identity, occurrence);
  }
}

const NO_ANCESTORS: StatementContext['ancestors'] = [];

/**
 * What a handler receives: the statement's analysis, read through getters, and a report bound to
 * the rule. A few fields per handler call instead of a copy of the analysis; a rule may keep it and
 * report later (at the end of the file, say).
 */
class RuleStatementContext implements StatementContext {
  readonly #runner: FileRuleRunner;
  readonly #analysis: StatementAnalysis;
  readonly #rule: ActiveRule;
  readonly ancestors: StatementContext['ancestors'];

  constructor(runner: FileRuleRunner, analysis: StatementAnalysis, rule: ActiveRule, ancestors: StatementContext['ancestors']) {
    this.#runner = runner;
    this.#analysis = analysis;
    this.#rule = rule;
    this.ancestors = ancestors;
  }

  get statement(): StatementAnalysis['statement'] {
    return this.#analysis.statement;
  }
  get index(): number {
    return this.#analysis.index;
  }
  get transaction(): StatementAnalysis['transaction'] {
    return this.#analysis.transaction;
  }
  get settings(): StatementAnalysis['settings'] {
    return this.#analysis.settings;
  }
  get locks(): StatementAnalysis['locks'] {
    return this.#analysis.locks;
  }
  get schema(): StatementAnalysis['schema'] {
    return this.#analysis.schema;
  }
  get routine(): StatementAnalysis['routine'] {
    return this.#analysis.routine;
  }
  get unchecked(): StatementAnalysis['unchecked'] {
    return this.#analysis.unchecked;
  }
  get implicitNames(): StatementAnalysis['implicitNames'] {
    return this.#analysis.implicitNames;
  }
  get file(): FileInfo {
    return this.#runner.fileInfo;
  }

  report(descriptor: ReportDescriptor): void {
    this.#runner.report(this.#rule, this.#analysis, descriptor);
  }

  textOffset(location: number | undefined): number {
    return this.#runner.textOffset(this.#analysis, location);
  }
}

/** The lock people care about: the strongest on the table the statement changes. */
export function primaryLock(analysis: StatementAnalysis): LockAcquisition | undefined {
  let strongest: LockAcquisition | undefined;
  for (const lock of analysis.locks) {
    if (lock.role === 'index') continue;
    if (!strongest || lockStrength(lock.mode) > lockStrength(strongest.mode) || (lock.role === 'table' && strongest.role !== 'table' && lock.mode === strongest.mode)) {
      strongest = lock;
    }
  }
  return strongest;
}

/**
 * The form's note explains its usual effect; where an older server does something else (a rewrite
 * instead of none, a scan a newer version skips), the version note explains that instead.
 */
function effectNoteOf(lock: LockAcquisition): string | undefined {
  if (lock.effect === 'none') return undefined;
  return lock.effect === lock.form.effect ? lock.form.effectNote : lock.form.olderVersions?.note;
}

function findingLock(lock: LockAcquisition): FindingLock {
  const impact = lockImpact(lock.mode);
  return {
    mode: lock.mode,
    relation: displayName(lock.relation),
    blocksReads: impact.blocksReads,
    blocksWrites: impact.blocksWrites,
    blocksDdl: impact.blocksDdl,
    impact: describeImpact(lock.mode),
    effect: lock.effect,
    effectNote: effectNoteOf(lock),
  };
}
