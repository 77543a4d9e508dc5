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

/**
 * A column type guessed from its name: keys and counts are numbers, `*_at` a time, `is_*` and
 * states a boolean, `during` and `period` a range (an exclusion constraint's `&&`).
 */
function columnType(name: string): string {
  if (name === 'id' || name.endsWith('_id')) return 'bigint';
  if (/_(at|on|seen|until)$/.test(name)) return 'timestamptz';
  if (/^(is|has)_/.test(name) || /^(active|archived|deleted|enabled|disabled|verified)$/.test(name)) return 'boolean';
  if (/^(during|period|validity)$/.test(name) || name.endsWith('_range')) return 'tstzrange';
  if (/^(score|count|amount|quantity|price|age|level|position|rank|seq|version)$/.test(name)) return 'integer';
  return 'text';
}

/** The relations a statement names, in order; a function's also those its SQL body names (checked when it is created). */
function relationsOf(sql: string): string[] {
  const parsed = parseSource(sql);
  const names: string[] = [];
  const bodies: string[] = [];
  for (const statement of parsed.statements) {
    // A statement's own table is an unwrapped RangeVar in its `relation` field (IndexStmt, AlterTableStmt).
    walk(statement.node, (type, fields) => {
      const relation = type === 'RangeVar' ? fields : (fields.relation as RangeVar | undefined);
      const name = relation && typeof relation === 'object' ? nameOfRangeVar(relation) : undefined;
      if (name) names.push(displayName(name));
      if (type === 'DefElem' && fields.defname === 'as') walk(fields.arg, (inner, value) => inner === 'String' && typeof value.sval === 'string' && bodies.push(value.sval));
    });
  }
  return [...names, ...bodies.flatMap((body) => (parseSource(body).errors.length === 0 ? relationsOf(body) : []))];
}

const quotedName = (name: string): string => name.split('.').map(quoteIdentifier).join('.');

/** The table an alias of a statement stands for (`t` in `UPDATE a ... FROM teams AS t`). */
function relationOfAlias(sql: string, alias: string): string | undefined {
  let found: string | undefined;
  for (const statement of parseSource(sql).statements) {
    walk(statement.node, (type, fields) => {
      const relation = type === 'RangeVar' ? (fields as RangeVar) : undefined;
      const name = nameOfRangeVar(relation);
      if (name && found === undefined && (relation?.alias?.aliasname ?? name.name) === alias) found = displayName(name);
    });
  }
  return found;
}

/** A table guessed for a name: a key to point foreign keys at, in a schema created on the way. */
function guessedTable(name: string): string {
  const schema = name.includes('.') ? `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(name.split('.')[0] ?? '')}; ` : '';
  return `${schema}CREATE TABLE ${quotedName(name)} (id bigint PRIMARY KEY)`;
}

/** The object a scaffold statement creates, by its unqualified name: what a later repair may have to replace. */
function createdBy(sql: string): { at: number; name: string; qualified: string } | undefined {
  const created = /CREATE (?:TABLE|TYPE) ((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?) /.exec(sql);
  if (!created?.[1]) return undefined;
  const qualified = created[1];
  return { at: created.index, qualified, name: (qualified.split('.').at(-1) ?? '').replace(/^"|"$/g, '') };
}

/**
 * What an object guessed as a plain table (or an enum) must be instead, from PostgreSQL's "is not a
 * view" kind of error, built under the guessed name. A small hash of the name gives each partition a
 * list value of its own.
 */
function rightKind(message: string, qualified: string): string | undefined {
  const bare = qualified.split('.').at(-1) ?? qualified;
  if (/ is not a view$/.test(message)) return `CREATE VIEW ${qualified} AS SELECT 1::bigint AS id`;
  // REFRESH ... CONCURRENTLY needs a unique index covering all rows.
  if (/ is not a materialized view$/.test(message)) return `CREATE MATERIALIZED VIEW ${qualified} AS SELECT 1::bigint AS id; CREATE UNIQUE INDEX ON ${qualified} (id)`;
  if (/ is not an index$/.test(message)) return `CREATE TABLE IF NOT EXISTS scaffold_indexed (id bigint); CREATE INDEX ${bare} ON scaffold_indexed (id)`;
  if (/ is not a domain$/.test(message)) return `CREATE DOMAIN ${qualified} AS text`;
  if (/^table ".*" is not partitioned$/.test(message)) return `CREATE TABLE ${qualified} (id bigint PRIMARY KEY) PARTITION BY LIST (id)`;
  return undefined;
}

const WRONG_KIND = /^(?:table )?"?([^"\s]+)"? is not (?:a view|a materialized view|an index|a domain|partitioned)$/;

/** A list value of its own for a partition: from its name, away from the keys of generated rows. */
function partitionValue(name: string): number {
  let hash = 7;
  for (let index = 0; index < name.length; index++) hash = (hash * 31 + name.charCodeAt(index)) % 1_000_000;
  return 1000 + hash;
}

/**
 * The scaffold that makes the error not happen again: `scaffold` with what is missing added, or a
 * guess of the wrong kind replaced; undefined when the error is not about the schema.
 */
export function repairFor(error: { code: string | undefined; message: string }, sql: string, scaffold: readonly string[]): string[] | undefined {
  const wrongKind = WRONG_KIND.exec(error.message)?.[1];
  if (wrongKind !== undefined) {
    const guess = scaffold.findIndex((entry) => createdBy(entry)?.name === wrongKind);
    const entry = scaffold[guess];
    const created = createdBy(entry ?? '');
    const replacement = created && rightKind(error.message, created.qualified);
    // What came before the guess in its entry (the schema it is in) stays.
    return entry === undefined || created === undefined || replacement === undefined ? undefined : scaffold.with(guess, entry.slice(0, created.at) + replacement);
  }
  const partition = /^relation "([^"]+)" is not a partition of relation "([^"]+)"$/.exec(error.message);
  if (partition?.[1] && partition[2]) {
    return [...scaffold, `ALTER TABLE ${quotedName(partition[2])} ATTACH PARTITION ${quotedName(partition[1])} FOR VALUES IN (${partitionValue(partition[1])})`];
  }
  const repair = missingObject(error, sql);
  // A repair made already that did not help: the error is about something else (a column the statement itself dropped).
  return repair === undefined || scaffold.includes(repair) ? undefined : [...scaffold, repair];
}

/** What to create so that the error does not happen again; undefined when the error is not about something missing. */
function missingObject(error: { code: string | undefined; message: string }, sql: string): string | undefined {
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
      return guessedTable(quoted);
    }
    case '42P07': {
      // The index of a guessed table's primary key, in the way of an index the statement builds under that name.
      const table = firstRelation;
      return quoted?.endsWith('_pkey') && table !== undefined ? `ALTER TABLE ${quotedName(table)} DROP CONSTRAINT ${quoteIdentifier(quoted)}` : undefined;
    }
    case '42701': {
      // A column the statement adds, which a guessed table already has (its `id`).
      const table = /of relation "([^"]+)"/.exec(error.message)?.[1];
      return quoted === undefined || table === undefined ? undefined : `ALTER TABLE ${quotedName(table)} DROP COLUMN ${quoteIdentifier(quoted)}`;
    }
    case '42703': {
      // `column t.name does not exist`: a column of the table the alias `t` stands for.
      const column = quoted ?? /^column ([\w.]+) does not exist/.exec(error.message)?.[1];
      if (column === undefined) return undefined;
      const dot = column.indexOf('.');
      const [alias, aliased] = dot === -1 ? [undefined, column] : [column.slice(0, dot), column.slice(dot + 1)];
      const table = /of relation "([^"]+)"/.exec(error.message)?.[1] ?? (alias === undefined ? firstRelation : relationOfAlias(sql, alias));
      if (table === undefined) return undefined;
      return `ALTER TABLE ${alias === undefined ? quotedName(table) : table} ADD COLUMN ${quoteIdentifier(aliased)} ${columnType(aliased)}`;
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
    case '42883':
      return missingRoutine(error.message, sql);
    default:
      return undefined;
  }
}

/**
 * A function or procedure of the signature the error names (`function public.agent_score(bigint)
 * does not exist`), or without arguments when named alone (`ALTER FUNCTION f SET ...`): a trigger's
 * function, a uuid when its name says so, else text.
 */
function missingRoutine(message: string, sql: string): string | undefined {
  const signed = /^(function|procedure) ([\w."]+)\(([^)]*)\) does not exist/.exec(message);
  const named = /^could not find a (function|procedure) named "([^"]+)"/.exec(message);
  const [kind, name, args] = signed ? [signed[1], signed[2], signed[3] ?? ''] : named ? [named[1], quotedName(named[2] ?? ''), ''] : [];
  if (kind === undefined || name === undefined) return undefined;
  if (kind === 'procedure') return `CREATE PROCEDURE ${name}(${args}) LANGUAGE sql AS $$ SELECT 1 $$`;
  if (/EXECUTE (FUNCTION|PROCEDURE)/i.test(sql)) return `CREATE FUNCTION ${name}(${args}) RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`;
  if (/uuid/i.test(name)) return `CREATE FUNCTION ${name}(${args}) RETURNS uuid LANGUAGE sql AS $$ SELECT md5(random()::text)::uuid $$`;
  return `CREATE FUNCTION ${name}(${args}) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$`;
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
  let scaffold: readonly string[] = [...(options.setup ?? [])];
  const tried = new Set<string>();
  for (;;) {
    tried.add(scaffold.join(';\n'));
    await cleanDatabase(session);
    await applyScaffold(session, scaffold);
    let failure: { index: number; message: string; repaired: string[] | undefined } | undefined;
    for (const [index, sql] of statements.entries()) {
      // The fixture's own statements may leave a transaction open (the hazard its finding is about); what follows runs after it.
      if (index === options.tolerated) await session.run('COMMIT');
      try {
        await session.run(sql);
      } catch (error) {
        const fields = serverErrorOf(error);
        if (!fields) throw error;
        const repaired = repairFor(fields, sql, scaffold);
        const fresh = repaired !== undefined && !tried.has(repaired.join(';\n'));
        // The first `tolerated` statements are a fixture's own, some of them failing on purpose (a column dropped twice).
        if (!fresh && index < (options.tolerated ?? 0)) {
          await session.run('ROLLBACK').catch(() => undefined);
          continue;
        }
        failure = { index, message: fields.message, repaired: fresh ? repaired : undefined };
        break;
      }
    }
    if (!failure) return { scaffold, failure: undefined };
    if (failure.repaired === undefined || tried.size >= 40) return { scaffold, failure: { index: failure.index, message: failure.message } };
    scaffold = failure.repaired;
  }
}
