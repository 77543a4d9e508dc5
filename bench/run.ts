import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
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
  /** User plus system CPU time: steadier than the clock on a machine others load too. */
  readonly cpuSeconds: number | undefined;
  readonly peakKilobytes: number | undefined;
}

interface Scenario {
  readonly name: string;
  readonly shape: CorpusShape;
  readonly squawk: boolean;
}

/**
 * The case a pre-commit hook, an editor's on-save command or a pull-request check meets most: one
 * migration at the end of a long history changed, and only it is linted (`lint <file>`, or
 * `--staged`). Before each run the file gets new content, so its findings are never in the cache;
 * `cache` says what the cache holds then: nothing (`--cache` with an empty folder), or the
 * history from the run before.
 */
interface ChangedFileScenario {
  readonly history: number;
  readonly cache: 'none' | 'cold' | 'warm';
  readonly staged?: boolean;
}

const CHANGED_FILE: readonly ChangedFileScenario[] = [
  { history: 500, cache: 'none' },
  { history: 500, cache: 'cold' },
  { history: 500, cache: 'warm' },
  { history: 2000, cache: 'none' },
  { history: 2000, cache: 'cold' },
  { history: 2000, cache: 'warm' },
  { history: 2000, cache: 'warm', staged: true },
];

const SCENARIOS: readonly Scenario[] = [
  { name: 'large project', shape: { files: 2000, statements: 40_000 }, squawk: true },
  { name: 'one big file', shape: { files: 1, statements: 20_000 }, squawk: true },
  { name: 'one small file (cold)', shape: { files: 1, statements: 1 }, squawk: true },
];

const SCALING: readonly CorpusShape[] = [1000, 2000, 4000, 8000].map((files) => ({ files, statements: files * 20 }));

/**
 * Runs a command `RUNS` times after one warm-up; wall time from the clock, CPU time (user + system)
 * and peak RSS from /usr/bin/time when present. `before` runs ahead of each run, untimed.
 */
function measure(command: string, args: readonly string[], options: { cwd?: string; before?: (run: number) => void } = {}): Sample[] {
  const timed = existsSync(TIME);
  const samples: Sample[] = [];
  for (let run = 0; run <= RUNS; run++) {
    options.before?.(run);
    const started = performance.now();
    const spawnOptions = { encoding: 'utf8', maxBuffer: 1 << 30, cwd: options.cwd } as const;
    const result = timed ? spawnSync(TIME, ['-f', '%M %U %S', command, ...args], spawnOptions) : spawnSync(command, args, spawnOptions);
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0 && result.status !== 1) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    const [peak, user, system] = timed ? (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number) : [];
    if (run > 0) samples.push({ seconds, cpuSeconds: user === undefined || system === undefined ? undefined : user + system, peakKilobytes: peak });
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

function migrateSafe(migrations: string, extra: readonly string[] = [], options: Parameters<typeof measure>[2] = {}): Sample[] {
  return measure(process.execPath, [CLI, 'lint', migrations, '--format', 'json', '--output-file', '/dev/null', ...extra], options);
}

function squawk(migrations: string, pattern = '*.sql'): Sample[] | undefined {
  if (!existsSync(SQUAWK)) return undefined;
  return measure(SQUAWK, [join(migrations, pattern), '--reporter', 'json']);
}

/** A cache folder of the benchmark's own, so runs never read a cache the user's runs wrote. */
function cacheFolder(name: string): string {
  return join(CORPORA, `cache-${name}`);
}

/** The large project linted twice with the cache: every timed run finds the findings of the run before. */
function warmProject(migrations: string): Sample[] {
  const cache = cacheFolder('large-project');
  rmSync(cache, { recursive: true, force: true });
  return migrateSafe(migrations, ['--cache', '--cache-location', cache]);
}

function git(cwd: string, args: readonly string[]): void {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

function changedFile(scenario: ChangedFileScenario): { ours: Sample[]; theirs: Sample[] | undefined } {
  const files = scenario.history + 1;
  const migrations = corpus({ files, statements: files * 20 });
  const name = `${String(files).padStart(6, '0')}_migration.sql`;
  const target = join(migrations, name);
  const cache = cacheFolder(`changed-${files}`);
  rmSync(cache, { recursive: true, force: true });
  const cacheArgs = scenario.cache === 'none' ? [] : ['--cache', '--cache-location', cache];
  const before = (run: number): void => {
    if (scenario.cache === 'cold') rmSync(cache, { recursive: true, force: true });
    appendFileSync(target, `-- edit ${run}\nALTER TABLE t1 ADD COLUMN edit_${run}_${Date.now()} integer;\n`);
    if (scenario.staged) git(migrations, ['add', name]);
  };
  if (scenario.staged) {
    rmSync(join(migrations, '.git'), { recursive: true, force: true });
    git(migrations, ['init', '-q']);
    git(migrations, ['add', '.']);
    git(migrations, ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'history']);
  }
  try {
    const ours = scenario.staged ? migrateSafe(migrations, ['--staged', ...cacheArgs], { cwd: migrations, before }) : migrateSafe(target, cacheArgs, { before });
    return { ours, theirs: squawk(migrations, name) };
  } finally {
    // The corpus is regenerated from scratch next time: the edits must not stay.
    rmSync(join(migrations, '..'), { recursive: true, force: true });
  }
}

const seconds = (samples: readonly Sample[]): number => median(samples.map((sample) => sample.seconds));
const peakMegabytes = (samples: readonly Sample[]): string => {
  const peaks = samples.map((sample) => sample.peakKilobytes).filter((peak): peak is number => peak !== undefined);
  return peaks.length === 0 ? 'n/a' : `${Math.round(Math.max(...peaks) / 1024)} MB`;
};
const format = (value: number): string => (value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`);
const cpuSeconds = (samples: readonly Sample[]): number | undefined => {
  const cpu = samples.map((sample) => sample.cpuSeconds).filter((value): value is number => value !== undefined);
  return cpu.length === 0 ? undefined : median(cpu);
};
/** Median wall time, then median CPU time (user + system) when /usr/bin/time measured it. */
const times = (samples: readonly Sample[] | undefined): string => {
  if (!samples) return 'n/a';
  const cpu = cpuSeconds(samples);
  return cpu === undefined ? format(seconds(samples)) : `${format(seconds(samples))} / ${format(cpu)}`;
};
/** Our time over theirs, wall and CPU. */
const ratios = (ours: readonly Sample[], theirs: readonly Sample[] | undefined, digits: number): string => {
  if (!theirs) return 'n/a';
  const wall = (seconds(ours) / seconds(theirs)).toFixed(digits);
  const [cpu, theirCpu] = [cpuSeconds(ours), cpuSeconds(theirs)];
  return cpu === undefined || !theirCpu ? wall : `${wall} / ${(cpu / theirCpu).toFixed(digits)}`;
};

function main(): void {
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  const [cpu] = cpus();
  console.log(`machine: ${cpus().length} × ${cpu?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${RUNS} runs after 1 warm-up, medians`);
  console.log(existsSync(SQUAWK) ? `squawk: ${spawnSync(SQUAWK, ['--version'], { encoding: 'utf8' }).stdout.trim()}` : 'squawk: not installed (npm i -D squawk-cli)');
  console.log('');
  console.log('Times are wall / CPU (user + system): on a machine others load too, compare CPU.');
  console.log('');
  console.log('| scenario | files | statements | migrate-safe | squawk | ratio | statements/s | peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const scenario of SCENARIOS) {
    const migrations = corpus(scenario.shape);
    const ours = migrateSafe(migrations);
    const theirs = scenario.squawk ? squawk(migrations) : undefined;
    const rate = Math.round(scenario.shape.statements / seconds(ours)).toLocaleString('en');
    console.log(
      `| ${scenario.name} | ${scenario.shape.files} | ${scenario.shape.statements.toLocaleString('en')} | ${times(ours)} | ${times(theirs)} | ${ratios(ours, theirs, 2)} | ${rate} | ${peakMegabytes(ours)} |`,
    );
  }
  const large = SCENARIOS[0];
  if (large) {
    const migrations = corpus(large.shape);
    const ours = warmProject(migrations);
    const theirs = squawk(migrations);
    console.log(`| large project, warm cache | ${large.shape.files} | ${large.shape.statements.toLocaleString('en')} | ${times(ours)} | ${times(theirs)} | ${ratios(ours, theirs, 2)} | | ${peakMegabytes(ours)} |`);
  }
  console.log('');
  console.log('| one changed file at the end | history | cache | migrate-safe | squawk (that file) | ratio | peak RSS |');
  console.log('|---|---:|---|---:|---:|---:|---:|');
  for (const scenario of CHANGED_FILE) {
    const { ours, theirs } = changedFile(scenario);
    const how = scenario.staged ? 'lint --staged' : 'lint <file>';
    console.log(`| ${how} | ${scenario.history} | ${scenario.cache} | ${times(ours)} | ${times(theirs)} | ${ratios(ours, theirs, 1)} | ${peakMegabytes(ours)} |`);
  }
  console.log('');
  console.log('| scaling: files | statements | migrate-safe | per 1,000 files (CPU) |');
  console.log('|---:|---:|---:|---:|');
  for (const shape of SCALING) {
    const samples = migrateSafe(corpus(shape));
    const time = cpuSeconds(samples) ?? seconds(samples);
    console.log(`| ${shape.files} | ${shape.statements.toLocaleString('en')} | ${times(samples)} | ${format((time / shape.files) * 1000)} |`);
  }
}

main();
