import {
  type Node,
  type QualifiedName,
  type StatementContext,
  defineRule,
  displayName,
  formatTypeName,
  lostInConversion,
  nameOfRangeVar,
  namesOfObjects,
  nodeOf,
  quoteIdentifier,
  stringsOf,
} from '../src/api.js';
import { BACKUP_FIRST, columnUnusedDirective, keyColumn } from './support/help.js';

const BACKUP = 'a backup taken before this migration is the only way back.';
const BACKUP_IS_THE_WAY_BACK = `no rollback script can bring them back; ${BACKUP}`;

/** What a migration copied aside with CREATE TABLE ... AS: whole tables, or some of their columns. */
type Kept = Map<string, 'all' | Set<string>>;

export default defineRule({
  id: 'irreversible-migration',
  meta: {
    description: 'A migration that destroys data (a dropped table or column, a lossy type change), so no rollback can restore it.',
    severity: 'warn',
    preset: 'strict',
    category: 'rollback',
    hazard: [
      'A rollback script can recreate a dropped table or column, or change a type back, but not the values',
      'that were in it: once the migration commits they are gone. If the deploy has to be rolled back, the',
      'schema comes back empty where the data was, and a backup taken before the migration is the only way',
      'back. DROP TABLE, DROP COLUMN and type changes that round or cut values (numeric(10,4) to',
      'numeric(10,2), a timestamp to a date, a float to an integer) are reported; TRUNCATE and DROP ... CASCADE',
      'are `destructive-operation`\'s.',
      '',
      'Not reported: dropping or converting what the same migration created, and what it first copied aside',
      '(`CREATE TABLE ... AS SELECT` of those columns, or `AS TABLE`): a rollback can restore from the copy.',
      'In the strict preset: dropping is sometimes the point (the last step after a deprecation',
      'period), and the reminder is to have the backup.',
    ].join('\n'),
    bad: 'ALTER TABLE agents DROP COLUMN legacy_score;',
    good: [
      '-- Keep the values where a rollback can restore them from, in the migration that drops the column:',
      'CREATE TABLE agents_legacy_score_backup AS SELECT id, legacy_score FROM agents;',
      '-- migrate-safe-ignore drop-column: no running code uses legacy_score since release 2024.06',
      'ALTER TABLE agents DROP COLUMN legacy_score;',
    ].join('\n'),
  },
  create(context) {
    if (context.file.part !== 'up') return {};
    const kept: Kept = new Map();
    const isKept = (statement: StatementContext, table: QualifiedName, column?: string): boolean => {
      const copy = kept.get(statement.schema.key(table));
      return copy === 'all' || (column !== undefined && copy?.has(column) === true);
    };
    return {
      CreateTableAsStmt(node, statement) {
        const copy = copiedColumns(node.query);
        if (!copy) return;
        const key = statement.schema.key(copy.table);
        const earlier = kept.get(key);
        kept.set(key, copy.columns === 'all' || earlier === 'all' ? 'all' : new Set([...(earlier ?? []), ...copy.columns]));
      },
      DropStmt(node, statement) {
        if (node.removeType !== 'OBJECT_TABLE') return;
        for (const name of namesOfObjects(node.objects)) {
          if (statement.schema.isNewTable(name) || isKept(statement, name)) continue;
          statement.report({ message: `DROP TABLE ${displayName(name)} deletes its rows for good: ${BACKUP_IS_THE_WAY_BACK}`, help: tableBackup(name), lock: null });
        }
      },
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || node.objtype !== 'OBJECT_TABLE' || statement.schema.isNewTable(table)) return;
        for (const command of node.cmds ?? []) {
          const cmd = nodeOf(command, 'AlterTableCmd');
          const column = cmd?.name === undefined ? undefined : statement.schema.column(table, cmd.name);
          if (!cmd?.name || statement.schema.isNew(column?.origin) || isKept(statement, table, cmd.name)) continue;
          const shown = `${displayName(table)}.${quoteIdentifier(cmd.name)}`;
          if (cmd.subtype === 'AT_DropColumn') {
            statement.report({ message: `DROP COLUMN ${shown} deletes its values for good: ${BACKUP_IS_THE_WAY_BACK}`, help: columnBackup(statement, table, cmd.name, 'drop'), lock: null });
          } else if (cmd.subtype === 'AT_AlterColumnType') {
            const newType = nodeOf(cmd.def, 'ColumnDef')?.typeName;
            const lost = lostInConversion(column?.type, newType);
            if (lost === undefined) continue;
            const conversion = `${formatTypeName(column?.type) ?? 'the old type'} to ${formatTypeName(newType) ?? 'the new type'}`;
            statement.report({
              message: `Changing ${shown} from ${conversion} ${lost}: changing the type back cannot restore the original values; ${BACKUP}`,
              help: columnBackup(statement, table, cmd.name, 'convert'),
              lock: null,
            });
          }
        }
      },
    };
  },
});

/** The table a `CREATE TABLE ... AS` copies from, and which of its columns (`*` and `TABLE t`: all). */
function copiedColumns(query: Node | undefined): { table: QualifiedName; columns: 'all' | string[] } | undefined {
  const select = nodeOf(query, 'SelectStmt');
  const [source, ...others] = select?.fromClause ?? [];
  const table = nameOfRangeVar(nodeOf(source, 'RangeVar'));
  if (!table || others.length > 0) return undefined;
  const columns: string[] = [];
  for (const target of select?.targetList ?? []) {
    const fields = nodeOf(nodeOf(target, 'ResTarget')?.val, 'ColumnRef')?.fields ?? [];
    if (fields.some((field) => nodeOf(field, 'A_Star') !== undefined)) return { table, columns: 'all' };
    const name = stringsOf(fields).at(-1);
    if (name !== undefined) columns.push(name);
  }
  return { table, columns };
}

function tableBackup(table: QualifiedName): string {
  const file = `${table.name}.dump`;
  return [
    BACKUP_FIRST,
    `-- or this table alone: pg_dump $SUPABASE_DB_URL --table=${displayName(table)} --format=custom --file=${file}`,
    `-- A rollback then restores it with: pg_restore --dbname=$SUPABASE_DB_URL ${file}`,
  ].join('\n');
}

/** Copies the column's values, with the row key, into a side table the rollback restores them from. */
function columnBackup(statement: StatementContext, table: QualifiedName, column: string, change: 'drop' | 'convert'): string {
  const key = keyColumn(statement, table);
  const backup = quoteIdentifier(`${table.name}_${column}_backup`);
  const shownTable = displayName(table);
  const shownColumn = quoteIdentifier(column);
  const type = formatTypeName(statement.schema.column(table, column)?.type) ?? '<type>';
  return [
    `-- In this migration, before the ${change === 'drop' ? 'drop' : 'type change'}: keep the values where a rollback can restore them from.`,
    `CREATE TABLE ${backup} AS SELECT ${key}, ${shownColumn} FROM ${shownTable};`,
    ...(change === 'drop'
      ? [columnUnusedDirective(shownColumn), `ALTER TABLE ${shownTable} DROP COLUMN ${shownColumn};`]
      : // The conversion itself stays as written; column-type-change's help shows how to make it without a rewrite.
        [`-- then the type change: ${statement.statement.text.replace(/\s+/g, ' ')};`]),
    '-- Its rollback restores them:',
    change === 'drop' ? `-- ALTER TABLE ${shownTable} ADD COLUMN ${shownColumn} ${type};` : `-- ALTER TABLE ${shownTable} ALTER COLUMN ${shownColumn} TYPE ${type};`,
    `-- UPDATE ${shownTable} SET ${shownColumn} = ${backup}.${shownColumn} FROM ${backup} WHERE ${shownTable}.${key} = ${backup}.${key};`,
  ].join('\n');
}
