import { join } from 'node:path';
import type { Layout, LayoutProblem, Migration, MigrationFile } from '../types.js';
import { oneQueryString, oneTransaction } from './common.js';

/** popx's file pattern (ory/x popx, `MigrationFileRegexp`): version, name, dialect, `.autocommit`, direction. */
const FILE = /^(\d+)_([^.]+)(\.[a-z0-9]+)?(\.autocommit)?\.(up|down)\.sql$/;

/** The spellings pop accepts for PostgreSQL (`pop.CanonicalDialect`); other dialects' files are not run on PostgreSQL. */
const POSTGRES = new Set(['postgres', 'postgresql', 'pg']);
/** Dialect infixes that mark a folder as popx's rather than golang-migrate's (which has none). */
const KNOWN_DIALECTS = new Set([...POSTGRES, 'mysql', 'mariadb', 'sqlite', 'sqlite3', 'cockroach', 'cockroachdb', 'crdb', 'yugabyte', 'yugabytedb']);

/** popx wraps each migration and its version row in one transaction (MigrationBox.UpTo, `isolatedTransaction`). */
const IN_TRANSACTION = oneTransaction('popx runs each migration in one transaction');
/**
 * An `.autocommit.` file runs without popx's transaction, with one Exec of the file's text: a
 * query string, which PostgreSQL runs as one implicit transaction when it holds several statements.
 */
const AUTOCOMMIT = oneQueryString('popx runs .autocommit. files without a transaction, as one query string (several statements still run as one implicit transaction)');

interface PopxFile {
  readonly file: string;
  readonly version: string;
  readonly name: string;
  /** `all` for the dialect-neutral file, else the dialect as written. */
  readonly dialect: string;
  readonly autocommit: boolean;
  readonly direction: 'up' | 'down';
}

function parse(file: string): PopxFile | undefined {
  const match = FILE.exec(file);
  if (!match) return undefined;
  const [, version = '', name = '', infix = '', autocommitInfix, direction = 'up'] = match;
  // `<version>_<name>.autocommit.up.sql`: the pattern takes `.autocommit` as the dialect; popx reads it as the dialect-neutral file, run in autocommit.
  const neutralAutocommit = infix === '.autocommit';
  return {
    file,
    version,
    name,
    dialect: infix === '' || neutralAutocommit ? 'all' : infix.slice(1),
    autocommit: neutralAutocommit || autocommitInfix !== undefined,
    direction: direction as 'up' | 'down',
  };
}

/** How well a file serves PostgreSQL: the PostgreSQL file wins over the dialect-neutral one; other dialects do not serve. */
function rank(file: PopxFile): number {
  if (POSTGRES.has(file.dialect)) return 2;
  return file.dialect === 'all' ? 1 : 0;
}

/** For each version of one direction, the file popx runs on PostgreSQL. */
function selected(files: readonly PopxFile[], direction: 'up' | 'down'): Map<string, PopxFile> {
  const byVersion = new Map<string, PopxFile>();
  for (const file of files) {
    if (file.direction !== direction || rank(file) === 0) continue;
    const previous = byVersion.get(file.version);
    if (!previous || rank(file) > rank(previous)) byVersion.set(file.version, file);
  }
  return byVersion;
}

/**
 * Ory's popx (Kratos, Hydra, Keto): `<version>_<name>[.<dialect>][.autocommit].(up|down).sql`. For
 * each version popx runs the PostgreSQL file (`.postgres.`), or the dialect-neutral one when there
 * is none, in version order (compared as strings); every migration needs a down file of its
 * version (of any dialect), or popx refuses to start.
 */
export const popx: Layout = {
  id: 'popx',
  detect(folder) {
    return folder.files.some((file) => {
      const parsed = parse(file);
      return parsed !== undefined && (parsed.autocommit || KNOWN_DIALECTS.has(parsed.dialect));
    });
  },
  collect(folder) {
    const problems: LayoutProblem[] = [];
    const files: PopxFile[] = [];
    const unlinted: string[] = [];
    const at = (file: string): string => join(folder.path, file);
    for (const file of [...folder.files].sort()) {
      if (!file.endsWith('.sql')) continue;
      const parsed = parse(file);
      if (parsed) files.push(parsed);
      else problems.push({ file: at(file), message: `popx refuses to start: ${file} does not match <version>_<name>[.<dialect>][.autocommit].(up|down).sql` });
    }
    const ups = selected(files, 'up');
    const downs = selected(files, 'down');
    const downVersions = new Set(files.filter((file) => file.direction === 'down').map((file) => file.version));
    const part = (file: PopxFile): MigrationFile => ({ path: at(file.file), part: file.direction, transaction: file.autocommit ? AUTOCOMMIT : IN_TRANSACTION });
    const migrations: Migration[] = [...ups.values()]
      .sort((left, right) => (left.version < right.version ? -1 : left.version > right.version ? 1 : 0))
      .map((up) => {
        const down = downs.get(up.version);
        if (!downVersions.has(up.version)) problems.push({ file: at(up.file), message: `popx refuses to start: migration ${up.version} has no down file (${up.version}_${up.name}.down.sql)` });
        return {
          id: up.version,
          version: up.version,
          name: up.name,
          up: part(up),
          down: down && part(down),
          expectedRollbackPath: at(up.file.replace(/\.up\.sql$/, '.down.sql')),
        };
      });
    const run = new Set(migrations.flatMap((migration) => [migration.up.path, migration.down?.path]));
    for (const file of files) {
      // Other dialects' files, and dialect-neutral ones a PostgreSQL file replaces, never run here.
      if (!run.has(at(file.file))) unlinted.push(at(file.file));
    }
    for (const [version, down] of downs) {
      if (!ups.has(version)) problems.push({ file: at(down.file), message: `rollback ${down.file} has no migration of version ${version}: it never runs` });
    }
    return { migrations, problems, unlinted };
  },
};
