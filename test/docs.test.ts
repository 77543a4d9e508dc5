import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { generatedDocs } from '../scripts/generate-docs.js';

const ROOT = join(import.meta.dirname, '..');

it('docs/rules and the README rules table match the rule metadata (npm run docs regenerates them)', () => {
  for (const [path, content] of generatedDocs(ROOT)) {
    expect(readFileSync(path, 'utf8'), `${relative(ROOT, path)} is stale: run npm run docs`).toBe(content);
  }
});
