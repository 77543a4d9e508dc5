import type { Node } from '@pgsql/types';
import type { GenericSchema } from 'valibot';
import type { AncestorNode, NodeFields, NodeType } from '../analyze/ast.js';
import type { LockAcquisition } from '../analyze/classify.js';
import type { StatementAnalysis } from '../analyze/index.js';
import type { SchemaView } from '../analyze/schema-view.js';

/** How a rule is configured: `off`, or the severity of its findings. */
export type RuleSeverity = 'off' | 'warn' | 'error';

/** What kind of hazard a rule guards against; SARIF tags and the docs group rules by it. */
export type RuleCategory = 'locking' | 'breaking-change' | 'rollback' | 'security' | 'correctness' | 'style';

/** The smallest preset that turns a rule on: `recommended` is part of `strict`, and `all` has everything. */
export type RulePreset = 'recommended' | 'strict' | 'style';

export interface RuleMeta<Options = Record<string, never>> {
  /** One line: what the rule flags. */
  readonly description: string;
  /** The severity a preset gives it. */
  readonly severity: 'error' | 'warn';
  readonly preset: RulePreset;
  readonly category: RuleCategory;
  /** What goes wrong in production (Markdown): the lock and what it blocks, the rewrite or scan, what breaks. */
  readonly hazard: string;
  /** SQL the rule reports. */
  readonly bad: string;
  /** The safe alternative, SQL the rule accepts. */
  readonly good: string;
  /** How PostgreSQL versions change the verdict, when they do. */
  readonly versions?: string;
  /** A valibot schema for the rule's options, with their defaults. */
  readonly options?: GenericSchema<unknown, Options>;
  /** Where the rule is documented; built-in rules get their page in docs/rules. */
  readonly docsUrl?: string;
}

/** The migration a file belongs to. */
export interface MigrationInfo {
  readonly id: string;
  readonly name: string;
  /** The discovery layout that found it (`supabase`, `golang-migrate`, `plain`, ...). */
  readonly layout: string;
  readonly path: string;
  readonly rollbackPath: string | undefined;
  /** Where the layout expects its rollback; undefined when the layout has no rollbacks. */
  readonly expectedRollbackPath: string | undefined;
  /** When the rollback is a section of the migration's own file (dbmate): the line that opens it, `-- migrate:down`. */
  readonly rollbackMarker?: string | undefined;
  /** The release it deploys with (`migrations.release`), when that has other migrations too. */
  readonly release?: ReleaseInfo | undefined;
}

/** Migrations deployed together, and rolled back together, newest first. */
export interface ReleaseInfo {
  /** What `migrations.release` matched in their versions. */
  readonly name: string;
  /** Their ids, in the order they run. */
  readonly migrations: readonly string[];
}

/** The migrations project a file belongs to. */
export interface ProjectInfo {
  /** The project's folder. */
  readonly root: string;
  readonly layout: string;
  /** Whether any of its migrations has a rollback (a file, or a dbmate section with statements). */
  readonly keepsRollbacks: boolean;
}

/** How a file changed in git, when the run reports only on changes (`--since`, `--staged`). */
export interface FileChange {
  /** `added`: not in the base; `modified`: in the base, with other content. */
  readonly kind: 'added' | 'modified';
  /** The ref given to `--since` (the base is its merge base with HEAD); undefined with `--staged` alone, which compares with HEAD. */
  readonly since: string | undefined;
  /** For a modified file, the first line that differs from the base. */
  readonly firstChangedLine: number | undefined;
}

/** The file a rule is looking at. */
export interface FileInfo {
  readonly path: string;
  /** `up` for a migration, `down` for its rollback. */
  readonly part: 'up' | 'down';
  /**
   * How the migration tool runs the file: `file` in one transaction it opens, `query-string` as one
   * query string (several statements are one implicit transaction), `none` statement by statement.
   * The configuration's `assumeInTransaction`, when set, decides it.
   */
  readonly transactionMode: 'file' | 'query-string' | 'none';
  readonly migration: MigrationInfo;
  readonly project: ProjectInfo;
  /** The whole file's text (for a section of a file, the other section too). */
  readonly text: string;
  /** The 1-based line where this part starts: 1, or the marker line of a section (dbmate's `-- migrate:down`). */
  readonly startLine?: number;
  /** How the file changed since the base, when the run reports only on changes; undefined otherwise. */
  readonly change?: FileChange | undefined;
}

/**
 * A change to the text of the file being linted: the range from `start` to `end` (UTF-16 indexes
 * into the file: `statement.statement.start` plus `statement.textOffset(location)`) is
 * replaced by `text`. `start === end` inserts.
 */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A change a rule offers for its finding: what an editor's quick-fix menu shows, and the edits. */
export interface Fix {
  /** Imperative and short: "Add CONCURRENTLY". */
  readonly title: string;
  /** Non-overlapping edits of the file, applied together. */
  readonly edits: readonly TextEdit[];
}

/** A file a suggestion creates: an absolute path where no file is yet, and its whole text. */
export interface NewFile {
  readonly path: string;
  readonly text: string;
}

/**
 * A change an editor offers for a finding. Besides (or instead of) edits of the linted file, it may
 * create another file: the missing rollback, drafted from the migration. Only suggestions create
 * files: a person looks at the new file before it is used, and `--fix` never creates one.
 */
export interface Suggestion extends Fix {
  /** Edits of the linted file; may be empty when the suggestion only creates a file. */
  readonly edits: readonly TextEdit[];
  readonly createFile?: NewFile;
}

/** The changes a finding offers. */
export interface FixDescriptors {
  /**
   * A fix that is safe to apply unattended: the result does what the author meant, without the
   * hazard, and needs no decision. `--fix` applies it; editors offer it as the preferred quick fix.
   */
  readonly fix?: Fix;
  /** Changes that need a person's judgement (a value to choose, a behaviour that changes, a file to create): offered in editors only. */
  readonly suggestions?: readonly Suggestion[];
}

/** Where a finding starts: an AST node with a `location`, or the whole statement. */
export interface ReportDescriptor extends FixDescriptors {
  readonly message: string;
  /** The safe alternative, as SQL the user can paste. */
  readonly help?: string;
  readonly node?: { readonly location?: number };
  /**
   * Where the finding is, as a range of the file (UTF-16 indexes), when it is not a node of the
   * statement: an EXECUTE of the body a DO statement runs (`statement.unchecked`). Wins over `node`.
   */
  readonly at?: { readonly start: number; readonly end: number };
  /**
   * The lock to explain; by default the statement's strongest lock on the table it changes.
   * `null` when the finding is not about a lock.
   */
  readonly lock?: LockAcquisition | null;
  /**
   * The statement cannot run: the server refuses it. Other rules' findings on the statement are
   * dropped, since the locks and hazards they describe never happen.
   */
  readonly fails?: boolean;
}

/** A finding about the file as a whole (a missing rollback): at the part's first line unless a line is given. */
export interface FileReportDescriptor extends FixDescriptors {
  readonly message: string;
  readonly help?: string;
  readonly line?: number;
}

/** What a visitor receives with each node: the statement's analysis and a way to report. */
export interface StatementContext extends StatementAnalysis {
  /** The nodes between the statement's root and this node, outermost first. */
  readonly ancestors: readonly AncestorNode[];
  readonly file: FileInfo;
  report(descriptor: ReportDescriptor): void;
  /**
   * Where an AST node's `location` falls in `statement.text` (a UTF-16 index), so a help or a fix
   * can rewrite exactly that part of the statement; 0 without a location.
   */
  textOffset(location: number | undefined): number;
}

export type NodeVisitors = {
  readonly [K in NodeType]?: (node: NodeFields<K>, statement: StatementContext) => void;
};

export interface Visitor extends NodeVisitors {
  /** Once per statement, whatever its type, before the node handlers. */
  readonly Statement?: (node: Node, statement: StatementContext) => void;
  /** Once per file, before its statements. */
  readonly File?: (file: FileInfo) => void;
  /** Once per file, after its statements. */
  readonly 'File:exit'?: (file: FileInfo) => void;
}

/** What `create` receives: the rule's options, the run's settings and file-level reporting. */
export interface RuleContext<Options = Record<string, never>> {
  readonly options: Options;
  readonly pgVersion: number;
  /** The suffix that marks a table renamed for deprecation (`_deprecated`). */
  readonly deprecatedSuffix: string;
  /**
   * Schemas exposed through an API: the configuration's `exposedSchemas`, else `[api] schemas` of
   * `supabase/config.toml`, else `public` for the Supabase layout; empty when the configuration says `[]`.
   */
  readonly exposedSchemas: readonly string[];
  readonly file: FileInfo;
  /**
   * The schema as it stands while the file is linted: in `File`, before its first statement; in
   * `File:exit`, after its last (`changesOfThisMigration()` then tells what a rollback left undone).
   */
  readonly schema: SchemaView;
  report(descriptor: FileReportDescriptor): void;
  /**
   * A fact about the whole project worth one line of the report, not a finding (the project keeps
   * no rollbacks): shown once per project and rule, however many files note it.
   */
  note(message: string): void;
}

export interface Rule<Options = Record<string, never>> {
  /** Part of the public interface: configuration, directives and reports name the rule by it. */
  readonly id: string;
  readonly meta: RuleMeta<Options>;
  /** Called once per file; returns the visitor for that file. */
  create(context: RuleContext<Options>): Visitor;
}

/** Declares a rule. Built-in rules and plugins use exactly this. */
export function defineRule<Options = Record<string, never>>(rule: Rule<Options>): Rule<Options> {
  return rule;
}

/** A rule of any options type, as the engine holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each rule's options type is its own business
export type AnyRule = Rule<any>;
