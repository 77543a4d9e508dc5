/**
 * Which project code (a plugin's rule, a configuration file, a plugin module being loaded) runs
 * now, published in memory shared with another thread. A synchronous endless loop cannot be
 * interrupted on its own thread, nor can that thread say what it is doing: the watching thread
 * reads these slots while this one spins, names the code, and terminates the thread
 * (src/engine/watchdog.ts). No Node module here: the lint run (run.ts) uses it and runs in a
 * browser too.
 */

/** Slots of the shared Int32Array. */
export const CALLS = 0;
/** The label of the code that runs, or NOT_RUNNING. */
export const CODE = 1;
/** The label of the file it runs on, or NOT_RUNNING. */
export const FILE = 2;
export const SLOTS = 3;
export const NOT_RUNNING = -1;

interface Publisher {
  readonly slots: Int32Array;
  /** Tells the watching thread a label's text, once, before the label is first published. */
  readonly announce: (id: number, label: string) => void;
  readonly ids: Map<string, number>;
}

let publisher: Publisher | undefined;

/** Publishes from now on, in this thread (the lint worker), into `slots`. */
export function publishRunningCode(slots: Int32Array, announce: (id: number, label: string) => void): void {
  publisher = { slots, announce, ids: new Map() };
}

/** The id under which `label` is published; NOT_RUNNING when nothing watches this thread. */
export function codeLabel(label: string): number {
  if (!publisher) return NOT_RUNNING;
  let id = publisher.ids.get(label);
  if (id === undefined) {
    id = publisher.ids.size;
    publisher.ids.set(label, id);
    publisher.announce(id, label);
  }
  return id;
}

/**
 * Code with this label starts (a rule's handler is called), or with NOT_RUNNING, code nobody
 * times (a built-in rule's): each call counts, so the watch times one call, not a run.
 */
export function enterCode(label: number): void {
  if (!publisher) return;
  Atomics.store(publisher.slots, CODE, label);
  Atomics.add(publisher.slots, CALLS, 1);
}

/** The project code returned: what runs now is migrate-safe's own (parsing, analysis), which no limit applies to. */
export function leaveCode(): void {
  if (publisher) Atomics.store(publisher.slots, CODE, NOT_RUNNING);
}

/** The file the rules run on now. */
export function enterFile(label: number): void {
  if (publisher) Atomics.store(publisher.slots, FILE, label);
}
