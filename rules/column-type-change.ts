import {
  type AlterTableCmd,
  type ColumnDef,
  type ConstraintState,
  type IndexState,
  type QualifiedName,
  type StatementContext,
  type TypeName,
  type TypeChangeVerdict,
  defineRule,
  displayName,
  formatTypeName,
  nodeOf,
  quoteIdentifier,
  sqlOf,
  timeZoneIsUtc,
  typeChangeVerdict,
} from '../src/api.js';
import { changeOfTableWithManyRows } from './support/alter-table.js';
import { expandContract, rowExpression } from './support/expand-contract.js';
import { migrationStep } from './support/help.js';
import { formLock } from './support/locks.js';

export default defineRule({
  id: 'column-type-change',
  meta: {
    description: 'ALTER COLUMN ... TYPE rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, unless the change is binary compatible.',
    severity: 'error',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'Changing a column\'s type makes PostgreSQL rewrite every row and rebuild every index of the table while',
      'holding an ACCESS EXCLUSIVE lock: every read and write waits, for minutes on a large table. Only changes',
      'where the stored values stay valid rewrite nothing: `varchar(n)` to `varchar(m)` with m ≥ n or to `text`,',
      '`numeric(p,s)` to `numeric(q,s)` with q ≥ p or to unconstrained `numeric`, `varbit` widening, `cidr` to',
      '`inet`, and `timestamp` to `timestamptz` or back (PostgreSQL 12+, in a session whose time zone is UTC, to a',
      'precision of 6 or none). A `USING` clause always rewrites. When the history does not show the column\'s',
      'old type, the finding says so.',
      '',
      'A change that rewrites no row still works under the lock, reading the whole table: the indexes on the',
      'column are built again when their operator class changes (`timestamp` to `timestamptz`), and every CHECK',
      'constraint that uses the column is checked again. It is reported when the history shows such an index or',
      'constraint, with a plan that drops them first and builds them again without blocking.',
      '',
      'The session\'s time zone is what the file sets (`SET timezone`, `SET LOCAL`, `SET TIME ZONE`, `set_config`),',
      'else the `timeZone` setting (the time zone the migration tool\'s sessions start with: the server\'s',
      '`timezone`). A zone with no offset from UTC counts (`UTC`, `Etc/UTC`, `GMT`, `+00:00`); `Europe/London`',
      'does not.',
      '',
      'Expand and contract instead: add a column of the new type, keep both columns in sync with a trigger',
      '(two-way: each application version writes only its own column, see rename-column), backfill it in',
      'batches, switch the application to it, and drop the old column in a later migration. With a `USING`',
      'expression nothing computes the old value back: the new version writes both columns until the old one goes.',
    ].join('\n'),
    bad: 'ALTER TABLE agents ALTER COLUMN score TYPE bigint;',
    good: [
      '-- Migration 1: a column of the new type, both columns kept in sync',
      'ALTER TABLE agents ADD COLUMN score_new bigint;',
      'CREATE OR REPLACE FUNCTION agents_sync_score_new() RETURNS trigger LANGUAGE plpgsql AS $$',
      'BEGIN',
      "  IF TG_OP = 'INSERT' THEN",
      '    IF NEW.score_new IS NULL THEN',
      '      NEW.score_new := NEW.score::bigint;',
      '    ELSE',
      '      NEW.score := NEW.score_new::integer;',
      '    END IF;',
      '  ELSIF NEW.score_new IS DISTINCT FROM OLD.score_new THEN',
      '    NEW.score := NEW.score_new::integer;',
      '  ELSIF NEW.score IS DISTINCT FROM OLD.score THEN',
      '    NEW.score_new := NEW.score::bigint;',
      '  END IF;',
      '  RETURN NEW;',
      'END;',
      '$$;',
      'CREATE TRIGGER agents_sync_score_new BEFORE INSERT OR UPDATE ON agents',
      '  FOR EACH ROW EXECUTE FUNCTION agents_sync_score_new();',
      '-- Backfill in batches (repeat until 0 rows):',
      'UPDATE agents SET score_new = score::bigint',
      'WHERE id IN (SELECT id FROM agents WHERE score_new IS DISTINCT FROM score::bigint LIMIT 10000);',
      '-- Deploy the application using score_new; then, once no running code uses score:',
      '-- Migration 2: drop the sync trigger and score',
      'DROP TRIGGER agents_sync_score_new ON agents;',
      'DROP FUNCTION agents_sync_score_new();',
      'ALTER TABLE agents DROP COLUMN score;',
    ].join('\n'),
    versions: [
      'timestamp to timestamptz (or back) rewrites every row before PostgreSQL 12, whatever the time zone; from 12 it',
      'rewrites nothing in a UTC session, but rebuilds the indexes on the column. Both checked on real PostgreSQL',
      '11, 12 and 18 servers (relfilenode before and after).',
    ].join(' '),
  },
  create(context) {
    return {
      AlterTableStmt(node, statement) {
        const change = changeOfTableWithManyRows(node, statement);
        if (!change) return;
        for (const command of change.commands) {
          if (command.subtype !== 'AT_AlterColumnType' || command.name === undefined) continue;
          const definition = nodeOf(command.def, 'ColumnDef');
          const oldType = statement.schema.column(change.table, command.name)?.type;
          const verdict = typeChangeVerdict(oldType, definition?.typeName, definition?.raw_default !== undefined, {
            pgVersion: context.pgVersion,
            timeZoneIsUtc: timeZoneIsUtc(statement.settings),
            timeZoneKnown: statement.settings.timeZone !== undefined,
          });
          if (verdict.rewrites === false) {
            reportRebuilds(statement, change.table, command, verdict);
            continue;
          }
          statement.report({
            message: message(change.table, command.name, formatTypeName(definition?.typeName) ?? 'the new type', verdict),
            help: help(statement, context.pgVersion, change.table, command),
            lock: formLock(statement, 'alter-column-type'),
          });
        }
      },
    };
  },
});

/**
 * A type change that rewrites no row still rebuilds what depends on the column's type, reading the
 * whole table under the ACCESS EXCLUSIVE lock: the indexes on it when their operator class changes
 * (timestamp to timestamptz), and every CHECK constraint that uses it, checked again. Reported when
 * the history shows such an index or constraint.
 */
function reportRebuilds(statement: StatementContext, table: QualifiedName, command: AlterTableCmd, verdict: TypeChangeVerdict & { rewrites: false }): void {
  const column = command.name ?? '';
  const indexes = verdict.rebuildsIndexes ? statement.schema.indexesOn(table).filter((index) => index.columns.includes(column)) : [];
  const checks = [...(statement.schema.table(table)?.constraints.values() ?? [])].filter((constraint) => constraint.kind === 'check' && constraint.validated && constraint.columns.includes(column));
  if (indexes.length === 0 && checks.length === 0) return;
  const tableName = displayName(table);
  const type = formatTypeName(nodeOf(command.def, 'ColumnDef')?.typeName) ?? 'the new type';
  const work = [
    ...(indexes.length === 0 ? [] : [`rebuilds ${indexes.length === 1 ? 'index' : 'indexes'} ${indexes.map((index) => displayName(index.name)).join(', ')}`]),
    ...(checks.length === 0 ? [] : [`checks ${checks.length === 1 ? 'constraint' : 'constraints'} ${checks.map((check) => quoteIdentifier(check.name)).join(', ')} again`]),
  ].join(' and ');
  statement.report({
    message: `ALTER COLUMN ${quoteIdentifier(column)} TYPE ${type} on existing table ${tableName} rewrites no row (${verdict.reason}), but it ${work}, reading all of ${tableName} while it holds ACCESS EXCLUSIVE: every read and write of ${tableName} waits until that finishes.`,
    help: rebuildHelp(statement, table, command, indexes, checks),
    lock: formLock(statement, 'alter-column-type-binary-coercible') ?? null,
  });
}

/** Take what would be rebuilt out of the way, change the type (catalog only), then build it again without blocking. */
function rebuildHelp(statement: StatementContext, table: QualifiedName, command: AlterTableCmd, indexes: readonly IndexState[], checks: readonly ConstraintState[]): string {
  const tableName = displayName(table);
  const change = `${statement.statement.textSource === undefined ? statement.statement.text : `ALTER TABLE ${tableName} ALTER COLUMN ${quoteIdentifier(command.name ?? '')} TYPE ${formatTypeName(nodeOf(command.def, 'ColumnDef')?.typeName) ?? '<type>'}`};`;
  // The type change is a migration of its own: its session must be in UTC itself.
  const zone = utcSession(statement.file.transactionMode !== 'none', change);
  const rebuilt = indexes.map((index) => {
    const columns = index.columns.map(quoteIdentifier).join(', ');
    return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${quoteIdentifier(index.name.name)} ON ${tableName} (${columns});`;
  });
  const steps: [string, string][] = [];
  if (indexes.length > 0) {
    steps.push(['drop the indexes on the column without blocking (no transaction block); queries that use them are slower until they are built again', indexes.map((index) => `DROP INDEX CONCURRENTLY ${displayName(index.name)};`).join('\n')]);
  }
  const reAdded = checks.map((check) => `ALTER TABLE ${tableName} ADD CONSTRAINT ${quoteIdentifier(check.name)} CHECK (${sqlOf(check.condition) ?? '<its condition>'}) NOT VALID;`);
  steps.push(['the type change alone: catalog only, a brief lock', [...checks.map((check) => `ALTER TABLE ${tableName} DROP CONSTRAINT ${quoteIdentifier(check.name)};`), ...zone, ...reAdded].join('\n')]);
  const again = [
    ...(rebuilt.length === 0 ? [] : ['-- Each index as it was defined before (add its expressions or WHERE clause, if it had any):', ...rebuilt]),
    ...checks.map((check) => `ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${quoteIdentifier(check.name)};`),
  ];
  const last = indexes.length === 0 ? 'check the constraints again' : checks.length === 0 ? 'build the indexes again' : 'build the indexes again and check the constraints';
  steps.push([`${last} while reads and writes continue${indexes.length === 0 ? '' : ' (no transaction block)'}`, again.join('\n')]);
  return steps.map(([title, sql], index) => migrationStep(index + 1, title, sql)).join('\n');
}

function message(table: QualifiedName, column: string, type: string, verdict: TypeChangeVerdict): string {
  const tableName = displayName(table);
  const change = `ALTER COLUMN ${quoteIdentifier(column)} TYPE ${type} on existing table ${tableName}`;
  const outage = `every read and write of ${tableName} waits until it finishes`;
  if (verdict.rewrites === 'unknown') {
    return `${change} rewrites the table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock (${outage}), unless the change is binary compatible: ${verdict.reason}.`;
  }
  return `${change} rewrites the table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock (${verdict.reason}): ${outage}.`;
}

function help(statement: StatementContext, pgVersion: number, table: QualifiedName, command: AlterTableCmd): string {
  const column = command.name ?? '';
  const definition = nodeOf(command.def, 'ColumnDef');
  const type = formatTypeName(definition?.typeName) ?? '<new type>';
  const from = quoteIdentifier(column);
  // USING computes the new value from the row; without it the value is cast.
  const using = definition?.raw_default ? rowExpression(definition.raw_default) : undefined;
  const oldType = formatTypeName(statement.schema.column(table, column)?.type);
  // Without a known old type, PL/pgSQL's assignment converts the value to the old column's type.
  const back = `NEW.${quoteIdentifier(`${column}_new`)}${oldType === undefined ? '' : `::${oldType}`}`;
  const value = using
    ? { inTrigger: using.inTrigger, inBackfill: using.sql, back: undefined }
    : { inTrigger: `NEW.${from}::${type}`, inBackfill: `${from}::${type}`, back };
  const replacement = expandContract(statement, { table, from, to: quoteIdentifier(`${column}_new`), type, value });
  const old = statement.schema.column(table, column);
  const carryOver = old?.notNull || old?.hasDefault ? [`-- Give ${quoteIdentifier(`${column}_new`)} the default and NOT NULL of ${from} too, without long locks (see set-not-null-scan).`] : [];
  return [...utcShortcut(statement, pgVersion, old?.type, definition), ...carryOver, replacement].join('\n');
}

/** timestamp to timestamptz (or back) outside a UTC session on PostgreSQL 12+: a UTC session rewrites nothing. */
function utcShortcut(statement: StatementContext, pgVersion: number, oldType: TypeName | undefined, definition: ColumnDef | undefined): string[] {
  if (definition?.raw_default !== undefined || !oldType) return [];
  const inUtc = typeChangeVerdict(oldType, definition?.typeName, false, { pgVersion, timeZoneIsUtc: true });
  if (inUtc.rewrites !== false) return [];
  return [
    "-- If the stored values are UTC wall-clock times: in a session whose time zone is UTC, PostgreSQL 12+ rewrites no row",
    '-- (the indexes on the column are still rebuilt):',
    ...utcSession(statement.transaction.inBlock, `${statement.statement.text};`),
    '-- Otherwise, expand and contract:',
  ];
}

/** SQL run in a UTC session: SET LOCAL inside a transaction block; outside one, SET and RESET (SET LOCAL would do nothing). */
function utcSession(inTransaction: boolean, sql: string): string[] {
  return inTransaction ? ["SET LOCAL timezone = 'UTC';", sql] : ["SET timezone = 'UTC';", sql, 'RESET timezone;'];
}
