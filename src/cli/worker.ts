import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { runCachedBundle } from './code-cache.js';
import type { WorkerData } from './code-worker.js';
import type * as Program from './program.js';

/**
 * The entry of a worker thread that runs project code (src/cli/code-worker.ts): the program
 * bundle next to it with its code cache (dist/cli/, the `migrate-safe` binary), or the modules
 * next to it (dist/src/cli/, the CLI unbundled).
 */
const bundle = fileURLToPath(new URL('program.cjs', import.meta.url));
const program: typeof Program = existsSync(bundle)
  ? runCachedBundle<typeof Program>(bundle, fileURLToPath(new URL('program.cache', import.meta.url)), (specifier) => import(specifier)).exports
  : await import('./program.js');
await program.runWorker(workerData as WorkerData);
