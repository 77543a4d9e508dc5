import { type Constraint, type IndexState, type QualifiedName, type StatementContext, constraintsOf, defineRule, displayName, nameOfRangeVar, nodeOf, quoteIdentifier, stringsOf } from '../src/api.js';
import { migrationOfItsOwn } from './support/help.js';

export default defineRule({
  id: 'foreign-key-without-index',
  meta: {
    description: 'A foreign key whose referencing columns no index leads with: every delete or key change on the referenced table reads the whole referencing table.',
    severity: 'warn',
    preset: 'strict',
    category: 'locking',
    hazard: [
      'PostgreSQL indexes the referenced side of a foreign key (its primary key or unique constraint), never the',
      'referencing side. Each `DELETE` of a referenced row, and each change of its key, must find the rows that',
      'point at it: without an index on the referencing columns that is a sequential scan of the whole',
      'referencing table, per deleted row, holding its locks meanwhile; `ON DELETE CASCADE` and `SET NULL` then',
      'lock every row they touch. A delete that took milliseconds takes minutes once the referencing table grows,',
      'and joins along the key get no index either. Supabase\'s database linter reports these foreign keys',
      '(`unindexed_foreign_keys`).',
      '',
      'Index the referencing columns (an index whose first columns are exactly them). On a table created in the',
      'same migration a plain `CREATE INDEX` there is fine; on a table in use, build it with `CREATE INDEX',
      'CONCURRENTLY` in a migration of its own, before the one that adds the foreign key (an index created in a',
      'later migration is not seen here). Judged at the end of the migration, for tables whose indexes the history',
      'shows; in `strict`, since a table that is never deleted from does not need the index.',
    ].join('\n'),
    bad: [
      'CREATE TABLE memberships (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id), agent_id bigint NOT NULL);',
    ].join('\n'),
    good: [
      'CREATE TABLE memberships (id bigint PRIMARY KEY, team_id bigint NOT NULL REFERENCES teams (id), agent_id bigint NOT NULL);',
      'CREATE INDEX memberships_team_id_idx ON memberships (team_id);',
    ].join('\n'),
  },
  create(context) {
    const keys: { readonly table: QualifiedName; readonly columns: readonly string[]; readonly report: () => void }[] = [];
    const add = (statement: StatementContext, table: QualifiedName, constraint: Constraint, columns: readonly string[]): void => {
      if (constraint.contype !== 'CONSTR_FOREIGN' || columns.length === 0) return;
      const newTable = statement.statement.type === 'CreateStmt' || statement.schema.isNewTable(table);
      keys.push({ table, columns, report: () => { report(statement, table, constraint, columns, newTable); } });
    };
    return {
      CreateStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table || node.relation?.relpersistence === 't') return;
        for (const element of node.tableElts ?? []) {
          const column = nodeOf(element, 'ColumnDef');
          if (column?.colname !== undefined) for (const constraint of constraintsOf(column)) add(statement, table, constraint, [column.colname]);
          const constraint = nodeOf(element, 'Constraint');
          if (constraint) add(statement, table, constraint, stringsOf(constraint.fk_attrs));
        }
      },
      AlterTableStmt(node, statement) {
        const table = nameOfRangeVar(node.relation);
        if (!table) return;
        for (const command of node.cmds ?? []) {
          const alter = nodeOf(command, 'AlterTableCmd');
          const column = alter?.subtype === 'AT_AddColumn' ? nodeOf(alter.def, 'ColumnDef') : undefined;
          if (column?.colname !== undefined) for (const constraint of constraintsOf(column)) add(statement, table, constraint, [column.colname]);
          const constraint = alter?.subtype === 'AT_AddConstraint' ? nodeOf(alter.def, 'Constraint') : undefined;
          if (constraint) add(statement, table, constraint, stringsOf(constraint.fk_attrs));
        }
      },
      'File:exit'() {
        for (const key of keys) {
          const table = context.schema.table(key.table);
          // Indexes of a table created before the migrations that were read are unknown.
          if (!table?.columnsKnown || table.kind === 'partitioned-table') continue;
          if (!context.schema.indexesOn(key.table).some((index) => leadsWith(index, key.columns))) key.report();
        }
      },
    };
  },
});

/** An index whose first columns are exactly the key's, in any order; a partial or expression index does not count. */
function leadsWith(index: IndexState, columns: readonly string[]): boolean {
  if (index.unusableForConstraint === 'partial' || index.unusableForConstraint === 'expression') return false;
  const leading = new Set(index.columns.slice(0, columns.length));
  return leading.size === columns.length && columns.every((column) => leading.has(column));
}

function report(statement: StatementContext, table: QualifiedName, constraint: Constraint, columns: readonly string[], isNew: boolean): void {
  const name = displayName(table);
  const referenced = nameOfRangeVar(constraint.pktable);
  const list = columns.map(quoteIdentifier).join(', ');
  const index = quoteIdentifier(`${table.name}_${columns.join('_')}_idx`);
  const create = `CREATE INDEX${isNew ? '' : ' CONCURRENTLY'} IF NOT EXISTS ${index} ON ${name} (${list});`;
  statement.report({
    node: constraint,
    message: `No index on ${name} leads with (${list}), the columns of its foreign key to ${referenced ? displayName(referenced) : 'the referenced table'}: every DELETE of a referenced row, and every change of its key, reads all of ${name} to find the rows that point at it.`,
    help: isNew
      ? ['-- In this migration, after the table is created (nobody uses it yet: no CONCURRENTLY needed):', `${statement.statement.text};`, create].join('\n')
      : ['-- Build the index before the migration that adds the foreign key:', migrationOfItsOwn(statement, create)].join('\n'),
    lock: null,
  });
}
