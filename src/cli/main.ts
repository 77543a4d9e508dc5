#!/usr/bin/env node
// The CLI unbundled (the `migrate-safe` binary is the bundle, src/cli/bundle-main.ts).
// First, before anything that may compile WebAssembly is evaluated: a V8 flag for the CLI process.
import './v8-flags.js';
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
