import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { type Plugin, build } from 'esbuild-wasm';

/**
 * `npm run playground`: the web playground as static files (dist/playground/, or the folder given):
 * playground/index.html, the page and the engine bundled for browsers (playground.js), and the
 * PostgreSQL parser (libpg-query.wasm, which the bundle loads from beside itself).
 *
 * The same engine as the CLI, so nothing Node-only may reach the bundle: the build fails on any
 * `node:` import, except where a browser never runs it or gets it in its own form: libpg-query's
 * Emscripten glue requires node:fs and node:crypto only when it runs under Node (empty here);
 * node:path, which layouts and rules use on file paths, is path-browserify (the playground's one
 * file is `/playground/migration.sql`); the createRequire with which src/parse/deparse.ts loads the
 * deparser on first use (a CLI run without findings never loads it) hands over the bundled
 * deparser. Node's `Buffer` global is the `buffer` package's.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const LIBPG_QUERY = dirname(require.resolve('libpg-query'));
const DEPARSE = join(ROOT, 'dist', 'src', 'parse', 'deparse.js');

const browserOnly: Plugin = {
  name: 'browser-only',
  setup(plugins) {
    plugins.onResolve({ filter: /^node:/ }, (args) => {
      if (args.path === 'node:path') return { path: require.resolve('path-browserify') };
      if (args.importer.startsWith(LIBPG_QUERY)) return { path: args.path, namespace: 'node-only' };
      if (args.path === 'node:module' && args.importer === DEPARSE) return { path: args.path, namespace: 'bundled-deparser' };
      return { errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}: the playground runs the engine in a browser (keep Node modules in the faces)` }] };
    });
    plugins.onLoad({ filter: /.*/, namespace: 'node-only' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    plugins.onLoad({ filter: /.*/, namespace: 'bundled-deparser' }, () => ({
      contents: "import * as deparser from 'pgsql-deparser'; export const createRequire = () => () => deparser;",
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

export async function bundlePlayground(out: string): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'dist', 'src', 'playground', 'page.js')],
    outfile: join(out, 'playground.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    inject: [join(ROOT, 'dist', 'src', 'playground', 'buffer-global.js')],
    // The page is a classic script (import.meta is for modules): the address of the page stands for a module's.
    define: { 'import.meta.url': 'location.href' },
    plugins: [browserOnly],
    logLevel: 'warning',
  });
  copyFileSync(join(LIBPG_QUERY, 'libpg-query.wasm'), join(out, 'libpg-query.wasm'));
  copyFileSync(join(ROOT, 'playground', 'index.html'), join(out, 'index.html'));
}

if (process.argv[1] === import.meta.filename) {
  const out = resolve(process.argv[2] ?? join(ROOT, 'dist', 'playground'));
  await bundlePlayground(out);
  process.stdout.write(`The playground is in ${relative(process.cwd(), out) || '.'}: serve that folder over HTTP and open index.html.\n`);
}
