import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type CorpusShape, generateCorpus } from './generate.js';

/**
 * `npm run bench`: migrate-safe against squawk (the native peer, when the squawk-cli package is
 * installed) on synthetic corpora; medians after a warm-up run, peak memory, statements per second.
 * Benchmarks are measurements, not tests: nothing here asserts a time.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const CORPORA = join(ROOT, 'bench', 'corpus');
const SQUAWK = join(ROOT, 'node_modules', '@squawk-cli', `${process.platform}-${process.arch}`, 'bin', 'squawk');
const TIME = '/usr/bin/time';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Sample {
  readonly seconds: number;
  readonly peakKilobytes: number | undefined;
}

interface Scenario {
  readonly name: string;
  readonly shape: CorpusShape;
  readonly squawk: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'large project', shape: { files: 2000, statements: 40_000 }, squawk: true },
  { name: 'one big file', shape: { files: 1, statements: 20_000 }, squawk: true },
  { name: 'one small file (cold)', shape: { files: 1, statements: 1 }, squawk: true },
];

const SCALING: readonly CorpusShape[] = [1000, 2000, 4000, 8000].map((files) => ({ files, statements: files * 20 }));

/** Runs a command `RUNS` times after one warm-up; wall time from the clock, peak RSS from /usr/bin/time when present. */
function measure(command: string, args: readonly string[]): Sample[] {
  const timed = existsSync(TIME);
  const samples: Sample[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const started = performance.now();
    const result = timed
      ? spawnSync(TIME, ['-f', '%M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 })
      : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0 && result.status !== 1) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    const peak = timed ? Number(result.stderr.trim().split('\n').at(-1)) : undefined;
    if (run > 0) samples.push({ seconds, peakKilobytes: peak });
  }
  return samples;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function corpus(shape: CorpusShape): string {
  const folder = join(CORPORA, `${shape.files}x${shape.statements}`);
  const migrations = join(folder, 'migrations');
  if (!existsSync(migrations) || readdirSync(migrations).length !== shape.files) generateCorpus(folder, shape);
  return migrations;
}

function migrateSafe(migrations: string): Sample[] {
  return measure(process.execPath, [CLI, 'lint', migrations, '--format', 'json', '--output-file', '/dev/null']);
}

function squawk(migrations: string): Sample[] | undefined {
  if (!existsSync(SQUAWK)) return undefined;
  return measure(SQUAWK, [join(migrations, '*.sql'), '--reporter', 'json']);
}

const seconds = (samples: readonly Sample[]): number => median(samples.map((sample) => sample.seconds));
const peakMegabytes = (samples: readonly Sample[]): string => {
  const peaks = samples.map((sample) => sample.peakKilobytes).filter((peak): peak is number => peak !== undefined);
  return peaks.length === 0 ? 'n/a' : `${Math.round(Math.max(...peaks) / 1024)} MB`;
};
const format = (value: number): string => (value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`);

function main(): void {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  const [cpu] = cpus();
  console.log(`machine: ${cpus().length} × ${cpu?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${RUNS} runs after 1 warm-up, medians`);
  console.log(existsSync(SQUAWK) ? `squawk: ${spawnSync(SQUAWK, ['--version'], { encoding: 'utf8' }).stdout.trim()}` : 'squawk: not installed (npm i -D squawk-cli)');
  console.log('');
  console.log('| scenario | files | statements | migrate-safe | squawk | ratio | statements/s | peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const scenario of SCENARIOS) {
    const migrations = corpus(scenario.shape);
    const ours = migrateSafe(migrations);
    const theirs = scenario.squawk ? squawk(migrations) : undefined;
    const ratio = theirs ? (seconds(ours) / seconds(theirs)).toFixed(2) : 'n/a';
    const rate = Math.round(scenario.shape.statements / seconds(ours)).toLocaleString('en');
    console.log(
      `| ${scenario.name} | ${scenario.shape.files} | ${scenario.shape.statements.toLocaleString('en')} | ${format(seconds(ours))} | ${theirs ? format(seconds(theirs)) : 'n/a'} | ${ratio} | ${rate} | ${peakMegabytes(ours)} |`,
    );
  }
  console.log('');
  console.log('| scaling: files | statements | migrate-safe | per 1,000 files |');
  console.log('|---:|---:|---:|---:|');
  for (const shape of SCALING) {
    const time = seconds(migrateSafe(corpus(shape)));
    console.log(`| ${shape.files} | ${shape.statements.toLocaleString('en')} | ${format(time)} | ${format((time / shape.files) * 1000)} |`);
  }
}

main();
