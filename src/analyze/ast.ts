import type { A_Const, ColumnDef, Constraint, ConstrType, Node, RangeVar, TypeName } from '@pgsql/types';

/** The type name and fields of a wrapped AST node: `{ IndexStmt: {...} }` gives `['IndexStmt', {...}]`. */
export function unwrap(node: Node): [string, Record<string, unknown>] {
  const [entry] = Object.entries(node as unknown as Record<string, Record<string, unknown>>);
  return entry ?? ['Unknown', {}];
}

/** The fields of `node` when it is of type `type`. */
export function nodeOf<K extends NodeType>(node: Node | undefined, type: K): NodeFields<K> | undefined {
  if (node === undefined) return undefined;
  return (node as unknown as Partial<Record<K, NodeFields<K>>>)[type];
}

export type NodeType = Node extends infer N ? (N extends Record<infer K, unknown> ? K & string : never) : never;
export type NodeFields<K extends NodeType> = Extract<Node, Record<K, unknown>>[K];

/** The text of the `String` nodes of a list, such as a qualified name. */
export function stringsOf(nodes: readonly Node[] | undefined): string[] {
  const strings: string[] = [];
  for (const node of nodes ?? []) {
    const value = nodeOf(node, 'String')?.sval;
    if (value !== undefined) strings.push(value);
  }
  return strings;
}

/** A possibly schema-qualified object name, as written. */
export interface QualifiedName {
  readonly schema: string | undefined;
  readonly name: string;
}

export function nameOfRangeVar(relation: RangeVar | undefined): QualifiedName | undefined {
  if (!relation?.relname) return undefined;
  return { schema: relation.schemaname, name: relation.relname };
}

/** A qualified name from a list of `String` nodes (`["public", "agents"]`). */
export function nameOfList(nodes: readonly Node[] | undefined): QualifiedName | undefined {
  const parts = stringsOf(nodes);
  const name = parts.at(-1);
  if (name === undefined) return undefined;
  return { schema: parts.length > 1 ? parts.at(-2) : undefined, name };
}

/** `DROP` statements list each object as a `List` of name parts. */
export function namesOfObjects(objects: readonly Node[] | undefined): QualifiedName[] {
  const names: QualifiedName[] = [];
  for (const object of objects ?? []) {
    const list = nodeOf(object, 'List')?.items;
    const name = list ? nameOfList(list) : nameOfList([object]);
    if (name) names.push(name);
  }
  return names;
}

/** How a name is shown to people: as written, quoted where PostgreSQL needs quotes. */
export function displayName(name: QualifiedName): string {
  return name.schema === undefined ? quoteIdentifier(name.name) : `${quoteIdentifier(name.schema)}.${quoteIdentifier(name.name)}`;
}

/**
 * An identifier as SQL: bare when PostgreSQL reads it back unchanged, else quoted. One holding a
 * control character (a line break, ESC) is written in PostgreSQL's Unicode escape form,
 * `U&"a\000Ab"`: the same identifier, and nothing in a report or a terminal that acts on it.
 */
export function quoteIdentifier(identifier: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(identifier)) return identifier;
  const quoted = identifier.replaceAll('"', '""');
  if (!CONTROL_CHARACTER.test(quoted)) return `"${quoted}"`;
  return `U&"${quoted.replaceAll('\\', '\\\\').replace(CONTROL_CHARACTERS, (character) => `\\${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}

// eslint-disable-next-line no-control-regex -- control characters are what these find
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

export function constraintsOf(column: ColumnDef | undefined): Constraint[] {
  const constraints: Constraint[] = [];
  for (const node of column?.constraints ?? []) {
    const constraint = nodeOf(node, 'Constraint');
    if (constraint) constraints.push(constraint);
  }
  return constraints;
}

export function hasConstraint(column: ColumnDef | undefined, type: ConstrType): boolean {
  return constraintsOf(column).some((constraint) => constraint.contype === type);
}

/** PostgreSQL's internal names for the types people write with SQL keywords. */
const TYPE_KEYWORDS: Readonly<Record<string, string>> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  bpchar: 'char',
  timestamptz: 'timestamp with time zone',
  timetz: 'time with time zone',
  varbit: 'bit varying',
};

/** The type's canonical name without modifiers, such as `varchar`, `integer` or `text`. */
export function baseTypeName(typeName: TypeName | undefined): string | undefined {
  const parts = stringsOf(typeName?.names);
  const name = parts.at(-1);
  if (name === undefined) return undefined;
  // `timestamptz`, `int8` and `bool` are also written unqualified: the same types.
  const keyword = parts.length === 1 || parts[0] === 'pg_catalog' ? TYPE_KEYWORDS[name] : undefined;
  return keyword ?? (parts.length > 1 && parts[0] !== 'pg_catalog' ? parts.join('.') : name);
}

/** The type modifiers written in parentheses, such as `[50]` for `varchar(50)`. */
export function typeModifiers(typeName: TypeName | undefined): number[] {
  const modifiers: number[] = [];
  for (const node of typeName?.typmods ?? []) {
    const value = nodeOf(node, 'A_Const')?.ival?.ival;
    if (value !== undefined) modifiers.push(value);
  }
  return modifiers;
}

/** A type as people write it: `varchar(255)`, `numeric(10,2)`, `text[]`. */
export function formatTypeName(typeName: TypeName | undefined): string | undefined {
  const base = baseTypeName(typeName);
  if (base === undefined) return undefined;
  const modifiers = typeModifiers(typeName);
  const arrays = '[]'.repeat(typeName?.arrayBounds?.length ?? 0);
  return `${base}${modifiers.length > 0 ? `(${modifiers.join(',')})` : ''}${arrays}`;
}

/** The argument types that identify a function (`DROP FUNCTION f(bigint, text)`): OUT and TABLE parameters do not count. */
export function functionArgumentTypes(parameters: readonly Node[] | undefined): string[] {
  return (parameters ?? []).flatMap((parameter) => {
    const definition = nodeOf(parameter, 'FunctionParameter');
    if (definition?.mode === 'FUNC_PARAM_OUT' || definition?.mode === 'FUNC_PARAM_TABLE') return [];
    return [formatTypeName(definition?.argType) ?? '<type>'];
  });
}

/** The value of a constant, as SQL text. */
export function constantText(constant: A_Const | undefined): string | undefined {
  if (!constant) return undefined;
  if (constant.isnull) return 'NULL';
  if (constant.sval) return `'${(constant.sval.sval ?? '').replaceAll("'", "''")}'`;
  if (constant.ival) return String(constant.ival.ival ?? 0);
  if (constant.fval) return constant.fval.fval;
  if (constant.boolval) return constant.boolval.boolval ? 'true' : 'false';
  return undefined;
}

/** Depth-first walk over every AST node below `node`, calling `visit` with its type and fields. */
export function walk(node: unknown, visit: (type: string, fields: Record<string, unknown>, path: readonly AncestorNode[]) => void): void {
  // With a stack of its own, not recursion: valid SQL nests deeper than the call stack goes
  // (1,000 subqueries, 5,000 UNION ALL branches), and psql runs it.
  const path: AncestorNode[] = [];
  const pending: PendingValue[] = node !== null && typeof node === 'object' ? [{ value: node, type: undefined, depth: 0 }] : [];
  const children: PendingValue[] = [];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    path.length = next.depth;
    const object = next.value as Record<string, unknown>;
    if (next.type !== undefined) {
      visit(next.type, object, path);
      path.push({ type: next.type, node: object });
    }
    const depth = path.length;
    if (Array.isArray(object)) {
      for (const item of object) if (item !== null && typeof item === 'object') children.push({ value: item, type: undefined, depth });
    } else {
      // for...in, not Object.entries: this runs for every object of every statement.
      for (const key in object) {
        const child = object[key];
        if (child === null || typeof child !== 'object') continue;
        children.push({ value: child, type: isNodeKey(key) && !Array.isArray(child) ? key : undefined, depth });
      }
    }
    // Reversed onto the stack, so that nodes are visited in the order they are written.
    while (children.length > 0) pending.push(children.pop() as PendingValue);
  }
}

export interface AncestorNode {
  readonly type: string;
  readonly node: Record<string, unknown>;
}

/** A value still to walk: a node when `type` is set, and how many ancestors it has. */
interface PendingValue {
  readonly value: unknown;
  readonly type: string | undefined;
  readonly depth: number;
}

/** Node types are capitalised (`IndexStmt`); field names are not (`relation`). */
function isNodeKey(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 65 && first <= 90;
}
