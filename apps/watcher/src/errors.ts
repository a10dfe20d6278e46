/**
 * Typed errors of the `refdata` app. Package errors (`DB_…`, `DETECT_…`, `INGEST_…`, `MONITOR_…`)
 * pass through unchanged; the app adds its own `APP_…` codes and maps every code to an exit code.
 */

/** Stable error codes of the app (all prefixed `APP_`). */
export const AppErrorCode = {
  /** A setting (environment, config file or flag) is missing or out of range. */
  CONFIG_INVALID: 'APP_CONFIG_INVALID',
  /** The config file cannot be read or is not valid JSON. */
  CONFIG_UNREADABLE: 'APP_CONFIG_UNREADABLE',
  /** The command line is wrong (unknown option, missing argument, conflicting options). */
  USAGE: 'APP_USAGE',
  /** A file or folder named on the command line does not exist or cannot be read. */
  INPUT_NOT_FOUND: 'APP_INPUT_NOT_FOUND',
  /** The SQLite database named by `--db`/`REFDATA_DB` does not exist (only init, watch and ingest create one). */
  DB_NOT_FOUND: 'APP_DB_NOT_FOUND',
  /** SQL Server did not answer within DB_CONNECT_TIMEOUT (connection attempts and retries included). */
  DB_TIMEOUT: 'APP_DB_TIMEOUT',
  /** A tracked file id does not exist. */
  FILE_NOT_FOUND: 'APP_FILE_NOT_FOUND',
  /** A snapshot named on the command line is not catalogued for that table. */
  SNAPSHOT_NOT_FOUND: 'APP_SNAPSHOT_NOT_FOUND',
  /** The tracked file is not in the state the command needs (e.g. `release` of a file that is not held). */
  FILE_STATE: 'APP_FILE_STATE',
  /** A file could not be loaded (the cause carries the package's code). */
  FILE_FAILED: 'APP_FILE_FAILED',
  /** A load was held by the destructive-replace guard. */
  FILE_HELD: 'APP_FILE_HELD',
  /** The health check found a problem. */
  UNHEALTHY: 'APP_UNHEALTHY',
  /** The metrics endpoint could not listen on the configured address. */
  METRICS_LISTEN: 'APP_METRICS_LISTEN',
  /** The reader of standard output closed it (EPIPE) before all output was written. */
  OUTPUT_CLOSED: 'APP_OUTPUT_CLOSED',
} as const;

/** One of the values of {@link AppErrorCode}. */
export type AppErrorCode = (typeof AppErrorCode)[keyof typeof AppErrorCode];

/**
 * The app's error: a stable `code`, a message that says what to do, and the original as `cause`.
 *
 * @example
 * ```ts
 * throw new AppError(AppErrorCode.FILE_NOT_FOUND, 'No tracked file has id 42. List files with `refdata files`.');
 * ```
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  /** Stable code; see {@link AppErrorCode}. */
  readonly code: AppErrorCode;

  constructor(code: AppErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** An error with a string `code`, as every package of ours throws. */
export interface CodedError extends Error {
  readonly code: string;
}

/**
 * True when `err` is an Error carrying a string `code` (ours or a package's).
 *
 * @example
 * ```ts
 * if (hasCode(err) && err.code === 'DB_UNAVAILABLE') process.exitCode = 4;
 * ```
 */
export function hasCode(err: unknown): err is CodedError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/**
 * The code of any thrown value: its own `code` when it has one, `APP_INTERNAL` otherwise.
 *
 * @example
 * ```ts
 * errorCode(new Error('x')); // 'APP_INTERNAL'
 * ```
 */
export function errorCode(err: unknown): string {
  return hasCode(err) ? err.code : 'APP_INTERNAL';
}

/**
 * The message of any thrown value.
 *
 * @example
 * ```ts
 * errorMessage('boom'); // 'boom'
 * ```
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
