import type { AnyRule } from '../src/api.js';
import dropTableWithoutDeprecation from './drop-table-without-deprecation.js';
import invalidDirective from './invalid-directive.js';
import migrationLayout from './migration-layout.js';
import missingRollback from './missing-rollback.js';
import notNullColumnWithoutDefault from './not-null-column-without-default.js';
import renameColumn from './rename-column.js';
import requireConcurrentIndex from './require-concurrent-index.js';
import syntaxError from './syntax-error.js';
import unusedDirective from './unused-directive.js';
import requireConcurrentIndexDrop from './require-concurrent-index-drop.js';
import concurrentlyInTransaction from './concurrently-in-transaction.js';
import addColumnRewrite from './add-column-rewrite.js';
import setNotNullScan from './set-not-null-scan.js';
import constraintWithoutNotValid from './constraint-without-not-valid.js';
import validateInSameTransaction from './validate-in-same-transaction.js';
import uniqueWithoutIndex from './unique-without-index.js';
import columnTypeChange from './column-type-change.js';

/** Every built-in rule, in documentation order. */
export const BUILT_IN_RULES: readonly AnyRule[] = [
  requireConcurrentIndex,
  notNullColumnWithoutDefault,
  renameColumn,
  dropTableWithoutDeprecation,
  missingRollback,
  syntaxError,
  invalidDirective,
  unusedDirective,
  migrationLayout,
  requireConcurrentIndexDrop,
  concurrentlyInTransaction,
  addColumnRewrite,
  setNotNullScan,
  constraintWithoutNotValid,
  validateInSameTransaction,
  uniqueWithoutIndex,
  columnTypeChange,
];
