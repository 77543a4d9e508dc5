import {
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
} from '../src/api.js';
import { keyColumn } from './support/help.js';

const BACKUP = 'a backup taken before this migration is the only way back.';
const BACKUP_IS_THE_WAY_BACK = `no rollback script can bring them back; ${BACKUP}`;

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
      'back. DROP TABLE, DROP COLUMN, TRUNCATE and type changes that round or cut values (numeric(10,4) to',
      'numeric(10,2), a timestamp to a date, a float to an integer) are reported; dropping what the same',
      'migration created is not.',
      '',
      'The help keeps the values where a rollback can find them. In the strict preset: dropping is sometimes',
      'the point (the guide\'s last step after a deprecation period), and the reminder is to have the backup.',
    ].join('\n'),
    bad: 'ALTER TABLE agents DROP COLUMN legacy_score;',
    good: [
      '-- Keep the values where the rollback can restore them from, before dropping the column:',
      'CREATE TABLE agents_legacy_score_backup AS SELECT id, legacy_score FROM agents;',
      'ALTER TABLE agents DROP COLUMN legacy_score;',
    ].join('\n'),
  },
  create(context) {
    if (context.file.part !== 'up') return {};
    return {
      DropStmt(node, statement) {
        if (node.removeType !== 'OBJECT_TABLE') return;
        for (const name of namesOfObjects(node.objects)) {
          if (statement.schema.isNewTable(name)) continue;
          statement.report({ message: `DROP TABLE ${displayName(name)} deletes its rows for good: ${BACKUP_IS_THE_WAY_BACK}`, help: tableBackup(name), lock: null });
        }
      },
      TruncateStmt(node, statement) {
        for (const relation of node.relations ?? []) {
          const name = nameOfRangeVar(nodeOf(relation, 'RangeVar'));
          if (!name || statement.schema.isNewTable(name)) continue;
          statement.report({ message: `TRUNCATE ${displayName(name)} deletes every row: ${BACKUP_IS_THE_WAY_BACK}`, help: tableBackup(name), lock: null });
        }
      },
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || node.objtype !== 'OBJECT_TABLE' || statement.schema.isNewTable(table)) return;
        for (const command of node.cmds ?? []) {
          const cmd = nodeOf(command, 'AlterTableCmd');
          const column = cmd?.name === undefined ? undefined : statement.schema.column(table, cmd.name);
          if (!cmd?.name || statement.schema.isNew(column?.origin)) continue;
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

function tableBackup(table: QualifiedName): string {
  const file = `${table.name}.dump`;
  return [
    '-- Take a backup of the table right before this migration runs, for example:',
    `--   pg_dump "$DATABASE_URL" --table=${displayName(table)} --format=custom --file=${file}`,
    `-- A rollback then restores it with: pg_restore --dbname="$DATABASE_URL" ${file}`,
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
    `-- In this migration, before the ${change === 'drop' ? 'drop' : 'type change'}: keep the values where the rollback can find them.`,
    `CREATE TABLE ${backup} AS SELECT ${key}, ${shownColumn} FROM ${shownTable};`,
    '-- The rollback restores them:',
    change === 'drop' ? `-- ALTER TABLE ${shownTable} ADD COLUMN ${shownColumn} ${type};` : `-- ALTER TABLE ${shownTable} ALTER COLUMN ${shownColumn} TYPE ${type};`,
    `-- UPDATE ${shownTable} SET ${shownColumn} = ${backup}.${shownColumn} FROM ${backup} WHERE ${shownTable}.${key} = ${backup}.${key};`,
  ].join('\n');
}
