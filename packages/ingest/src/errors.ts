/**
 * Typed errors of @refdata/ingest. Callers branch on {@link IngestError.code}, never on messages.
 */
import type { RejectedRow } from '@refdata/db';

/** Stable error codes of @refdata/ingest (all prefixed `INGEST_`). */
export const IngestErrorCode = {
  /** An option is missing, of the wrong type or out of range. */
  OPTIONS_INVALID: 'INGEST_OPTIONS_INVALID',
  /** The file cannot be opened or read (missing, a directory, no permission). */
  FILE_UNREADABLE: 'INGEST_FILE_UNREADABLE',
  /** The file's format could not be detected (not a delimited text table, empty, binary…). */
  FORMAT_UNDETECTABLE: 'INGEST_FORMAT_UNDETECTABLE',
  /** The file broke its own format part-way through (an unclosed quote, an oversized field…). */
  FILE_MALFORMED: 'INGEST_FILE_MALFORMED',
  /** The file's columns differ from the live table's and the schema-drift policy is `fail`. */
  SCHEMA_DRIFT: 'INGEST_SCHEMA_DRIFT',
  /** Key columns are missing from the file, or upsert was asked for without key columns. */
  KEY_INVALID: 'INGEST_KEY_INVALID',
  /** More rows were rejected than `maxErrors` allows; the table is unchanged. */
  TOO_MANY_REJECTS: 'INGEST_TOO_MANY_REJECTS',
  /** The database could not be reached or stayed locked; retrying later may succeed. */
  DB_UNAVAILABLE: 'INGEST_DB_UNAVAILABLE',
  /** The database refused the load (the db error, with its `DB_…` code, is the `cause`). */
  DB_FAILED: 'INGEST_DB_FAILED',
  /** The ingestion was cancelled (signal or `handle.cancel()`); the table is unchanged. */
  CANCELLED: 'INGEST_CANCELLED',
  /** The parsing worker thread stopped unexpectedly. */
  WORKER_FAILED: 'INGEST_WORKER_FAILED',
  /** `ingest()` or `detect()` was called after `close()`. */
  CLOSED: 'INGEST_CLOSED',
} as const;

/** One of the values of {@link IngestErrorCode}. */
export type IngestErrorCode = (typeof IngestErrorCode)[keyof typeof IngestErrorCode];

/** Extra facts an {@link IngestError} carries. */
export interface IngestErrorOptions extends ErrorOptions {
  /** The file the error is about. */
  readonly file?: string;
  /** The target table, when known. */
  readonly table?: string;
  /** Structured details (e.g. the drifting columns, the reject count). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Rejected rows (for `INGEST_TOO_MANY_REJECTS`). */
  readonly rejects?: readonly RejectedRow[];
  /** The rejects as RFC 4180 CSV (for `INGEST_TOO_MANY_REJECTS`). */
  readonly rejectsCsv?: string;
}

/**
 * The one error class of @refdata/ingest. When it wraps an error of @refdata/detect or
 * @refdata/db, that error is the `cause` and its code stays visible as {@link IngestError.causeCode}.
 *
 * @example
 * ```ts
 * try {
 *   await ingestor.ingest('currencies.csv', {});
 * } catch (err) {
 *   if (isIngestError(err) && err.code === 'INGEST_TOO_MANY_REJECTS') console.error(err.message);
 * }
 * ```
 */
export class IngestError extends Error {
  override readonly name: string = 'IngestError';
  /** Stable code; see {@link IngestErrorCode}. */
  readonly code: IngestErrorCode;
  /** The `code` of the wrapped error (e.g. `DETECT_UNCLOSED_QUOTE`, `DB_LOCKED`, `ENOENT`), if any. */
  readonly causeCode: string | undefined;
  /** The file the error is about, if known. */
  readonly file: string | undefined;
  /** The target table, if known. */
  readonly table: string | undefined;
  /** Structured details for logs and error reports. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /**
   * For `INGEST_TOO_MANY_REJECTS`: the rejected rows (up to 10,000; all are stored through the db
   * layer when a `fileId` was given), so the caller can write `NAME.rejects.csv`.
   */
  readonly rejects: readonly RejectedRow[];
  /** {@link IngestError.rejects} as RFC 4180 CSV (`line,column,value,reason,raw`), or null. */
  readonly rejectsCsv: string | null;

  constructor(code: IngestErrorCode, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.causeCode = codeOf(options.cause);
    this.file = options.file;
    this.table = options.table;
    this.details = options.details;
    this.rejects = options.rejects ?? [];
    this.rejectsCsv = options.rejectsCsv ?? null;
  }
}

/**
 * True when `err` is an {@link IngestError} (checked by name and code, so it also works
 * across duplicated installs of the package).
 *
 * @example
 * ```ts
 * if (isIngestError(err)) log.error({ code: err.code, cause: err.causeCode }, err.message);
 * ```
 */
export function isIngestError(err: unknown): err is IngestError {
  if (err instanceof IngestError) return true;
  return err instanceof Error && err.name === 'IngestError' && (codeOf(err)?.startsWith('INGEST_') ?? false);
}

/** The string `code` of an error-like value, or undefined. @internal */
export function codeOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
