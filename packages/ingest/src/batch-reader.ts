/**
 * Reading a file into batches: one pass through a sha256 hash and a byte counter into detect's
 * record reader, records converted and grouped into packed batches of good and rejected rows.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import type { RejectedRow } from '@refdata/db';
import type { EncodingChange, FormatInfo, SkippedLine, SourceRecord } from '@refdata/detect';
import { readRecordChunks } from '@refdata/detect';
import type { ConversionPlan } from './column-plan.js';
import { type PackedRows, PackedRowsWriter } from './packed-rows.js';
import { RowConverter, type Widening } from './row-converter.js';

/** What a batch reader needs; plain data, so it can be handed to a worker thread. @internal */
export interface ReaderConfig {
  readonly path: string;
  readonly format: FormatInfo;
  readonly plan: ConversionPlan;
  /** Good rows per batch. */
  readonly batchSize: number;
  /** Bytes per read from the file (small reads keep parsed records short-lived: less GC, less memory). @default 64 KiB */
  readonly chunkBytes?: number;
}

/** A batch of converted rows, packed so that it crosses threads cheaply, and the bad rows met since the previous one. @internal */
export interface EncodedBatch {
  readonly rows: PackedRows;
  readonly rejects: RejectedRow[];
  /** Records read so far (good and bad), including this batch. */
  readonly rowsRead: number;
  /** Bytes read from the file so far. */
  readonly bytesRead: number;
  /** Columns to widen before this batch's rows are staged (its rows need the wider types). */
  readonly widened?: readonly Widening[];
}

/** Lines the reader skipped for one reason. @internal */
export interface SkippedLines {
  readonly reason: string;
  readonly count: number;
  readonly lines: readonly number[];
}

/** The end of a read: the whole file's hash and size. @internal */
export interface ReaderEnd {
  readonly sha256: string;
  readonly bytes: number;
  readonly rowsRead: number;
  /** Set when the file, read as UTF-8 from an ASCII-only sample, turned out to be in a code page. */
  readonly encodingChange?: EncodingChange;
  /**
   * Lines the reader left out of the table on its way (copies of the header in joined files,
   * rows of only delimiters), by reason: how many, and the first 100.
   */
  readonly skipped?: readonly SkippedLines[];
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

/**
 * A file read in chunks with blocking reads into one reused buffer. The reader runs on its own
 * thread (the parse worker), where a blocking read stalls nothing else; a read stream would
 * allocate a buffer per chunk and take two thread hops and a promise per read. Each chunk is
 * valid until the next call: the hash and the decoder consume it at once.
 * @internal
 */
export class FileChunks {
  readonly #fd: number;
  readonly #buffer: Buffer;
  #open = true;

  constructor(path: string, chunkBytes: number) {
    this.#fd = openSync(path, 'r');
    this.#buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** The next chunk of the file, or undefined at its end (or once closed). */
  next(): Buffer | undefined {
    if (!this.#open) return undefined;
    const n = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, null);
    return n === 0 ? undefined : this.#buffer.subarray(0, n);
  }

  /** Closes the file; safe to call more than once. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    closeSync(this.#fd);
  }
}

/**
 * A file read in chunks through a read stream, for the calling thread: each read returns to the
 * event loop, so timers (progress, lease heartbeats) keep running while a file is parsed inline.
 * @internal
 */
export class StreamChunks {
  readonly #stream: ReturnType<typeof createReadStream>;
  readonly #chunks: AsyncIterator<Buffer>;

  constructor(path: string, chunkBytes: number) {
    this.#stream = createReadStream(path, { highWaterMark: chunkBytes });
    this.#chunks = this.#stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next chunk of the file, or undefined at its end. */
  async next(): Promise<Buffer | undefined> {
    const r = await this.#chunks.next();
    return r.done ? undefined : r.value;
  }

  /** Stops reading; safe to call more than once. */
  close(): void {
    this.#stream.destroy();
  }
}

/**
 * Reads the file once: every byte passes a sha256 hash and a byte counter on its way into
 * `readRecords`; records are converted and grouped into batches of at most `batchSize` good rows
 * and `batchSize` bad rows (a batch carries the bad rows met since the previous one). Bytes after the last record (a footer)
 * are still hashed. Stops between records when `signal` aborts. @internal
 */
export async function* readBatches(
  config: ReaderConfig,
  signal?: AbortSignal,
): AsyncGenerator<EncodedBatch, ReaderEnd> {
  const hash = createHash('sha256');
  let bytes = 0;
  const chunkBytes = config.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // Blocking reads on the parse worker's own thread; a read stream on the calling thread.
  const source = isMainThread ? new StreamChunks(config.path, chunkBytes) : new FileChunks(config.path, chunkBytes);
  const counted: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const chunk = await source.next();
        if (chunk === undefined) return { done: true, value: undefined };
        hash.update(chunk);
        bytes += chunk.length;
        return { done: false, value: chunk };
      },
      // The reader may stop early (footer lines): keep the file open so the rest is hashed.
      return: async () => ({ done: true, value: undefined }),
    }),
  };
  try {
    const converter = new RowConverter(config.plan);
    const batchSize = config.batchSize;
    const out = new PackedRowsWriter(converter.width, batchSize);
    let rejects: RejectedRow[] = [];
    let rowsRead = 0;
    let encodingChange: EncodingChange | undefined;
    const skipped = new Map<string, { reason: string; count: number; lines: number[] }>();
    const options = {
      ...(signal === undefined ? {} : { signal }),
      onEncodingChange: (change: EncodingChange) => {
        encodingChange = change;
      },
      onSkippedLine: (line: SkippedLine) => {
        let group = skipped.get(line.reason);
        if (group === undefined) {
          group = { reason: line.reason, count: 0, lines: [] };
          skipped.set(line.reason, group);
        }
        group.count++;
        if (group.lines.length < 100) group.lines.push(line.line);
      },
    };
    // Widenings met since the last batch: they travel with the next one, whose rows need them.
    let widened: Widening[] = [];
    const batch = (read: number): EncodedBatch => {
      const b = {
        rows: out.take(),
        rejects,
        rowsRead: read,
        bytesRead: bytes,
        ...(widened.length > 0 ? { widened } : {}),
      };
      rejects = [];
      widened = [];
      return b;
    };
    // Records come a chunk at a time (one asynchronous step per chunk, not per record).
    for await (const records of readRecordChunks(counted, config.format, options)) {
      for (let i = 0; i < records.length; i++) {
        rowsRead++;
        const record = records[i] as SourceRecord;
        let result = converter.convert(record, out);
        while (result !== undefined && 'kind' in result) {
          // Rows converted so far keep the narrower type: they go in a batch of their own first.
          if (out.rows > 0 || rejects.length > 0) {
            yield batch(rowsRead - 1); // this record is not in it
            signal?.throwIfAborted();
          }
          converter.widen(result.index, result.type);
          widened.push(result);
          result = converter.convert(record, out);
        }
        if (result !== undefined) rejects.push(result);
        // Bad rows flush a batch too, so a file of nothing but bad rows never piles up in memory.
        if (out.full || rejects.length === batchSize) {
          yield batch(rowsRead);
          signal?.throwIfAborted();
        }
      }
    }
    if (out.rows > 0 || rejects.length > 0 || widened.length > 0) yield batch(rowsRead);
    for (;;) {
      signal?.throwIfAborted();
      const chunk = await source.next();
      if (chunk === undefined) break;
      hash.update(chunk);
      bytes += chunk.length;
    }
    return {
      sha256: hash.digest('hex'),
      bytes,
      rowsRead,
      ...(encodingChange === undefined ? {} : { encodingChange }),
      ...(skipped.size === 0 ? {} : { skipped: [...skipped.values()] }),
    };
  } finally {
    source.close();
  }
}
