import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  readonly version: string;
  readonly homepage: string;
}

/** migrate-safe's own package.json, found upward from this module (src/ in development, dist/src/ when built). */
export function packageInfo(): PackageInfo {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string; version?: string; homepage?: string };
      if (manifest.name === 'migrate-safe') {
        return { version: manifest.version ?? '0.0.0', homepage: (manifest.homepage ?? 'https://github.com/migrate-safe/migrate-safe').replace(/#readme$/, '') };
      }
    } catch {
      // No package.json here: keep looking upward.
    }
    const parent = dirname(folder);
    if (parent === folder) return { version: '0.0.0', homepage: 'https://github.com/migrate-safe/migrate-safe' };
    folder = parent;
  }
}
