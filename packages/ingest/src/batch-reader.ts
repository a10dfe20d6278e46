import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { DbValue, RejectedRow } from '@refdata/db';
import type { FormatInfo } from '@refdata/detect';
import { readRecords } from '@refdata/detect';
import type { ConversionPlan } from './column-plan.js';
import { RowConverter } from './row-converter.js';

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

/**
 * A batch of converted rows in a compact form that crosses threads cheaply: `values` holds
 * `width` values per row, `lines` the source line of each row. @internal
 */
export interface EncodedBatch {
  readonly lines: Int32Array;
  readonly values: DbValue[];
  readonly width: number;
  readonly rejects: RejectedRow[];
  /** Records read so far (good and bad), including this batch. */
  readonly rowsRead: number;
  /** Bytes read from the file so far. */
  readonly bytesRead: number;
}

/** The end of a read: the whole file's hash and size. @internal */
export interface ReaderEnd {
  readonly sha256: string;
  readonly bytes: number;
  readonly rowsRead: number;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

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
  const stream = createReadStream(config.path, { highWaterMark: config.chunkBytes ?? DEFAULT_CHUNK_BYTES });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const counted: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await chunks.next();
        if (!r.done) {
          hash.update(r.value);
          bytes += r.value.length;
        }
        return r;
      },
      // The reader may stop early (footer lines): keep the stream open so the rest is hashed.
      return: async () => ({ done: true, value: undefined }),
    }),
  };
  try {
    const converter = new RowConverter(config.plan);
    const width = converter.width;
    const batchSize = config.batchSize;
    let lines = new Int32Array(batchSize);
    let values: DbValue[] = [];
    let rejects: RejectedRow[] = [];
    let count = 0;
    let rowsRead = 0;
    const options = signal === undefined ? {} : { signal };
    for await (const record of readRecords(counted, config.format, options)) {
      rowsRead++;
      const bad = converter.convert(record, values);
      if (bad === undefined) lines[count++] = record.line;
      else rejects.push(bad);
      // Bad rows flush a batch too, so a file of nothing but bad rows never piles up in memory.
      if (count === batchSize || rejects.length === batchSize) {
        yield {
          lines: count === batchSize ? lines : lines.subarray(0, count),
          values,
          width,
          rejects,
          rowsRead,
          bytesRead: bytes,
        };
        signal?.throwIfAborted();
        lines = new Int32Array(batchSize);
        values = [];
        rejects = [];
        count = 0;
      }
    }
    if (count > 0 || rejects.length > 0) {
      yield { lines: lines.subarray(0, count), values, width, rejects, rowsRead, bytesRead: bytes };
    }
    for (;;) {
      signal?.throwIfAborted();
      const r = await chunks.next();
      if (r.done) break;
      hash.update(r.value);
      bytes += r.value.length;
    }
    return { sha256: hash.digest('hex'), bytes, rowsRead };
  } finally {
    stream.destroy();
  }
}
