import { CALLS, CODE, FILE, NOT_RUNNING, SLOTS } from './watch.js';

/** Seconds one call of a plugin's code may take (`--max-rule-time`): generous, since it is per call, not per run. */
export const DEFAULT_MAX_RULE_TIME = 10;

/** What ran too long: "rule acme/x of plugin ./rules.js", and the file it ran on. */
export interface Overrun {
  readonly code: string;
  readonly file: string | undefined;
}

/**
 * Watches the project code a worker thread runs (src/engine/watch.ts publishes it): when one call
 * has run longer than the limit, `onOverrun` gets what it was. The worker cannot be asked, it
 * spins; the shared slots and the labels it announced beforehand still say what runs.
 */
export class Watchdog {
  readonly slots = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private readonly labels: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private lastCalls = -1;
  private since = 0;

  /** `limitMs`: the limit of one call. */
  constructor(limitMs: number, onOverrun: (overrun: Overrun) => void) {
    this.slots[CODE] = NOT_RUNNING;
    this.slots[FILE] = NOT_RUNNING;
    // A few looks per limit: the overrun is seen at most a quarter of the limit late.
    this.timer = setInterval(() => {
      const code = Atomics.load(this.slots, CODE);
      const calls = Atomics.load(this.slots, CALLS);
      const now = performance.now();
      if (code === NOT_RUNNING || calls !== this.lastCalls) {
        this.lastCalls = code === NOT_RUNNING ? -1 : calls;
        this.since = now;
        return;
      }
      if (now - this.since < limitMs) return;
      this.stop();
      const file = Atomics.load(this.slots, FILE);
      onOverrun({ code: this.labels[code] ?? 'project code', file: file === NOT_RUNNING ? undefined : this.labels[file] });
    }, Math.max(10, Math.min(250, limitMs / 4)));
    this.timer.unref();
  }

  /** A label the worker announced (`codeLabel`). */
  learn(id: number, label: string): void {
    this.labels[id] = label;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** "rule acme/loop of plugin ./rules.mjs ran longer than 10 s on m.sql": the one line a user reads. */
export function overrunMessage(overrun: Overrun, limitMs: number, show: (path: string) => string): string {
  const seconds = limitMs / 1000;
  return `${overrun.code} ran longer than ${seconds} s${overrun.file === undefined ? '' : ` on ${show(overrun.file)}`}: stopped`;
}
