import type { AlterTableStmt, ColumnDef, Constraint, CreateStmt, IndexElem, IndexStmt, Node } from '@pgsql/types';
import { constraintsOf, nameOfRangeVar, nodeOf, stringsOf, unwrap, walk } from './ast.js';

/**
 * The names PostgreSQL gives the constraints and indexes a statement writes without a name, as
 * its own code chooses them (src/backend/commands/indexcmds.c: makeObjectName, ChooseRelationName,
 * ChooseIndexName, ChooseIndexColumnNames; pg_constraint.c: ChooseConstraintName; heap.c names a
 * CHECK after its only column; parse_target.c: FigureIndexColname). Checked on real servers by
 * test/implicit-names.test.ts.
 */

/** NAMEDATALEN - 1: the bytes a name keeps. */
export const MAX_NAME_BYTES = 63;

/**
 * `name1_name2_label`, cut to 63 bytes: the longer of the two names loses a byte at a time (the
 * second on a tie), the label never, and a cut never splits a UTF-8 character (pg_mbcliplen).
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string | undefined): string {
  const first = Buffer.from(name1, 'utf8');
  const second = name2 === undefined ? undefined : Buffer.from(name2, 'utf8');
  const overhead = (second ? 1 : 0) + (label === undefined ? 0 : Buffer.byteLength(label, 'utf8') + 1);
  const available = MAX_NAME_BYTES - overhead;
  let firstBytes = first.length;
  let secondBytes = second?.length ?? 0;
  while (firstBytes + secondBytes > available) {
    if (firstBytes > secondBytes) firstBytes--;
    else secondBytes--;
  }
  const parts = [clipped(first, firstBytes)];
  if (second) parts.push(clipped(second, secondBytes));
  if (label !== undefined) parts.push(label);
  return parts.join('_');
}

/** The first `bytes` bytes of a UTF-8 text, less a character the cut would split. */
function clipped(text: Buffer, bytes: number): string {
  let end = Math.min(bytes, text.length);
  // A continuation byte (10xxxxxx) right after the cut: its character started before it.
  while (end > 0 && end < text.length && ((text[end] ?? 0) & 0xc0) === 0x80) end--;
  return text.subarray(0, end).toString('utf8');
}

/** `makeObjectName` with `label`, then `label1`, `label2` ... until the name is free. */
export function chooseName(name1: string, name2: string | undefined, label: string, taken: (name: string) => boolean): string {
  let name = makeObjectName(name1, name2, label);
  for (let pass = 1; taken(name); pass++) name = makeObjectName(name1, name2, `${label}${pass}`);
  return name;
}

/** The column names joined by `_` (ChooseIndexNameAddition), stopping once they fill a name: the rest would be cut anyway. */
export function nameAddition(names: readonly string[]): string {
  let addition = '';
  for (const name of names) {
    addition += addition === '' ? name : `_${name}`;
    if (Buffer.byteLength(addition, 'utf8') > MAX_NAME_BYTES) break;
  }
  return addition;
}

/**
 * The names of an index's columns (ChooseIndexColumnNames): a column's own name, the name an
 * expression suggests (`lower(email)` gives `lower`), else `expr`; a repeated name gets a number.
 */
export function indexColumnNames(elements: readonly (IndexElem | undefined)[]): string[] {
  const names: string[] = [];
  for (const element of elements) {
    const original = element?.indexcolname ?? element?.name ?? (element?.expr && expressionColumnName(element.expr)) ?? 'expr';
    let name = original;
    for (let number = 1; names.includes(name); number++) {
      const suffix = String(number);
      name = `${clipped(Buffer.from(original, 'utf8'), MAX_NAME_BYTES - suffix.length)}${suffix}`;
    }
    names.push(name);
  }
  return names;
}

/** How sure a suggested name is (FigureColnameInternal): 2 a good name, 1 a second best, 0 none. */
interface Suggestion {
  readonly name: string | undefined;
  readonly strength: 0 | 1 | 2;
}

const NONE: Suggestion = { name: undefined, strength: 0 };

const SQL_VALUE_FUNCTIONS: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

const XML_FUNCTIONS: Readonly<Record<string, string>> = {
  IS_XMLCONCAT: 'xmlconcat',
  IS_XMLELEMENT: 'xmlelement',
  IS_XMLFOREST: 'xmlforest',
  IS_XMLPARSE: 'xmlparse',
  IS_XMLPI: 'xmlpi',
  IS_XMLROOT: 'xmlroot',
  IS_XMLSERIALIZE: 'xmlserialize',
};

/** Expressions that read like a function call of a fixed name. */
const FUNCTION_LIKE: Readonly<Record<string, string>> = {
  GroupingFunc: 'grouping',
  A_ArrayExpr: 'array',
  RowExpr: 'row',
  CoalesceExpr: 'coalesce',
  XmlSerialize: 'xmlserialize',
  JsonObjectConstructor: 'json_object',
  JsonArrayConstructor: 'json_array',
  JsonArrayQueryConstructor: 'json_array',
  JsonObjectAgg: 'json_objectagg',
  JsonArrayAgg: 'json_arrayagg',
  JsonParseExpr: 'json',
  JsonScalarExpr: 'json_scalar',
  JsonSerializeExpr: 'json_serialize',
};

/** The name an index expression suggests (FigureIndexColname), or undefined. */
export function expressionColumnName(expression: Node): string | undefined {
  return suggest(expression).name;
}

function suggest(node: Node | undefined): Suggestion {
  if (node === undefined) return NONE;
  const [type, fields] = unwrap(node);
  const fixed = FUNCTION_LIKE[type];
  if (fixed !== undefined) return { name: fixed, strength: 2 };
  switch (type) {
    case 'ColumnRef':
    case 'A_Indirection': {
      const last = stringsOf((fields.fields ?? fields.indirection) as Node[] | undefined).at(-1);
      if (last !== undefined) return { name: last, strength: 2 };
      return type === 'A_Indirection' ? suggest(fields.arg as Node | undefined) : NONE;
    }
    case 'FuncCall': {
      const name = stringsOf(fields.funcname as Node[] | undefined).at(-1);
      return name === undefined ? NONE : { name, strength: 2 };
    }
    case 'A_Expr':
      if (fields.kind === 'AEXPR_NULLIF') return { name: 'nullif', strength: 2 };
      return fields.kind === 'AEXPR_PAREN' ? suggest(fields.lexpr as Node | undefined) : NONE;
    case 'TypeCast': {
      const inner = suggest(fields.arg as Node | undefined);
      const typeName = stringsOf((fields.typeName as { names?: Node[] } | undefined)?.names).at(-1);
      return inner.strength <= 1 && typeName !== undefined ? { name: typeName, strength: 1 } : inner;
    }
    case 'CollateClause':
      return suggest(fields.arg as Node | undefined);
    case 'SubLink':
      if (fields.subLinkType === 'EXISTS_SUBLINK') return { name: 'exists', strength: 2 };
      return fields.subLinkType === 'ARRAY_SUBLINK' ? { name: 'array', strength: 2 } : NONE;
    case 'CaseExpr': {
      const result = suggest(fields.defresult as Node | undefined);
      return result.strength <= 1 ? { name: 'case', strength: 1 } : result;
    }
    case 'MinMaxExpr':
      return { name: fields.op === 'IS_GREATEST' ? 'greatest' : 'least', strength: 2 };
    case 'SQLValueFunction':
      return named(SQL_VALUE_FUNCTIONS[fields.op as string]);
    case 'XmlExpr':
      return named(XML_FUNCTIONS[fields.op as string]);
    default:
      return NONE;
  }
}

function named(name: string | undefined): Suggestion {
  return name === undefined ? NONE : { name, strength: 2 };
}

/** The columns an expression refers to, each once, in order. */
export function columnsUsedBy(expression: Node | undefined): string[] {
  const columns = new Set<string>();
  walk(expression, (type, fields) => {
    if (type !== 'ColumnRef') return;
    const column = stringsOf(fields.fields as Node[] | undefined).at(-1);
    if (column !== undefined) columns.add(column);
  });
  return [...columns];
}

/** The constraints and index a statement creates, each with its name: the one written, else PostgreSQL's. */
export type ImplicitNames = ReadonlyMap<Constraint | IndexStmt, string>;

const NO_NAMES: ImplicitNames = new Map();

/** What names are in use in a schema, before the statement. */
export interface NameCatalog {
  /** A relation (table, view, index, ...) of that name exists in the schema. */
  hasRelation(schema: string, name: string): boolean;
  /** A constraint of that name exists on some table of the schema: PostgreSQL keeps chosen names unique there. */
  hasConstraint(schema: string, name: string): boolean;
}

/**
 * The names of the constraints and index that CREATE TABLE, ALTER TABLE or CREATE INDEX creates,
 * chosen in PostgreSQL's order: CREATE TABLE names its CHECKs, then its indexes (the primary key
 * first), then its foreign keys; ALTER TABLE its indexes, then CHECKs, then foreign keys. Each
 * name is unique among the schema's constraints (or relations, for an index) and the earlier ones.
 */
export function implicitNames(node: Node, catalog: NameCatalog, defaultSchema: string, pgVersion: number): ImplicitNames {
  const [type, fields] = unwrap(node);
  if (type === 'IndexStmt') return indexName(fields, catalog, defaultSchema);
  if (type !== 'CreateStmt' && type !== 'AlterTableStmt') return NO_NAMES;
  const statement = fields as CreateStmt | AlterTableStmt;
  const table = nameOfRangeVar(statement.relation);
  if (!table || (type === 'AlterTableStmt' && (statement as AlterTableStmt).objtype === 'OBJECT_INDEX')) return NO_NAMES;
  const written = type === 'CreateStmt' ? createdConstraints(statement) : addedConstraints(statement);
  const namer = new StatementNamer(table.name, table.schema ?? defaultSchema, catalog, pgVersion);
  const checks = written.filter(({ constraint }) => constraint.contype === 'CONSTR_CHECK');
  const indexes = written.filter(({ constraint }) => INDEX_BACKED.has(constraint.contype));
  const foreignKeys = written.filter(({ constraint }) => constraint.contype === 'CONSTR_FOREIGN');
  const primaryFirst = [...indexes].sort((left, right) => Number(right.constraint.contype === 'CONSTR_PRIMARY') - Number(left.constraint.contype === 'CONSTR_PRIMARY'));
  const order = type === 'CreateStmt' ? [...checks, ...primaryFirst, ...foreignKeys] : [...primaryFirst, ...checks, ...foreignKeys];
  for (const written of order) namer.name(written);
  return namer.names;
}

const INDEX_BACKED = new Set<Constraint['contype']>(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION']);

/** A constraint as written, with the column it was written on (a column constraint). */
interface WrittenConstraint {
  readonly constraint: Constraint;
  readonly column: string | undefined;
}

function createdConstraints(statement: CreateStmt): WrittenConstraint[] {
  return (statement.tableElts ?? []).flatMap((element) => {
    const constraint = nodeOf(element, 'Constraint');
    return constraint ? [{ constraint, column: undefined }] : columnConstraints(nodeOf(element, 'ColumnDef'));
  });
}

function addedConstraints(statement: AlterTableStmt): WrittenConstraint[] {
  return (statement.cmds ?? []).flatMap((node) => {
    const command = nodeOf(node, 'AlterTableCmd');
    if (command?.subtype === 'AT_AddColumn') return columnConstraints(nodeOf(command.def, 'ColumnDef'));
    const constraint = command?.subtype === 'AT_AddConstraint' ? nodeOf(command.def, 'Constraint') : undefined;
    return constraint ? [{ constraint, column: undefined }] : [];
  });
}

function columnConstraints(column: ColumnDef | undefined): WrittenConstraint[] {
  return constraintsOf(column).map((constraint) => ({ constraint, column: column?.colname }));
}

/** Chooses the names of one statement, each unique among the schema's and the ones chosen before it. */
class StatementNamer {
  readonly names = new Map<Constraint | IndexStmt, string>();
  private readonly constraints = new Set<string>();
  private readonly relations = new Set<string>();
  /** The column lists of the indexes named so far: CREATE TABLE builds one index for a UNIQUE written twice. */
  private readonly indexesByColumns = new Map<string, string>();
  private readonly table: string;
  private readonly schema: string;
  private readonly catalog: NameCatalog;
  private readonly pgVersion: number;

  constructor(table: string, schema: string, catalog: NameCatalog, pgVersion: number) {
    this.table = table;
    this.schema = schema;
    this.catalog = catalog;
    this.pgVersion = pgVersion;
  }

  name({ constraint, column }: WrittenConstraint): void {
    const name = constraint.conname ?? (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE' ? constraint.indexname : undefined) ?? this.choose(constraint, column);
    if (name === undefined) return;
    this.names.set(constraint, name);
    this.constraints.add(name);
    if (INDEX_BACKED.has(constraint.contype)) this.relations.add(name);
  }

  private choose(constraint: Constraint, column: string | undefined): string | undefined {
    const constraintTaken = (name: string): boolean => this.constraints.has(name) || this.catalog.hasConstraint(this.schema, name);
    const indexTaken = (name: string): boolean => constraintTaken(name) || this.relations.has(name) || this.catalog.hasRelation(this.schema, name);
    switch (constraint.contype) {
      case 'CONSTR_CHECK': {
        const columns = columnsUsedBy(constraint.raw_expr);
        return chooseName(this.table, columns.length === 1 ? columns[0] : undefined, 'check', constraintTaken);
      }
      case 'CONSTR_FOREIGN': {
        const columns = column === undefined ? stringsOf(constraint.fk_attrs) : [column];
        // Before PostgreSQL 12 a foreign key was named after its first column only.
        return chooseName(this.table, nameAddition(this.pgVersion >= 12 ? columns : columns.slice(0, 1)), 'fkey', constraintTaken);
      }
      case 'CONSTR_PRIMARY':
        return chooseName(this.table, undefined, 'pkey', indexTaken);
      case 'CONSTR_UNIQUE': {
        const columns = [...(column === undefined ? stringsOf(constraint.keys) : [column]), ...stringsOf(constraint.including)];
        const same = this.indexesByColumns.get(columns.join('\0'));
        if (same !== undefined) return same;
        const name = chooseName(this.table, nameAddition(indexColumnNames(columns.map((name) => ({ name })))), 'key', indexTaken);
        this.indexesByColumns.set(columns.join('\0'), name);
        return name;
      }
      case 'CONSTR_EXCLUSION': {
        const elements = (constraint.exclusions ?? []).map((pair) => nodeOf(nodeOf(pair, 'List')?.items?.[0], 'IndexElem'));
        return chooseName(this.table, nameAddition(indexColumnNames(elements)), 'excl', indexTaken);
      }
      default:
        return undefined;
    }
  }
}

/** CREATE INDEX without a name: `<table>_<columns>_idx`, unique among the schema's relations. */
function indexName(statement: IndexStmt, catalog: NameCatalog, defaultSchema: string): ImplicitNames {
  if (statement.idxname !== undefined) return new Map([[statement, statement.idxname]]);
  const table = nameOfRangeVar(statement.relation);
  if (!table) return NO_NAMES;
  const schema = table.schema ?? defaultSchema;
  const elements = [...(statement.indexParams ?? []), ...(statement.indexIncludingParams ?? [])].map((element) => nodeOf(element, 'IndexElem'));
  const name = chooseName(table.name, nameAddition(indexColumnNames(elements)), 'idx', (candidate) => catalog.hasRelation(schema, candidate));
  return new Map([[statement, name]]);
}
