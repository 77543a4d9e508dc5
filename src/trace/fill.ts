import { type SqlSession, serverErrorOf } from '../db/session.js';

/** A column of a user table, with what a generated value for it needs to know. */
interface ColumnInfo {
  readonly table: number;
  readonly schema: string;
  readonly tableName: string;
  readonly name: string;
  /** format_type: `character varying(50)`, `public.mood`, ... */
  readonly type: string;
  /** pg_type.typcategory of the column's (base) type: N numeric, S string, B boolean, D date/time, E enum, ... */
  readonly category: string;
  readonly notNull: boolean;
  /** Has a default, an identity or a generation expression: the server fills it. */
  readonly filled: boolean;
  readonly generated: boolean;
  /** `schema.table.column` it references by a single-column foreign key. */
  readonly references: { readonly schema: string; readonly table: string; readonly column: string } | undefined;
}

// to_jsonb(a) reads attgenerated and attidentity where they exist (PostgreSQL 12 and 10+), and nothing before.
const COLUMNS = `
SELECT c.oid::int AS "table", n.nspname AS schema, c.relname AS "tableName", a.attname AS name,
  format_type(a.atttypid, a.atttypmod) AS type,
  coalesce(bt.typcategory, t.typcategory)::text AS category,
  a.attnotnull AS "notNull",
  (a.atthasdef OR coalesce(to_jsonb(a) ->> 'attidentity', '') <> '' OR coalesce(to_jsonb(a) ->> 'attgenerated', '') <> '') AS filled,
  coalesce(to_jsonb(a) ->> 'attgenerated', '') <> '' AS generated,
  (SELECT json_build_object('schema', rn.nspname, 'table', rc.relname, 'column', ra.attname)
     FROM pg_constraint fk
     JOIN pg_class rc ON rc.oid = fk.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
     JOIN pg_attribute ra ON ra.attrelid = fk.confrelid AND ra.attnum = fk.confkey[1]
    WHERE fk.conrelid = c.oid AND fk.contype = 'f' AND fk.conkey = ARRAY[a.attnum] LIMIT 1) AS "references"
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.oid, a.attnum`;

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** What filling the tables did. */
export interface FillReport {
  readonly filled: readonly string[];
  /** Tables left empty, with the reason (a CHECK constraint no generated row met, ...). */
  readonly empty: readonly { readonly table: string; readonly reason: string }[];
}

/**
 * Puts `rows` rows into every user table that has none, so that scans and rewrites show in the
 * statistics and data files: tables others reference first, foreign keys pointing at existing rows,
 * unique columns distinct; a partitioned table through its root, which routes each row. A table whose constraints the generated rows do not meet stays empty,
 * and the report says why.
 */
export async function fillTables(session: SqlSession, rows: number): Promise<FillReport> {
  const columns = (await session.run<ColumnInfo>(COLUMNS)).rows;
  const tables = new Map<number, ColumnInfo[]>();
  for (const column of columns) tables.set(column.table, [...(tables.get(column.table) ?? []), column]);
  const filled: string[] = [];
  const empty: { table: string; reason: string }[] = [];
  for (const table of inReferenceOrder([...tables.values()])) {
    const first = table[0];
    if (!first) continue;
    const name = `${quote(first.schema)}.${quote(first.tableName)}`;
    const outcome = await fillTable(session, name, table, rows);
    if (outcome.filled) filled.push(`${first.schema}.${first.tableName}`);
    else if (outcome.reason !== undefined) empty.push({ table: `${first.schema}.${first.tableName}`, reason: outcome.reason });
  }
  return { filled, empty };
}

/** Whether rows went in; when they could not, why (undefined: the table had rows already). */
async function fillTable(session: SqlSession, name: string, columns: readonly ColumnInfo[], rows: number): Promise<{ filled: boolean; reason?: string }> {
  const [existing] = (await session.run<{ some: boolean }>(`SELECT EXISTS (SELECT FROM ${name}) AS some`)).rows;
  if (existing?.some) return { filled: false };
  // Every column that takes a value first; then only what must have one.
  const attempts = [columns.filter((column) => !column.filled || column.references !== undefined), columns.filter((column) => column.notNull && !column.filled)];
  let reason = '';
  for (const chosen of attempts) {
    const insert = `INSERT INTO ${name} (${chosen.map((column) => quote(column.name)).join(', ')}) SELECT ${chosen.map(valueOf).join(', ')} FROM generate_series(1, ${rows}) AS g`;
    try {
      await session.run(chosen.length > 0 ? insert : `INSERT INTO ${name} SELECT FROM generate_series(1, ${rows})`);
      return { filled: true };
    } catch (error) {
      const fields = serverErrorOf(error);
      if (!fields) throw error;
      reason = fields.message;
    }
  }
  return { filled: false, reason };
}

/** A generated value for row number `g` that fits the column's type. */
function valueOf(column: ColumnInfo): string {
  const type = column.type;
  if (column.references) {
    const { schema, table, column: key } = column.references;
    const target = `${quote(schema)}.${quote(table)}`;
    return `(SELECT ${quote(key)} FROM ${target} ORDER BY 1 OFFSET (g - 1) % greatest((SELECT count(*) FROM ${target}), 1) LIMIT 1)`;
  }
  switch (column.category) {
    case 'N':
      return `g::${type}`;
    case 'S':
      return `g::text::${type}`;
    case 'B':
      return `(g % 2 = 0)::${type}`;
    case 'D':
      return `(timestamp '2024-01-01' + g * interval '1 hour')::${type}`;
    case 'T':
      return `(g * interval '1 minute')::${type}`;
    case 'E':
      return `(enum_range(NULL::${type}))[1 + g % cardinality(enum_range(NULL::${type}))]`;
    case 'A':
      return `'{}'::${type}`;
    case 'I':
      return `('10.0.' || (g / 256) || '.' || (g % 256))::${type}`;
    default:
      return defaultValue(column);
  }
}

/** uuid, json and others by name; NULL where the column allows it. */
function defaultValue(column: ColumnInfo): string {
  if (column.type === 'uuid') return 'md5(g::text)::uuid';
  if (column.type === 'json' || column.type === 'jsonb') return `json_build_object('n', g)::${column.type}`;
  if (column.type === 'bytea') return "convert_to(g::text, 'UTF8')";
  return column.notNull ? `g::text::${column.type}` : `NULL::${column.type}`;
}

/** Tables after the tables their foreign keys reference (a cycle is left in catalog order). */
function inReferenceOrder(tables: readonly (readonly ColumnInfo[])[]): (readonly ColumnInfo[])[] {
  const key = (schema: string, table: string): string => `${schema}.${table}`;
  const byKey = new Map(tables.map((table) => [key(table[0]?.schema ?? '', table[0]?.tableName ?? ''), table]));
  const ordered: (readonly ColumnInfo[])[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    const table = byKey.get(name);
    if (!table || visiting.has(name) || ordered.includes(table)) return;
    visiting.add(name);
    for (const column of table) if (column.references) visit(key(column.references.schema, column.references.table));
    ordered.push(table);
  };
  for (const name of byKey.keys()) visit(name);
  return ordered;
}
