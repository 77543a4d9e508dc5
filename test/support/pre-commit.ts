import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { IN_CI } from './postgres.js';

/** A pre-commit release the hook is tested with: the command that runs it. */
export interface PreCommitRelease {
  /** Which release it is, in words: "4.x (the current release)" or "3.x (Debian's)". */
  readonly name: string;
  readonly command: string;
  /** `pre-commit --version`'s answer, such as "pre-commit 4.2.0"; undefined when it is not installed. */
  readonly version: string | undefined;
}

const HOW_TO_INSTALL = 'run `sudo bash scripts/install-pre-commit.sh` (it installs both releases)';

function versionOf(command: string, major: RegExp): string | undefined {
  const answer = spawnSync(command, ['--version'], { encoding: 'utf8' });
  const version = answer.status === 0 ? answer.stdout.trim() : undefined;
  return version !== undefined && major.test(version) ? version : undefined;
}

/**
 * Debian's pre-commit (3.x, on the PATH) and the current release (4.x, where
 * scripts/install-pre-commit.sh puts it). A missing one is announced on standard error with how to
 * install it, and its tests are skipped; in CI a missing release is an error, never a skip.
 */
export function preCommitReleases(): readonly PreCommitRelease[] {
  const current = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'migrate-safe', 'pre-commit-4', 'bin', 'pre-commit');
  const releases = [
    { name: '4.x (the current release)', command: current, version: versionOf(current, /^pre-commit 4\./) },
    { name: "3.x (Debian's)", command: 'pre-commit', version: versionOf('pre-commit', /^pre-commit 3\./) },
  ];
  for (const release of releases.filter((each) => each.version === undefined)) {
    const reason = `pre-commit ${release.name} is not installed here: ${HOW_TO_INSTALL}`;
    if (IN_CI) throw new Error(`CI must run every test: ${reason}`);
    process.stderr.write(`\nSKIPPED: test/hooks.test.ts, the hook installed and run by pre-commit ${release.name}: ${reason}\n`);
  }
  return releases;
}
