import type { AnyRule } from '../src/api.js';
import dropTableWithoutDeprecation from './drop-table-without-deprecation.js';
import incompleteRollback from './incomplete-rollback.js';
import invalidDirective from './invalid-directive.js';
import irreversibleMigration from './irreversible-migration.js';
import migrationLayout from './migration-layout.js';
import missingRollback from './missing-rollback.js';
import modifiedAppliedMigration from './modified-applied-migration.js';
import notNullColumnWithoutDefault from './not-null-column-without-default.js';
import renameColumn from './rename-column.js';
import requireConcurrentIndex from './require-concurrent-index.js';
import syntaxError from './syntax-error.js';
import unusedDirective from './unused-directive.js';
import destructiveOperation from './destructive-operation.js';
import dropColumn from './drop-column.js';
import dropColumnUsedByTrigger from './drop-column-used-by-trigger.js';
import preferBigint from './prefer-bigint.js';
import preferIdentity from './prefer-identity.js';
import preferRobustStatements from './prefer-robust-statements.js';
import preferTextOverVarchar from './prefer-text-over-varchar.js';
import preferTimestamptz from './prefer-timestamptz.js';
import renameTable from './rename-table.js';
import rlsDisabled from './rls-disabled.js';
import securityDefinerSearchPath from './security-definer-search-path.js';
import backfillUnderLock from './backfill-under-lock.js';
import blockingMaintenance from './blocking-maintenance.js';
import blockingPartitionChange from './blocking-partition-change.js';
import enumValueInTransaction from './enum-value-in-transaction.js';
import multipleExclusiveLocks from './multiple-exclusive-locks.js';
import requireLockTimeout from './require-lock-timeout.js';
import unbatchedBackfill from './unbatched-backfill.js';
import requireConcurrentIndexDrop from './require-concurrent-index-drop.js';
import concurrentlyInTransaction from './concurrently-in-transaction.js';
import addColumnRewrite from './add-column-rewrite.js';
import setNotNullScan from './set-not-null-scan.js';
import constraintWithoutNotValid from './constraint-without-not-valid.js';
import validateInSameTransaction from './validate-in-same-transaction.js';
import uniqueWithoutIndex from './unique-without-index.js';
import columnTypeChange from './column-type-change.js';
import tableRewrite from './table-rewrite.js';
import exclusionConstraint from './exclusion-constraint.js';
import domainConstraintWithoutNotValid from './domain-constraint-without-not-valid.js';
import usingIndexRefused from './using-index-refused.js';
import renameObject from './rename-object.js';
import dropObjectWithoutDeprecation from './drop-object-without-deprecation.js';
import viewSecurityInvoker from './view-security-invoker.js';
import mutableFunctionSearchPath from './mutable-function-search-path.js';
import grantWithoutRls from './grant-without-rls.js';
import unbalancedTransaction from './unbalanced-transaction.js';
import identifierTooLong from './identifier-too-long.js';
import duplicateColumnAssignment from './duplicate-column-assignment.js';
import dropIndexConcurrentlyRefused from './drop-index-concurrently-refused.js';
import disabledTriggers from './disabled-triggers.js';
import requireStatementTimeout from './require-statement-timeout.js';
import foreignKeyWithoutIndex from './foreign-key-without-index.js';
import concurrentUniqueIndex from './concurrent-unique-index.js';
import preferJsonb from './prefer-jsonb.js';
import preferTextOverChar from './prefer-text-over-char.js';
import uncheckedDynamicSql from './unchecked-dynamic-sql.js';
import systemCatalogWrite from './system-catalog-write.js';
import missingObject from './missing-object.js';

/** Each built-in rule's page, generated into docs/rules by `npm run docs`. */
const DOCS_URL = 'https://github.com/migrate-safe/migrate-safe/blob/main/docs/rules/';

function documented(rule: AnyRule): AnyRule {
  return { ...rule, meta: { ...rule.meta, docsUrl: `${DOCS_URL}${rule.id}.md` } };
}

/** Every built-in rule, in documentation order. */
export const BUILT_IN_RULES: readonly AnyRule[] = [
  requireConcurrentIndex,
  notNullColumnWithoutDefault,
  renameColumn,
  dropTableWithoutDeprecation,
  missingRollback,
  incompleteRollback,
  irreversibleMigration,
  syntaxError,
  missingObject,
  invalidDirective,
  unusedDirective,
  migrationLayout,
  renameTable,
  dropColumn,
  dropColumnUsedByTrigger,
  destructiveOperation,
  renameObject,
  dropObjectWithoutDeprecation,
  rlsDisabled,
  securityDefinerSearchPath,
  viewSecurityInvoker,
  mutableFunctionSearchPath,
  grantWithoutRls,
  blockingMaintenance,
  blockingPartitionChange,
  backfillUnderLock,
  enumValueInTransaction,
  requireLockTimeout,
  requireStatementTimeout,
  unbatchedBackfill,
  multipleExclusiveLocks,
  foreignKeyWithoutIndex,
  requireConcurrentIndexDrop,
  concurrentlyInTransaction,
  unbalancedTransaction,
  identifierTooLong,
  duplicateColumnAssignment,
  dropIndexConcurrentlyRefused,
  concurrentUniqueIndex,
  disabledTriggers,
  addColumnRewrite,
  setNotNullScan,
  constraintWithoutNotValid,
  validateInSameTransaction,
  uniqueWithoutIndex,
  columnTypeChange,
  tableRewrite,
  exclusionConstraint,
  domainConstraintWithoutNotValid,
  usingIndexRefused,
  uncheckedDynamicSql,
  systemCatalogWrite,
  preferRobustStatements,
  preferTextOverVarchar,
  preferTextOverChar,
  preferJsonb,
  preferBigint,
  preferTimestamptz,
  preferIdentity,
  modifiedAppliedMigration,
].map(documented);
