import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The accuracy measurement's files in this repository: the corpus manifest, the verdicts and the measured results. */
export const ACCURACY_FOLDER = join(import.meta.dirname, '..', '..', '..', 'accuracy');
export const MANIFEST_PATH = join(ACCURACY_FOLDER, 'corpus.json');
export const VERDICTS_PATH = join(ACCURACY_FOLDER, 'verdicts.jsonl');
export const RESULTS_PATH = join(ACCURACY_FOLDER, 'results.json');
/** Where the corpora go unless told otherwise: ignored by git, never committed (the projects keep their own licences). */
export const DEFAULT_CORPUS_FOLDER = join(import.meta.dirname, '..', '..', '..', '.accuracy-corpus');

export type Tool = 'migrate-safe' | 'squawk';
export const TOOLS: readonly Tool[] = ['migrate-safe', 'squawk'];

/** One public project: where its migrations are, and how each linter is run on them. */
export interface CorpusProject {
  readonly id: string;
  /** The migration tool the project uses, in words. */
  readonly tool: string;
  /** `owner/name` on GitHub. */
  readonly repository: string;
  readonly commit: string;
  /** Paths extracted from the commit. */
  readonly paths: readonly string[];
  /** What migrate-safe lints, relative to the extracted project. */
  readonly lint: readonly string[];
  /** The project's migrate-safe configuration, as its team would write it; written as .migrate-saferc.json. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** squawk's options for the way the project's tool runs files. */
  readonly squawk: readonly string[];
}

export interface Manifest {
  readonly seed: string;
  /** Findings judged per project and tool. */
  readonly sample: Readonly<Record<Tool, number>>;
  readonly projects: readonly CorpusProject[];
}

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
}

export function projectFolder(corpus: string, project: CorpusProject): string {
  return join(corpus, project.id);
}

/** `--name value` options of a script's command line. */
export function optionValue(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}
