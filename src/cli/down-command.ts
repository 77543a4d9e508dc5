import { runDown } from '../runner/index.js';
import { withSession } from './database-command.js';
import { type UpCommandOptions, noteAppliedBy, runOptions } from './up-command.js';

export interface DownCommandOptions extends UpCommandOptions {
  readonly rollbackTo?: string;
}

/** `migrate-safe down`: run the newest applied migration's rollback, or every one newer than --rollback-to. */
export function runDownCommand(options: DownCommandOptions): Promise<number> {
  return withSession(options, (session) => {
    if (session.config.appliedBy !== 'migrate-safe' && session.project.project.layout !== 'supabase') noteAppliedBy();
    return runDown({ ...runOptions(session, options), rollbackTo: options.rollbackTo });
  });
}
