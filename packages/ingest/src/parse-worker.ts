/**
 * Worker-thread entry: reads, hashes, parses and converts one file, posting batches to the
 * parent at most `readAhead` ahead of its acknowledgements (backpressure across threads).
 * @internal
 */
import { parentPort } from 'node:worker_threads';
import { readBatches } from './batch-reader.js';
import { serializeError, toWire, type WorkerMessage, type WorkerStart, wireTransferables } from './batch-source.js';

const port = parentPort;
if (port === null) throw new Error('parse-worker.js must run as a worker thread');

// The thread starts before detection ends: its first message says what to read, later ones
// acknowledge batches (a number: how many were taken since the last acknowledgement).
let credits = 0;
let waiting: (() => void) | undefined;
let started = false;
port.on('message', (m: WorkerStart | number) => {
  if (typeof m !== 'number') {
    if (!started) {
      started = true;
      credits = m.readAhead;
      void run(m);
    }
    return;
  }
  credits += m;
  waiting?.();
  waiting = undefined;
});

const post = (m: WorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

async function run({ config }: WorkerStart): Promise<void> {
  try {
    const batches = readBatches(config);
    for (;;) {
      const r = await batches.next();
      if (r.done) {
        post({ type: 'end', end: r.value });
        break;
      }
      while (credits === 0) await new Promise<void>((resolve) => (waiting = resolve));
      credits--;
      // The packed rows' buffers are the batch's own: transfer them instead of copying.
      const batch = toWire(r.value);
      post({ type: 'batch', batch }, wireTransferables(batch));
    }
  } catch (err) {
    post({ type: 'error', error: serializeError(err) });
  } finally {
    // Without listeners the port no longer holds the thread open: it exits once the posts are flushed.
    port?.removeAllListeners('message');
  }
}
