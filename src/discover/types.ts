/** One file of a migration: the migration itself (`up`) or its rollback (`down`). */
export interface MigrationFile {
  readonly path: string;
  readonly part: 'up' | 'down';
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
}

/** What a layout sees of a folder. */
export interface FolderListing {
  readonly path: string;
  readonly files: readonly string[];
  readonly folders: readonly string[];
  /** The listing of a subfolder (empty when it does not exist). */
  sub(name: string): FolderListing;
}

/** A migration tool's way of laying out files. Each layout is one module in ./layouts. */
export interface Layout {
  readonly id: string;
  /** Whether a folder is a migrations folder of this layout. */
  detect(folder: FolderListing): boolean;
  /** For a file inside a project (in a subfolder such as `rollback/`), the project's folder; undefined if none. */
  rootOf?(fileFolder: string): string | undefined;
  collect(folder: FolderListing): { migrations: Migration[]; problems: LayoutProblem[] };
}
