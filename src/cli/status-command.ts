import { NEEDS_ATTENTION, consoleOutput, describeDatabase, statusOf } from '../runner/index.js';
import { type DatabaseOptions, withSession } from './database-command.js';

export interface StatusCommandOptions extends DatabaseOptions {
  readonly format: 'text' | 'json';
}

/** `migrate-safe status`: every migration against the database; exit 1 when one needs attention. */
export function runStatusCommand(options: StatusCommandOptions): Promise<number> {
  return withSession(options, async (session) => {
    const { database } = session;
    const statuses = statusOf(session.project, await database.history.applied(database.client), await database.history.runs(database.client), session.cwd);
    const attention = statuses.filter((status) => NEEDS_ATTENTION.has(status.state));
    const count = (state: string): number => statuses.filter((status) => status.state === state).length;
    if (options.format === 'json') {
      const report = {
        database: describeDatabase(database),
        migrations: statuses.map((status) => ({
          version: status.version,
          name: status.name,
          file: status.file ?? null,
          state: status.state,
          appliedAt: status.appliedAt?.toISOString() ?? null,
          appliedBy: status.appliedBy ?? null,
          durationMs: status.durationMs ?? null,
          detail: status.detail ?? null,
        })),
        summary: { applied: count('applied'), pending: count('pending'), needsAttention: attention.length },
      };
      consoleOutput.out(JSON.stringify(report, null, 2));
    } else {
      consoleOutput.out(`${describeDatabase(database)}, ${session.project.folder}`);
      const width = Math.max(...statuses.map((status) => status.state.length));
      for (const status of statuses) {
        const when = status.appliedAt ? `  ${status.appliedAt.toISOString().replace('T', ' ').slice(0, 19)}` : '';
        const took = status.durationMs === undefined ? '' : `  ${status.durationMs} ms`;
        const who = status.appliedBy === undefined ? '' : `  by ${status.appliedBy}`;
        consoleOutput.out(`  ${status.state.padEnd(width)}  ${status.name}${when}${took}${who}`);
        if (status.detail) consoleOutput.out(`  ${' '.repeat(width)}    ${status.detail}`);
      }
      consoleOutput.out(`${count('applied')} applied, ${count('pending')} pending${attention.length > 0 ? `, ${attention.length} ${attention.length === 1 ? 'needs' : 'need'} attention` : ''}`);
    }
    return attention.length > 0 ? 1 : 0;
  });
}
