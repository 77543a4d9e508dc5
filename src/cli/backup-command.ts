import { relative } from 'node:path';
import { MigrationLog, backup, consoleOutput, pruneBackups } from '../runner/index.js';
import { type DatabaseOptions, withSession } from './database-command.js';

/** `migrate-safe backup`: pg_dump --no-owner --no-acl into the backups folder, then prune old backups. */
export function runBackupCommand(options: DatabaseOptions): Promise<number> {
  return withSession(options, async (session) => {
    const { backups } = session.config;
    const started = performance.now();
    const file = await backup(session.database.url.url, backups.folder, session.database.server.major);
    const durationMs = performance.now() - started;
    new MigrationLog(session.config.migrationLog).append({ time: new Date(), command: 'backup', migration: '-', outcome: 'written', durationMs, detail: relative(session.cwd, file) });
    consoleOutput.out(`backup: ${relative(session.cwd, file)} (${Math.round(durationMs)} ms)`);
    for (const pruned of pruneBackups(backups.folder, backups.keepDays)) consoleOutput.out(`backup: removed ${relative(session.cwd, pruned)}, older than ${backups.keepDays} days`);
    return 0;
  });
}
