import type { RangeVar } from '@pgsql/types';
import { displayName, nameOfRangeVar, quoteIdentifier, walk } from '../../src/analyze/ast.js';
import { type SqlSession, serverErrorOf } from '../../src/db/session.js';
import { parseSource } from '../../src/parse/parser.js';

/**
 * Schemas built from PostgreSQL's own complaints. A fixture or an example names tables and columns
 * its history never created (`ALTER TABLE agents ...` in a file on its own); to run it, whatever the
 * server says is missing is created, and the statements are run again from a clean database, until
 * they run or fail for another reason. The result is the smallest schema the SQL needs, found the
 * same way for every rule and fixture, including those written after this harness.
 */

/** Drops every user schema, event trigger and session setting: a clean database without a new one. */
export const CLEAN_DATABASE = `
DO $$ DECLARE name text; BEGIN
  FOR name IN SELECT evtname FROM pg_event_trigger LOOP EXECUTE format('DROP EVENT TRIGGER %I', name); END LOOP;
  FOR name IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', name);
  END LOOP;
END $$;
CREATE SCHEMA public;
RESET ALL;`;

export async function cleanDatabase(session: SqlSession): Promise<void> {
  await session.run('ROLLBACK').catch(() => undefined);
  await session.run(CLEAN_DATABASE);
}

/** A column type guessed from its name: keys and counts are numbers, `*_at` a time, `is_*` a boolean. */
function columnType(name: string): string {
  if (name === 'id' || name.endsWith('_id')) return 'bigint';
  if (name.endsWith('_at')) return 'timestamptz';
  if (/^(is|has)_/.test(name)) return 'boolean';
  if (/^(score|count|amount|quantity|price|age|level|position|rank|seq|version)$/.test(name)) return 'integer';
  return 'text';
}

/** The relations a statement names, in order. */
function relationsOf(sql: string): string[] {
  const parsed = parseSource(sql);
  const names: string[] = [];
  for (const statement of parsed.statements) {
    // A statement's own table is an unwrapped RangeVar in its `relation` field (IndexStmt, AlterTableStmt).
    walk(statement.node, (type, fields) => {
      const relation = type === 'RangeVar' ? fields : (fields.relation as RangeVar | undefined);
      const name = relation && typeof relation === 'object' ? nameOfRangeVar(relation) : undefined;
      if (name) names.push(displayName(name));
    });
  }
  return names;
}

const quotedName = (name: string): string => name.split('.').map(quoteIdentifier).join('.');

/** What to create so that the error does not happen again; undefined when the error is not about something missing. */
export function repairFor(error: { code: string | undefined; message: string }, sql: string): string | undefined {
  const quoted = /"([^"]+)"/.exec(error.message)?.[1];
  const [firstRelation] = relationsOf(sql);
  switch (error.code) {
    case '3F000':
      return quoted === undefined ? undefined : `CREATE SCHEMA ${quoteIdentifier(quoted)}`;
    case '42P01': {
      if (quoted === undefined) return undefined;
      const name = quotedName(quoted);
      if (/^view /.test(error.message)) return `CREATE VIEW ${name} AS SELECT 1::bigint AS id`;
      if (/^materialized view /.test(error.message)) return `CREATE MATERIALIZED VIEW ${name} AS SELECT 1::bigint AS id`;
      if (/^sequence /.test(error.message) || sql.includes(`nextval('${quoted}'`)) return `CREATE SEQUENCE ${name}`;
      return `CREATE TABLE ${name} (id bigint PRIMARY KEY)`;
    }
    case '42701': {
      // A column the statement adds, which a guessed table already has (its `id`).
      const table = /of relation "([^"]+)"/.exec(error.message)?.[1];
      return quoted === undefined || table === undefined ? undefined : `ALTER TABLE ${quotedName(table)} DROP COLUMN ${quoteIdentifier(quoted)}`;
    }
    case '42703': {
      const column = quoted;
      const table = /of relation "([^"]+)"/.exec(error.message)?.[1] ?? firstRelation;
      if (column === undefined || table === undefined || column.includes('.')) return undefined;
      return `ALTER TABLE ${quotedName(table)} ADD COLUMN ${quoteIdentifier(column)} ${columnType(column)}`;
    }
    case '42704': {
      // `room_id WITH =` in a GiST index: btree_gist gives plain types the operator class.
      if (/no default operator class for access method "gist"/.test(error.message)) return 'CREATE EXTENSION IF NOT EXISTS btree_gist';
      if (quoted === undefined) return undefined;
      if (/^role /.test(error.message)) return `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${quoted}') THEN CREATE ROLE ${quoteIdentifier(quoted)}; END IF; END $$`;
      const table = /(?:of relation|for table) "([^"]+)"/.exec(error.message)?.[1] ?? firstRelation;
      if (/^type /.test(error.message)) return `CREATE TYPE ${quotedName(quoted)} AS ENUM ('a', 'b')`;
      if (/^index /.test(error.message)) return table === undefined ? `CREATE TABLE IF NOT EXISTS scaffold_indexed (id bigint); CREATE INDEX ${quotedName(quoted)} ON scaffold_indexed (id)` : `CREATE INDEX ${quotedName(quoted)} ON ${quotedName(table)} (id)`;
      if (table === undefined) return undefined;
      if (/^constraint /.test(error.message)) {
        if (quoted.endsWith('_pkey')) return `ALTER TABLE ${quotedName(table)} ADD CONSTRAINT ${quoteIdentifier(quoted)} PRIMARY KEY (id)`;
        if (quoted.endsWith('_key')) return `ALTER TABLE ${quotedName(table)} ADD CONSTRAINT ${quoteIdentifier(quoted)} UNIQUE (id)`;
        return `ALTER TABLE ${quotedName(table)} ADD CONSTRAINT ${quoteIdentifier(quoted)} CHECK (true)`;
      }
      if (/^trigger /.test(error.message)) {
        return `CREATE FUNCTION scaffold_${quoted}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER ${quoteIdentifier(quoted)} BEFORE UPDATE ON ${quotedName(table)} FOR EACH ROW EXECUTE FUNCTION scaffold_${quoted}()`;
      }
      if (/^policy /.test(error.message)) return `CREATE POLICY ${quoteIdentifier(quoted)} ON ${quotedName(table)} USING (true)`;
      return undefined;
    }
    case '42883': {
      const fn = /^function ([\w."]+)\(/.exec(error.message)?.[1];
      if (fn === undefined) return undefined;
      // A trigger's function, or one called in an expression: a uuid when its name says so, else text.
      if (/EXECUTE (FUNCTION|PROCEDURE)/i.test(sql)) return `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`;
      if (/uuid/i.test(fn)) return `CREATE FUNCTION ${fn}() RETURNS uuid LANGUAGE sql AS $$ SELECT md5(random()::text)::uuid $$`;
      return `CREATE FUNCTION ${fn}() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$`;
    }
    default:
      return undefined;
  }
}

/**
 * Runs a scaffold on a clean database. What outlives a database's schemas (a tablespace, a role)
 * may exist already, and a repair found for a later statement may name what an earlier one of the
 * fixture creates: a repair that fails is left out, and what it was for fails visibly later.
 */
export async function applyScaffold(session: SqlSession, scaffold: readonly string[]): Promise<void> {
  for (const sql of scaffold) {
    await session.run(sql).catch((error: unknown) => {
      if (!serverErrorOf(error)) throw error;
    });
  }
}

/** How a run of statements ended on a scaffold. */
export interface ScaffoldResult {
  /** The statements that create what the SQL needs, in order. */
  readonly scaffold: readonly string[];
  /** The first statement that failed for another reason, and PostgreSQL's message; undefined when all ran. */
  readonly failure: { readonly index: number; readonly message: string } | undefined;
}

/**
 * The scaffold `statements` need, found on an empty database: each run starts clean, creates the
 * scaffold found so far, and runs the statements each on its own until one fails; a failure about
 * something missing adds its repair and starts again.
 */
export async function findScaffold(session: SqlSession, statements: readonly string[], options: { setup?: readonly string[]; tolerated?: number } = {}): Promise<ScaffoldResult> {
  const scaffold: string[] = [...(options.setup ?? [])];
  const limit = scaffold.length + 40;
  for (;;) {
    await cleanDatabase(session);
    await applyScaffold(session, scaffold);
    let failure: { index: number; message: string; repair: string | undefined } | undefined;
    for (const [index, sql] of statements.entries()) {
      // The fixture's own statements may leave a transaction open (the hazard its finding is about); what follows runs after it.
      if (index === options.tolerated) await session.run('COMMIT');
      try {
        await session.run(sql);
      } catch (error) {
        const fields = serverErrorOf(error);
        if (!fields) throw error;
        const repair = repairFor(fields, sql);
        // The first `tolerated` statements are a fixture's own, some of them failing on purpose.
        if (repair === undefined && index < (options.tolerated ?? 0)) {
          await session.run('ROLLBACK').catch(() => undefined);
          continue;
        }
        failure = { index, message: fields.message, repair };
        break;
      }
    }
    if (!failure) return { scaffold, failure: undefined };
    if (failure.repair === undefined || scaffold.includes(failure.repair) || scaffold.length >= limit) {
      return { scaffold, failure: { index: failure.index, message: failure.message } };
    }
    scaffold.push(failure.repair);
  }
}
