import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

/**
 * The first bytes of every entry: a file without them (another program's, an older format) is
 * foreign and never read further.
 */
const MAGIC = Buffer.from('migrate-safe cache 1\n');
/** sha1 of the tool identity and the payload: an entry of another build, or one cut short or damaged, does not match. */
const CHECKSUM_BYTES = 20;

/**
 * The persistent cache's folder (`--cache`, `--cache-location`): entries by name, each written to
 * a temporary file and renamed into place, so a reader sees a whole entry or none, and two
 * processes writing the same entry at once leave one of their two whole versions. An entry that
 * is missing, foreign, truncated, damaged or written by another build of migrate-safe reads as
 * missing and is written anew; reading never throws. Writing never throws either: a cache that
 * cannot be written costs the next run its speed, never this run its result (one warning).
 */
export class CacheStore {
  readonly folder: string;
  private readonly tool: string;
  private readonly warn: (message: string) => void;
  private warned = false;
  private created = false;

  /** `tool`: what identifies this build of migrate-safe (its version and code); entries of another are foreign. */
  constructor(folder: string, tool: string, warn: (message: string) => void) {
    this.folder = folder;
    this.tool = tool;
    this.warn = warn;
  }

  /** The entry's value when it is whole and was written by this build; undefined otherwise. */
  read(name: string): unknown {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.folder, name));
    } catch {
      return undefined;
    }
    const payloadStart = MAGIC.length + CHECKSUM_BYTES;
    if (bytes.length < payloadStart || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const payload = bytes.subarray(payloadStart);
    if (!bytes.subarray(MAGIC.length, payloadStart).equals(this.checksum(payload))) return undefined;
    try {
      return deserialize(payload);
    } catch {
      return undefined;
    }
  }

  /** Whether an entry exists (whole or not: `read` decides). */
  has(name: string): boolean {
    try {
      return statSync(join(this.folder, name)).isFile();
    } catch {
      return false;
    }
  }

  write(name: string, value: unknown): void {
    const path = join(this.folder, name);
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      if (!this.created) mkdirSync(this.folder, { recursive: true });
      this.created = true;
      const payload = serialize(value);
      writeFileSync(temporary, Buffer.concat([MAGIC, this.checksum(payload), payload]));
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      if (!this.warned) this.warn(`cannot write the cache in ${this.folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the next run starts cold`);
      this.warned = true;
    }
  }

  /** The names of the entries that start with `prefix`, newest first. */
  entries(prefix: string): string[] {
    let names: string[];
    try {
      names = readdirSync(this.folder).filter((name) => name.startsWith(prefix) && !name.endsWith('.tmp'));
    } catch {
      return [];
    }
    const modified = new Map(names.map((name) => [name, modifiedAt(join(this.folder, name))]));
    return names.sort((left, right) => (modified.get(right) ?? 0) - (modified.get(left) ?? 0));
  }

  remove(name: string): void {
    rmSync(join(this.folder, name), { force: true });
  }

  private checksum(payload: Buffer): Buffer {
    const { createHash } = process.getBuiltinModule('node:crypto');
    return createHash('sha1').update(this.tool).update('\0').update(payload).digest();
  }
}

function modifiedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
