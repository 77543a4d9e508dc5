import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { UsageError } from '../config/errors.js';
import { MigrationLog, consoleOutput, describeDatabase, restore } from '../runner/index.js';
import { type DatabaseOptions, withSession } from './database-command.js';

export interface RestoreCommandOptions extends DatabaseOptions {
  readonly yes?: boolean;
}

/** `migrate-safe restore <file>`: psql with ON_ERROR_STOP in one transaction, after a confirmation (or --yes). */
export function runRestoreCommand(file: string, options: RestoreCommandOptions): Promise<number> {
  return withSession(options, async (session) => {
    const path = resolve(session.cwd, file);
    const target = describeDatabase(session.database);
    if (options.yes !== true) {
      if (!process.stdin.isTTY) throw new UsageError(`restore writes ${file} into ${target}: confirm with --yes`);
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await prompt.question(`Restore ${file} into ${target}? Objects that already exist make it fail and change nothing. [y/N] `);
      prompt.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        consoleOutput.err('restore: cancelled, nothing was changed');
        return 1;
      }
    }
    const started = performance.now();
    await restore(session.database.url.url, path);
    const durationMs = performance.now() - started;
    new MigrationLog(session.config.migrationLog).append({ time: new Date(), command: 'restore', migration: '-', outcome: 'restored', durationMs, detail: file });
    consoleOutput.out(`restored ${file} into ${target} (${Math.round(durationMs)} ms)`);
    return 0;
  });
}
