import { type RunOptions, consoleOutput, runUp } from '../runner/index.js';
import { type DatabaseOptions, type DatabaseSession, lintForRun, reportFindings, withSession } from './database-command.js';

export interface UpCommandOptions extends DatabaseOptions {
  readonly dryRun?: boolean;
  readonly skipBackup?: boolean;
  readonly force?: boolean;
  readonly verbose?: boolean;
  readonly resume?: boolean;
  /** Milliseconds to wait for another run's lock. */
  readonly wait: number;
}

/** `migrate-safe up`: lint the pending migrations, back up, and apply them in order (docs/runner.md). */
export function runUpCommand(options: UpCommandOptions): Promise<number> {
  return withSession(options, (session) => {
    if (session.config.appliedBy !== 'migrate-safe') noteAppliedBy();
    return runUp(runOptions(session, options));
  });
}

/** What `up` and `down` run with: the guide's options, the session, the lint and its report. */
export function runOptions(session: DatabaseSession, options: UpCommandOptions): RunOptions {
  return {
    project: session.project,
    database: session.database,
    out: consoleOutput,
    cwd: session.cwd,
    dryRun: options.dryRun === true,
    skipBackup: options.skipBackup === true,
    force: options.force === true,
    verbose: options.verbose === true,
    resume: options.resume === true,
    waitMs: options.wait,
    lint: lintForRun(session),
    report: reportFindings,
  };
}

/** `up` checks the files as it runs them; `lint` and `validate` do so only when the configuration says migrate-safe applies them. */
export function noteAppliedBy(): void {
  consoleOutput.err('note: set "migrations": { "appliedBy": "migrate-safe" } in the configuration so that lint and validate check the files as up runs them');
}
