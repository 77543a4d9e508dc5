import type { Client } from '../db/connect.js';

/**
 * Where migrate-safe records what it applied. Two tables of its own (`database.historyTable`,
 * `migrate_safe.schema_migrations` by default): the applied migrations with their checksum, who
 * applied them, when and how long it took; and `<table>_log`, every run of `up` and `down`, failed
 * ones included, with how many statements ran. A Supabase project also keeps the Supabase CLI's
 * own `supabase_migrations.schema_migrations` (`version`, `name`, `statements`), created and
 * written exactly as the CLI does, so `supabase db push` and `migrate-safe up` agree on what is
 * applied.
 */

/** The Supabase CLI's history table and how it creates it (supabase/cli, pkg/migration/history.go). */
const SUPABASE_TABLE = 'supabase_migrations.schema_migrations';
const SUPABASE_SETUP = [
  'CREATE SCHEMA IF NOT EXISTS supabase_migrations',
  'CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)',
  'ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]',
  'ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text',
];

/** A migration the database records as applied. */
export interface AppliedMigration {
  readonly version: string;
  readonly name: string;
  /** sha256 of the file when migrate-safe applied it; undefined when another tool did (the Supabase CLI). */
  readonly checksum: string | undefined;
  /** The statements the Supabase CLI recorded (its table only). */
  readonly statements: readonly string[] | undefined;
  readonly appliedAt: Date | undefined;
  readonly appliedBy: string | undefined;
  readonly durationMs: number | undefined;
}

/** One run of a migration (or its rollback), from the run log. */
export interface RunRecord {
  readonly id: number;
  readonly command: 'up' | 'down';
  readonly version: string;
  readonly name: string;
  readonly startedAt: Date;
  readonly durationMs: number | undefined;
  readonly runBy: string;
  /** `running` (still, or the process died), `applied`, `rolled back`, `failed` (nothing kept), `partial` (some statements committed). */
  readonly outcome: 'running' | 'applied' | 'rolled back' | 'failed' | 'partial';
  readonly statementsRun: number;
  readonly statementsTotal: number;
  /** sha256 of the texts of the statements that ran (`ranChecksum`): `up --resume` skips them only while the file still begins with them. */
  readonly ranChecksum: string | undefined;
  readonly error: string | undefined;
}

/** What a migration writes into the history when it is applied, in its own transaction. */
export interface AppliedRow {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
  readonly statements: readonly string[];
  readonly appliedBy: string;
  readonly durationMs: number;
}

export class History {
  readonly table: string;
  readonly logTable: string;
  /** Whether the Supabase CLI's table is the record of what is applied (the supabase layout). */
  readonly supabase: boolean;

  constructor(table: string, supabase: boolean) {
    this.table = table;
    this.logTable = `${table}_log`;
    this.supabase = supabase;
  }

  /** Creates the tables that do not exist yet (never in a dry run). */
  async ensure(client: Client): Promise<void> {
    const schema = this.table.split('.')[0] ?? 'migrate_safe';
    await inTransaction(client, async () => {
      // As the Supabase CLI does: never wait long for a lock on the history tables.
      await client.query("SET LOCAL lock_timeout = '4s'");
      if (this.supabase) for (const statement of SUPABASE_SETUP) await client.query(statement);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        version text PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        statements integer NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL,
        duration_ms integer NOT NULL
      )`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.logTable} (
        id bigserial PRIMARY KEY,
        command text NOT NULL,
        version text NOT NULL,
        name text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        duration_ms integer,
        run_by text NOT NULL,
        outcome text NOT NULL,
        statements_run integer NOT NULL DEFAULT 0,
        statements_total integer NOT NULL,
        error text
      )`);
      await client.query(`ALTER TABLE ${this.logTable} ADD COLUMN IF NOT EXISTS ran_checksum text`);
    });
  }

  /** The applied migrations, oldest version first; empty when nothing was ever applied (no table yet). */
  async applied(client: Client): Promise<AppliedMigration[]> {
    const own = (await exists(client, this.table))
      ? (
          await client.query<{ version: string; name: string; checksum: string; applied_at: Date; applied_by: string; duration_ms: number }>(
            `SELECT version, name, checksum, applied_at, applied_by, duration_ms FROM ${this.table}`,
          )
        ).rows
      : [];
    const ownByVersion = new Map(own.map((row) => [row.version, row]));
    if (!this.supabase) {
      return own
        .map((row) => ({ version: row.version, name: row.name, checksum: row.checksum, statements: undefined, appliedAt: row.applied_at, appliedBy: row.applied_by, durationMs: row.duration_ms }))
        .sort(byVersion);
    }
    if (!(await exists(client, SUPABASE_TABLE))) return [];
    const rows = (await client.query<{ version: string; name: string; statements: string[] | null }>(`SELECT version, coalesce(name, '') AS name, statements FROM ${SUPABASE_TABLE}`)).rows;
    return rows
      .map((row) => {
        const extra = ownByVersion.get(row.version);
        return {
          version: row.version,
          name: row.name,
          checksum: extra?.checksum,
          statements: row.statements ?? undefined,
          appliedAt: extra?.applied_at,
          appliedBy: extra?.applied_by ?? 'the Supabase CLI',
          durationMs: extra?.duration_ms,
        };
      })
      .sort(byVersion);
  }

  /** Records a migration as applied; call it inside the migration's own transaction when it has one. */
  async recordApplied(client: Client, row: AppliedRow): Promise<void> {
    if (this.supabase) {
      // The CLI's name is what follows the version in the file name (`^([0-9]+)_(.*)\.sql$`).
      const name = /^\d+_(.*)$/.exec(row.name)?.[1] ?? row.name;
      await client.query(`INSERT INTO ${SUPABASE_TABLE} (version, name, statements) VALUES ($1, $2, $3)`, [row.version, name, row.statements]);
    }
    await client.query(
      `INSERT INTO ${this.table} (version, name, checksum, statements, applied_by, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, statements = EXCLUDED.statements,
         applied_at = now(), applied_by = EXCLUDED.applied_by, duration_ms = EXCLUDED.duration_ms`,
      [row.version, row.name, row.checksum, row.statements.length, row.appliedBy, Math.round(row.durationMs)],
    );
  }

  /** Forgets an applied migration (its rollback ran); inside the rollback's transaction when it has one. */
  async recordRolledBack(client: Client, version: string): Promise<void> {
    if (this.supabase) await client.query(`DELETE FROM ${SUPABASE_TABLE} WHERE version = $1`, [version]);
    await client.query(`DELETE FROM ${this.table} WHERE version = $1`, [version]);
  }

  /** Starts a run in the log (on the bookkeeping connection, committed at once); returns its id. */
  async startRun(
    client: Client,
    run: { command: 'up' | 'down'; version: string; name: string; runBy: string; statementsTotal: number; statementsRun: number; ranChecksum: string },
  ): Promise<number> {
    const result = await client.query<{ id: string }>(
      `INSERT INTO ${this.logTable} (command, version, name, run_by, outcome, statements_total, statements_run, ran_checksum) VALUES ($1, $2, $3, $4, 'running', $5, $6, $7) RETURNING id`,
      [run.command, run.version, run.name, run.runBy, run.statementsTotal, run.statementsRun, run.ranChecksum],
    );
    return Number(result.rows[0]?.id);
  }

  /** How many statements of a run have committed (statement by statement files). */
  async progress(client: Client, id: number, statementsRun: number, ranChecksum: string): Promise<void> {
    await client.query(`UPDATE ${this.logTable} SET statements_run = $2, ran_checksum = $3 WHERE id = $1`, [id, statementsRun, ranChecksum]);
  }

  async finishRun(client: Client, id: number, end: { outcome: RunRecord['outcome']; durationMs: number; statementsRun: number; error?: string | undefined }): Promise<void> {
    await client.query(`UPDATE ${this.logTable} SET outcome = $2, duration_ms = $3, statements_run = $4, error = $5 WHERE id = $1`, [
      id,
      end.outcome,
      Math.round(end.durationMs),
      end.statementsRun,
      end.error ?? null,
    ]);
  }

  /** Every run, oldest first; empty when the log table does not exist yet. */
  async runs(client: Client): Promise<RunRecord[]> {
    if (!(await exists(client, this.logTable))) return [];
    const result = await client.query<{
      id: string;
      command: 'up' | 'down';
      version: string;
      name: string;
      started_at: Date;
      duration_ms: number | null;
      run_by: string;
      outcome: RunRecord['outcome'];
      statements_run: number;
      statements_total: number;
      ran_checksum: string | null;
      error: string | null;
    }>(`SELECT * FROM ${this.logTable} ORDER BY id`);
    return result.rows.map((row) => ({
      id: Number(row.id),
      command: row.command,
      version: row.version,
      name: row.name,
      startedAt: row.started_at,
      durationMs: row.duration_ms ?? undefined,
      runBy: row.run_by,
      outcome: row.outcome,
      statementsRun: row.statements_run,
      statementsTotal: row.statements_total,
      ranChecksum: row.ran_checksum ?? undefined,
      error: row.error ?? undefined,
    }));
  }
}

function byVersion(left: { version: string }, right: { version: string }): number {
  return left.version.localeCompare(right.version, 'en', { numeric: true });
}

async function exists(client: Client, table: string): Promise<boolean> {
  const result = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
  return result.rows[0]?.found === true;
}

/** Runs `work` between BEGIN and COMMIT, rolling back when it throws. */
export async function inTransaction<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
