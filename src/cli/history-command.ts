import { MigrationLog, consoleOutput } from '../runner/index.js';
import { type DatabaseOptions, withSession } from './database-command.js';

export interface HistoryCommandOptions extends DatabaseOptions {
  readonly format: 'text' | 'json';
}

/** `migrate-safe history`: every run of up and down from the database's run log, and the local migration.log's other events (backups). */
export function runHistoryCommand(options: HistoryCommandOptions): Promise<number> {
  return withSession(options, async (session) => {
    const runs = await session.database.history.runs(session.database.client);
    const events = new MigrationLog(session.config.migrationLog).read().filter((event) => event.command !== 'up' && event.command !== 'down');
    const rows = [
      ...runs.map((run) => ({
        time: run.startedAt,
        command: run.command,
        migration: run.name,
        outcome: run.outcome,
        durationMs: run.durationMs ?? null,
        by: run.runBy,
        statements: `${run.statementsRun}/${run.statementsTotal}`,
        detail: run.error?.split('\n')[0] ?? null,
        from: 'database',
      })),
      ...events.map((event) => ({
        time: event.time,
        command: event.command,
        migration: event.migration,
        outcome: event.outcome,
        durationMs: event.durationMs ?? null,
        by: null,
        statements: null,
        detail: event.detail ?? null,
        from: 'migration.log',
      })),
    ].sort((left, right) => left.time.getTime() - right.time.getTime());
    if (options.format === 'json') {
      consoleOutput.out(JSON.stringify({ history: rows.map((row) => ({ ...row, time: row.time.toISOString() })) }, null, 2));
      return 0;
    }
    if (rows.length === 0) consoleOutput.out('no migration has run against this database yet');
    for (const row of rows) {
      const took = row.durationMs === null ? '' : `  ${row.durationMs} ms`;
      const fields = [row.time.toISOString().replace('T', ' ').slice(0, 19), row.command, row.migration, row.outcome + took];
      if (row.by) fields.push(`by ${row.by}`);
      if (row.statements) fields.push(`statements ${row.statements}`);
      if (row.detail) fields.push(row.detail);
      consoleOutput.out(fields.join('  '));
    }
    return 0;
  });
}
