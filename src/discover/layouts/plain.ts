import { join } from 'node:path';
import { naturalCompare } from '../natural-order.js';
import type { Layout } from '../types.js';

/** Plain `.sql` files in natural version order (`2_x.sql` before `10_x.sql`); no rollback convention. */
export const plain: Layout = {
  id: 'plain',
  detect() {
    return true;
  },
  collect(folder) {
    const migrations = folder.files
      .filter((file) => file.endsWith('.sql'))
      .sort(naturalCompare)
      .map((file) => {
        const name = file.slice(0, -'.sql'.length);
        return {
          id: name,
          version: /^\d+/.exec(name)?.[0] ?? name,
          name,
          up: { path: join(folder.path, file), part: 'up' as const },
          down: undefined,
          expectedRollbackPath: undefined,
        };
      });
    return { migrations, problems: [] };
  },
};
