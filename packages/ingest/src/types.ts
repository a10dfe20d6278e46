/**
 * Public types of @refdata/ingest: the facade other teams import. The watcher app is one user.
 */
import { type Database, LOAD_MODES, type LoadMode, type Logger, type RejectedRow } from '@refdata/db';
import type { ColumnKind, ColumnTypeOverrides, FormatInfo, FormatOverrides } from '@refdata/detect';

/** What to do when the file's columns differ from the live table's. */
export const SCHEMA_DRIFT_POLICIES = ['fail', 'add', 'ignore'] as const;
/** One of {@link SCHEMA_DRIFT_POLICIES}: fail the file, add new columns, or ignore extra columns. */
export type SchemaDriftPolicy = (typeof SCHEMA_DRIFT_POLICIES)[number];

/**
 * Options of `createIngestor`.
 *
 * @example
 * ```ts
 * const ingestor = createIngestor({ db, logger, batchSize: 990, concurrency: 2 });
 * ```
 */
export interface IngestorOptions {
  /** An open, migrated database from `openDatabase()` of @refdata/db; it stays the caller's to close. */
  readonly db: Database;
  /** A structural logger (pino satisfies it); nothing is logged by default. Values of the file are never logged. */
  readonly logger?: Logger;
  /** INGEST_BATCH_SIZE: rows per batch written to the database. @default 990 */
  readonly batchSize?: number;
  /** INGEST_PROGRESS_INTERVAL: seconds between progress events. @default 5 */
  readonly progressIntervalSeconds?: number;
  /** INGEST_TYPE_INFERENCE: infer column types (otherwise every column is text). @default true */
  readonly typeInference?: boolean;
  /** INGEST_TYPE_SAMPLE_ROWS: rows sampled for type inference. @default 1000 */
  readonly typeSampleRows?: number;
  /** Files ingested at once; two files for one table are always applied one after the other. @default 2 */
  readonly concurrency?: number;
  /**
   * Parse and convert on a worker thread while the calling thread writes to the database. Used
   * only when the package runs from its build (`dist/parse-worker.js` beside it); from sources,
   * or with `false`, parsing runs on the calling thread. @default true
   */
  readonly parseInWorker?: boolean;
}

/**
 * Options of one ingestion; every field is optional.
 *
 * @example
 * ```ts
 * ingestor.ingest('rates.csv', { mode: 'upsert', keyColumns: ['code'], maxErrors: 10, schemaDrift: 'add' });
 * ```
 */
export interface IngestOptions {
  /** Target table in the `ref` namespace. @default derived from the file name (`currencies_20250101.csv` → `currencies`) */
  readonly table?: string;
  /** @default 'replace' (or the dataset's configured mode) */
  readonly mode?: LoadMode;
  /** Key columns for upsert and the change summary; their values must be present and unique (duplicates are rejects). */
  readonly keyColumns?: readonly string[];
  /** What you know about the file (delimiter, header, encoding, null tokens, column types…); skips that detection. */
  readonly format?: FormatOverrides;
  /** Bad rows tolerated before the file fails (like bcp's MAXERRORS). @default 0 */
  readonly maxErrors?: number;
  /** @default 'fail' */
  readonly schemaDrift?: SchemaDriftPolicy;
  /** Apply a replace the destructive-replace guard would hold. @default false */
  readonly force?: boolean;
  /** The tracking row of this file, when the caller (the watcher) has one. */
  readonly fileId?: number;
  /**
   * The name the file arrived under, used for the default table name, messages, logs and the
   * backup catalogue (a watcher reads the file from its own working path).
   * @default the path's base name
   */
  readonly sourceName?: string;
  /** Skip the load when a file with the same sha256 was already loaded into the table. @default true */
  readonly skipDuplicates?: boolean;
  /** Cancels the ingestion when aborted (like `handle.cancel()`): `INGEST_CANCELLED`, the table unchanged. */
  readonly signal?: AbortSignal;
  /** Per-call override of {@link IngestorOptions.batchSize}. */
  readonly batchSize?: number;
  /** Per-call override of {@link IngestorOptions.progressIntervalSeconds}. */
  readonly progressIntervalSeconds?: number;
  /** Per-call override of {@link IngestorOptions.typeInference}. */
  readonly typeInference?: boolean;
  /** Per-call override of {@link IngestorOptions.typeSampleRows}. */
  readonly typeSampleRows?: number;
}

/** A snapshot of an ingestion's progress (emitted at least every `progressIntervalSeconds` and once at the end). */
export interface IngestProgress {
  /** The file, as given to `ingest()`. */
  readonly file: string;
  /** The target table (in the `ref` namespace). */
  readonly table: string;
  /** Data records read so far (good and bad). */
  readonly rowsRead: number;
  /** Rows written to the load so far (in the final event: rows applied to the table). */
  readonly rowsLoaded: number;
  /** Bad rows so far. */
  readonly rowsRejected: number;
  /** Bytes read from the file so far (every byte passes the counter). */
  readonly bytesRead: number;
  /** Size of the file in bytes. */
  readonly bytesTotal: number;
  /** Records read per second since the start. */
  readonly rowsPerSecond: number;
  /** Estimated seconds left, or null when unknown. */
  readonly etaSeconds: number | null;
  /** Milliseconds since the ingestion started. */
  readonly elapsedMs: number;
  /** True for the last event of the ingestion. */
  readonly done: boolean;
}

/** How an ingestion ended (a thrown `IngestError` covers failures). */
export interface IngestResult {
  /** `loaded`: applied; `duplicate`: same content already loaded, nothing changed; `held`: the replace guard held it (use `force`). */
  readonly status: 'loaded' | 'duplicate' | 'held';
  /** The file, as given to `ingest()`. */
  readonly file: string;
  /** The target table (in the `ref` namespace). */
  readonly table: string;
  /** The load mode used. */
  readonly mode: LoadMode;
  /** Data records read (good and bad). */
  readonly rowsRead: number;
  /** Rows applied to the table (0 when duplicate or held). */
  readonly rowsLoaded: number;
  /** Bad rows, duplicate keys included. */
  readonly rowsRejected: number;
  /** Lower-case hex sha256 of the whole file. */
  readonly sha256: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** Milliseconds from start (after any wait in the queue) to end. */
  readonly durationMs: number;
  /** The format the file was read with. */
  readonly format: FormatInfo;
  /** Rows rejected (capped at 10,000 in memory; all are stored through the db layer). */
  readonly rejects: readonly RejectedRow[];
  /** RFC 4180 text of the rejects (`line,column,value,reason,raw`), or null when there are none. */
  readonly rejectsCsv: string | null;
  /** Rows added, removed and changed, when key columns are known. */
  readonly changes: { readonly added: number; readonly removed: number; readonly changed: number } | null;
  /** The `bkp` snapshot holding the previous contents, when one was taken. */
  readonly snapshot: string | null;
  /** Why it was held or skipped as duplicate. */
  readonly message?: string;
}

/**
 * The handle `ingest()` returns: await it for the result, or iterate it for progress.
 *
 * @example
 * ```ts
 * const job = ingestor.ingest('currencies.csv', { table: 'currencies' });
 * for await (const p of job) console.log(p.rowsRead, p.rowsPerSecond);
 * const result = await job;
 * // or, as with any promise:
 * ingestor.ingest('units.csv').catch((err: unknown) => log.error(err)).finally(() => ingestor.close());
 * ```
 */
export interface IngestHandle extends PromiseLike<IngestResult>, AsyncIterable<IngestProgress> {
  /** Attaches a failure handler, as `Promise.prototype.catch` does. */
  catch<T = never>(onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<IngestResult | T>;
  /** Runs `onfinally` when the ingestion settles, as `Promise.prototype.finally` does. */
  finally(onfinally?: (() => void) | null): Promise<IngestResult>;
  /** The file being ingested, as given. */
  readonly file: string;
  /** The target table (from the options or the file name); empty when the options were invalid. */
  readonly table: string;
  /** Cancels the ingestion; the result rejects with INGEST_CANCELLED and the table is unchanged. */
  cancel(reason?: string): void;
  /**
   * The progress now, computed from the reader's position (which moves with every batch read),
   * for a display that refreshes several times a second; the progress events stay at
   * `progressIntervalSeconds`. Undefined until reading starts (after detection); the last event
   * once the ingestion has ended.
   *
   * @example
   * ```ts
   * const timer = setInterval(() => bar.update(job.progress()?.bytesRead ?? 0), 100);
   * await job.finally(() => clearInterval(timer));
   * ```
   */
  progress(): IngestProgress | undefined;
}

/**
 * Typed events of an ingestor (eventemitter3). No `error` event: failures reject the handle and
 * emit `failed`.
 *
 * @example
 * ```ts
 * ingestor.on('rejected', ({ file, row }) => log.warn({ file, line: row.line, reason: row.reason }, 'bad row'));
 * ingestor.on('completed', (r) => log.info({ table: r.table, rows: r.rowsLoaded }, r.status));
 * ```
 */
export interface IngestorEvents {
  /** Detection is done and the load begins; `detectMs` is how long detecting the format took. */
  started: (info: {
    readonly file: string;
    readonly table: string;
    readonly format: FormatInfo;
    readonly detectMs: number;
  }) => void;
  progress: (progress: IngestProgress) => void;
  batch: (info: {
    readonly file: string;
    readonly table: string;
    readonly rows: number;
    readonly totalLoaded: number;
  }) => void;
  rejected: (info: { readonly file: string; readonly table: string; readonly row: RejectedRow }) => void;
  completed: (result: IngestResult) => void;
  failed: (info: {
    readonly file: string;
    readonly table: string;
    readonly error: Error & { readonly code: string };
  }) => void;
  cancelled: (info: { readonly file: string; readonly table: string }) => void;
}

export type { ColumnKind, ColumnTypeOverrides, Database, FormatInfo, FormatOverrides, LoadMode, Logger, RejectedRow };
/** The load modes `ingest()` accepts (re-exported from @refdata/db). */
export { LOAD_MODES };
