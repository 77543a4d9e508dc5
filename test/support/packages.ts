import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPOSITORY, project } from './cli.js';

/**
 * Installs packages into a project the way `npm install <folder>` does, without npm: a link in
 * node_modules and one in node_modules/.bin for each command. Their dependencies resolve from
 * where they really are (this repository's node_modules).
 */
export function linkPackages(root: string, folders: readonly string[]): void {
  for (const folder of folders) {
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name: string; bin?: string | Record<string, string> };
    const target = join(root, 'node_modules', manifest.name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(folder, target, 'dir');
    const bins = typeof manifest.bin === 'string' ? { [manifest.name.replace(/^@[^/]+\//, '')]: manifest.bin } : (manifest.bin ?? {});
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
    for (const [command, path] of Object.entries(bins)) {
      symlinkSync(join(target, path), join(root, 'node_modules', '.bin', command));
      chmodSync(join(folder, path), 0o755);
    }
  }
}

export interface PluginRule {
  readonly id: string;
  readonly severity: 'error' | 'warn';
  /** JavaScript for `create`, an expression. */
  readonly create: string;
  /** Import lines the expression needs besides defineRule. */
  readonly imports?: readonly string[];
}

/**
 * A project whose configuration loads one plugin rule from `./plugin.js`, an ES module that
 * imports migrate-safe from the project's node_modules, as a user's plugin does.
 */
export function projectWithPlugin(rule: PluginRule, files: Readonly<Record<string, string>>): string {
  const plugin = [
    ...(rule.imports ?? []),
    "import { defineRule } from 'migrate-safe';",
    'export const rules = [defineRule({',
    `  id: ${JSON.stringify(rule.id)},`,
    `  meta: { description: 'A test rule.', severity: '${rule.severity}', preset: 'recommended', category: 'correctness', hazard: 'None.', bad: 'SELECT 1;', good: 'SELECT 1;' },`,
    `  create: ${rule.create},`,
    '})];',
    '',
  ].join('\n');
  const root = project({
    ...files,
    '.migrate-saferc.json': JSON.stringify({ plugins: ['./plugin.js'] }),
    'plugin.js': plugin,
    'package.json': JSON.stringify({ name: 'app', type: 'module' }),
  });
  linkPackages(root, [REPOSITORY]);
  return root;
}
