import {
  type LockAcquisition,
  type Node,
  type PartitionBoundSpec,
  type PartitionCmd,
  type QualifiedName,
  type StatementContext,
  type TableState,
  constantText,
  defineRule,
  displayName,
  nameOfRangeVar,
  nodeOf,
  quoteIdentifier,
} from '../src/api.js';
import { lockTimeoutHelp, migrationOfItsOwn, migrationStep } from './support/help.js';

export default defineRule({
  id: 'blocking-partition-change',
  meta: {
    description: 'DETACH PARTITION without CONCURRENTLY, and ATTACH PARTITION without a valid CHECK constraint that implies the bound.',
    severity: 'warn',
    preset: 'recommended',
    category: 'locking',
    hazard: [
      '`ALTER TABLE ... DETACH PARTITION` takes ACCESS EXCLUSIVE on the partitioned table: every read and write of',
      'every partition waits for it, and while it waits for running queries to finish, every later query of the',
      'table queues behind it. `DETACH PARTITION ... CONCURRENTLY` (PostgreSQL 14+) takes SHARE UPDATE EXCLUSIVE',
      'instead; it cannot run inside a transaction block, nor while the table has a default partition.',
      '',
      '`ALTER TABLE ... ATTACH PARTITION` reads every row of the new partition, under ACCESS EXCLUSIVE on it, to',
      'check that it fits the partition bound. When the table has a default partition, that one is read too,',
      'under ACCESS EXCLUSIVE, to check it holds no row of the new range: queries of the partitioned table that',
      'reach the default partition wait. PostgreSQL skips a scan when valid constraints of the table prove the',
      'bound: add a `CHECK` constraint matching the bound as `NOT VALID`, `VALIDATE` it (reads and writes continue),',
      'then attach. The key columns must be provably not null too: a `NOT NULL` column, or `col IS NOT NULL` in the CHECK.',
      'On the default partition the CHECK excludes the new range instead: `CHECK (NOT (<the bound as a condition>))`.',
      '',
      'What is recognised: a validated CHECK constraint of the partition (and of the default partition) that uses',
      'every column of the partition key, with each key column NOT NULL or tested `IS NOT NULL` by a validated CHECK',
      '(not needed for a list bound that includes NULL). Whether the condition really implies the bound is not',
      'checked: PostgreSQL decides that, and falls back to the scan when it does not (a wider range does not). When',
      'the partitioned table was created before the migrations read, its key is unknown and any validated CHECK is',
      'accepted. Partitions and tables created earlier in the same migration are not reported.',
    ].join('\n'),
    bad: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
    good: [
      '-- Migration 1: a CHECK constraint matching the bound, added without a scan',
      "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_bound CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01') NOT VALID;",
      '-- Migration 2: validate it while reads and writes continue',
      'ALTER TABLE events_2025 VALIDATE CONSTRAINT events_2025_bound;',
      '-- Migration 3: attach without a scan, then drop the redundant CHECK',
      "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
      'ALTER TABLE events_2025 DROP CONSTRAINT events_2025_bound;',
    ].join('\n'),
    versions: [
      'Before PostgreSQL 12 ATTACH PARTITION takes ACCESS EXCLUSIVE on the partitioned table itself, so every read',
      'and write of it waits for the scan. Before 14 there is no `DETACH PARTITION ... CONCURRENTLY`: the only',
      'mitigation is a short `lock_timeout` and a retry.',
    ].join(' '),
  },
  create(context) {
    return {
      PartitionCmd(node, statement) {
        const command = statement.ancestors.at(-1);
        const alter = nodeOf(statement.statement.node, 'AlterTableStmt');
        const parent = nameOfRangeVar(alter?.relation);
        const partition = nameOfRangeVar(node.name);
        // ALTER INDEX ... ATTACH PARTITION attaches an index: no table is locked or read.
        if (command?.type !== 'AlterTableCmd' || alter?.objtype !== 'OBJECT_TABLE' || !parent || !partition) return;
        if (statement.schema.isNewTable(parent)) return;
        const subtype = command.node.subtype;
        if (subtype === 'AT_DetachPartition' && node.concurrent !== true) reportDetach(statement, parent, partition, context.pgVersion);
        if (subtype === 'AT_AttachPartition') reportAttach(statement, node, parent, partition, context.pgVersion);
      },
    };
  },
});

/** The default partition of a partitioned table, when the migrations show one. */
function defaultPartitionOf(statement: StatementContext, parent: QualifiedName): TableState | undefined {
  return statement.schema.partitionsOf(parent).find((table) => table.defaultPartition);
}

function reportDetach(statement: StatementContext, parent: QualifiedName, partition: QualifiedName, pgVersion: number): void {
  const parentName = displayName(parent);
  const partitionName = displayName(partition);
  const lead = `DETACH PARTITION ${partitionName} takes ACCESS EXCLUSIVE on ${parentName}: every read and write of ${parentName} waits for it, and while it waits for running queries, every later query of ${parentName} queues behind it`;
  if (pgVersion < 14) {
    statement.report({
      message: `${lead}. PostgreSQL before 14 has no DETACH PARTITION ... CONCURRENTLY: keep the wait short.`,
      help: lockTimeoutHelp(statement.transaction.inBlock, '5s', parentName),
    });
    return;
  }
  const defaultPartition = defaultPartitionOf(statement, parent);
  statement.report({
    message: `${lead}. DETACH PARTITION ... CONCURRENTLY lets reads and writes continue.`,
    help: [
      ...(defaultPartition ? [`-- CONCURRENTLY is refused while ${parentName} has a default partition (${displayName(defaultPartition.name)}).`] : []),
      migrationOfItsOwn(
        statement,
        [
          `ALTER TABLE ${parentName} DETACH PARTITION ${partitionName} CONCURRENTLY;`,
          `-- If it is interrupted, complete it with: ALTER TABLE ${parentName} DETACH PARTITION ${partitionName} FINALIZE;`,
        ].join('\n'),
      ),
    ].join('\n'),
  });
}

function reportAttach(statement: StatementContext, command: PartitionCmd, parent: QualifiedName, partition: QualifiedName, pgVersion: number): void {
  const key = statement.schema.table(parent)?.partitionKey;
  const nullable = command.bound?.strategy === 'l' && (command.bound.listdatums ?? []).some((datum) => nodeOf(datum, 'A_Const')?.isnull === true);
  const scansPartition = !statement.schema.isNewTable(partition) && !provesBound(statement.schema.table(partition), key, nullable);
  const defaultPartition = command.bound?.is_default === true ? undefined : defaultPartitionOf(statement, parent);
  // The default partition's CHECK excludes the new range, so NULL keys may stay in it.
  const scansDefault = defaultPartition !== undefined && !statement.schema.isNew(defaultPartition.origin) && !provesBound(defaultPartition, key, true);
  if (!scansPartition && !scansDefault) return;
  const parentName = displayName(parent);
  const partitionName = displayName(partition);
  const scans: string[] = [];
  if (scansPartition) scans.push(`reads every row of ${partitionName} under ACCESS EXCLUSIVE on it to check it fits the bound (no valid CHECK constraint on it proves the bound)`);
  if (scansDefault) {
    scans.push(`reads ${parentName}'s default partition ${displayName(defaultPartition.name)} under ACCESS EXCLUSIVE to check it holds no row of the new range, so queries of ${parentName} that reach it wait`);
  }
  const before12 = pgVersion < 12 ? `; before PostgreSQL 12 it also holds ACCESS EXCLUSIVE on ${parentName}, so every read and write of ${parentName} waits for the scan` : '';
  statement.report({
    node: command.name,
    message: `ATTACH PARTITION ${scans.join(', and ')}${before12}.`,
    help: attachHelp(statement, command, partition, scansPartition, scansDefault ? defaultPartition : undefined, key),
    lock: scannedLock(statement, scansPartition ? undefined : defaultPartition),
  });
}

/**
 * The lock held while the scan runs: on the partition, or on the default partition when only that
 * one is read (ATTACH locks it too, but the lock table names only the partition).
 */
function scannedLock(statement: StatementContext, defaultPartition: TableState | undefined): LockAcquisition | undefined {
  const partitionLock = statement.locks.find((lock) => lock.role === 'other-table');
  if (!partitionLock || !defaultPartition) return partitionLock;
  return { ...partitionLock, relation: defaultPartition.name, key: defaultPartition.key };
}

/**
 * Whether validated CHECK constraints of `table` can prove its partition constraint: they use every
 * key column (any column when the key is unknown), and each key column is known not null.
 */
function provesBound(table: TableState | undefined, key: readonly string[] | undefined, nullAllowed: boolean): boolean {
  const checks = [...(table?.constraints.values() ?? [])].filter((constraint) => constraint.kind === 'check' && constraint.validated);
  const used = new Set(checks.flatMap((constraint) => constraint.columns));
  // Unknown key: any validated CHECK may be the one that proves the bound.
  if (key === undefined || key.length === 0) return checks.length > 0;
  const notNull = (column: string): boolean => table?.columns.get(column)?.notNull === true || checks.some((constraint) => constraint.provesNotNull === column);
  return key.every((column) => used.has(column) && (nullAllowed || notNull(column)));
}

function attachHelp(
  statement: StatementContext,
  command: PartitionCmd,
  partition: QualifiedName,
  /** Whether the partition itself lacks a proof (else only the default partition does). */
  scansPartition: boolean,
  defaultPartition: TableState | undefined,
  key: readonly string[] | undefined,
): string {
  const condition = boundCondition(command.bound, key);
  // The partition's own CHECK is shown even when it already has one, so that the steps stand on their own.
  const tables: { table: QualifiedName; constraint: string; condition: string }[] = [{ table: partition, constraint: unusedConstraintName(statement, partition, `${partition.name}_bound`), condition }];
  if (defaultPartition) {
    tables.push({ table: defaultPartition.name, constraint: unusedConstraintName(statement, defaultPartition.name, `${defaultPartition.name.name}_not_${partition.name}`), condition: `NOT (${condition})` });
  }
  const add = tables.map(({ table, constraint, condition: check }) => `ALTER TABLE ${displayName(table)} ADD CONSTRAINT ${quoteIdentifier(constraint)} CHECK (${check}) NOT VALID;`);
  const validate = tables.map(({ table, constraint }) => `ALTER TABLE ${displayName(table)} VALIDATE CONSTRAINT ${quoteIdentifier(constraint)};`);
  const drop = tables.filter(({ table }) => table === partition).map(({ table, constraint }) => `ALTER TABLE ${displayName(table)} DROP CONSTRAINT ${quoteIdentifier(constraint)};`);
  const keyNote = key === undefined ? ' (test each partition key column IS NOT NULL too)' : '';
  const existing = scansPartition ? [] : [`-- (${displayName(partition)} already has constraints that prove the bound: its CHECK below can be left out)`];
  return [
    migrationStep(1, `CHECK constraints matching the bound${keyNote}, added without a scan`, [...existing, ...add].join('\n')),
    migrationStep(2, 'validate them while reads and writes continue', validate.join('\n')),
    migrationStep(3, 'attach: the valid constraints prove the bound, so nothing is scanned', [`${statement.statement.text};`, ...drop].join('\n')),
  ].join('\n');
}

/** `wanted`, or with a number after it when the table has a constraint of that name already (one that does not prove the bound). */
function unusedConstraintName(statement: StatementContext, table: QualifiedName, wanted: string): string {
  const taken = statement.schema.table(table)?.constraints;
  let name = wanted;
  for (let number = 2; taken?.has(name); number++) name = `${wanted}_${number}`;
  return name;
}

/** The partition bound as a condition on the key, for one-column range and list bounds; a placeholder otherwise. */
function boundCondition(bound: PartitionBoundSpec | undefined, key: readonly string[] | undefined): string {
  const [column] = key ?? [];
  const placeholder = `<a condition on ${key === undefined ? 'the partition key' : key.join(', ')} that matches the bound>`;
  if (!bound || column === undefined || key?.length !== 1) return placeholder;
  const name = quoteIdentifier(column);
  if (bound.strategy === 'l') {
    const values = (bound.listdatums ?? []).map((datum) => valueText(datum));
    const nonNull = values.filter((value) => value !== 'NULL');
    if (values.some((value) => value === undefined) || nonNull.length === 0) return placeholder;
    const inList = `${name} IN (${nonNull.join(', ')})`;
    return nonNull.length < values.length ? `${name} IS NULL OR ${inList}` : `${name} IS NOT NULL AND ${inList}`;
  }
  if (bound.strategy === 'r') {
    const lower = rangeEnd(bound.lowerdatums, name, '>=');
    const upper = rangeEnd(bound.upperdatums, name, '<');
    if (lower === undefined || upper === undefined) return placeholder;
    return [`${name} IS NOT NULL`, ...lower, ...upper].join(' AND ');
  }
  return placeholder;
}

/** `col >= value` for one end of a range; nothing for MINVALUE/MAXVALUE; undefined for an expression. */
function rangeEnd(datums: readonly Node[] | undefined, column: string, operator: string): string[] | undefined {
  const [datum] = datums ?? [];
  if (!datum || (datums?.length ?? 0) !== 1) return undefined;
  const unbounded = nodeOf(datum, 'ColumnRef');
  if (unbounded) return [];
  const value = valueText(datum);
  return value === undefined ? undefined : [`${column} ${operator} ${value}`];
}

function valueText(datum: Node): string | undefined {
  return constantText(nodeOf(datum, 'A_Const'));
}
