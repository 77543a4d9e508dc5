import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FolderListing, Layout, LayoutProblem, Migration, MigrationFile, TransactionPolicy } from '../types.js';
import { duplicateVersions, oneTransaction, ownStatements } from './common.js';

/** `V<version>__<description>.sql` and its undo `U<version>__<description>.sql`; versions are dotted or underscored numbers. */
const VERSIONED = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;

/**
 * Flyway runs each migration in one transaction (`executeInTransaction`, default true), and a
 * migration of statements PostgreSQL refuses in a block (CREATE INDEX CONCURRENTLY) without one.
 * A migration mixing both it refuses (`mixed` is false by default): it stays in the block here,
 * where the statement that cannot run in one is what a rule reports.
 */
const IN_TRANSACTION: TransactionPolicy = {
  ...oneTransaction('Flyway runs each migration in one transaction (`executeInTransaction=false` in its .sql.conf opts out)'),
  nonTransactional: 'unwrap-file',
};
const OPTED_OUT = ownStatements('`executeInTransaction=false` in its .sql.conf makes Flyway run it without a transaction');

interface Script {
  readonly file: string;
  readonly path: string;
  readonly kind: 'V' | 'U' | 'R';
  readonly version: string;
  readonly description: string;
  readonly transaction: TransactionPolicy;
}

/**
 * Flyway: versioned migrations `V<version>__<description>.sql` in version order (subfolders
 * included, as Flyway scans them), undo scripts `U<version>__...` as rollbacks, and repeatable
 * migrations `R__<description>.sql`, which run after the versioned ones and expect no rollback.
 */
export const flyway: Layout = {
  id: 'flyway',
  detect(folder) {
    return folder.files.some(isMigration);
  },
  /** A script in a subfolder belongs to the highest folder above it that holds Flyway scripts too. */
  rootOf(fileFolder, fileName) {
    if (!isScript(fileName)) return undefined;
    let root: string | undefined;
    for (let folder = dirname(fileFolder); folder !== dirname(folder) && holdsScripts(folder); folder = dirname(folder)) root = folder;
    return root;
  },
  collect(folder) {
    const problems: LayoutProblem[] = [];
    const scripts: Script[] = [];
    for (const { listing, file } of sqlFilesBelow(folder)) {
      const script = scriptOf(listing, file);
      if (script) scripts.push(script);
      else problems.push({ file: join(listing.path, file), message: `Flyway ignores ${file}: migrations are named V<version>__<description>.sql (undo U<version>__..., repeatable R__...)` });
    }
    const part = (script: Script, name: 'up' | 'down'): MigrationFile => ({ path: script.path, part: name, transaction: script.transaction });
    const undos = new Map(scripts.filter((script) => script.kind === 'U').map((script) => [script.version, script]));
    const versioned = scripts.filter((script) => script.kind === 'V').sort((left, right) => compareVersions(left.version, right.version) || (left.file < right.file ? -1 : 1));
    const migrations: Migration[] = versioned.map((script) => {
      const undo = undos.get(script.version);
      undos.delete(script.version);
      return {
        id: script.file.slice(0, -'.sql'.length),
        version: script.version,
        name: script.description,
        up: part(script, 'up'),
        down: undo && part(undo, 'down'),
        expectedRollbackPath: join(dirname(script.path), `U${script.file.slice(1)}`),
      };
    });
    problems.push(...duplicateVersions(migrations, 'Flyway refuses to migrate ("Found more than one migration with version")'));
    for (const undo of undos.values()) {
      problems.push({ file: undo.path, message: `undo ${undo.file} has no versioned migration V${undo.file.slice(1)} with its version: it never runs` });
    }
    const repeatables = scripts.filter((script) => script.kind === 'R').sort((left, right) => left.description.localeCompare(right.description));
    for (const script of repeatables) {
      migrations.push({ id: script.file.slice(0, -'.sql'.length), version: script.file, name: script.description, up: part(script, 'up'), down: undefined, expectedRollbackPath: undefined });
    }
    return { migrations, problems };
  },
};

function isMigration(file: string): boolean {
  return VERSIONED.exec(file)?.[1] === 'V' || REPEATABLE.test(file);
}

function isScript(file: string): boolean {
  return VERSIONED.test(file) || REPEATABLE.test(file);
}

function holdsScripts(folder: string): boolean {
  try {
    return readdirSync(folder).some(isScript);
  } catch {
    return false;
  }
}

function scriptOf(listing: FolderListing, file: string): Script | undefined {
  const found = { file, path: join(listing.path, file), transaction: transactionOf(listing, file) };
  const versioned = VERSIONED.exec(file);
  if (versioned) return { ...found, kind: versioned[1] === 'U' ? 'U' : 'V', version: normalizedVersion(versioned[2] ?? ''), description: versioned[3] ?? '' };
  const repeatable = REPEATABLE.exec(file);
  return repeatable ? { ...found, kind: 'R', version: '', description: repeatable[1] ?? '' } : undefined;
}

/** Every `.sql` file in the folder and its subfolders. */
function sqlFilesBelow(folder: FolderListing): { listing: FolderListing; file: string }[] {
  return [
    ...folder.files.filter((file) => file.endsWith('.sql')).map((file) => ({ listing: folder, file })),
    ...folder.folders.flatMap((name) => sqlFilesBelow(folder.sub(name))),
  ];
}

/** Flyway compares versions part by part as numbers, ignoring trailing zero parts: 1.01 is 1.1, 1.0 is 1. */
function normalizedVersion(version: string): string {
  const parts = version.split(/[._]/).map((part) => BigInt(part).toString());
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.join('.');
}

function compareVersions(left: string, right: string): number {
  const leftParts = left.split('.').map(BigInt);
  const rightParts = right.split('.').map(BigInt);
  for (let index = 0; index < Math.max(leftParts.length, rightParts.length); index++) {
    const difference = (leftParts[index] ?? 0n) - (rightParts[index] ?? 0n);
    if (difference !== 0n) return difference < 0n ? -1 : 1;
  }
  return 0;
}

/** A script configuration file `<script>.sql.conf` beside the script can set `executeInTransaction=false`. */
function transactionOf(listing: FolderListing, file: string): TransactionPolicy {
  const conf = listing.files.includes(`${file}.conf`) ? listing.read(`${file}.conf`) : undefined;
  const setting = conf
    ?.split('\n')
    .map((line) => /^\s*executeInTransaction\s*=\s*(\w+)\s*$/.exec(line)?.[1])
    .find((value) => value !== undefined);
  return setting?.toLowerCase() === 'false' ? OPTED_OUT : IN_TRANSACTION;
}
