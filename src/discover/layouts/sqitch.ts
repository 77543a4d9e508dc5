import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FolderListing, Layout, LayoutProblem, Migration } from '../types.js';
import { ownStatements } from './common.js';

const PLAN = 'sqitch.plan';
const SCRIPT_FOLDERS = ['deploy', 'revert', 'verify'];

/** Sqitch hands each script to psql, which commits statement by statement; a script carries its own BEGIN and COMMIT. */
const TRANSACTION = ownStatements('Sqitch runs each script with psql: a script is in a transaction only between its own BEGIN and COMMIT');

interface PlannedChange {
  readonly name: string;
  /** The first tag after this change in the plan: a reworked change's earlier scripts are named `<name>@<tag>.sql`. */
  tag: string | undefined;
}

/**
 * Sqitch: `sqitch.plan` gives the order; each change has `deploy/<change>.sql`, its rollback
 * `revert/<change>.sql`, and `verify/<change>.sql` (read by `sqitch verify`, not linted).
 */
export const sqitch: Layout = {
  id: 'sqitch',
  detect(folder) {
    return folder.files.includes(PLAN);
  },
  rootOf(fileFolder) {
    const root = dirname(fileFolder);
    return SCRIPT_FOLDERS.includes(basename(fileFolder)) && existsSync(join(root, PLAN)) ? root : undefined;
  },
  collect(folder) {
    const [deploy, revert, verify] = SCRIPT_FOLDERS.map((name) => folder.sub(name)) as [FolderListing, FolderListing, FolderListing];
    const planPath = join(folder.path, PLAN);
    const problems: LayoutProblem[] = [];
    const deployFiles = new Set(deploy.files.filter((file) => file.endsWith('.sql')));
    const revertFiles = new Set(revert.files.filter((file) => file.endsWith('.sql')));
    const migrations: Migration[] = [];
    for (const stem of scriptNames(plannedChanges(folder.read(PLAN) ?? ''))) {
      const script = `${stem}.sql`;
      if (!deployFiles.delete(script)) {
        problems.push({ file: planPath, message: `sqitch.plan lists ${stem}, but deploy/${script} is missing: sqitch deploy fails there` });
        continue;
      }
      const hasRevert = revertFiles.delete(script);
      migrations.push({
        id: stem,
        version: stem,
        name: stem,
        up: { path: join(deploy.path, script), part: 'up', transaction: TRANSACTION },
        down: hasRevert ? { path: join(revert.path, script), part: 'down', transaction: TRANSACTION } : undefined,
        expectedRollbackPath: join(revert.path, script),
      });
    }
    for (const file of deployFiles) problems.push({ file: join(deploy.path, file), message: `sqitch never deploys ${file}: sqitch.plan does not list ${file.slice(0, -'.sql'.length)}` });
    for (const file of revertFiles) problems.push({ file: join(revert.path, file), message: `revert/${file} reverts no change in sqitch.plan: it never runs` });
    const unlinted = verify.files.filter((file) => file.endsWith('.sql')).map((file) => join(verify.path, file));
    return { migrations, problems, unlinted };
  },
};

/** The changes of a plan in order: pragmas (`%`), comments and blank lines skipped, tags attached to the changes before them. */
function plannedChanges(plan: string): PlannedChange[] {
  const changes: PlannedChange[] = [];
  for (const line of plan.split('\n').map((text) => text.trim())) {
    if (line === '' || line.startsWith('%') || line.startsWith('#') || line.startsWith('-')) continue;
    const name = /^\+?(\S+)/.exec(line)?.[1];
    if (name === undefined) continue;
    if (name.startsWith('@')) {
      for (const change of changes) change.tag ??= name.slice(1);
    } else {
      changes.push({ name, tag: undefined });
    }
  }
  return changes;
}

/** Script names: a reworked change keeps its earlier scripts as `<name>@<tag>.sql`, the latest as `<name>.sql`. */
function scriptNames(changes: readonly PlannedChange[]): string[] {
  return changes.map((change, index) => {
    const reworkedLater = changes.slice(index + 1).some((later) => later.name === change.name);
    return reworkedLater && change.tag !== undefined ? `${change.name}@${change.tag}` : change.name;
  });
}
