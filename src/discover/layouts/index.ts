import type { Layout } from '../types.js';
import { dbmate } from './dbmate.js';
import { diesel } from './diesel.js';
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import { plain } from './plain.js';
import { popx } from './popx.js';
import { prisma } from './prisma.js';
import { sqitch } from './sqitch.js';
import { supabase } from './supabase.js';

/**
 * Detection order: the most specific sign first (a plan file, a folder per migration, dbmate's
 * markers, Flyway's names, popx's dialect infixes), then the Supabase folder, golang-migrate's
 * names, and plain, which accepts any folder of `.sql` files.
 */
export const LAYOUTS: readonly Layout[] = [sqitch, prisma, diesel, dbmate, flyway, popx, supabase, golangMigrate, plain];

export const LAYOUT_IDS: readonly string[] = LAYOUTS.map((layout) => layout.id);

export function layoutById(id: string): Layout | undefined {
  return LAYOUTS.find((layout) => layout.id === id);
}
