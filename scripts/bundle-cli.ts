// First: the warm-up run below writes a code cache, valid only under the V8 flags the CLI runs with.
import '../src/cli/v8-flags.js';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Plugin, build } from 'esbuild-wasm';
import { runCachedBundle } from '../src/cli/code-cache.js';
import { BUNDLE_HASH_SUFFIX, hashOf } from '../src/engine/cache-keys.js';
import type * as Program from '../src/cli/program.js';

/**
 * `npm run build`, after tsc: bundles the CLI from the compiled JavaScript into dist/cli/, the
 * `migrate-safe` binary, and writes its V8 code cache. Loading ~190 small ES modules one by one,
 * then parsing and compiling them, was most of a cold start; one bundle with a code cache starts in
 * a fraction of that. The library API (dist/src/index.js) stays unbundled for plugins and programs
 * that import it. esbuild-wasm, not esbuild: it has no platform binary, so `npm ci --omit=optional`
 * (the GitHub Action's install) still builds.
 *
 * dist/cli/main.js is a small ES module (src/cli/bundle-main.ts) that sets the V8 flag and runs
 * dist/cli/program.cjs, the program as one CommonJS bundle: V8 can cache the code of a script
 * compiled through node:vm, not of an ES module, on Node 20.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'cli');
const BUNDLE = join(OUT, 'program.cjs');
const CACHE = join(OUT, 'program.cache');

/** Packages loaded from node_modules at run time rather than bundled, and why. */
const EXTERNAL = [
  // Its Emscripten glue finds libpg-query.wasm next to its own module file.
  'libpg-query',
  // Loaded only when a configuration file is read; its loaders require TypeScript and YAML on demand.
  'cosmiconfig',
  // Required on first use, only by runs that print SQL back (src/parse/deparse.ts).
  'pgsql-deparser',
  // The database client: up, down, status, history, backup and restore only.
  'pg',
  'pg-connection-string',
  // The language server's packages: `migrate-safe lsp` only.
  'vscode-languageserver',
  'vscode-languageserver-textdocument',
  // The MCP server's packages: `migrate-safe mcp` only.
  '@modelcontextprotocol/sdk',
  'zod',
];

/** A migration the warm-up lints: statements and findings enough that the code of a typical run is compiled and cached. */
const WARM_UP_MIGRATION = `CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);
CREATE INDEX accounts_email ON accounts (email);
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
-- migrate-safe-ignore rename-column: the warm-up reads a directive too
ALTER TABLE users RENAME COLUMN name TO full_name;
`;

/**
 * src/config/import-module.ts becomes the `__importModule` the bundle's wrapper receives
 * (src/cli/code-cache.ts): a script compiled through node:vm cannot use import() itself.
 */
const importFromEntry: Plugin = {
  name: 'import-module-from-entry',
  setup(plugins) {
    plugins.onResolve({ filter: /\/import-module\.js$/ }, (args) => ({ path: args.path, namespace: 'import-module' }));
    plugins.onLoad({ filter: /.*/, namespace: 'import-module' }, () => ({ contents: 'export const importModule = __importModule;', loader: 'js' }));
  },
};

rmSync(OUT, { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', external: EXTERNAL, logLevel: 'warning' } as const;
await build({
  ...common,
  entryPoints: [join(ROOT, 'dist', 'src', 'cli', 'program.js')],
  outfile: BUNDLE,
  format: 'cjs',
  // The sources are ES modules: strict, and import.meta.url is this file's URL.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "'use strict';\nconst __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [importFromEntry],
});
// Fail the build rather than the user's run: an import() left in the bundle would throw when reached.
const bundled = readFileSync(BUNDLE, 'utf8');
if (/\bimport\(/.test(bundled)) throw new Error(`${BUNDLE} calls import(): route it through src/config/import-module.ts`);
// The persistent cache is valid only for the code that wrote it (src/engine/cache-keys.ts).
writeFileSync(`${BUNDLE}${BUNDLE_HASH_SUFFIX}`, hashOf(bundled));
await build({ ...common, entryPoints: [join(ROOT, 'dist', 'src', 'cli', 'bundle-main.js')], outfile: join(OUT, 'main.js'), format: 'esm' });
// npm makes the binary executable when it installs the package; a rebuild afterwards (npm run build) must keep it so.
chmodSync(join(OUT, 'main.js'), 0o755);
// The parser pool starts its threads from ./parse-worker.js next to the module that holds it: here, the bundle.
await build({ ...common, entryPoints: [join(ROOT, 'dist', 'src', 'parse', 'parse-worker.js')], outfile: join(OUT, 'parse-worker.js'), format: 'esm' });
// Threads that run project code under a time limit (src/cli/code-worker.ts) run the bundle too, from ./worker.js next to it.
await build({ ...common, external: [...EXTERNAL, './program.js'], entryPoints: [join(ROOT, 'dist', 'src', 'cli', 'worker.js')], outfile: join(OUT, 'worker.js'), format: 'esm' });

// One lint in this process compiles what a run needs; the cache holds it for every later start.
const program = runCachedBundle<typeof Program>(BUNDLE, CACHE, (specifier) => import(specifier));
const folder = mkdtempSync(join(tmpdir(), 'migrate-safe-warm-up-'));
try {
  writeFileSync(join(folder, '1_warm_up.sql'), WARM_UP_MIGRATION);
  await program.exports.main(['lint', folder, '--format', 'json', '--output-file', devNull]);
  await program.exports.main(['lint', folder, '--format', 'text', '--output-file', devNull]);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
writeFileSync(CACHE, program.cacheData());
