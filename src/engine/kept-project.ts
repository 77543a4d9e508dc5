import { SchemaState } from '../analyze/schema-state.js';
import type { ResolvedConfig } from '../config/load.js';
import type { Migration, MigrationFile, MigrationProject } from '../discover/index.js';
import type { Finding, ProjectNote } from '../findings/finding.js';
import { type ParsedSource, type TransferredParse, fromTransfer, parseSource, toTransfer } from '../parse/parser.js';
import type { FileChange } from '../plugin/rule.js';
import { configIdentity, hashOf, toolIdentity } from './cache-keys.js';
import type { CacheStore } from './cache-store.js';
import { type EncodedState, decodeState, encodeState } from './snapshot.js';

/** What linting one migration added to the run: the files reported on and their findings, directives applied. */
export interface MigrationResult {
  readonly files: readonly string[];
  readonly findings: readonly Finding[];
  /** What the rules noted about the whole project while linting it. */
  readonly notes?: readonly ProjectNote[];
}

/** The schema after a prefix of the history, as the cache keeps it. */
interface KeptState {
  readonly state: EncodedState;
  /** The run's transaction counter after the replay: later transactions must not reuse its ids. */
  readonly transactions: number;
}

/** Findings are kept in packs of this many consecutive migrations: an edit rewrites one pack. */
const RESULTS_PACK = 256;
/**
 * Parses in packs of this many: a parse is kept as its AST's JSON, a hundred times the size of a
 * migration's findings, and a run that lints one changed file reads and writes its pack.
 */
const PARSES_PACK = 32;
/** The entries a pack keeps, per migration it packs: its own, its rollback's, and as many again from other runs. */
const ENTRIES_PER_MIGRATION = 4;

/** Snapshots of a project's schema kept besides the ones this run uses: a few recent histories of other branches. */
const KEPT_OTHER_SNAPSHOTS = 4;

/**
 * One project's share of the persistent cache (`--cache`). Every migration extends a chain of
 * keys: the key of a prefix of the history hashes the tool, the configuration, the project's
 * place and layout, and each migration's description and text, in order. So a snapshot of the
 * schema after a prefix is used only when all of that is the same, and a migration's findings
 * are reused only when its own inputs and the whole history before it are the same. Parses are
 * kept by the hash of the text parsed.
 *
 * Kept per project: its snapshots (`state-<project>-<prefix key>`, one entry each, loaded only
 * when needed), its findings (`results-<project>-<pack>`) and its parses (`parses-<project>-<pack>`),
 * in packs of consecutive migrations with a bounded number of entries each.
 */
export class KeptProject {
  private readonly store: CacheStore;
  private readonly name: string;
  /** The key of each prefix of the migrations that could be read: `prefixes[i]` before migration i. */
  private readonly prefixes: string[] = [];
  private readonly upHashes: string[] = [];
  private readonly results: PackedEntries<MigrationResult>;
  private readonly parses: PackedEntries<TransferredParse>;
  private readonly usedSnapshots = new Set<string>();

  /** `texts`: each migration's text, up to the last one the run reads; undefined where it cannot be read (the chain ends there). */
  constructor(store: CacheStore, project: MigrationProject, config: ResolvedConfig, texts: readonly (string | undefined)[]) {
    this.store = store;
    this.name = hashOf(project.root).slice(0, 16);
    this.results = new PackedEntries(store, `results-${this.name}`, RESULTS_PACK);
    this.parses = new PackedEntries(store, `parses-${this.name}`, PARSES_PACK);
    let prefix = hashOf('project', toolIdentity(), configIdentity(config), project.root, project.layout);
    for (const [index, text] of texts.entries()) {
      const migration = project.migrations[index];
      if (text === undefined || !migration) break;
      this.prefixes.push(prefix);
      const upHash = hashOf(text);
      this.upHashes.push(upHash);
      prefix = hashOf(prefix, JSON.stringify(migration), upHash);
    }
    this.prefixes.push(prefix);
  }

  /** How many migrations from the start the chain covers: the cache knows nothing past an unreadable one. */
  get length(): number {
    return this.prefixes.length - 1;
  }

  /** The key of migration `index`'s findings: the history before it, its own files, and how it is reported on. */
  resultKey(index: number, migration: Migration, report: ResultInputs): string | undefined {
    const prefix = this.prefixes[index];
    const upHash = this.upHashes[index];
    if (prefix === undefined || upHash === undefined) return undefined;
    return hashOf(prefix, JSON.stringify(migration), upHash, JSON.stringify(report));
  }

  /** Migration `index`'s findings under `key`, when a run with the same inputs kept them. */
  result(index: number, key: string): MigrationResult | undefined {
    return this.results.get(index, key);
  }

  keepResult(index: number, key: string, result: MigrationResult): void {
    this.results.add(index, key, result);
  }

  /**
   * The schema after the first `length` migrations, from the kept snapshot nearest before it
   * (none: the empty schema at 0); `replay` brings it the rest of the way.
   */
  nearestState(length: number): { state: SchemaState; at: number; transactions: number } {
    const wanted = new Map(this.prefixes.slice(0, length + 1).map((prefix, index) => [this.snapshotName(prefix), index]));
    const candidates = this.store
      .entries(this.snapshotPrefix())
      .flatMap((name) => {
        const at = wanted.get(name);
        return at === undefined ? [] : [{ name, at }];
      })
      .sort((left, right) => right.at - left.at);
    for (const { name, at } of candidates) {
      const kept = this.store.read(name) as KeptState | undefined;
      const state = isKeptState(kept) ? decodeState(kept.state) : undefined;
      if (!kept || !state) continue;
      this.usedSnapshots.add(name);
      return { state, at, transactions: kept.transactions };
    }
    return { state: new SchemaState(), at: 0, transactions: 0 };
  }

  /** Keeps the schema after the first `length` migrations, unless it is kept already. */
  keepState(length: number, state: SchemaState, transactions: number): void {
    const prefix = this.prefixes[length];
    if (prefix === undefined) return;
    const name = this.snapshotName(prefix);
    this.usedSnapshots.add(name);
    if (this.store.has(name)) return;
    const kept: KeptState = { state: encodeState(state), transactions };
    this.store.write(name, kept);
  }

  /**
   * A part's parse: kept by the hash of its text, or made now. `index`: the migration's place,
   * which says which pack of parses holds it.
   */
  parse(index: number, file: MigrationFile, text: string): ParsedSource {
    const key = hashOf(file.part, text);
    const kept = this.parses.get(index, key);
    if (kept) return fromTransfer(text, kept);
    const parsed = parseSource(text);
    this.parses.add(index, key, toTransfer(parsed));
    return parsed;
  }

  /** Writes what this run added (findings, parses); forgets the snapshots of this project no run is likely to ask for again. */
  save(): void {
    this.results.save();
    this.parses.save();
    const others = this.store.entries(this.snapshotPrefix()).filter((name) => !this.usedSnapshots.has(name));
    for (const name of others.slice(KEPT_OTHER_SNAPSHOTS)) this.store.remove(name);
  }

  private snapshotPrefix(): string {
    return `state-${this.name}-`;
  }
  private snapshotName(prefix: string): string {
    return `${this.snapshotPrefix()}${prefix}`;
  }
}

/** How a migration's parts are reported on: part of its findings' key. */
export interface ResultInputs {
  readonly up: boolean;
  readonly down: boolean;
  readonly downText: string | undefined;
  readonly changes: readonly (FileChange | undefined)[];
  readonly reportUnusedDirectives: boolean;
  /** Whether the project keeps any rollback: missing-rollback reports per migration, or notes it once. */
  readonly keepsRollbacks: boolean;
  /** The migrations up to this one that were never deployed (`--since`): what they created is new. */
  readonly undeployed: readonly string[];
}

/**
 * Entries by key in packs of `size` consecutive migrations: a run that reads one
 * migration reads and writes one pack. A pack keeps the entries this run used or made, and as
 * many of the others (the most recent first) as fit in its bound: alternating runs (a whole lint
 * in CI, one file before a commit) keep each other's entries, and edits do not make it grow.
 */
class PackedEntries<T> {
  private readonly store: CacheStore;
  private readonly name: string;
  private readonly size: number;
  private readonly packs = new Map<number, { readonly kept: ReadonlyMap<string, T>; readonly used: Map<string, T>; changed: boolean }>();

  constructor(store: CacheStore, name: string, size: number) {
    this.store = store;
    this.name = name;
    this.size = size;
  }

  get(index: number, key: string): T | undefined {
    const pack = this.pack(index);
    const entry = pack.used.get(key) ?? pack.kept.get(key);
    if (entry !== undefined) pack.used.set(key, entry);
    return entry;
  }

  add(index: number, key: string, entry: T): void {
    const pack = this.pack(index);
    pack.used.set(key, entry);
    pack.changed = true;
  }

  save(): void {
    for (const [chunk, pack] of this.packs) {
      if (!pack.changed) continue;
      const older = [...pack.kept].filter(([key]) => !pack.used.has(key));
      const room = Math.max(0, ENTRIES_PER_MIGRATION * this.size - pack.used.size);
      this.store.write(`${this.name}-${chunk}`, new Map([...older.slice(Math.max(0, older.length - room)), ...pack.used]));
    }
  }

  private pack(index: number): { readonly kept: ReadonlyMap<string, T>; readonly used: Map<string, T>; changed: boolean } {
    const chunk = Math.floor(index / this.size);
    let pack = this.packs.get(chunk);
    if (!pack) {
      const kept = this.store.read(`${this.name}-${chunk}`);
      pack = { kept: kept instanceof Map ? (kept as Map<string, T>) : new Map<string, T>(), used: new Map<string, T>(), changed: false };
      this.packs.set(chunk, pack);
    }
    return pack;
  }
}

function isKeptState(value: unknown): value is KeptState {
  if (typeof value !== 'object' || value === null) return false;
  const kept = value as { transactions?: unknown; state?: unknown };
  return typeof kept.transactions === 'number' && typeof kept.state === 'object' && kept.state !== null;
}
