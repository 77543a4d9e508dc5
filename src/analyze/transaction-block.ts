import type { Node } from '@pgsql/types';
import { nodeOf, unwrap } from './ast.js';

type Check = (fields: never) => boolean;

const hasOption = (options: readonly Node[] | undefined, name: string): boolean => (options ?? []).some((option) => nodeOf(option, 'DefElem')?.defname === name);

const refreshOff = (options: readonly Node[] | undefined): boolean =>
  (options ?? []).some((option) => {
    const definition = nodeOf(option, 'DefElem');
    return definition?.defname === 'refresh' && /^(false|off|0)$/i.test(nodeOf(definition.arg, 'String')?.sval ?? '');
  });

const PUBLICATION_CHANGES = new Set(['ALTER_SUBSCRIPTION_SET_PUBLICATION', 'ALTER_SUBSCRIPTION_ADD_PUBLICATION', 'ALTER_SUBSCRIPTION_DROP_PUBLICATION']);

/** Statements PostgreSQL refuses inside a transaction block (`PreventInTransactionBlock` in its source), by AST type. */
const REFUSED: Readonly<Record<string, Check>> = {
  IndexStmt: (fields: { concurrent?: boolean }) => fields.concurrent === true,
  DropStmt: (fields: { concurrent?: boolean }) => fields.concurrent === true,
  ReindexStmt: (fields: { kind?: string; params?: Node[] }) =>
    hasOption(fields.params, 'concurrently') || fields.kind === 'REINDEX_OBJECT_SCHEMA' || fields.kind === 'REINDEX_OBJECT_SYSTEM' || fields.kind === 'REINDEX_OBJECT_DATABASE',
  VacuumStmt: (fields: { is_vacuumcmd?: boolean }) => fields.is_vacuumcmd === true,
  ClusterStmt: (fields: { relation?: unknown }) => fields.relation === undefined,
  AlterSystemStmt: () => true,
  CreatedbStmt: () => true,
  DropdbStmt: () => true,
  AlterDatabaseStmt: (fields: { options?: Node[] }) => hasOption(fields.options, 'tablespace'),
  CreateTableSpaceStmt: () => true,
  DropTableSpaceStmt: () => true,
  CreateSubscriptionStmt: () => true,
  DropSubscriptionStmt: () => true,
  // Changing the publications refreshes the subscription unless `WITH (refresh = false)`.
  AlterSubscriptionStmt: (fields: { kind?: string; options?: Node[] }) =>
    fields.kind === 'ALTER_SUBSCRIPTION_REFRESH' || (PUBLICATION_CHANGES.has(fields.kind ?? '') && !refreshOff(fields.options)),
  DiscardStmt: (fields: { target?: string }) => fields.target === 'DISCARD_ALL',
  AlterTableStmt: (fields: { cmds?: Node[] }) =>
    (fields.cmds ?? []).some((command) => {
      const cmd = nodeOf(command, 'AlterTableCmd');
      return cmd?.subtype === 'AT_DetachPartitionFinalize' || (cmd?.subtype === 'AT_DetachPartition' && nodeOf(cmd.def, 'PartitionCmd')?.concurrent === true);
    }),
  TransactionStmt: (fields: { kind?: string }) => fields.kind === 'TRANS_STMT_COMMIT_PREPARED' || fields.kind === 'TRANS_STMT_ROLLBACK_PREPARED',
};

/**
 * Whether PostgreSQL refuses to run the statement inside a transaction block (CREATE INDEX
 * CONCURRENTLY, VACUUM, ALTER SYSTEM, ...). ALTER TYPE ... ADD VALUE before PostgreSQL 12 is
 * left out: it depends on the version, and no migration tool treats it specially.
 */
export function refusesTransactionBlock(node: Node): boolean {
  const [type, fields] = unwrap(node);
  const check = REFUSED[type];
  return check ? check(fields as never) : false;
}

const BOUNDARIES = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

/** BEGIN, START TRANSACTION, COMMIT, ROLLBACK (not ROLLBACK TO a savepoint), PREPARE TRANSACTION: the file manages its own transactions. */
export function controlsTransaction(node: Node): boolean {
  const kind = nodeOf(node, 'TransactionStmt')?.kind;
  return kind !== undefined && BOUNDARIES.has(kind);
}
