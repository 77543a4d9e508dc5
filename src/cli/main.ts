#!/usr/bin/env node
// First, and before anything is imported that may compile WebAssembly: a V8 flag for the CLI process.
import './wasm-baseline.js';

// Imported dynamically so nothing can be evaluated before the flag is set, bundled or not.
const { main } = await import('./program.js');
process.exitCode = await main(process.argv.slice(2));
