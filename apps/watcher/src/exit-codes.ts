/**
 * Exit codes of the `refdata` command. Scripts branch on these; they never change meaning.
 */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** The work failed: a file failed to load, an input failed to convert, the health check failed. */
  FAILED: 1,
  /** Wrong usage or invalid configuration: nothing was done. */
  USAGE: 2,
  /** The load was held by the destructive-replace guard; release it with `refdata release` or `--force`. */
  HELD: 3,
  /** The database cannot be reached or opened. */
  DB_UNAVAILABLE: 4,
  /** An input file, tracked file, table or snapshot does not exist. */
  NOT_FOUND: 5,
  /** Stopped by a second SIGINT/SIGTERM before shutdown finished. */
  INTERRUPTED: 130,
  /**
   * Standard output was closed by its reader before all output was written (`refdata export t |
   * head`): the output is incomplete. 128 + SIGPIPE, as a shell reports a process a closed pipe killed.
   */
  OUTPUT_CLOSED: 141,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_CODE: Readonly<Record<string, ExitCode>> = {
  APP_CONFIG_INVALID: ExitCode.USAGE,
  APP_CONFIG_UNREADABLE: ExitCode.USAGE,
  APP_USAGE: ExitCode.USAGE,
  APP_INPUT_NOT_FOUND: ExitCode.NOT_FOUND,
  APP_FILE_NOT_FOUND: ExitCode.NOT_FOUND,
  APP_DB_NOT_FOUND: ExitCode.NOT_FOUND,
  APP_DB_TIMEOUT: ExitCode.DB_UNAVAILABLE,
  APP_SNAPSHOT_NOT_FOUND: ExitCode.NOT_FOUND,
  APP_FILE_STATE: ExitCode.FAILED,
  APP_FILE_FAILED: ExitCode.FAILED,
  APP_FILE_HELD: ExitCode.HELD,
  APP_UNHEALTHY: ExitCode.FAILED,
  APP_METRICS_LISTEN: ExitCode.USAGE,
  APP_OUTPUT_CLOSED: ExitCode.OUTPUT_CLOSED,
  DB_URL_INVALID: ExitCode.USAGE,
  DB_OPTION_INVALID: ExitCode.USAGE,
  DB_DRIVER_MISSING: ExitCode.DB_UNAVAILABLE,
  DB_UNAVAILABLE: ExitCode.DB_UNAVAILABLE,
  DB_LOCKED: ExitCode.DB_UNAVAILABLE,
  DB_SCHEMA_VERSION_UNSUPPORTED: ExitCode.DB_UNAVAILABLE,
  DB_TABLE_NOT_FOUND: ExitCode.NOT_FOUND,
  DB_SNAPSHOT_NOT_FOUND: ExitCode.NOT_FOUND,
  DB_IDENTIFIER_INVALID: ExitCode.USAGE,
  INGEST_HELD: ExitCode.HELD,
  INGEST_DB_UNAVAILABLE: ExitCode.DB_UNAVAILABLE,
};

/**
 * The exit code for an error code (package or app). Unknown codes mean the work failed.
 *
 * @example
 * ```ts
 * exitCodeFor('DB_UNAVAILABLE'); // 4
 * exitCodeFor('INGEST_TOO_MANY_REJECTS'); // 1
 * ```
 */
export function exitCodeFor(code: string): ExitCode {
  return BY_CODE[code] ?? ExitCode.FAILED;
}
