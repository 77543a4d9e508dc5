import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from '../config/load.js';
import { packageInfo } from '../version.js';

/**
 * What the persistent cache's keys are made of. They hash inputs, never the shape of the
 * analysis: a kept state or result is valid for the same code, configuration and files,
 * whatever the code does with them.
 */

export function hashOf(...parts: readonly string[]): string {
  const { hash } = process.getBuiltinModule('node:crypto');
  return hash('sha1', parts.join('\0'), 'hex');
}

let tool: string | undefined;

/**
 * This build of migrate-safe: its version and a hash of its code. In the bundled CLI this module
 * is part of dist/cli/program.cjs, the whole program; unbundled (dist/src), every compiled module
 * of the package counts. A rebuild with any change, or another version, starts a new cache.
 */
export function toolIdentity(): string {
  if (tool !== undefined) return tool;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.cjs')) {
    tool = hashOf(packageInfo().version, bundleHash(here));
  } else {
    const files = compiledModules(join(dirname(here), '..', '..'));
    tool = hashOf(packageInfo().version, ...files.map((file) => `${basename(file)}:${contentOf(file)}`));
  }
  return tool;
}

/** The hash the build wrote next to the bundle (scripts/bundle-cli.ts), or the bundle's own hash when there is none. */
function bundleHash(bundle: string): string {
  try {
    return readFileSync(`${bundle}${BUNDLE_HASH_SUFFIX}`, 'utf8');
  } catch {
    return contentOf(bundle);
  }
}

/** The file beside the bundle that holds its hash: hashing two megabytes at every start would cost more than a cold run saves. */
export const BUNDLE_HASH_SUFFIX = '.sha1';

/** The compiled modules of src/ and rules/ below a dist folder, in a stable order. */
function compiledModules(dist: string): string[] {
  const files: string[] = [];
  for (const folder of ['src', 'rules']) {
    try {
      for (const entry of readdirSync(join(dist, folder), { recursive: true, encoding: 'utf8' }).sort()) {
        if (entry.endsWith('.js')) files.push(join(dist, folder, entry));
      }
    } catch {
      // Not built that way (a test run from the sources): the version alone.
    }
  }
  return files;
}

function contentOf(file: string): string {
  try {
    return hashOf(readFileSync(file, 'utf8'));
  } catch {
    return '';
  }
}

/**
 * Everything in a project's configuration that can change a verdict: every setting whatever
 * settings there are (functions aside: what they decide, such as ignored files, shows in the
 * files discovered), each rule by id with its severity and options, and the code of each plugin.
 */
export function configIdentity(config: ResolvedConfig): string {
  const settings = JSON.stringify(config, (_key, value: unknown) => {
    if (typeof value === 'function') return undefined;
    if (isRuleObject(value)) return value.id;
    return value;
  });
  return hashOf(settings, ...config.pluginFiles.map(contentOf));
}

function isRuleObject(value: unknown): value is { id: string } {
  const candidate = value as { id?: unknown; create?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.id === 'string' && typeof candidate.create === 'function';
}
