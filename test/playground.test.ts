import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY } from './support/cli.js';
import { IN_CI } from './support/postgres.js';

/**
 * The web playground in a real browser: Debian's Chromium (`apt-get install chromium`, as .ci/run
 * does), driven by playwright-core. The page is built by the npm script's own bundler into a
 * temporary folder and served over HTTP, as a user would host it.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `no Chromium at ${CHROMIUM} (install it: sudo apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (IN_CI) throw new Error(`CI must run every test: ${reason}`);
  process.stderr.write(`\nSKIPPED: the web playground's browser tests: ${reason}\n`);
  return false;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

describe.skipIf(!chromiumAvailable())('web playground', () => {
  let folder: string;
  let server: Server | undefined;
  let browser: Browser | undefined;
  let origin: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'migrate-safe-playground-'));
    execFileSync(process.execPath, [join(REPOSITORY, 'dist', 'scripts', 'bundle-playground.js'), folder]);
    const files = createServer((request, response) => {
      const path = normalize(join(folder, new URL(request.url ?? '/', 'http://localhost').pathname.replace(/\/$/, '/index.html')));
      if (!path.startsWith(folder) || !existsSync(path)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    server = files;
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    const address = files.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // Chromium's own network calls are refused on closed machines: turned off, as the sandbox is for root.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  async function open(fragment: string): Promise<Page> {
    if (!browser) throw new Error('Chromium did not start');
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/${fragment}`);
    await lintedAfter(page, 0);
    return page;
  }

  /** Waits for a lint run later than `run` to be shown; returns its number. */
  async function lintedAfter(page: Page, run: number): Promise<number> {
    await page.waitForFunction((before) => Number(document.body.dataset.linted ?? 0) > before, run, { timeout: 60_000 });
    return Number(await page.evaluate(() => document.body.dataset.linted));
  }

  function link(sql: string, version: number, inTransaction = true): string {
    return `#${new URLSearchParams({ v: String(version), tx: inTransaction ? '1' : '0', sql }).toString()}`;
  }

  it('lints the SQL of a shared link with the engine: findings, the safe alternative, the lock of each statement', async () => {
    const page = await open(link('CREATE INDEX users_email ON users (email);\n', 16));
    expect(await page.inputValue('#sql')).toBe('CREATE INDEX users_email ON users (email);\n');
    expect(await page.inputValue('#pg-version')).toBe('16');
    const findings = await page.locator('#findings').innerText();
    expect(findings).toContain('require-concurrent-index');
    expect(findings).toContain('SHARE on users');
    expect(findings).toContain('CREATE INDEX CONCURRENTLY users_email ON users (email)');
    const statements = await page.locator('#statements').innerText();
    expect(statements).toContain('1: CREATE INDEX users_email ON users (email)');
    expect(statements).toContain('PostgreSQL 16');
    expect(statements).toMatch(/SHARE on users: blocks writes/);
    await page.close();
  });

  it('follows the PostgreSQL version chosen, and keeps it with the SQL in the address', async () => {
    // DETACH PARTITION ... CONCURRENTLY exists from PostgreSQL 14 on.
    const sql = 'ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;';
    const page = await open(link(sql, 18, false));
    expect(await page.locator('#statements').innerText()).not.toContain('Needs PostgreSQL 14');
    const run = Number(await page.evaluate(() => document.body.dataset.linted));
    await page.selectOption('#pg-version', '13');
    await lintedAfter(page, run);
    expect(await page.locator('#statements').innerText()).toContain('Needs PostgreSQL 14 or later');
    const shared = new URL(page.url());
    const params = new URLSearchParams(shared.hash.slice(1));
    expect(params.get('v')).toBe('13');
    expect(params.get('tx')).toBe('0');
    expect(params.get('sql')).toBe(sql);
    // The address opens the same state elsewhere.
    const other = await open(shared.hash);
    expect(await other.inputValue('#pg-version')).toBe('13');
    expect(await other.isChecked('#in-transaction')).toBe(false);
    expect(await other.locator('#statements').innerText()).toContain('Needs PostgreSQL 14 or later');
    await Promise.all([page.close(), other.close()]);
  });

  it('lints again as the user types, and the transaction choice changes what is found', async () => {
    const page = await open(link('SELECT 1;\n', 15));
    expect(await page.locator('#summary').innerText()).toBe('No findings.');
    let run = Number(await page.evaluate(() => document.body.dataset.linted));
    await page.fill('#sql', 'SELECT 1;\nCREATE INDEX CONCURRENTLY orders_user ON orders (user_id);\nALTER TABLE orders ADD COLUMN;\n');
    run = await lintedAfter(page, run);
    // A syntax error is a finding at its line, and the rest is still checked.
    const findings = await page.locator('#findings').innerText();
    expect(findings).toMatch(/3:\d+ error syntax-error/);
    expect(findings).toContain('concurrently-in-transaction');
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('sql')).toContain('CREATE INDEX CONCURRENTLY orders_user');
    await page.uncheck('#in-transaction');
    await lintedAfter(page, run);
    expect(await page.locator('#findings').innerText()).not.toContain('concurrently-in-transaction');
    await page.close();
  });

  it('runs without a page error, and the bundle holds no Node module', () => {
    expect(pageErrors).toEqual([]);
    const bundle = readFileSync(join(folder, 'playground.js'), 'utf8');
    expect(bundle).not.toMatch(/require\("(node:)?(child_process|worker_threads|os|v8|module|url)"\)/);
  });
});
