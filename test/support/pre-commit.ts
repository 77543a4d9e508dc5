import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { IN_CI } from './postgres.js';

/** A pre-commit release the hook is tested with: the command that runs it. */
export interface PreCommitRelease {
  /** Which release it is, in words, with its version when installed: "4.x, the current release (pre-commit 4.7.0)". */
  readonly name: string;
  readonly command: string;
  /** `pre-commit --version`'s answer, such as "pre-commit 4.2.0"; undefined when it is not installed. */
  readonly version: string | undefined;
}

const HOW_TO_INSTALL = 'run `sudo bash scripts/install-pre-commit.sh` (it installs both releases)';

/** The release `command` runs when its version matches `major`, named with that version ("4.x, the current release (pre-commit 4.7.0)"). */
function releaseOf(command: string, major: RegExp, which: string): PreCommitRelease {
  const answer = spawnSync(command, ['--version'], { encoding: 'utf8' });
  const version = answer.status === 0 && major.test(answer.stdout.trim()) ? answer.stdout.trim() : undefined;
  return { name: version === undefined ? which : `${which} (${version})`, command, version };
}

/**
 * Debian's pre-commit (3.x, on the PATH) and the current release (4.x, where
 * scripts/install-pre-commit.sh puts it). A missing one is announced on standard error with how to
 * install it, and its tests are skipped; in CI a missing release is an error, never a skip.
 */
export function preCommitReleases(): readonly PreCommitRelease[] {
  const current = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'migrate-safe', 'pre-commit-4', 'bin', 'pre-commit');
  const releases = [releaseOf(current, /^pre-commit 4\./, '4.x, the current release'), releaseOf('pre-commit', /^pre-commit 3\./, "3.x, Debian's")];
  for (const release of releases.filter((each) => each.version === undefined)) {
    const reason = `pre-commit ${release.name} is not installed here: ${HOW_TO_INSTALL}`;
    if (IN_CI) throw new Error(`CI must run every test: ${reason}`);
    process.stderr.write(`\nSKIPPED: test/hooks.test.ts, the hook installed and run by pre-commit ${release.name}: ${reason}\n`);
  }
  return releases;
}
