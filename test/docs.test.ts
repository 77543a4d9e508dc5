import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { generatedDocs } from '../scripts/generate-docs.js';

const ROOT = join(import.meta.dirname, '..');

it('docs/rules, the rules table of docs/rules.md and configuration.schema.json match the rule metadata and the configuration schema (npm run docs regenerates them)', () => {
  for (const [path, content] of generatedDocs(ROOT)) {
    expect(readFileSync(path, 'utf8'), `${relative(ROOT, path)} is stale: run npm run docs`).toBe(content);
  }
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-');
}

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] ?? '')));
}

const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.md')).map((name) => join('docs', name))];

it.each(PAGES)('every relative link of %s leads to a file, and its #anchor to a heading there', (page) => {
  const markdown = readFileSync(join(ROOT, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  for (const [, target = ''] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [path = '', anchor] = target.split('#');
    const file = path === '' ? join(ROOT, page) : join(ROOT, dirname(page), path);
    expect(existsSync(file), `${page}: ${target}`).toBe(true);
    if (anchor !== undefined) expect(anchorsOf(readFileSync(file, 'utf8')), `${page}: ${target}`).toContain(anchor);
  }
});

it("the README's Quickstart lints the examples with the built CLI (no npx install) and prints the finding it shows", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const quickstart = readme.slice(readme.indexOf('## Quickstart'));
  const commands = /```sh\n([^\n]*)/.exec(quickstart)?.[1] ?? '';
  const lint = commands.replace(/\s+#.*$/, '').split('&&').at(-1)?.trim() ?? '';
  expect(lint).toBe('node dist/cli/main.js lint examples/supabase/migrations');
  const shown = /```text\n([\s\S]*?)```/.exec(quickstart)?.[1] ?? '';
  const run = spawnSync('bash', ['-c', lint], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
  expect(run.status).toBe(1);
  expect(shown).not.toBe('');
  expect(run.stdout).toContain(shown);
});
