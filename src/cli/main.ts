#!/usr/bin/env node
// First: sets a V8 flag that must be in place before any WebAssembly is compiled.
import './wasm-baseline.js';
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
