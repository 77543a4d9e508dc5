/**
 * How a migration tool runs a file's statements, as far as transactions go. The analysis
 * follows it statement by statement (src/analyze/session.ts); each layout states its tool's.
 */
export interface TransactionPolicy {
  /**
   * `none`: each statement commits on its own, only the file's own BEGIN opens a block (psql, Sqitch).
   * `file`: the tool opens a transaction around the file and commits it at the end (dbmate, Diesel, Flyway, the Supabase CLI).
   * `query-string`: the tool sends the file as one query string, and PostgreSQL runs a string of
   * several statements as one implicit transaction (golang-migrate, Prisma); a single statement runs on its own.
   */
  readonly mode: 'none' | 'file' | 'query-string';
  /**
   * What the tool does with a statement PostgreSQL refuses inside a transaction block (CREATE INDEX
   * CONCURRENTLY, VACUUM, ...): `in-block` leaves it in the block (where it fails), `alone` commits
   * what came before and runs it on its own (the Supabase CLI), `unwrap-file` runs a file made only
   * of such statements without a transaction and keeps the block for a file that mixes them with
   * others (Flyway, which refuses such a file unless `mixed` is set), `unwrap-file-if-any` runs a
   * file that holds any of them statement by statement (migrate-safe's own `up`).
   */
  readonly nonTransactional: 'in-block' | 'alone' | 'unwrap-file' | 'unwrap-file-if-any';
  /** A file with its own BEGIN or COMMIT runs exactly as written, without the tool's transaction (the Supabase CLI). */
  readonly ownTransactionRunsAsWritten: boolean;
  /** The tool's behaviour in words, for findings and reports: "dbmate runs each migration in one transaction". */
  readonly reason: string;
  /** `migrate-safe`: the files are applied by migrate-safe's own `up` and `down` (the guide's rollbacks, which no other tool runs). */
  readonly runner?: 'migrate-safe';
  /** What the tool sets before the statements of each unit it sends (SET LOCAL in its transaction, SET otherwise). */
  readonly settings?: { readonly lockTimeout: string; readonly statementTimeout: string } | undefined;
}

/** A range of a file's text (UTF-16 indexes), for a part that is a section of a file. */
export interface TextRange {
  readonly start: number;
  readonly end: number;
}

/** One part of a migration: the migration itself (`up`) or its rollback (`down`). */
export interface MigrationFile {
  readonly path: string;
  readonly part: 'up' | 'down';
  /**
   * When the part is a section of a file that holds both parts (dbmate): the text it keeps, its
   * own section first (then shared text, such as comments before the first section). The rest
   * of the file is blanked before parsing, so every position stays the file's own.
   */
  readonly sections?: readonly TextRange[];
  /** How the tool runs this part; undefined: each statement on its own. The configuration's `assumeInTransaction` overrides it. */
  readonly transaction?: TransactionPolicy;
}

export interface Migration {
  /** Unique within the project: the version, or the name when there is none. */
  readonly id: string;
  readonly version: string;
  readonly name: string;
  readonly up: MigrationFile;
  readonly down: MigrationFile | undefined;
  /** Where the layout expects the rollback; undefined when the layout has no rollbacks. */
  readonly expectedRollbackPath: string | undefined;
  /** When the rollback is a section of the migration's own file: the line that opens it (`-- migrate:down`). */
  readonly rollbackMarker?: string;
}

/** A layout problem found while discovering (a rollback without its migration, a duplicate version). */
export interface LayoutProblem {
  readonly file: string;
  readonly message: string;
}

/** A folder of migrations in one layout, in the order they run. */
export interface MigrationProject {
  readonly root: string;
  readonly layout: string;
  readonly migrations: readonly Migration[];
  readonly problems: readonly LayoutProblem[];
  /** Files of the project that are not migrations and are not linted (Sqitch's verify scripts). */
  readonly unlinted?: readonly string[];
}

/** What a layout sees of a folder. */
export interface FolderListing {
  readonly path: string;
  readonly files: readonly string[];
  readonly folders: readonly string[];
  /** The listing of a subfolder (empty when it does not exist). */
  sub(name: string): FolderListing;
  /** The text of a file in the folder, as the linter reads it (an editor's unsaved text wins); undefined when unreadable. */
  read(name: string): string | undefined;
}

/** What a layout finds in a folder. */
export interface Collected {
  readonly migrations: Migration[];
  readonly problems: LayoutProblem[];
  readonly unlinted?: string[];
}

/** A migration tool's way of laying out files. Each layout is one module in ./layouts. */
export interface Layout {
  readonly id: string;
  /** Whether a folder is a migrations folder of this layout. */
  detect(folder: FolderListing): boolean;
  /**
   * For a file inside a project but below its folder (`rollback/x_down.sql`, `<version>_<name>/up.sql`),
   * the project's folder; undefined if the file does not sit that way. A file belongs to one project only.
   */
  rootOf?(fileFolder: string, fileName: string): string | undefined;
  collect(folder: FolderListing): Collected;
}
