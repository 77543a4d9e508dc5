import {
  type AlterTableCmd,
  type QualifiedName,
  type StatementContext,
  type TypeChangeVerdict,
  defineRule,
  displayName,
  formatTypeName,
  nodeOf,
  quoteIdentifier,
  timeZoneIsUtc,
  typeChangeVerdict,
} from '../src/api.js';
import { changeOfExistingTable } from './support/alter-table.js';
import { expandContract, rowExpression } from './support/expand-contract.js';
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
      'where the stored values stay valid are free: `varchar(n)` to `varchar(m)` with m ≥ n or to `text`,',
      '`numeric(p,s)` to `numeric(q,s)` with q ≥ p or to unconstrained `numeric`, `varbit` widening, `cidr` to',
      '`inet`, and `timestamp` to `timestamptz` when the session time zone is UTC (PostgreSQL 12+). A `USING`',
      'clause always rewrites. When the history does not show the column\'s old type, the finding says so.',
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
    versions: 'timestamp to timestamptz is free only from PostgreSQL 12, and only when the session time zone is UTC.',
  },
  create() {
    return {
      AlterTableStmt(node, statement) {
        const change = changeOfExistingTable(node, statement);
        if (!change) return;
        for (const command of change.commands) {
          if (command.subtype !== 'AT_AlterColumnType' || command.name === undefined) continue;
          const definition = nodeOf(command.def, 'ColumnDef');
          const oldType = statement.schema.column(change.table, command.name)?.type;
          const verdict = typeChangeVerdict(oldType, definition?.typeName, definition?.raw_default !== undefined, timeZoneIsUtc(statement.settings));
          if (verdict.rewrites === false) continue;
          statement.report({
            message: message(change.table, command.name, formatTypeName(definition?.typeName) ?? 'the new type', verdict),
            help: help(statement, change.table, command),
            lock: formLock(statement, 'alter-column-type'),
          });
        }
      },
    };
  },
});

function message(table: QualifiedName, column: string, type: string, verdict: TypeChangeVerdict): string {
  const tableName = displayName(table);
  const change = `ALTER COLUMN ${quoteIdentifier(column)} TYPE ${type} on existing table ${tableName}`;
  const outage = `every read and write of ${tableName} waits until it finishes`;
  if (verdict.rewrites === 'unknown') {
    return `${change} rewrites the table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock (${outage}), unless the change is binary compatible: ${verdict.reason}.`;
  }
  return `${change} rewrites the table and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock (${verdict.reason}): ${outage}.`;
}

function help(statement: StatementContext, table: QualifiedName, command: AlterTableCmd): string {
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
  return [...carryOver, replacement].join('\n');
}
