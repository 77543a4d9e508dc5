import { type CreateFunctionStmt, type DefElem, type Node, nodeOf } from '../../src/api.js';

/** A function option by name (`security`, `language`, `volatility`, `set`). */
export function functionOption(options: readonly Node[] | undefined, name: string): DefElem | undefined {
  return (options ?? []).map((node) => nodeOf(node, 'DefElem')).find((definition) => definition?.defname === name);
}

/** `SET search_path = ...` among a function's options (CREATE FUNCTION, or ALTER FUNCTION's actions). */
export function setsSearchPath(options: CreateFunctionStmt['options']): boolean {
  return (options ?? []).some((node) => {
    const definition = nodeOf(node, 'DefElem');
    return definition?.defname === 'set' && nodeOf(definition.arg, 'VariableSetStmt')?.name === 'search_path';
  });
}

/** C and internal functions are compiled code: no SQL in them looks names up. */
export function hasSqlBody(options: readonly Node[] | undefined): boolean {
  const language = nodeOf(functionOption(options, 'language')?.arg, 'String')?.sval?.toLowerCase();
  return language !== 'c' && language !== 'internal';
}

/** The schema part of an object key (`public.agents` → `public`). */
export function schemaOfKey(key: string): string {
  return key.slice(0, key.indexOf('.'));
}
