/**
 * `import()` of a module by name or URL (cosmiconfig, plugins), kept in one function: the bundled
 * CLI runs as a script compiled through node:vm, where `import()` is not available, and
 * scripts/bundle-cli.ts puts an `import()` of the CLI's entry module in its place.
 */
export function importModule(specifier: string): Promise<unknown> {
  return import(specifier);
}
