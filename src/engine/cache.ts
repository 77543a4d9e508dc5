import { readFileSync, statSync } from 'node:fs';
import type { SchemaState } from '../analyze/schema-state.js';
import type { ResolvedConfig } from '../config/load.js';
import type { CacheStore } from './cache-store.js';
import { type ParsedSource, parseSource } from '../parse/parser.js';

/** A project's schema after the migrations before the linted ones, and what it was replayed from. */
export interface KeptHistory {
  readonly config: ResolvedConfig;
  /** The parses replayed, in order: the state is valid while every file parses to the same object. */
  readonly parses: readonly ParsedSource[];
  readonly state: SchemaState;
  /** The run's transaction counter after the replay: later transactions must not reuse its ids. */
  readonly transactions: number;
}

/**
 * What a long-lived caller (an editor's language server) keeps between lint runs: a file is read
 * again only when it changed on disk, a text seen before is not parsed again, an edited one is
 * parsed again only where it changed, and a project's history is not replayed again while none
 * of its files changed.
 */
export class LintCache {
  /**
   * Where what outlives the process is kept (`--cache`): parses, schema snapshots and findings by
   * the hashes of their inputs (src/engine/kept-project.ts). Undefined: an editor's cache, in memory only.
   */
  readonly store: CacheStore | undefined;
  private readonly files = new Map<string, { readonly modified: number; readonly size: number; readonly text: string }>();
  private readonly parses = new Map<string, ParsedSource>();
  private readonly histories = new Map<string, KeptHistory>();

  constructor(options: { readonly store?: CacheStore } = {}) {
    this.store = options.store;
  }

  /** A file's text, read again only when its modification time or size changed. Throws as readFileSync does. */
  readFile(path: string): string {
    const stats = statSync(path);
    const kept = this.files.get(path);
    if (kept?.modified === stats.mtimeMs && kept.size === stats.size) return kept.text;
    const text = readFileSync(path, 'utf8');
    this.files.set(path, { modified: stats.mtimeMs, size: stats.size, text });
    return text;
  }

  parse(path: string, text: string): ParsedSource {
    const previous = this.parses.get(path);
    if (previous?.source.text === text) return previous;
    const parsed = parseSource(text, previous);
    this.parses.set(path, parsed);
    return parsed;
  }

  /** The state after `parses`, the first migrations of the project in `root`, when an earlier run replayed the same. */
  history(root: string, config: ResolvedConfig, parses: readonly ParsedSource[]): KeptHistory | undefined {
    const kept = this.histories.get(historyKey(root, parses.length));
    const same = kept?.config === config && kept.parses.every((parsed, index) => parsed === parses[index]);
    return same ? kept : undefined;
  }

  keepHistory(root: string, history: KeptHistory): void {
    this.histories.set(historyKey(root, history.parses.length), history);
  }

  forgetHistories(): void {
    this.histories.clear();
  }
}

/** One kept history per project and length: documents open at different places of one project each keep theirs. */
function historyKey(root: string, length: number): string {
  return `${root}\0${length}`;
}
