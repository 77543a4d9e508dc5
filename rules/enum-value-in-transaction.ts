import {
  type A_Const,
  type Node,
  type RangeVar,
  type StatementContext,
  type TableState,
  type TypeName,
  constraintsOf,
  defineRule,
  displayName,
  nameOfList,
  nodeOf,
  stringsOf,
  unwrap,
  walk,
} from '../src/api.js';
import { migrationStep } from './support/help.js';

/** A value `ALTER TYPE ... ADD VALUE` added earlier in the transaction. */
interface AddedValue {
  readonly typeKey: string;
  readonly typeName: string;
  readonly value: string;
  readonly statementText: string;
}

export default defineRule({
  id: 'enum-value-in-transaction',
  meta: {
    description: 'ALTER TYPE ... ADD VALUE inside a transaction block before PostgreSQL 12, or the new value used before the transaction commits.',
    severity: 'error',
    preset: 'recommended',
    category: 'correctness',
    hazard: [
      'Before PostgreSQL 12, `ALTER TYPE ... ADD VALUE` fails inside a transaction block ("ALTER TYPE ... ADD cannot',
      'run inside a transaction block"), and most migration tools run each migration in one. From 12 it runs, but',
      'the new value cannot be used until the transaction commits: a later statement of the same transaction that',
      'uses it fails with "unsafe use of new value" and the whole migration rolls back.',
      '',
      'Recognised uses: the value as a literal cast to the type (`\'x\'::mood`), compared with a column of the type',
      '(`WHERE mood = \'x\'`, `IN (...)`), assigned to such a column by UPDATE or INSERT, or given as its DEFAULT.',
      'Column types come from the migrations read. A type created in the same transaction is not reported:',
      'PostgreSQL allows both there.',
    ].join('\n'),
    bad: [
      "CREATE TYPE mood AS ENUM ('sad', 'happy');",
      'CREATE TABLE agents (id bigint PRIMARY KEY, mood mood NOT NULL);',
      'BEGIN;',
      "ALTER TYPE mood ADD VALUE 'content';",
      "UPDATE agents SET mood = 'content' WHERE mood = 'happy';",
      'COMMIT;',
    ].join('\n'),
    good: [
      '-- Migration 1: add the value; it can be used once this migration commits',
      "ALTER TYPE mood ADD VALUE 'content';",
      '-- Migration 2: use it',
      "UPDATE agents SET mood = 'content' WHERE mood = 'happy';",
    ].join('\n'),
    versions: [
      'Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block at all, unless the type was',
      'created in the same transaction. From 12 it can, and only using the new value in the same transaction fails.',
    ].join(' '),
  },
  create(context) {
    let added: { transaction: number; values: AddedValue[] } | undefined;
    return {
      Statement(_node, statement) {
        if (added?.transaction !== statement.transaction.id) added = undefined;
        if (added) reportUse(statement, added.values);
      },
      AlterEnumStmt(node, statement) {
        const typeName = nameOfList(node.typeName);
        // RENAME VALUE names the old value; only ADD VALUE creates one.
        if (!typeName || node.newVal === undefined || node.oldVal !== undefined || !statement.transaction.inBlock) return;
        const type = statement.schema.type(typeName);
        if (type?.origin?.transaction === statement.transaction.id) return;
        if (node.skipIfNewValExists && type?.values.has(node.newVal)) return;
        const text = `${statement.statement.text};`;
        if (context.pgVersion < 12) {
          statement.report({
            message: `ALTER TYPE ${displayName(typeName)} ADD VALUE inside a transaction block fails on PostgreSQL ${context.pgVersion}: "ALTER TYPE ... ADD cannot run inside a transaction block", and the migration stops there.`,
            help: outsideTransactionHelp(text, statement.transaction.explicit),
            lock: null,
          });
          return;
        }
        const value: AddedValue = { typeKey: statement.schema.key(typeName), typeName: displayName(typeName), value: node.newVal, statementText: text };
        added = { transaction: statement.transaction.id, values: [...(added?.values ?? []), value] };
      },
    };
  },
});

function reportUse(statement: StatementContext, values: readonly AddedValue[]): void {
  const use = firstUse(statement, values);
  if (!use) return;
  const { value, literal } = use;
  statement.report({
    node: literal,
    message: `'${value.value}' was added to enum ${value.typeName} earlier in this transaction: PostgreSQL refuses to use it until that transaction commits, so this statement fails with "unsafe use of new value "${value.value}" of enum type ${value.typeName}" and the migration rolls back.`,
    help: commitBeforeUseHelp(value, statement.transaction.explicit),
    lock: null,
  });
}

/** Before 12: the ALTER TYPE between two transactions (an explicit block), or in a migration the tool runs without one. */
function outsideTransactionHelp(alterType: string, explicitBlock: boolean): string {
  const lead = '-- Before PostgreSQL 12, ADD VALUE cannot run inside a transaction block';
  if (explicitBlock) return [`${lead}: run it between two (COMMIT before it, BEGIN after it).`, 'COMMIT;', alterType, 'BEGIN;'].join('\n');
  return [
    `${lead}, and your migration tool runs this file in one.`,
    '-- Migration 1: end this migration before the ALTER TYPE',
    migrationStep(2, 'the ALTER TYPE alone, in a migration your tool runs without a transaction block', alterType),
  ].join('\n');
}

/** From 12: commit the value before its first use, with COMMIT in an explicit block, else in a migration of its own. */
function commitBeforeUseHelp(value: AddedValue, explicitBlock: boolean): string {
  if (explicitBlock) {
    return [`-- '${value.value}' can be used once the ALTER TYPE that adds it has committed: end the transaction before this statement.`, 'COMMIT;', 'BEGIN;'].join('\n');
  }
  return [
    migrationStep(1, 'add the value; it can be used once this migration commits', value.statementText),
    `-- Migration 2: use it: move this statement, and every later one that uses '${value.value}', here`,
  ].join('\n');
}

interface Use {
  readonly value: AddedValue;
  readonly literal: A_Const;
}

/** The first literal of the statement that PostgreSQL reads as one of the new values. */
function firstUse(statement: StatementContext, values: readonly AddedValue[]): Use | undefined {
  const columns = new ColumnTypes(statement);
  const found: Use[] = [];
  const check = (literal: Node | undefined, typeKey: string | undefined): void => {
    const constant = nodeOf(literal, 'A_Const');
    const text = constant?.sval?.sval;
    const value = values.find((candidate) => candidate.typeKey === typeKey && candidate.value === text);
    if (constant && value) found.push({ value, literal: constant });
  };
  const root = unwrap(statement.statement.node)[1];
  walk(root, (type, fields) => {
    switch (type) {
      case 'TypeCast':
        check(fields.arg as Node | undefined, columns.keyOfType(fields.typeName as TypeName | undefined));
        break;
      case 'A_Expr': {
        const left = columns.typeOfReference(fields.lexpr as Node | undefined);
        const right = columns.typeOfReference(fields.rexpr as Node | undefined);
        for (const literal of literalsOf(fields.rexpr as Node | undefined)) check(literal, left);
        for (const literal of literalsOf(fields.lexpr as Node | undefined)) check(literal, right);
        break;
      }
      case 'ColumnDef': {
        const typeKey = columns.keyOfType(fields.typeName as TypeName | undefined);
        for (const constraint of constraintsOf(fields)) if (constraint.contype === 'CONSTR_DEFAULT') check(constraint.raw_expr, typeKey);
        break;
      }
      case 'AlterTableCmd':
        if (fields.subtype === 'AT_ColumnDefault') check(fields.def as Node | undefined, columns.keyOfColumn(columns.target, fields.name as string | undefined));
        break;
      default:
        break;
    }
  });
  for (const [column, literal] of assignedValues(statement)) check(literal, columns.keyOfColumn(columns.target, column));
  return found[0];
}

/** A constant, or the constants of an IN list / ARRAY[...]. */
function literalsOf(node: Node | undefined): Node[] {
  if (nodeOf(node, 'A_Const')) return node ? [node] : [];
  return nodeOf(node, 'List')?.items ?? nodeOf(node, 'A_ArrayExpr')?.elements ?? [];
}

/** The values UPDATE ... SET and INSERT ... VALUES / SELECT give the columns of the written table. */
function assignedValues(statement: StatementContext): [string, Node][] {
  const update = nodeOf(statement.statement.node, 'UpdateStmt');
  if (update) {
    return (update.targetList ?? []).flatMap((target) => {
      const assignment = nodeOf(target, 'ResTarget');
      return assignment?.name !== undefined && assignment.val ? [[assignment.name, assignment.val] as [string, Node]] : [];
    });
  }
  const insert = nodeOf(statement.statement.node, 'InsertStmt');
  if (!insert) return [];
  const named = (insert.cols ?? []).map((column) => nodeOf(column, 'ResTarget')?.name);
  const table = statement.schema.table(insert.relation);
  const columns = named.length > 0 ? named : table?.columnsKnown ? [...table.columns.keys()] : [];
  const select = nodeOf(insert.selectStmt, 'SelectStmt');
  const rows = (select?.valuesLists ?? []).map((row) => nodeOf(row, 'List')?.items ?? []);
  if (select?.targetList) rows.push(select.targetList.map((target) => nodeOf(target, 'ResTarget')?.val).filter((value): value is Node => value !== undefined));
  return rows.flatMap((row) => row.flatMap((value, index) => (columns[index] === undefined ? [] : [[columns[index], value] as [string, Node]])));
}

/** Resolves the types of the columns a statement names, from the schema state. */
class ColumnTypes {
  private readonly statement: StatementContext;
  /** The table the statement writes or changes, when it names one. */
  readonly target: TableState | undefined;
  private readonly tables = new Map<string, TableState>();

  constructor(statement: StatementContext) {
    this.statement = statement;
    const relation = unwrap(statement.statement.node)[1].relation as RangeVar | undefined;
    this.target = statement.schema.table(relation);
    this.add(relation);
    walk(statement.statement.node, (type, fields) => {
      if (type === 'RangeVar') this.add(fields);
    });
  }

  private add(relation: RangeVar | undefined): void {
    const table = this.statement.schema.table(relation);
    if (!table || !relation?.relname) return;
    this.tables.set(relation.relname, table);
    if (relation.alias?.aliasname !== undefined) this.tables.set(relation.alias.aliasname, table);
  }

  keyOfType(typeName: TypeName | undefined): string | undefined {
    const name = nameOfList(typeName?.names);
    return name ? this.statement.schema.key(name) : undefined;
  }

  keyOfColumn(table: TableState | undefined, column: string | undefined): string | undefined {
    return this.keyOfType(column === undefined ? undefined : table?.columns.get(column)?.type);
  }

  /** The type of `column` or `table.column`, looked up in the tables the statement names. */
  typeOfReference(node: Node | undefined): string | undefined {
    const parts = stringsOf(nodeOf(node, 'ColumnRef')?.fields);
    const column = parts.at(-1);
    if (column === undefined) return undefined;
    const qualifier = parts.at(-2);
    const candidates = qualifier === undefined ? [...this.tables.values()] : [this.tables.get(qualifier)];
    for (const table of candidates) {
      const key = this.keyOfColumn(table, column);
      if (key !== undefined) return key;
    }
    return undefined;
  }
}
