/**
 * Public types of @refdata/ingest: the facade other teams import. The watcher app is one user.
 */
import type { Database, LoadMode, Logger, RejectedRow } from '@refdata/db';
import type { FormatInfo, FormatOverrides } from '@refdata/detect';

/** What to do when the file's columns differ from the live table's. */
export const SCHEMA_DRIFT_POLICIES = ['fail', 'add', 'ignore'] as const;
/** One of {@link SCHEMA_DRIFT_POLICIES}: fail the file, add new columns, or ignore extra columns. */
export type SchemaDriftPolicy = (typeof SCHEMA_DRIFT_POLICIES)[number];

/** Options of `createIngestor`. */
export interface IngestorOptions {
  readonly db: Database;
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

/** Options of one ingestion. */
export interface IngestOptions {
  /** Target table in the `ref` namespace. @default derived from the file name (`currencies_20250101.csv` → `currencies`) */
  readonly table?: string;
  /** @default 'replace' (or the dataset's configured mode) */
  readonly mode?: LoadMode;
  /** Key columns for upsert and the change summary. */
  readonly keyColumns?: readonly string[];
  readonly format?: FormatOverrides;
  /** Bad rows tolerated before the file fails (like bcp's MAXERRORS). @default 0 */
  readonly maxErrors?: number;
  /** @default 'fail' */
  readonly schemaDrift?: SchemaDriftPolicy;
  /** Apply a replace the destructive-replace guard would hold. @default false */
  readonly force?: boolean;
  /** The tracking row of this file, when the caller (the watcher) has one. */
  readonly fileId?: number;
  /** Skip the load when a file with the same sha256 was already loaded into the table. @default true */
  readonly skipDuplicates?: boolean;
  readonly signal?: AbortSignal;
  /** Per-call overrides of the ingestor's defaults. */
  readonly batchSize?: number;
  readonly progressIntervalSeconds?: number;
  readonly typeInference?: boolean;
  readonly typeSampleRows?: number;
}

/** A snapshot of an ingestion's progress. */
export interface IngestProgress {
  readonly file: string;
  readonly table: string;
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly rowsPerSecond: number;
  /** Estimated seconds left, or null when unknown. */
  readonly etaSeconds: number | null;
  readonly elapsedMs: number;
  /** True for the last event of the ingestion. */
  readonly done: boolean;
}

/** How an ingestion ended (a thrown `IngestError` covers failures). */
export interface IngestResult {
  readonly status: 'loaded' | 'duplicate' | 'held';
  readonly file: string;
  readonly table: string;
  readonly mode: LoadMode;
  readonly rowsRead: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly durationMs: number;
  readonly format: FormatInfo;
  /** Rows rejected (capped at 10,000 in memory; all are stored through the db layer). */
  readonly rejects: readonly RejectedRow[];
  /** RFC 4180 text of the rejects (`line,column,value,reason,raw`), or null when there are none. */
  readonly rejectsCsv: string | null;
  readonly changes: { readonly added: number; readonly removed: number; readonly changed: number } | null;
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
 * ```
 */
export interface IngestHandle extends PromiseLike<IngestResult>, AsyncIterable<IngestProgress> {
  /** The file being ingested, as given. */
  readonly file: string;
  /** The target table (from the options or the file name); empty when the options were invalid. */
  readonly table: string;
  /** Cancels the ingestion; the result rejects with INGEST_CANCELLED and the table is unchanged. */
  cancel(reason?: string): void;
}

/** Typed events of an ingestor. */
export interface IngestorEvents {
  started: (info: { readonly file: string; readonly table: string; readonly format: FormatInfo }) => void;
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

export type { Database, FormatInfo, FormatOverrides, LoadMode, Logger, RejectedRow };
