import { fuzzCli, fuzzLsp } from './support/fuzz.js';

/**
 * `npm run fuzz -- [--seed N] [--count N] [--lsp-edits N]`: lints and fixes `count` mutants of
 * the fixtures' SQL (default: a random seed, 500 cases), then edits a document in the language
 * server `lsp-edits` times. Prints the seed and case of every failure; the same seed replays the
 * same cases. Exits 1 when anything failed.
 */
function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} takes a whole number, not ${String(process.argv[index + 1])}`);
    process.exit(2);
  }
  return value;
}

const seed = option('seed', Math.floor(Math.random() * 2 ** 31));
const count = option('count', 500);
const lspEdits = option('lsp-edits', 50);
console.log(`fuzzing with --seed ${seed} --count ${count} --lsp-edits ${lspEdits}`);
const started = Date.now();
const failures = [
  ...(await fuzzCli({ seed, count, onProgress: (done) => process.stdout.write(`\r${done}/${count} cases`) })),
  ...(lspEdits > 0 ? await fuzzLsp({ seed, edits: lspEdits }) : []),
];
process.stdout.write('\n');
for (const failure of failures) {
  console.log(`FAILED seed ${failure.seed}${failure.case === undefined ? '' : ` case ${failure.case}`}: ${failure.problem}`);
}
console.log(`${failures.length === 0 ? 'no failures' : `${failures.length} failure(s)`} in ${Math.round((Date.now() - started) / 1000)} s (replay: npm run fuzz -- --seed ${seed} --count ${count} --lsp-edits ${lspEdits})`);
process.exitCode = failures.length === 0 ? 0 : 1;
