import { importModule } from '../config/import-module.js';
import type PgModule from 'pg';
/** What trace needs of a database connection: the pg client and the in-process PGlite both provide it. */
export interface SqlSession {
  /** Runs one statement (or several, separated by semicolons) with the simple query protocol; the rows of the last. */
  run<Row = Record<string, unknown>>(sql: string, options?: RunOptions): Promise<SqlResult<Row>>;
  close(): Promise<void>;
}

export interface RunOptions {
  /** Receives the statement's notices (RAISE NOTICE), which are dropped otherwise. */
  readonly onNotice?: (message: string) => void;
}

export interface SqlResult<Row> {
  readonly rows: Row[];
  /** Rows inserted, updated or deleted; undefined for other statements. */
  readonly rowCount: number | undefined;
}

/** An error the server returned, as PostgreSQL reports it. */
export interface ServerErrorFields {
  readonly message: string;
  /** SQLSTATE, e.g. 42703 (undefined column). */
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  /** 1-based character position in the statement, when the server gave one. */
  readonly position: number | undefined;
}

/** The fields of an error thrown by node-postgres or PGlite (both use pg-protocol's DatabaseError). */
export function serverErrorOf(error: unknown): ServerErrorFields | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & { code?: unknown; detail?: unknown; hint?: unknown; position?: unknown; severity?: unknown };
  if (typeof fields.code !== 'string' || fields.severity === undefined) return undefined;
  const position = Number(fields.position);
  return {
    message: error.message,
    code: fields.code,
    detail: typeof fields.detail === 'string' ? fields.detail : undefined,
    hint: typeof fields.hint === 'string' ? fields.hint : undefined,
    position: Number.isInteger(position) && position > 0 ? position : undefined,
  };
}

/** A value as an SQL string literal. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A session on a PostgreSQL server through node-postgres. */
export async function connectSession(url: string): Promise<SqlSession> {
  const { default: pg } = (await importModule('pg')) as { default: typeof PgModule };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Notices (RAISE NOTICE, "table does not exist, skipping") are the migration's, not ours to print.
  let noticeListener: ((message: string) => void) | undefined;
  client.on('notice', (notice) => noticeListener?.(notice.message ?? ''));
  return {
    async run<Row>(sql: string, options?: RunOptions): Promise<SqlResult<Row>> {
      noticeListener = options?.onNotice;
      const result = (await client.query(sql).finally(() => (noticeListener = undefined))) as unknown as PgModule.QueryResult | PgModule.QueryResult[];
      const last = Array.isArray(result) ? result.at(-1) : result;
      const counted = last?.command === 'INSERT' || last?.command === 'UPDATE' || last?.command === 'DELETE' || last?.command === 'MERGE';
      return { rows: (last?.rows ?? []) as Row[], rowCount: counted ? (last.rowCount ?? undefined) : undefined };
    },
    close: () => client.end(),
  };
}
