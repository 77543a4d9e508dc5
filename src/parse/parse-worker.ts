import { workerData } from 'node:worker_threads';
import { loadParser, parseSource, parseWhole, toTransfer } from './parser.js';
import { CLAIMED_BY_WORKER, type ParseReply, type ParseRequest, type ParseWorkerData } from './pool.js';

/** A thread of the parser pool: parses each text it is sent, unless the reader already took it. */
const { port, claims, replies } = workerData as ParseWorkerData;
// Requests sent while the parser compiles wait in the port's queue.
await loadParser();
port.on('message', ({ id, text, piece }: ParseRequest) => {
  if (Atomics.compareExchange(claims, id, 0, CLAIMED_BY_WORKER) !== 0) return;
  let reply: ParseReply;
  try {
    const parsed = piece ? parseWhole(text) : parseSource(text);
    reply = { id, parse: parsed && toTransfer(parsed) };
  } catch (error) {
    // The reader parses this text itself, where the error surfaces as it would without the pool.
    reply = { id, failure: String(error) };
  }
  port.postMessage(reply);
  Atomics.add(replies, 0, 1);
  Atomics.notify(replies, 0);
});
