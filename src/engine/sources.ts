import { readFileSync } from 'node:fs';
import type { LintCache } from './cache.js';

export type ReadResult = { readonly text: string } | { readonly error: string };

/**
 * File texts as the linter sees them: an unsaved text (stdin, an editor's buffer) wins over the
 * disk, and each file is read once, so discovery (dbmate's markers) and linting see the same text.
 */
export class SourceReader {
  private readonly unsaved: ReadonlyMap<string, string>;
  private readonly cache = new Map<string, ReadResult>();
  /** Texts kept from earlier runs (an editor's): a file is read again only when it changed on disk. */
  private readonly kept: LintCache | undefined;

  constructor(unsaved: ReadonlyMap<string, string>, kept?: LintCache) {
    this.unsaved = unsaved;
    this.kept = kept;
  }

  read(path: string): ReadResult {
    let result = this.cache.get(path);
    if (!result) {
      result = readText(path, this.unsaved.get(path), this.kept);
      this.cache.set(path, result);
    }
    return result;
  }

  /** The text, or undefined when the file cannot be read. */
  text(path: string): string | undefined {
    const result = this.read(path);
    return 'text' in result ? result.text : undefined;
  }
}

function readText(path: string, unsaved: string | undefined, kept: LintCache | undefined): ReadResult {
  if (unsaved !== undefined) return { text: unsaved };
  try {
    return { text: kept?.readFile(path) ?? readFileSync(path, 'utf8') };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}
