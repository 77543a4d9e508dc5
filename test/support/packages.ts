import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
