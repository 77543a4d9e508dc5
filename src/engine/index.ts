import { resolve } from 'node:path';
import { UsageError } from '../config/errors.js';
import type { ConfigLoader } from '../config/load.js';
import { type MigrationFile, type MigrationProject, discover, partText } from '../discover/index.js';
import type { LintResult } from '../findings/finding.js';
import { loadParser } from '../parse/parser.js';
import { type Concurrency, ParserPool, parsingPlan } from '../parse/pool.js';
import type { FileChange } from '../plugin/rule.js';
import type { LintCache } from './cache.js';
import { KeptProject } from './kept-project.js';
import { Run, partKey, partsToParse, scopeOf } from './run.js';
import { SourceReader } from './sources.js';

export interface LintOptions {
  /** Files, folders and globs, as on the command line. */
  readonly inputs: readonly string[];
  readonly cwd?: string;
  /** Where each project's configuration comes from; the caller builds it with the rules it offers (the built-in ones, in the CLI and the editor). */
  readonly configs: ConfigLoader;
  /** Contents that replace what is on disk (stdin, unsaved editor buffers), by path. */
  readonly texts?: ReadonlyMap<string, string>;
  readonly reportUnusedDirectives?: boolean;
  /**
   * Report only on these files (absolute paths), as git changed them (`--since`, `--staged`);
   * every migration before them is still read for context.
   */
  readonly changes?: ReadonlyMap<string, FileChange>;
  /** Keep each linted file's parse and statement analyses in the result (`analyses`): an editor's hover reads them. */
  readonly keepAnalyses?: boolean;
  /** Files, parses and replayed histories kept from earlier runs: an editor lints on every change, and most files do not change. */
  readonly cache?: LintCache;
  /** Worker threads that parse ahead of the analysis (`auto` by default: from a few hundred files on, when there is no cache). */
  readonly concurrency?: Concurrency;
  /**
   * Files never deployed: not in the base a pull request is compared with (`--since`, the editor's
   * base). What their migrations create is new to the migrations after them, as what a file
   * creates is new to its own later statements.
   */
  readonly undeployed?: (path: string) => boolean;
}

/**
 * Lints migrations: discovers the projects the inputs belong to, replays each project's history
 * in order, runs the configured rules over the files asked for, and returns the findings.
 */
export async function lint(options: LintOptions): Promise<LintResult> {
  const cwd = options.cwd ?? process.cwd();
  const parserReady = loadParser();
  const configs = options.configs;
  const texts = new Map([...(options.texts ?? new Map<string, string>())].map(([path, text]) => [resolve(cwd, path), text]));
  const sources = new SourceReader(texts, options.cache);
  const discovery = await discover(options.inputs, {
    cwd,
    virtualFiles: [...texts.keys()],
    readText: (path) => sources.text(path),
    settingsFor: async (root) => {
      const config = await configs.forFolder(root);
      return { layout: config.layout, isIgnored: config.isIgnored };
    },
  });
  if (discovery.unmatched.length > 0) {
    throw new UsageError(`no files match ${discovery.unmatched.map((input) => `"${input}"`).join(', ')}`);
  }
  await parserReady;
  const changes = options.changes;
  const targets = changes ? new Set([...discovery.targets].filter((file) => changes.has(file))) : discovery.targets;
  // An editor's cache parses only what changed: threads would only add their start-up.
  const store = options.cache?.store;
  const pool = options.cache ? undefined : startParserPool(discovery.projects, targets, sources, options.concurrency ?? 'auto');
  const run = new Run(sources, {
    reportUnusedDirectives: options.reportUnusedDirectives === true,
    changes,
    undeployed: options.undeployed,
    keepAnalyses: options.keepAnalyses === true,
    cache: options.cache,
    pool,
    keptProject: store ? (project, config, texts) => new KeptProject(store, project, config, texts) : undefined,
  });
  try {
    for (const project of discovery.projects) {
      run.lintProject(project, await configs.forFolder(project.root), targets);
    }
    return { ...run.result(), parsing: { threads: pool?.threads ?? 0, parses: pool?.parses ?? 0, parsedByThreads: pool?.parsedByThreads ?? 0 } };
  } finally {
    pool?.close();
  }
}

/** Parser threads for a run that parses enough files to gain from them; undefined when it does not. */
function startParserPool(projects: readonly MigrationProject[], targets: ReadonlySet<string>, sources: SourceReader, concurrency: Concurrency): ParserPool | undefined {
  const isTarget = (file: MigrationFile | undefined): boolean => file !== undefined && targets.has(file.path);
  const texts = new Map<string, string>();
  for (const project of projects) {
    for (const file of partsToParse(scopeOf(project, isTarget), isTarget)) {
      const text = sources.text(file.path);
      if (text !== undefined) texts.set(partKey(file), partText(file, text));
    }
  }
  let characters = 0;
  for (const text of texts.values()) characters += text.length;
  const plan = parsingPlan(concurrency, characters);
  return plan ? new ParserPool(texts, plan) : undefined;
}
