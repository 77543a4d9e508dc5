/**
 * migrate-safe's public API: what built-in rules and plugins are written with, and the
 * programmatic entry point. Everything exported here is a stable interface.
 */
export { defineRule } from './plugin/rule.js';
export type {
  AnyRule,
  FileChange,
  FileInfo,
  FileReportDescriptor,
  Fix,
  FixDescriptors,
  MigrationInfo,
  NewFile,
  NodeVisitors,
  ProjectInfo,
  ReleaseInfo,
  ReportDescriptor,
  Rule,
  RuleCategory,
  RuleContext,
  RuleMeta,
  RulePreset,
  RuleSeverity,
  StatementContext,
  Suggestion,
  TextEdit,
  Visitor,
} from './plugin/rule.js';

export type { Finding, FindingLock, LintResult, ProjectNote, Severity } from './findings/finding.js';

export {
  type AncestorNode,
  type NodeFields,
  type NodeType,
  type QualifiedName,
  baseTypeName,
  constantText,
  constraintsOf,
  displayName,
  formatTypeName,
  hasConstraint,
  nameOfList,
  nameOfRangeVar,
  namesOfObjects,
  nodeOf,
  quoteIdentifier,
  stringsOf,
  unwrap,
  walk,
} from './analyze/ast.js';
export type { LockAcquisition, RelationRole } from './analyze/classify.js';
export { type ExpressionVolatility, expressionVolatility } from './analyze/expressions.js';
export { type ImplicitNames, MAX_NAME_BYTES, makeObjectName } from './analyze/implicit-names.js';
export { STATEMENT_FORMS, type StatementForm, type TableEffect, formFactsFor, statementForm } from './analyze/lock-facts.js';
export { LOCK_MODES, type LockImpact, type LockMode, blocksTraffic, describeImpact, lockImpact, lockStrength } from './analyze/lock-modes.js';
export { domainChecksValues } from './analyze/schema-state.js';
export type {
  ColumnCopy,
  ColumnState,
  ConstraintState,
  FunctionState,
  IndexState,
  NamespaceState,
  ObjectOrigin,
  TableObjectState,
  TableState,
  TypeState,
  Volatility,
} from './analyze/schema-state.js';
export type { SchemaChange } from './analyze/schema-changes.js';
export { type RoutineContext, type UncheckedSql, routinePrefix } from './analyze/routine.js';
export type { RowBound } from './parse/row-bound.js';
export type { SchemaView } from './analyze/schema-view.js';
export { type SessionSettings, type SettingValue, type TransactionInfo, parseDuration, searchPathSchemas, timeZoneIsUtc } from './analyze/session.js';
export type { TransactionPolicy } from './discover/types.js';
export { type TypeChangeSession, type TypeChangeVerdict, typeChangeVerdict } from './analyze/type-change.js';
export { lostInConversion } from './analyze/type-loss.js';
export { controlsTransaction, refusesTransactionBlock } from './analyze/transaction-block.js';
export { undoStatement } from './analyze/undo.js';
export { sqlOf } from './parse/deparse.js';
export { didYouMean } from './config/suggest.js';
export { type Token as SqlToken, scanTokens } from './parse/tokens.js';

/** The AST node types of libpg-query (PostgreSQL's own parse tree). */
export type * from '@pgsql/types';

/** valibot, for rule option schemas: plugins use the same copy as the engine. */
export * as v from 'valibot';
