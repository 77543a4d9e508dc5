/**
 * How long the language server takes from a change notification to the diagnostics it publishes
 * for that version, on a 2,000-line migration with 100 earlier migrations as its history. The
 * server runs as editors run it (`migrate-safe lsp --stdio`, a real client connection), with the
 * debounce set to 0 so the figure is the server's own work. Not a test: run `npm run bench:lsp`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LspClient, uriOf } from '../scripts/support/lsp-client.js';

const CLI = join(import.meta.dirname, '..', 'cli', 'main.js');
const WARM_UP = 30;
const MEASURED = 200;

/** A migration of about `lines` lines, as a big initial schema looks: tables, indexes, functions, policies, seed rows. */
function bigMigration(lines: number): string {
  const out = ['-- Initial schema: tables, indexes, functions, policies and seed data', "SET lock_timeout = '5s';", ''];
  for (let table = 0; out.length < lines; table++) {
    const name = `table_${table}`;
    out.push(
      `CREATE TABLE ${name} (`,
      '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
      '  team_id bigint NOT NULL REFERENCES teams (id),',
      '  name text NOT NULL,',
      "  status text NOT NULL DEFAULT 'new',",
      '  payload jsonb,',
      '  note text, -- Заметка 😀',
      '  created_at timestamptz NOT NULL DEFAULT now()',
      ');',
      `CREATE INDEX ${name}_status_idx ON ${name} (status);`,
      `ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY;`,
      `CREATE POLICY ${name}_read ON ${name} FOR SELECT USING (team_id = 1);`,
      `CREATE OR REPLACE FUNCTION ${name}_touch() RETURNS trigger LANGUAGE plpgsql AS $$`,
      'BEGIN',
      '  NEW.created_at := now();',
      '  RETURN NEW;',
      'END;',
      '$$;',
      `CREATE TRIGGER ${name}_touch BEFORE UPDATE ON ${name} FOR EACH ROW EXECUTE FUNCTION ${name}_touch();`,
      `INSERT INTO ${name} (team_id, name) VALUES (1, 'first'), (2, 'второй');`,
      `COMMENT ON TABLE ${name} IS 'generated table ${table}';`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

function history(migrations: number): Record<string, string> {
  const files: Record<string, string> = {
    'supabase/migrations/20230101000000_teams.sql': 'CREATE TABLE teams (id bigint PRIMARY KEY, name text);\n',
  };
  for (let index = 1; index <= migrations; index++) {
    const name = `history_${index}`;
    files[`supabase/migrations/2023${String(100000000 + index).slice(1)}_${name}.sql`] = [
      `CREATE TABLE ${name} (id bigint PRIMARY KEY, team_id bigint REFERENCES teams (id), status text);`,
      `CREATE INDEX CONCURRENTLY ${name}_status_idx ON ${name} (status);`,
      `ALTER TABLE ${name} ADD COLUMN note text;`,
      '',
    ].join('\n');
    files[`supabase/migrations/rollback/2023${String(100000000 + index).slice(1)}_${name}_down.sql`] = `DROP TABLE ${name};\n`;
  }
  return files;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/** The document's version: each change sends the next one. */
let version = 1;

async function measure(client: LspClient, uri: string, text: string, edit: { at: number; insert: string }, label: string): Promise<void> {
  let current = text;
  const timings: number[] = [];
  let cpuAtStart: number | undefined;
  for (let round = 0; round < WARM_UP + MEASURED; round++) {
    if (round === WARM_UP) cpuAtStart = cpuTime(client.child.pid);
    // Insert, then take out again: every version differs from the one before.
    const inserting = round % 2 === 0;
    const start = positionAt(current, edit.at);
    const end = inserting ? start : positionAt(current, edit.at + edit.insert.length);
    current = inserting ? current.slice(0, edit.at) + edit.insert + current.slice(edit.at) : current.slice(0, edit.at) + current.slice(edit.at + edit.insert.length);
    version++;
    const sent = performance.now();
    await client.change(uri, version, [{ range: { start, end }, text: inserting ? edit.insert : '' }]);
    if (round >= WARM_UP) timings.push(performance.now() - sent);
  }
  const cpuAtEnd = cpuTime(client.child.pid);
  timings.sort((left, right) => left - right);
  const format = (milliseconds: number): string => `${milliseconds.toFixed(1)} ms`;
  // On a busy machine the wall clock also counts waiting for a core; the server's CPU time does not.
  const cpu = cpuAtStart === undefined || cpuAtEnd === undefined ? '' : `; server CPU ${format((cpuAtEnd - cpuAtStart) / MEASURED)} per change`;
  process.stdout.write(`${label}: median ${format(percentile(timings, 0.5))}, p95 ${format(percentile(timings, 0.95))}, max ${format(timings.at(-1) ?? Number.NaN)}${cpu} (${MEASURED} changes after ${WARM_UP} warm-up)\n`);
}

/** CPU time (user and system) a process has used, in milliseconds, where /proc tells it (Linux). */
function cpuTime(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'migrate-safe-bench-'));
  for (const [path, content] of Object.entries(history(100))) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const text = bigMigration(2000);
  const uri = uriOf(join(root, 'supabase/migrations/20240101000000_initial_schema.sql'));
  const client = new LspClient(CLI, root);
  await client.initialize(root, { debounce: 0 });
  const openedAt = performance.now();
  await client.open(uri, text);
  process.stdout.write(`migrate-safe lsp: a ${text.split('\n').length - 1}-line migration after 100 earlier ones; first diagnostics ${(performance.now() - openedAt).toFixed(0)} ms after opening\n`);
  const middle = text.indexOf('(status);', text.length / 2);
  await measure(client, uri, text, { at: middle + 'status'.length + 1, insert: ', name' }, 'an edit that keeps the SQL valid');
  await measure(client, uri, text, { at: middle, insert: '(' }, 'an edit that leaves a syntax error');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(`machine: ${cpu}, ${cpus().length} cores, Node.js ${process.version}, ${process.platform}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')}\n`);
  await client.shutdown();
}

await main();
