import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { type Release, release } from '../../scripts/release.js';
import { REPOSITORY } from './cli.js';
import { snapshotOfThisRepository } from './git.js';

export interface ReleasedRepository {
  /** The repository: this checkout as one commit, with the release tags pointing past it. */
  readonly root: string;
  readonly release: Release;
}

let released: ReleasedRepository | undefined;

/**
 * This checkout released the way `npm run release` does it (docs/releasing.md): a repository of
 * its own holding the working tree and the built dist/, whose tags v<version> and v<major> are the
 * release commit, and the packed tarball. Made once per test file.
 */
export function releasedRepository(): ReleasedRepository {
  if (!released) {
    const root = snapshotOfThisRepository();
    cpSync(join(REPOSITORY, 'dist'), join(root, 'dist'), { recursive: true });
    released = { root, release: release(root) };
  }
  return released;
}
