import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { type ParsedSource, type TransferredParse, fromTransfer, parseSource } from './parser.js';

export interface ParseRequest {
  readonly id: number;
  readonly text: string;
}

export type ParseReply = { readonly id: number; readonly parse: TransferredParse } | { readonly id: number; readonly failure: string };

/** What a parser thread is started with. */
export interface ParseWorkerData {
  readonly port: MessagePort;
  /** Per scheduled text: 0 while nobody has started it, then who did (CLAIMED_BY_WORKER or CLAIMED_BY_READER). */
  readonly claims: Int32Array;
  /** Counts replies sent, so the reader can sleep until the next one. */
  readonly replies: Int32Array;
}

export const CLAIMED_BY_WORKER = 1;
const CLAIMED_BY_READER = 2;

/**
 * How many texts past the one being read are handed to the threads: enough to keep them busy,
 * few enough that finished parses waiting to be read stay small in memory.
 */
const WINDOW = 64;

/** A thread's reply never came (it died): the reader stops waiting and parses the text itself. */
const GIVE_UP_WAITING_MS = 5000;

/** `auto` uses threads from this many texts on: below it, starting a thread costs more than it saves. */
export const AUTO_THRESHOLD = 200;
/** One thread parses faster than the main thread analyses; a few more help only on slow, many-core machines. */
const MAX_AUTO_THREADS = 3;

/** `--concurrency`: parser threads as a number, `auto` (by the number of files and cores) or `off`. */
export type Concurrency = number | 'auto' | 'off';

/** The number of parser threads for `count` texts; 0 parses on the main thread only. */
export function parserThreads(concurrency: Concurrency, count: number): number {
  if (concurrency === 'off' || count < 2) return 0;
  if (concurrency === 'auto') return count < AUTO_THRESHOLD ? 0 : Math.max(1, Math.min(availableParallelism() - 1, MAX_AUTO_THREADS));
  return Math.max(0, Math.min(Math.floor(concurrency), count));
}

interface Scheduled {
  readonly text: string;
  sent: boolean;
  reply: ParseReply | undefined;
}

/**
 * Parses texts on worker threads ahead of a reader who takes them in about the order they were
 * scheduled: while the main thread analyses one file, the threads parse the next ones. Taking is
 * synchronous, so the engine's flow does not change: a text no thread has started yet is parsed
 * by the reader at once (it never waits for a thread to start up), and for one a thread is parsing
 * the reader sleeps until the reply comes.
 */
export class ParserPool {
  private readonly ports: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  private readonly scheduled: Scheduled[] = [];
  private readonly indexByKey = new Map<string, number>();
  private readonly claims: Int32Array;
  private readonly replies: Int32Array;
  /** The next text to hand to a thread, and the index of the one last read. */
  private nextToSend = 0;
  private reading = 0;

  /** `texts`, by key, in the order they will be read. */
  constructor(texts: ReadonlyMap<string, string>, threads: number) {
    for (const [key, text] of texts) {
      this.indexByKey.set(key, this.scheduled.length);
      this.scheduled.push({ text, sent: false, reply: undefined });
    }
    this.claims = new Int32Array(new SharedArrayBuffer(Math.max(1, this.scheduled.length) * Int32Array.BYTES_PER_ELEMENT));
    this.replies = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    for (let thread = 0; thread < threads; thread++) this.startThread();
    this.send();
  }

  /** The parse of `text`, scheduled under `key` or not. */
  parse(key: string, text: string): ParsedSource {
    const index = this.indexByKey.get(key);
    const scheduled = index === undefined ? undefined : this.scheduled[index];
    if (index === undefined || scheduled?.text !== text) return parseSource(text);
    this.reading = Math.max(this.reading, index);
    this.send();
    if (Atomics.compareExchange(this.claims, index, 0, CLAIMED_BY_READER) === 0) return parseSource(text);
    const reply = this.awaitReply(scheduled);
    // Read once: the entry keeps no parse alive after it.
    scheduled.reply = undefined;
    return reply && 'parse' in reply ? fromTransfer(text, reply.parse) : parseSource(text);
  }

  get threads(): number {
    return this.workers.length;
  }

  /** How many texts the threads have parsed or are parsing. */
  get parsedByThreads(): number {
    let parsed = 0;
    for (let index = 0; index < this.claims.length; index++) if (Atomics.load(this.claims, index) === CLAIMED_BY_WORKER) parsed++;
    return parsed;
  }

  /** Stops the threads; parses not read yet are dropped. */
  close(): void {
    for (const port of this.ports) port.close();
    for (const worker of this.workers) void worker.terminate();
  }

  private startThread(): void {
    const { port1, port2 } = new MessageChannel();
    const data: ParseWorkerData = { port: port2, claims: this.claims, replies: this.replies };
    const worker = new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: data, transferList: [port2] });
    // A thread that fails costs only speed: the texts it never claimed are parsed by the reader.
    worker.on('error', () => undefined);
    // Neither may keep the process alive: the pool's user may exit without closing it.
    worker.unref();
    port1.unref();
    this.workers.push(worker);
    this.ports.push(port1);
  }

  /** Hands the texts within the window to the threads, in turn. */
  private send(): void {
    if (this.ports.length === 0) return;
    const end = Math.min(this.scheduled.length, this.reading + WINDOW);
    for (; this.nextToSend < end; this.nextToSend++) {
      const scheduled = this.scheduled[this.nextToSend];
      if (!scheduled || scheduled.sent) continue;
      scheduled.sent = true;
      const request: ParseRequest = { id: this.nextToSend, text: scheduled.text };
      this.ports[this.nextToSend % this.ports.length]?.postMessage(request);
    }
  }

  /** Waits, without leaving the current task, for the reply about a text a thread claimed. */
  private awaitReply(scheduled: Scheduled): ParseReply | undefined {
    const deadline = Date.now() + GIVE_UP_WAITING_MS;
    for (;;) {
      const seen = Atomics.load(this.replies, 0);
      this.receiveReplies();
      if (scheduled.reply) return scheduled.reply;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      Atomics.wait(this.replies, 0, seen, left);
    }
  }

  private receiveReplies(): void {
    for (const port of this.ports) {
      for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
        const reply = message.message as ParseReply;
        const scheduled = this.scheduled[reply.id];
        if (scheduled) scheduled.reply = reply;
      }
    }
  }
}
