import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { redact } from '../db/redact.js';

/** Where the runner's lines go; every one is redacted first. */
export interface Output {
  /** Standard output: plans, results. */
  out(line: string): void;
  /** Standard error: progress, notes, failures. */
  err(line: string): void;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${redact(line)}\n`),
  err: (line) => process.stderr.write(`${redact(line)}\n`),
};

/** One line of migration.log: tab-separated, append-only. */
export interface LogEvent {
  readonly time: Date;
  readonly command: string;
  /** The migration, or `-` for an event of the whole run (a backup). */
  readonly migration: string;
  /** applied, rolled back, failed, partial, backup, forced, ... */
  readonly outcome: string;
  readonly durationMs: number | undefined;
  readonly detail?: string | undefined;
}

/** Appends events to the guide's ./migration.log (one line each, redacted); a no-op without a path. */
export class MigrationLog {
  readonly path: string | undefined;

  constructor(path: string | undefined) {
    this.path = path;
  }

  append(event: LogEvent): void {
    if (this.path === undefined) return;
    const duration = event.durationMs === undefined ? '-' : `${(event.durationMs / 1000).toFixed(3)}s`;
    const fields = [event.time.toISOString(), event.command, event.migration, event.outcome, duration, event.detail ?? ''];
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${redact(fields.map((field) => field.replace(/[\t\r\n]+/g, ' ')).join('\t'))}\n`);
  }

  read(): LogEvent[] {
    if (this.path === undefined || !existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [time = '', command = '', migration = '', outcome = '', duration = '-', detail = ''] = line.split('\t');
        return {
          time: new Date(time),
          command,
          migration,
          outcome,
          durationMs: duration === '-' ? undefined : Math.round(Number.parseFloat(duration) * 1000),
          detail: detail === '' ? undefined : detail,
        };
      });
  }
}
