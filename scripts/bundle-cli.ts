import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild-wasm';

/**
 * `npm run build`, after tsc: bundles the CLI from the compiled JavaScript into dist/cli/, the
 * `migrate-safe` binary. Loading ~190 small ES modules one by one was the largest part of a cold
 * start (each is read, resolved and compiled on its own); a few chunks load in a fraction of that.
 * The library API (dist/src/api.js) stays unbundled for plugins and programs that import it.
 * esbuild-wasm, not esbuild: it has no platform binary, so `npm ci --omit=optional` (the GitHub
 * Action's install) still builds.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'cli');

/** Packages loaded from node_modules at run time rather than bundled, and why. */
const EXTERNAL = [
  // Its Emscripten glue finds libpg-query.wasm next to its own module file.
  'libpg-query',
  // Loaded only when a configuration file is read; its loaders require TypeScript and YAML on demand.
  'cosmiconfig',
  // Required on first use, only by runs that print SQL back (src/parse/deparse.ts).
  'pgsql-deparser',
  // The language server's packages: `migrate-safe lsp` only.
  'vscode-languageserver',
  'vscode-languageserver-textdocument',
];

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: [join(ROOT, 'dist', 'src', 'cli', 'main.js')],
  outdir: OUT,
  bundle: true,
  // Chunks: the commands, report formats and the language server stay loaded on demand.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // Bundled CommonJS packages (commander) require Node's built-in modules: ESM output needs a `require` for them.
  banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
