/**
 * Typed errors of @refdata/db. Callers branch on {@link DbError.code}, never on messages.
 */

/** Stable error codes of @refdata/db (all prefixed `DB_`). */
export const DbErrorCode = {
  /** The database URL cannot be parsed or names an unsupported dialect. */
  URL_INVALID: 'DB_URL_INVALID',
  /** An optional peer dependency (`better-sqlite3` or `tedious`) is not installed. */
  DRIVER_MISSING: 'DB_DRIVER_MISSING',
  /** The database cannot be reached or opened. */
  UNAVAILABLE: 'DB_UNAVAILABLE',
  /** A table or column name cannot be used as an identifier. */
  IDENTIFIER_INVALID: 'DB_IDENTIFIER_INVALID',
  /** The claim token no longer holds the tracking row (another instance took it over). */
  CLAIM_LOST: 'DB_CLAIM_LOST',
  /** The `ref` table does not exist. */
  TABLE_NOT_FOUND: 'DB_TABLE_NOT_FOUND',
  /** The backup snapshot does not exist in the catalogue. */
  SNAPSHOT_NOT_FOUND: 'DB_SNAPSHOT_NOT_FOUND',
  /**
   * A restore would undo a delta snapshot (an append or upsert) but the live table is not in the
   * state right after that load (it was changed outside refdata), or a snapshot the undo needs is
   * gone.
   */
  SNAPSHOT_CHAIN_BROKEN: 'DB_SNAPSHOT_CHAIN_BROKEN',
  /** The incoming columns do not fit the live table. */
  SCHEMA_MISMATCH: 'DB_SCHEMA_MISMATCH',
  /** The database stayed locked by another process for longer than the busy timeout. */
  LOCKED: 'DB_LOCKED',
  /** A value does not have the canonical form its column type needs. */
  VALUE_INVALID: 'DB_VALUE_INVALID',
  /** An option or argument is out of range. */
  OPTION_INVALID: 'DB_OPTION_INVALID',
  /** The load session was already committed or aborted, or was used concurrently. */
  SESSION_CLOSED: 'DB_SESSION_CLOSED',
  /** The operation was cancelled through its AbortSignal. */
  ABORTED: 'DB_ABORTED',
  /** The database was closed. */
  CLOSED: 'DB_CLOSED',
  /** The stored metadata has a newer schema version than this release understands. */
  SCHEMA_VERSION_UNSUPPORTED: 'DB_SCHEMA_VERSION_UNSUPPORTED',
  /** A statement failed in the database (the driver's error is the `cause`). */
  QUERY_FAILED: 'DB_QUERY_FAILED',
} as const;

/** One of the values of {@link DbErrorCode}. */
export type DbErrorCode = (typeof DbErrorCode)[keyof typeof DbErrorCode];

/** Extra facts a {@link DbError} carries, copied from the driver error it wraps. */
export interface DbErrorOptions extends ErrorOptions {
  /** The driver's own code, e.g. `SQLITE_BUSY` or tedious `ESOCKET`. */
  readonly driverCode?: string;
  /** SQL Server error number. */
  readonly number?: number;
  /** SQL Server error state. */
  readonly state?: number;
  /** Whether retrying the whole unit of work may succeed. @default false */
  readonly transient?: boolean;
}

/**
 * The one error class of @refdata/db.
 *
 * @example
 * ```ts
 * try {
 *   await db.restoreBackup('currencies', 'nope');
 * } catch (err) {
 *   if (isDbError(err) && err.code === 'DB_SNAPSHOT_NOT_FOUND') console.error(err.message);
 * }
 * ```
 */
export class DbError extends Error {
  override readonly name: string = 'DbError';
  /** Stable code; see {@link DbErrorCode}. */
  readonly code: DbErrorCode;
  /** The driver's code when this wraps a driver error (e.g. `SQLITE_BUSY`, `ESOCKET`, `EREQUEST`). */
  readonly driverCode: string | undefined;
  /** SQL Server error number when known. */
  readonly number: number | undefined;
  /** SQL Server error state when known. */
  readonly state: number | undefined;
  /** Whether retrying the whole unit of work may succeed. */
  readonly transient: boolean;

  constructor(code: DbErrorCode, message: string, options: DbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.driverCode = options.driverCode;
    this.number = options.number;
    this.state = options.state;
    this.transient = options.transient ?? false;
  }
}

/**
 * True when `err` is a {@link DbError} (checked by shape, so it also works across copies of the package).
 *
 * @example
 * ```ts
 * if (isDbError(err) && err.code === DbErrorCode.LOCKED) retryLater();
 * ```
 */
export function isDbError(err: unknown): err is DbError {
  return (
    err instanceof DbError ||
    (typeof err === 'object' &&
      err !== null &&
      (err as { name?: unknown }).name === 'DbError' &&
      typeof (err as { code?: unknown }).code === 'string' &&
      (err as { code: string }).code.startsWith('DB_'))
  );
}
