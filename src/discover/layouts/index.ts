import type { Layout } from '../types.js';
import { golangMigrate } from './golang-migrate.js';
import { plain } from './plain.js';
import { supabase } from './supabase.js';

/** Detection order: the most specific layout first; plain accepts any folder of `.sql` files. */
export const LAYOUTS: readonly Layout[] = [supabase, golangMigrate, plain];

export const LAYOUT_IDS: readonly string[] = LAYOUTS.map((layout) => layout.id);

export function layoutById(id: string): Layout | undefined {
  return LAYOUTS.find((layout) => layout.id === id);
}
