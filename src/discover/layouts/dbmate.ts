import { join } from 'node:path';
import { naturalCompare } from '../natural-order.js';
import type { Layout, LayoutProblem, Migration, TextRange, TransactionPolicy } from '../types.js';
import { duplicateVersions, oneTransaction, ownStatements } from './common.js';

/** dbmate's own patterns (pkg/dbmate/migration.go): the markers start a line; the down marker takes one option at most. */
const UP_MARKER = /^--\s*migrate:up(?:\s*$|\s+\S+)/;
const DOWN_MARKER = /^--\s*migrate:down(?:\s*|\s+\S+)$/;
const MIGRATION_FILE = /^(\d+).*\.sql$/;
const DOWN = '-- migrate:down';

const IN_TRANSACTION = oneTransaction('dbmate runs each migration in one transaction (`transaction:false` on the marker line opts out)');
const OPTED_OUT = ownStatements('`transaction:false` on its marker line makes dbmate run it statement by statement');

interface Line {
  readonly start: number;
  readonly text: string;
}

interface Marker {
  readonly start: number;
  readonly options: ReadonlyMap<string, string>;
}

/** A dbmate migration file split the way dbmate splits it. */
interface Sections {
  readonly up: Marker | undefined;
  readonly down: Marker | undefined;
  /** Something other than comments before `-- migrate:up`: dbmate refuses the file. */
  readonly statementsBeforeUp: boolean;
  readonly downHasSql: boolean;
}

/**
 * dbmate: one file per migration, `<version>_<name>.sql`, with the migration under `-- migrate:up`
 * and its rollback under `-- migrate:down`. Each section is linted as its own part, with the
 * other section blanked so every line number is the file's.
 */
export const dbmate: Layout = {
  id: 'dbmate',
  detect(folder) {
    return folder.files.some((file) => MIGRATION_FILE.test(file) && hasUpMarker(folder.read(file) ?? ''));
  },
  collect(folder) {
    const migrations: Migration[] = [];
    const problems: LayoutProblem[] = [];
    for (const file of [...folder.files].sort(naturalCompare)) {
      const path = join(folder.path, file);
      const match = MIGRATION_FILE.exec(file);
      if (!match) {
        if (file.endsWith('.sql')) problems.push({ file: path, message: `dbmate ignores ${file}: migration files are named <version>_<name>.sql` });
        continue;
      }
      const text = folder.read(file) ?? '';
      const sections = sectionsOf(text);
      const refusal = refusalOf(sections);
      if (refusal) problems.push({ file: path, message: `dbmate refuses ${file}: ${refusal}` });
      migrations.push(migrationOf(path, file, match[1] ?? file, text, sections, refusal === undefined));
    }
    problems.push(...duplicateVersions(migrations, 'dbmate tracks migrations by version, so once one has run the other never does'));
    return { migrations, problems };
  },
};

function migrationOf(path: string, file: string, version: string, text: string, sections: Sections, wellFormed: boolean): Migration {
  const name = file.slice(0, -'.sql'.length);
  const { up, down } = sections;
  if (!wellFormed || !up || !down) {
    // dbmate will not run it as it is: lint the whole file as the migration.
    return { id: name, version, name, up: { path, part: 'up', transaction: IN_TRANSACTION }, down: undefined, expectedRollbackPath: undefined };
  }
  const preamble: TextRange = { start: 0, end: up.start };
  return {
    id: name,
    version,
    name,
    up: { path, part: 'up', sections: [{ start: 0, end: down.start }], transaction: transactionOf(up) },
    down: sections.downHasSql ? { path, part: 'down', sections: [{ start: down.start, end: text.length }, preamble], transaction: transactionOf(down) } : undefined,
    expectedRollbackPath: path,
    rollbackMarker: DOWN,
  };
}

function transactionOf(marker: Marker): TransactionPolicy {
  return marker.options.get('transaction') === 'false' ? OPTED_OUT : IN_TRANSACTION;
}

/** Why dbmate refuses the file (its parse errors), or undefined. */
function refusalOf(sections: Sections): string | undefined {
  if (!sections.up) return 'it has no `-- migrate:up` line';
  if (!sections.down) return 'it has no `-- migrate:down` line (put the rollback under it)';
  if (sections.down.start < sections.up.start) return '`-- migrate:up` must come before `-- migrate:down`';
  if (sections.statementsBeforeUp) return 'it has statements before `-- migrate:up`';
  return undefined;
}

function sectionsOf(text: string): Sections {
  const lines = linesOf(text);
  const upLine = lines.find((line) => UP_MARKER.test(line.text));
  const downLine = lines.find((line) => DOWN_MARKER.test(line.text));
  const up = upLine && markerOf(upLine);
  const down = downLine && markerOf(downLine);
  const sqlIn = (from: number, to: number): boolean =>
    lines.some((line) => line.start >= from && line.start < to && !/^\s*$/.test(line.text) && !/^\s*--/.test(line.text));
  return {
    up,
    down,
    statementsBeforeUp: up !== undefined && sqlIn(0, up.start),
    downHasSql: down !== undefined && sqlIn(down.start + 1, text.length),
  };
}

function markerOf(line: Line): Marker {
  const options = line.text
    .replace(/^--\s*migrate:(?:up|down)/, '')
    .trim()
    .split(/\s+/)
    .map((pair) => pair.split(':'))
    .filter((pair): pair is [string, string] => pair.length === 2);
  return { start: line.start, options: new Map(options) };
}

/** Whether a line is dbmate's up marker; most folders are not dbmate's, and their files hold no marker at all. */
function hasUpMarker(text: string): boolean {
  return text.includes('migrate:up') && linesOf(text).some((line) => UP_MARKER.test(line.text));
}

function linesOf(text: string): Line[] {
  let start = 0;
  return text.split('\n').map((content) => {
    const line = { start, text: content };
    start += content.length + 1;
    return line;
  });
}
