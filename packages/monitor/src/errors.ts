/**
 * Stable error codes of @refdata/monitor. Callers branch on `err.code`, never on messages.
 *
 * @example
 * ```ts
 * if (isMonitorError(err) && err.code === MonitorErrorCode.OptionsInvalid) process.exitCode = 2;
 * ```
 */
export const MonitorErrorCode = {
  /** An option of `createMonitor` is missing or out of range. */
  OptionsInvalid: 'MONITOR_OPTIONS_INVALID',
  /** The drop root does not exist (while running, the monitor waits for it to come back). */
  RootMissing: 'MONITOR_ROOT_MISSING',
  /** A stage folder is a symlink or not a directory; the monitor refuses to move files through it. */
  StageInvalid: 'MONITOR_STAGE_INVALID',
  /** A stage folder was missing while running and has been created again. */
  FolderRecreated: 'MONITOR_FOLDER_RECREATED',
  /** A stage folder is writable by every user. */
  FolderInsecure: 'MONITOR_FOLDER_INSECURE',
  /** Listing or inspecting a folder failed; the monitor retries on the next scan. */
  ScanFailed: 'MONITOR_SCAN_FAILED',
  /** fs.watch failed; polling continues and the watch is set up again on the next scan. */
  WatchFailed: 'MONITOR_WATCH_FAILED',
  /** An entry of `incoming/` is a symlink; it is moved to `failed/` without touching its target. */
  SymlinkRefused: 'MONITOR_SYMLINK_REFUSED',
  /** An entry of `incoming/` is a directory, FIFO, socket or device; it is left where it is. */
  NotAFile: 'MONITOR_NOT_A_FILE',
  /** The handler threw an error without a string `code`. */
  HandlerFailed: 'MONITOR_HANDLER_FAILED',
  /** The handler resolved with something that is not a {@link HandlerResult}. */
  HandlerResultInvalid: 'MONITOR_HANDLER_RESULT_INVALID',
  /** Another instance took over the claim (the lease expired without a successful heartbeat). */
  ClaimLost: 'MONITOR_CLAIM_LOST',
  /** The monitor is stopping and the grace period ran out. */
  Stopped: 'MONITOR_STOPPED',
  /** The claim store threw; the file is left for a retry. */
  StoreFailed: 'MONITOR_STORE_FAILED',
  /** A rename between stages or a sidecar write failed. */
  MoveFailed: 'MONITOR_MOVE_FAILED',
  /** The file changed (size, mtime or inode) while the handler was processing it. */
  FileChanged: 'MONITOR_FILE_CHANGED',
  /** A re-claimed file was no longer in `processing/`. */
  FileVanished: 'MONITOR_FILE_VANISHED',
  /** `start()` or `runOnce()` was called while the monitor was already running. */
  AlreadyRunning: 'MONITOR_ALREADY_RUNNING',
} as const;

/** One of the values of {@link MonitorErrorCode}. */
export type MonitorErrorCode = (typeof MonitorErrorCode)[keyof typeof MonitorErrorCode];

/**
 * The one error class of @refdata/monitor. `code` is stable; `message` says what was expected,
 * what happened and what to do.
 *
 * @example
 * ```ts
 * throw new MonitorError(MonitorErrorCode.OptionsInvalid, 'intervalSeconds must be > 0; got -1. Set MONITOR_INTERVAL to a positive number of seconds.');
 * ```
 */
export class MonitorError extends Error {
  override readonly name: 'MonitorError' = 'MonitorError';
  /** Stable code, one of {@link MonitorErrorCode}. */
  readonly code: MonitorErrorCode;
  /** The path concerned, when there is one. */
  readonly path?: string;

  constructor(code: MonitorErrorCode, message: string, options?: ErrorOptions & { readonly path?: string }) {
    super(message, options);
    this.code = code;
    if (options?.path !== undefined) this.path = options.path;
  }
}

/**
 * True when `err` is a {@link MonitorError} (checked by name and code, so it also works across
 * duplicated copies of the package).
 *
 * @example
 * ```ts
 * try { await monitor.start(); } catch (err) { if (isMonitorError(err)) log.error({ code: err.code }, err.message); }
 * ```
 */
export function isMonitorError(err: unknown): err is MonitorError {
  return (
    err instanceof MonitorError ||
    (typeof err === 'object' &&
      err !== null &&
      (err as { name?: unknown }).name === 'MonitorError' &&
      typeof (err as { code?: unknown }).code === 'string' &&
      ((err as { code: string }).code as string).startsWith('MONITOR_'))
  );
}
