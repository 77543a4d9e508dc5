#!/usr/bin/env node
// First, and before anything is imported that may compile WebAssembly: the V8 flags of the CLI process.
import './v8-flags.js';
import { fileURLToPath } from 'node:url';
import { runCachedBundle } from './code-cache.js';
import type * as Program from './program.js';

/**
 * The entry of the bundled CLI (dist/cli/main.js, the `migrate-safe` binary): runs the program
 * bundle next to it with its code cache. scripts/bundle-cli.ts builds both; `node dist/src/cli/main.js`
 * runs the same program unbundled.
 */
const { main } = runCachedBundle<typeof Program>(
  fileURLToPath(new URL('program.cjs', import.meta.url)),
  fileURLToPath(new URL('program.cache', import.meta.url)),
  // The bundle's import() of cosmiconfig and plugins, resolved from here (dist/cli/) as from any module.
  (specifier) => import(specifier),
).exports;
process.exitCode = await main(process.argv.slice(2));
