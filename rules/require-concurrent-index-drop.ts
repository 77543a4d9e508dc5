import { type ConstraintState, type QualifiedName, type ReportDescriptor, type StatementContext, defineRule, displayName, namesOfObjects, nameOfRangeVar } from '../src/api.js';
import { columnsDroppedBy } from './support/alter-table.js';
import { ReportsUntilCommit } from './support/deferred.js';
import { concurrentlyFixes } from './support/fixes.js';
import { migrationOfItsOwn } from './support/help.js';

export default defineRule({
  id: 'require-concurrent-index-drop',
  meta: {
    description: 'DROP INDEX without CONCURRENTLY locks the whole table against reads and writes.',
    severity: 'warn',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      'A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index\'s table. The drop itself is quick, but',
      'the lock has to wait for every query running on the table, and while it waits every later read and',
      'write of the table queues behind it; inside a transaction it is held until the commit.',
      '`DROP INDEX CONCURRENTLY` waits for those queries without blocking anyone. It must run outside a',
      'transaction block, drops one index per statement and cannot CASCADE.',
      '',
      'Not reported: an index created earlier in the same migration, an index of a table created in it, an',
      'index of a partitioned table (PostgreSQL cannot drop those concurrently), `DROP INDEX IF EXISTS` of an',
      'index the history already dropped (with its table, with a column it uses, or with the constraint it',
      'served) or of `<table>.<index>` (a table\'s name where the schema goes: no such schema, PostgreSQL skips',
      'the statement), and an index whose table, or one of whose columns, the same transaction drops later: the index',
      'goes with it, and that drop holds the same lock until the commit anyway.',
      '',
      'An index that serves a PRIMARY KEY, UNIQUE or EXCLUDE constraint cannot be dropped at all, with or without',
      'CONCURRENTLY: PostgreSQL refuses, and the finding says to drop the constraint instead.',
    ].join('\n'),
    bad: 'DROP INDEX idx_agents_status;',
    good: ['-- In a migration of its own, run without a transaction block:', 'DROP INDEX CONCURRENTLY IF EXISTS idx_agents_status;'].join('\n'),
  },
  create() {
    // A report waits for the end of its transaction: a later drop of the index's table or column takes it along.
    const drops = new ReportsUntilCommit<{ readonly table: string; readonly columns: readonly string[] }>();
    return {
      Statement(node, statement) {
        drops.next(statement);
        if ('DropStmt' in node && (node.DropStmt.removeType === 'OBJECT_TABLE' || node.DropStmt.removeType === 'OBJECT_MATVIEW')) {
          const dropped = new Set(namesOfObjects(node.DropStmt.objects).map((name) => statement.schema.key(name)));
          drops.withdraw((drop) => dropped.has(drop.table));
        }
        if ('AlterTableStmt' in node) {
          const name = nameOfRangeVar(node.AlterTableStmt.relation);
          const key = name && statement.schema.key(name);
          const columns = new Set(columnsDroppedBy(node.AlterTableStmt));
          drops.withdraw((drop) => drop.table === key && drop.columns.some((column) => columns.has(column)));
        }
      },
      'File:exit': drops.flush,
      DropStmt(node, statement) {
        if (node.removeType !== 'OBJECT_INDEX' || node.concurrent) return;
        // DROP INDEX IF EXISTS of an index the history saw go (with its table, column or constraint) does nothing.
        const named = namesOfObjects(node.objects).filter((index) => !(node.missing_ok === true && (statement.schema.isDroppedIndex(index) || inTableNotSchema(statement, index))));
        const backing = named.map((index) => constraintOf(statement, index)).find((found) => found !== undefined);
        if (backing) {
          statement.report(constraintIndexDrop(backing));
          return;
        }
        const indexes = named.filter((index) => needsConcurrently(statement, index));
        if (indexes.length === 0) return;
        const names = indexes.map(displayName).join(', ');
        const tables = new Set(indexes.map((index) => tableOf(statement, index)));
        const [table] = tables;
        const tableName = tables.size === 1 && table !== undefined ? displayName(table) : indexes.length === 1 ? 'its table' : 'their tables';
        // CONCURRENTLY drops one index, and cannot CASCADE: only then is adding it the whole change.
        const alone = (node.objects ?? []).length === 1 && node.behavior !== 'DROP_CASCADE';
        const descriptor: ReportDescriptor = {
          message: `DROP INDEX ${names} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on ${tableName}: it waits for every running query on ${tableName}, and every read and write queued behind it waits too, until the drop commits.`,
          help: concurrentDropHelp(statement, indexes, node.behavior === 'DROP_CASCADE'),
          ...(alone ? concurrentlyFixes(statement) : {}),
        };
        const index = indexes.length === 1 && indexes[0] ? statement.schema.index(indexes[0]) : undefined;
        if (index) drops.hold(statement, descriptor, { table: index.table, columns: index.columns });
        else statement.report(descriptor);
      },
    };
  },
});

/** The PRIMARY KEY, UNIQUE or EXCLUDE constraint an index serves: PostgreSQL refuses to drop such an index. */
interface ConstraintIndex {
  readonly index: QualifiedName;
  readonly table: QualifiedName;
  readonly constraint: string;
  readonly kind: string;
}

const INDEXED_CONSTRAINTS: Partial<Record<ConstraintState['kind'], string>> = { 'primary-key': 'PRIMARY KEY', unique: 'UNIQUE', exclusion: 'EXCLUDE' };

function constraintOf(statement: StatementContext, name: QualifiedName): ConstraintIndex | undefined {
  const index = statement.schema.index(name);
  const table = index ? statement.schema.tables.get(index.table) : undefined;
  const constraint = index && table?.constraints.get(index.name.name);
  const kind = constraint ? INDEXED_CONSTRAINTS[constraint.kind] : undefined;
  if (!table || !constraint || kind === undefined) return undefined;
  return { index: name, table: table.name, constraint: constraint.name, kind };
}

function constraintIndexDrop({ index, table, constraint, kind }: ConstraintIndex): ReportDescriptor {
  const tableName = displayName(table);
  return {
    message: `DROP INDEX ${displayName(index)} fails: the index serves the ${kind} constraint ${constraint} of ${tableName}, and PostgreSQL refuses to drop it (\`cannot drop index ${index.name} because constraint ${constraint} on table ${table.name} requires it\`).`,
    help: [
      `-- Drop the constraint: its index goes with it (a brief ACCESS EXCLUSIVE lock on ${tableName}; a foreign key that references it must be dropped first).`,
      `ALTER TABLE ${tableName} DROP CONSTRAINT ${constraint};`,
    ].join('\n'),
  };
}

/** Indexes that other sessions may be using: not created in this migration, not on a new or partitioned table. */
function needsConcurrently(statement: StatementContext, name: QualifiedName): boolean {
  const index = statement.schema.index(name);
  if (statement.schema.isNew(index?.origin)) return false;
  const table = index ? statement.schema.tables.get(index.table) : undefined;
  return !statement.schema.isNew(table?.origin) && table?.kind !== 'partitioned-table';
}

/** `<table>.<index>`: a schema the history never created, named like one of its tables. PostgreSQL skips it under IF EXISTS. */
function inTableNotSchema(statement: StatementContext, name: QualifiedName): boolean {
  return name.schema !== undefined && statement.schema.index(name) === undefined && statement.schema.namespace(name.schema) === undefined
    && statement.schema.table({ schema: undefined, name: name.schema }) !== undefined;
}

function tableOf(statement: StatementContext, index: QualifiedName | undefined): QualifiedName | undefined {
  const key = index ? statement.schema.index(index)?.table : undefined;
  return key === undefined ? undefined : statement.schema.tables.get(key)?.name;
}

function concurrentDropHelp(statement: StatementContext, indexes: readonly QualifiedName[], cascade: boolean): string {
  return migrationOfItsOwn(
    statement,
    [
      ...(cascade ? ['-- CONCURRENTLY cannot CASCADE: drop what depends on the index (such as a foreign key using it) first.'] : []),
      ...(indexes.length > 1 ? ['-- CONCURRENTLY drops one index per statement:'] : []),
      ...indexes.map((index) => `DROP INDEX CONCURRENTLY IF EXISTS ${displayName(index)};`),
    ].join('\n'),
  );
}
