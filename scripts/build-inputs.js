// @ts-check
/**
 * Records what dist/ was built from, so the `prepare` script can skip a build that would change
 * nothing. npm runs `prepare` after `npm ci`, and again when the first `npx migrate-safe` in a
 * checkout links the checkout into npx's cache: without this, that first run rebuilt everything
 * (tsc, the bundle, its code cache) before linting. Plain JavaScript: it runs before anything is
 * compiled.
 *
 *   --begin      (start of `npm run build`) forget the record, note the inputs as they are now
 *   --end        (end of a successful build) the noted inputs become the record
 *   --unchanged  exit 0 when dist/ holds a complete build of the current inputs, else 1
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const RECORD = join(DIST, '.build-inputs');
const PENDING = `${RECORD}.pending`;
/** What the build compiles (tsconfig.build.json's include) and what decides its output. */
const SOURCE_FOLDERS = ['src', 'rules', 'scripts', 'bench'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** The build's last outputs: a build stopped before them is no build. */
const OUTPUTS = ['cli/main.js', 'cli/program.cjs', 'cli/program.cache', 'src/index.js'];

/**
 * TypeScript files below `folder`, relative to the root, skipping data folders such as bench/corpus/.
 * @param {string} folder
 * @returns {string[]}
 */
function typeScriptFiles(folder) {
  const files = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'corpus') files.push(...typeScriptFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** A hash of every build input's path and bytes, and of the Node.js version (the code cache is V8's). */
function inputsHash() {
  const hash = createHash('sha256').update(`${process.version}\0`);
  const files = [...SOURCE_FOLDERS.flatMap(typeScriptFiles), ...SOURCE_FILES.filter((file) => existsSync(join(ROOT, file)))].sort();
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(ROOT, file))).update('\0');
  return hash.digest('hex');
}

/** @param {string | undefined} step */
function run(step) {
  switch (step) {
    case '--begin':
      rmSync(RECORD, { force: true });
      mkdirSync(DIST, { recursive: true });
      writeFileSync(PENDING, inputsHash());
      return 0;
    case '--end':
      renameSync(PENDING, RECORD);
      return 0;
    case '--unchanged': {
      const built = existsSync(RECORD) && OUTPUTS.every((output) => existsSync(join(DIST, output)));
      if (built && readFileSync(RECORD, 'utf8') === inputsHash()) {
        process.stderr.write('migrate-safe: dist/ is built from these sources; nothing to build\n');
        return 0;
      }
      return 1;
    }
    default:
      process.stderr.write('usage: node scripts/build-inputs.js --begin | --end | --unchanged\n');
      return 2;
  }
}

process.exitCode = run(process.argv[2]);
