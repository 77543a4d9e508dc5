import { availableParallelism } from 'node:os';
import type { MessagePort, Worker } from 'node:worker_threads';
import { type ParsedSource, type Piece, type TransferredParse, fromTransfer, joinPieces, parseSource, parseWhole } from './parser.js';
import { statementEndAfter } from './statement-ends.js';

export interface ParseRequest {
  readonly id: number;
  readonly text: string;
  /** A piece of a long text: parsed as a whole or not at all (`parseWhole`). */
  readonly piece: boolean;
}

/** A parse; undefined for a piece that does not parse as a whole. */
export type ParseReply = { readonly id: number; readonly parse: TransferredParse | undefined } | { readonly id: number; readonly failure: string };

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

/** No thread replied for this long (they died, or never started): the reader stops waiting and parses itself. */
const GIVE_UP_WAITING_MS = 5000;

/**
 * `auto` uses threads from this much SQL on (about 200 migrations of the usual size): below it a
 * thread's start-up (loading the parser) costs more than the parsing it takes over.
 */
export const AUTO_THRESHOLD_CHARACTERS = 800_000;
/** One thread parses faster than the main thread analyses; a few more help only on slow, many-core machines. */
const MAX_AUTO_THREADS = 3;
/** A text this long is cut into pieces that the threads and the reader parse side by side. */
const PIECE_CHARACTERS = 256_000;

/** `--concurrency`: parser threads as a number, `auto` (by the amount of SQL and the cores) or `off`. */
export type Concurrency = number | 'auto' | 'off';

/** How parsing is shared: the threads, and whether the main thread also parses what no thread has started. */
export interface ParsingPlan {
  readonly threads: number;
  readonly readerHelps: boolean;
}

/**
 * The plan for `characters` of SQL; undefined parses on the main thread alone. A number of
 * threads is what the user asked for: they parse everything. `auto` starts threads for enough
 * SQL on more than one core, and the main thread parses whatever they have not started, so it
 * never waits for a thread to start up.
 */
export function parsingPlan(concurrency: Concurrency, characters: number): ParsingPlan | undefined {
  if (concurrency === 'off') return undefined;
  if (concurrency !== 'auto') return { threads: concurrency, readerHelps: false };
  // One core is V8's own: a cold run compiles its code and collects garbage on background threads
  // (a run without parser threads already keeps 1.3 cores busy), so on two cores a parser thread
  // only takes turns with them (measured: no faster, and one long file slower).
  const threads = Math.min(availableParallelism() - 2, MAX_AUTO_THREADS);
  return characters < AUTO_THRESHOLD_CHARACTERS || threads < 1 ? undefined : { threads, readerHelps: true };
}

/** A text, or a piece of one, waiting to be parsed or parsed. */
interface Scheduled {
  readonly piece: Piece;
  /** One of several pieces of a text. */
  readonly partial: boolean;
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
  /** A text's key, the text, and the indexes of its pieces (one for most texts). */
  private readonly byKey = new Map<string, { readonly text: string; readonly indexes: readonly number[] }>();
  private readonly claims: Int32Array;
  private readonly replies: Int32Array;
  /** The next text to hand to a thread, and the index of the one last read. */
  private nextToSend = 0;
  private reading = 0;
  private readerHelps: boolean;

  /** `texts`, by key, in the order they will be read. */
  constructor(texts: ReadonlyMap<string, string>, plan: ParsingPlan) {
    this.readerHelps = plan.readerHelps;
    const { threads } = plan;
    for (const [key, text] of texts) {
      const indexes: number[] = [];
      const pieces = cutIntoPieces(text, plan.readerHelps ? threads + 1 : threads);
      for (const piece of pieces) {
        indexes.push(this.scheduled.length);
        this.scheduled.push({ piece, partial: pieces.length > 1, sent: false, reply: undefined });
      }
      this.byKey.set(key, { text, indexes });
    }
    this.claims = new Int32Array(new SharedArrayBuffer(Math.max(1, this.scheduled.length) * Int32Array.BYTES_PER_ELEMENT));
    this.replies = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    // A thread more than there are parses would only load the parser.
    for (let thread = 0; thread < Math.min(threads, this.scheduled.length); thread++) this.startThread();
    this.send();
  }

  /** The parse of `text`, scheduled under `key` or not. */
  parse(key: string, text: string): ParsedSource {
    const entry = this.byKey.get(key);
    if (entry?.text !== text) return parseSource(text);
    const last = entry.indexes.at(-1) ?? 0;
    this.reading = Math.max(this.reading, last);
    this.send();
    const pieces = entry.indexes.map((index) => this.pieceParse(index));
    const whole = pieces.length === 1 ? pieces[0]?.parsed : joinPieces(text, pieces);
    return whole ?? parseSource(text);
  }

  /** A piece's parse: the thread's, or the reader's when it helps and no thread has started the piece. */
  private pieceParse(index: number): { readonly piece: Piece; readonly parsed: ParsedSource | undefined } {
    const scheduled = this.scheduled[index];
    if (!scheduled) throw new Error(`no piece ${index} was scheduled`);
    const { piece, partial } = scheduled;
    const parseHere = (): ParsedSource | undefined => (partial ? parseWhole(piece.text) : parseSource(piece.text));
    if (this.readerHelps && this.claimForReader(index)) return { piece, parsed: parseHere() };
    const reply = this.awaitReply(index, scheduled);
    // Read once: the entry keeps no parse alive after it.
    scheduled.reply = undefined;
    if (!reply || 'failure' in reply) return { piece, parsed: parseHere() };
    return { piece, parsed: reply.parse && fromTransfer(piece.text, reply.parse) };
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Texts and pieces of long texts scheduled. */
  get parses(): number {
    return this.scheduled.length;
  }

  /** How many of them the threads have parsed or are parsing. */
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
    // Loaded by the runs that start threads only: a run of a few files never needs it.
    const { MessageChannel, Worker } = process.getBuiltinModule('node:worker_threads');
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
      const request: ParseRequest = { id: this.nextToSend, text: scheduled.piece.text, piece: scheduled.partial };
      this.ports[this.nextToSend % this.ports.length]?.postMessage(request);
    }
  }

  private claimForReader(index: number): boolean {
    return Atomics.compareExchange(this.claims, index, 0, CLAIMED_BY_READER) === 0;
  }

  /**
   * Waits, without leaving the current task, for a thread's parse of a piece. Undefined when the
   * threads stopped replying: from then on the reader parses whatever they have not started.
   */
  private awaitReply(index: number, scheduled: Scheduled): ParseReply | undefined {
    let deadline = Date.now() + GIVE_UP_WAITING_MS;
    for (;;) {
      const seen = Atomics.load(this.replies, 0);
      if (this.receiveReplies()) deadline = Date.now() + GIVE_UP_WAITING_MS;
      if (scheduled.reply) return scheduled.reply;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.readerHelps = true;
        this.claimForReader(index);
        return undefined;
      }
      Atomics.wait(this.replies, 0, seen, left);
    }
  }

  /** Takes the replies that arrived; whether there were any. */
  private receiveReplies(): boolean {
    let received = false;
    const { receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
    for (const port of this.ports) {
      for (let message = receiveMessageOnPort(port); message; message = receiveMessageOnPort(port)) {
        const reply = message.message as ParseReply;
        const scheduled = this.scheduled[reply.id];
        if (scheduled) scheduled.reply = reply;
        received = true;
      }
    }
    return received;
  }
}

/** Cuts a long text into about `count` pieces of about equal length, each after a statement. */
function cutIntoPieces(text: string, count: number): Piece[] {
  if (text.length < PIECE_CHARACTERS || count < 2) return [{ text, offset: 0, byteOffset: 0 }];
  const pieces: Piece[] = [];
  let start = 0;
  let byteOffset = 0;
  for (let cut = 1; cut < count; cut++) {
    const end = statementEndAfter(text, start, Math.floor((text.length * cut) / count));
    if (end === undefined) break;
    const piece = text.slice(start, end);
    pieces.push({ text: piece, offset: start, byteOffset });
    byteOffset += Buffer.byteLength(piece);
    start = end;
  }
  pieces.push({ text: text.slice(start), offset: start, byteOffset });
  return pieces;
}
