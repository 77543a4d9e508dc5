import type { Worker } from 'node:worker_threads';
import { UsageError } from '../config/errors.js';
import { publishRunningCode } from '../engine/watch.js';
import { type Overrun, Watchdog } from '../engine/watchdog.js';

/** What a worker thread does (src/cli/worker.ts hands it to program.ts's runWorker). */
export type WorkerTask = { readonly kind: 'lint-command' } | { readonly kind: 'language-server' };

export interface WorkerData {
  readonly task: WorkerTask;
  /** Where the worker publishes the project code it runs (src/engine/watch.ts). */
  readonly slots: Int32Array;
}

type FromWorker =
  | { readonly type: 'label'; readonly id: number; readonly label: string }
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly type: 'failure'; readonly id: number; readonly message: string; readonly usage: boolean };

interface ToWorker {
  readonly id: number;
  readonly request: unknown;
  /** The last request: the worker ends after its reply. */
  readonly last: boolean;
}

/** Project code that ran longer than the limit: the worker was stopped. */
export class CodeOverrun extends UsageError {
  constructor(
    message: string,
    readonly overrun: Overrun,
  ) {
    super(message);
  }
}

/** The worker was stopped on purpose (a configuration reloaded, trust changed): what it was asked was not answered. */
export class WorkerStopped extends Error {}

/**
 * A worker thread that runs project code (plugins, a JavaScript configuration) for this thread,
 * and is stopped when one call of that code runs longer than the limit: a synchronous endless
 * loop cannot be interrupted on its own thread, a worker can be terminated. What the worker
 * throws arrives as it was thrown: a UsageError (a bad configuration, a failing rule) stays one.
 */
export class CodeWorker {
  private readonly worker: Worker;
  private readonly watchdog: Watchdog;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  readonly exited: Promise<void>;

  /** `describe` turns an overrun into the line the user reads. */
  constructor(task: WorkerTask, limitMs: number, describe: (overrun: Overrun) => string) {
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    this.watchdog = new Watchdog(limitMs, (overrun) => {
      this.stop(new CodeOverrun(describe(overrun), overrun));
    });
    const data: WorkerData = { task, slots: this.watchdog.slots };
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'label') {
        this.watchdog.learn(message.id, message.label);
        return;
      }
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'reply') waiting?.resolve(message.value);
      else waiting?.reject(message.usage ? new UsageError(message.message) : new Error(message.message));
    });
    // Project code that throws outside any rule call (a timer of a plugin's) or ends the thread (process.exit) failed the run.
    this.worker.on('error', (error) => {
      this.stop(new UsageError(`project code failed: ${error.message.split('\n')[0] ?? ''}`));
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', () => {
        this.watchdog.stop();
        this.rejectAll(this.failure ?? new UsageError('project code ended the thread it ran in (process.exit in a plugin or the configuration?) before linting ended'));
        resolve();
      });
    });
  }

  /** Sends a request; `last`: the worker ends after replying (its output is flushed when `exited` resolves). */
  request<T>(request: unknown, last = false): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, request, last } satisfies ToWorker);
    });
  }

  /** Whether the worker was stopped (an overrun, a crash): a new one takes its place. */
  get stopped(): boolean {
    return this.failure !== undefined;
  }

  stop(reason: Error = new WorkerStopped('the worker thread was stopped')): void {
    this.failure ??= reason;
    this.watchdog.stop();
    this.rejectAll(this.failure);
    void this.worker.terminate();
  }

  private rejectAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/**
 * The worker's side: publishes the project code it runs where the starting thread reads it, and
 * answers each request with `handle`.
 */
export function serveRequests(data: WorkerData, handle: (request: unknown) => Promise<unknown>): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  if (!parentPort) throw new Error('not a worker thread');
  const port = parentPort;
  publishRunningCode(data.slots, (id, label) => {
    port.postMessage({ type: 'label', id, label } satisfies FromWorker);
  });
  port.on('message', ({ id, request, last }: ToWorker) => {
    void handle(request).then(
      (value) => {
        port.postMessage({ type: 'reply', id, value } satisfies FromWorker);
      },
      (error: unknown) => {
        const usage = error instanceof UsageError;
        const message = error instanceof Error ? (usage || !process.env.MIGRATE_SAFE_DEBUG ? error.message : (error.stack ?? error.message)) : String(error);
        port.postMessage({ type: 'failure', id, message, usage } satisfies FromWorker);
      },
    ).finally(() => {
      if (last) port.close();
    });
  });
}
