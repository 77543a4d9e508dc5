import { type Database, type MigrationState, type MigrationStatus, NEEDS_ATTENTION, consoleOutput, describeDatabase, statusOf } from '../runner/index.js';
import { type DatabaseOptions, type DatabaseSession, withSession } from './database-command.js';

export interface StatusCommandOptions extends DatabaseOptions {
  readonly format: 'text' | 'json';
}

/** The JSON report of `status --format json` (and the MCP server's migration_status): a stable interface. */
export interface StatusReport {
  readonly database: string;
  readonly migrations: readonly {
    readonly version: string;
    readonly name: string;
    readonly file: string | null;
    readonly state: MigrationState;
    readonly appliedAt: string | null;
    readonly appliedBy: string | null;
    readonly durationMs: number | null;
    readonly detail: string | null;
  }[];
  readonly summary: { readonly applied: number; readonly pending: number; readonly needsAttention: number };
}

/** Every migration of the session's project against its database. */
export async function migrationStatuses(session: DatabaseSession): Promise<MigrationStatus[]> {
  const { database } = session;
  return statusOf(session.project, await database.history.applied(database.client), await database.history.runs(database.client), session.cwd);
}

export function statusReport(database: Database, statuses: readonly MigrationStatus[]): StatusReport {
  return {
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
    summary: {
      applied: statuses.filter((status) => status.state === 'applied').length,
      pending: statuses.filter((status) => status.state === 'pending').length,
      needsAttention: statuses.filter((status) => NEEDS_ATTENTION.has(status.state)).length,
    },
  };
}

/** `migrate-safe status`: every migration against the database; exit 1 when one needs attention. */
export function runStatusCommand(options: StatusCommandOptions): Promise<number> {
  return withSession(options, async (session) => {
    const { database } = session;
    const statuses = await migrationStatuses(session);
    const { summary } = statusReport(database, statuses);
    if (options.format === 'json') {
      consoleOutput.out(JSON.stringify(statusReport(database, statuses), null, 2));
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
      const attention = summary.needsAttention;
      consoleOutput.out(`${summary.applied} applied, ${summary.pending} pending${attention > 0 ? `, ${attention} ${attention === 1 ? 'needs' : 'need'} attention` : ''}`);
    }
    return summary.needsAttention > 0 ? 1 : 0;
  });
}
