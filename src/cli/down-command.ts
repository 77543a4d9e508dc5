import { consoleOutput, runDown } from '../runner/index.js';
import { lintForRun, reportFindings, withSession } from './database-command.js';
import { type UpCommandOptions, noteAppliedBy } from './up-command.js';

export interface DownCommandOptions extends UpCommandOptions {
  readonly rollbackTo?: string;
}

/** `migrate-safe down`: run the newest applied migration's rollback, or every one newer than --rollback-to. */
export function runDownCommand(options: DownCommandOptions): Promise<number> {
  return withSession(options, (session) => {
    if (session.config.appliedBy !== 'migrate-safe' && session.project.project.layout !== 'supabase') noteAppliedBy();
    return runDown({
      project: session.project,
      database: session.database,
      out: consoleOutput,
      cwd: session.cwd,
      dryRun: options.dryRun === true,
      skipBackup: options.skipBackup === true,
      force: options.force === true,
      verbose: options.verbose === true,
      waitMs: options.wait,
      lint: lintForRun(session),
      report: reportFindings,
      rollbackTo: options.rollbackTo,
    });
  });
}
