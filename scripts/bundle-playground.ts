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
 * `node:` import, with two exceptions a browser never runs or gets in its own form. libpg-query's
 * Emscripten glue requires node:fs and node:crypto only when it runs under Node (empty here), and
 * node:path, which layouts and rules use on file paths, is path-browserify (the playground's one
 * file is `/playground/migration.sql`). Node's `Buffer` global is the `buffer` package's.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const LIBPG_QUERY = dirname(require.resolve('libpg-query'));

const browserOnly: Plugin = {
  name: 'browser-only',
  setup(plugins) {
    plugins.onResolve({ filter: /^node:/ }, (args) => {
      if (args.path === 'node:path') return { path: require.resolve('path-browserify') };
      if (args.importer.startsWith(LIBPG_QUERY)) return { path: args.path, namespace: 'node-only' };
      return { errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}: the playground runs the engine in a browser (keep Node modules in the faces)` }] };
    });
    plugins.onLoad({ filter: /.*/, namespace: 'node-only' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
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
