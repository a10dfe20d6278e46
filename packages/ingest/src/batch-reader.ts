/**
 * Reading a file into batches: one pass through a sha256 hash and a byte counter into detect's
 * record reader, records converted and grouped into packed batches of good and rejected rows.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { RejectedRow } from '@refdata/db';
import type { FormatInfo, SourceRecord } from '@refdata/detect';
import { readRecordChunks } from '@refdata/detect';
import type { ConversionPlan } from './column-plan.js';
import { type PackedRows, PackedRowsWriter } from './packed-rows.js';
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

/** A batch of converted rows, packed so that it crosses threads cheaply, and the bad rows met since the previous one. @internal */
export interface EncodedBatch {
  readonly rows: PackedRows;
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
    const batchSize = config.batchSize;
    const out = new PackedRowsWriter(converter.width, batchSize);
    let rejects: RejectedRow[] = [];
    let rowsRead = 0;
    const options = signal === undefined ? {} : { signal };
    // Records come a chunk at a time (one asynchronous step per chunk, not per record).
    for await (const records of readRecordChunks(counted, config.format, options)) {
      for (let i = 0; i < records.length; i++) {
        rowsRead++;
        const bad = converter.convert(records[i] as SourceRecord, out);
        if (bad !== undefined) rejects.push(bad);
        // Bad rows flush a batch too, so a file of nothing but bad rows never piles up in memory.
        if (out.full || rejects.length === batchSize) {
          yield { rows: out.take(), rejects, rowsRead, bytesRead: bytes };
          signal?.throwIfAborted();
          rejects = [];
        }
      }
    }
    if (out.rows > 0 || rejects.length > 0) {
      yield { rows: out.take(), rejects, rowsRead, bytesRead: bytes };
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
