/**
 * Where batches come from: the parse worker thread (from the build) reading ahead with a bounded
 * queue, or the calling thread (from sources, or `parseInWorker: false`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type EncodedBatch, type ReaderConfig, type ReaderEnd, readBatches } from './batch-reader.js';
import { type PackedRows, transferablesOf } from './packed-rows.js';

/**
 * A batch as it crosses from the parse worker: its text as bytes in a transferred buffer instead
 * of a string. A string arrives as a new ~120 KB object on the calling thread's heap the moment
 * the message is delivered; waiting in the read-ahead it outlived young-generation collections,
 * so every batch's text was promoted to the old generation and lingered there after use (121 MB
 * of the 1,000,000-row SQL Server benchmark's 135 MB promoted). Decoded when the batch is taken,
 * the string dies young. @internal
 */
export interface WireBatch extends Omit<EncodedBatch, 'rows'> {
  readonly rows: Omit<PackedRows, 'text'> & {
    /** The text, Latin-1 when every code unit fits in a byte (half the bytes), UTF-16LE otherwise. */
    readonly textBytes: Uint8Array;
    readonly latin1: boolean;
  };
}

/** Code units that do not fit in a byte. */
const WIDE = /[\u0100-\uffff]/;

/** A batch for postMessage: its text as bytes; transfer {@link wireTransferables} with it. @internal */
export function toWire(batch: EncodedBatch): WireBatch {
  const { text, ...rest } = batch.rows;
  const latin1 = !WIDE.test(text);
  const textBytes = new Uint8Array(latin1 ? text.length : text.length * 2);
  Buffer.from(textBytes.buffer, 0, textBytes.length).write(text, latin1 ? 'latin1' : 'utf16le');
  return { ...batch, rows: { ...rest, textBytes, latin1 } };
}

/** The buffers of a {@link WireBatch}, to transfer instead of copy. @internal */
export function wireTransferables(batch: WireBatch): ArrayBuffer[] {
  const buffers = transferablesOf({ ...batch.rows, text: '' });
  const text = batch.rows.textBytes.buffer as ArrayBuffer;
  return text.byteLength > 0 && !buffers.includes(text) ? [...buffers, text] : buffers;
}

/** The batch of a {@link WireBatch}, its text decoded (exactly, to the code unit). @internal */
export function fromWire(batch: WireBatch): EncodedBatch {
  const { textBytes, latin1, ...rest } = batch.rows;
  const bytes = Buffer.from(textBytes.buffer, textBytes.byteOffset, textBytes.byteLength);
  const text = bytes.toString(latin1 ? 'latin1' : 'utf16le');
  return { ...batch, rows: { ...rest, text } };
}

/** Messages from the parse worker. @internal */
export type WorkerMessage =
  | { readonly type: 'batch'; readonly batch: WireBatch }
  | { readonly type: 'end'; readonly end: ReaderEnd }
  | { readonly type: 'error'; readonly error: SerializedError };

/** An error flattened for postMessage, keeping `code` and other own fields. @internal */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly props: Readonly<Record<string, unknown>>;
}

/**
 * Batches the worker may read ahead of the consumer. Enough to ride out a scheduling hiccup of
 * either thread on a busy machine (with 2 the threads waited on each other for about a second
 * of a 1M-row file), few enough to bound memory: a 990-row batch of 10 columns packs to ~0.3 MB.
 * @internal
 */
export const WORKER_READ_AHEAD = 8;

/**
 * Batches the consumer takes before it acknowledges them, in one message. A message between
 * threads costs as much as staging a tenth of a batch (an 'ack' per batch was 0.24 CPU-s of
 * the writer's thread on the 1M-row benchmark); at most {@link WORKER_READ_AHEAD}, or the
 * worker would wait for credits that never come. @internal
 */
export const WORKER_ACK_EVERY = 4;

/**
 * Heap limits of the parse worker. Its records die young: a 16 MB young generation keeps
 * scavenges cheap (8 MB doubled the worker's GC time on the 1M-row benchmark) and a bounded old
 * generation keeps its peak memory low, with room for the largest field the reader accepts
 * (16 Mi characters). @internal
 */
export const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 128 } as const;

/** Flattens an error for postMessage. @internal */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), props: {} };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) props[k] = v;
  }
  return err.stack === undefined
    ? { name: err.name, message: err.message, props }
    : { name: err.name, message: err.message, stack: err.stack, props };
}

/** Rebuilds an error from {@link serializeError}, with its `code` and other fields. @internal */
export function deserializeError(e: SerializedError): Error {
  const err = new Error(e.message);
  Object.assign(err, e.props);
  Object.defineProperty(err, 'name', { value: e.name, configurable: true, writable: true });
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/**
 * The compiled worker script next to this module, when the package runs from its build; from
 * sources (tests) or a bundle that inlined this module it is absent and parsing stays inline.
 * @internal
 */
export function defaultWorkerUrl(): URL | undefined {
  const url = new URL('./parse-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** What the calling thread receives from a parse worker. */
type Inbound = WorkerMessage | { readonly type: 'exit'; readonly code: number } | { readonly type: 'aborted' };

/** The first message to the parse worker: what to read. @internal */
export interface WorkerStart {
  readonly config: ReaderConfig;
  readonly readAhead: number;
}

/**
 * A parse worker thread, started before it has a file to read so that its startup (loading the
 * module graph, ~0.1 s) overlaps detection on the calling thread; {@link ParseWorker.batches}
 * then hands it the file. Close it when it is not used. @internal
 */
export class ParseWorker {
  readonly #worker: Worker;
  readonly #inbox: Inbound[] = [];
  #wake: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(workerUrl: URL) {
    this.#worker = new Worker(workerUrl, { resourceLimits: WORKER_HEAP_LIMITS });
    this.#worker.on('message', (m: WorkerMessage) => this.#deliver(m));
    this.#worker.on('error', (err) => this.#deliver({ type: 'error', error: serializeError(err) }));
    this.#worker.on('exit', (code) => this.#deliver({ type: 'exit', code }));
  }

  #deliver(m: Inbound): void {
    this.#inbox.push(m);
    this.#wake?.();
    this.#wake = undefined;
  }

  /** Reads `config` on the worker: its batches, then the file's end; the worker stops after it. */
  async *batches(config: ReaderConfig, signal: AbortSignal | undefined): AsyncGenerator<EncodedBatch, ReaderEnd> {
    if (this.#closed !== undefined) throw new Error('This parse worker has already been used.');
    const onAbort = (): void => this.#deliver({ type: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      this.#worker.postMessage({ config, readAhead: WORKER_READ_AHEAD } satisfies WorkerStart);
      // Batches taken and not yet acknowledged: the worker gets them back as credits, a few at a time.
      let taken = 0;
      for (;;) {
        while (this.#inbox.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
        const m = this.#inbox.shift() as Inbound;
        switch (m.type) {
          case 'batch':
            yield fromWire(m.batch);
            if (++taken === WORKER_ACK_EVERY) {
              this.#worker.postMessage(taken);
              taken = 0;
            }
            break;
          case 'end':
            return m.end;
          case 'error':
            throw deserializeError(m.error);
          case 'aborted':
            signal?.throwIfAborted();
            break;
          case 'exit':
            throw Object.assign(new Error(`The parse worker exited with code ${m.code} before the end of the file.`), {
              code: 'WORKER_EXIT',
            });
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.close();
    }
  }

  /** Stops the thread (at once, whatever it is doing); safe to call more than once. */
  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#worker.removeAllListeners();
      // An error after this point has nobody to tell; a listener keeps it from being thrown.
      this.#worker.on('error', () => {});
      this.#closed = this.#worker.terminate().then(() => undefined);
    }
    return this.#closed;
  }
}

/**
 * Opens the batches of a file: on a worker thread when `worker` (a started {@link ParseWorker})
 * or `workerUrl` is given (parsing and converting there while this thread writes to the
 * database), otherwise on this thread. Either way the consumer's pace bounds what is read ahead.
 * @internal
 */
export function openBatches(
  config: ReaderConfig,
  options: {
    readonly worker?: ParseWorker | undefined;
    readonly workerUrl?: URL | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): AsyncGenerator<EncodedBatch, ReaderEnd> {
  const worker = options.worker ?? (options.workerUrl === undefined ? undefined : new ParseWorker(options.workerUrl));
  return worker === undefined ? readBatches(config, options.signal) : worker.batches(config, options.signal);
}
