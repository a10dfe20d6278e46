/**
 * Public types of @refdata/monitor. The monitor knows nothing of CSV or SQL: it finds stable
 * files under `<root>/incoming/`, claims them through a {@link ClaimStore}, moves them through
 * the stages and hands each to a {@link FileHandler}. The watcher app adapts @refdata/db's file
 * tracking to {@link ClaimStore}; {@link createMemoryClaimStore} serves single-process use and tests.
 */

/** Folders under the root, one per stage. */
export const STAGES = ['incoming', 'processing', 'archive', 'failed', 'held'] as const;
/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];

/** The lifecycle of a file. */
export const LIFECYCLE_STATES = [
  'detected',
  'stabilizing',
  'ready',
  'claimed',
  'processing',
  'archived',
  'failed',
  'duplicate',
  'held',
] as const;
/** One of {@link LIFECYCLE_STATES}. */
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];
/** States that end a file's life. */
export type TerminalState = 'archived' | 'failed' | 'duplicate' | 'held';

/** A claim on a file held by this instance. */
export interface Claim {
  /** The store's id of the file (also in its `processing/<fileId>--<name>` name). */
  readonly fileId: number;
  /** Proof of the claim; every later call about the file presents it. */
  readonly token: string;
  /** When the lease granted by the store ends (the store's clock). */
  readonly leaseUntil: Date;
}

/** A file as first seen in `incoming/`. */
export interface SeenFile {
  /** Absolute path in `incoming/`. */
  readonly path: string;
  /** File name (no folders). */
  readonly name: string;
  /** Size in bytes when last observed. */
  readonly size: number;
  /** Modification time (ms since the epoch) when last observed. */
  readonly mtimeMs: number;
}

/** A claimed file that is being processed. */
export interface ClaimedFile extends SeenFile {
  readonly claim: Claim;
  /** Absolute path in `processing/` (the file the handler must read). */
  readonly processingPath: string;
}

/** Persistence of claims and states; implementations must be atomic across processes. */
export interface ClaimStore {
  /** Claims a newly stable file; null when another instance holds it. */
  claimNew(file: SeenFile, lease: { readonly instanceId: string; readonly leaseMs: number }): Promise<Claim | null>;
  /** Re-claims a file left in `processing/` whose lease expired; null when not expired or held by another. */
  reclaim(fileId: number, lease: { readonly instanceId: string; readonly leaseMs: number }): Promise<Claim | null>;
  /** Sets the lease to now + `leaseMs`; false once `claim.token` no longer holds the file. */
  heartbeat(claim: Claim, leaseMs: number): Promise<boolean>;
  /** Records a non-terminal transition (and the file's current path). */
  transition(claim: Claim, state: LifecycleState, details: { readonly path: string }): Promise<void>;
  /** Records the terminal state, where the file now is, and the error when it failed. */
  finish(
    claim: Claim,
    state: TerminalState,
    details: { readonly path: string; readonly error?: { readonly code: string; readonly message: string } },
  ): Promise<void>;
  /**
   * Optional: the recorded state and path of a file, or null when unknown. When present, the
   * monitor records `finish()` before the final rename and, after a crash between the two,
   * completes the rename on recovery (the store and the folders always agree). Without it the
   * monitor renames first and then calls `finish()`, so a crash between the two leaves the file
   * in its final folder with a non-terminal record. The watcher implements it with `db.files.get(id)`.
   */
  lookup?(fileId: number): Promise<ClaimRecord | null>;
}

/** What {@link ClaimStore.lookup} returns. */
export interface ClaimRecord {
  /** The recorded lifecycle state. */
  readonly state: LifecycleState;
  /** The file's last recorded path (its final path once terminal). */
  readonly path: string;
}

/** A file written beside the file in its final folder (e.g. `NAME.rejects.csv`). */
export interface Sidecar {
  /** Suffix appended to the final file name, e.g. `.rejects.csv`. */
  readonly suffix: string;
  /** The sidecar's bytes (strings are written as UTF-8). */
  readonly content: string | Uint8Array;
}

/** What the handler decided. */
export type HandlerResult =
  | {
      readonly state: 'archived' | 'duplicate' | 'held';
      readonly sidecars?: readonly Sidecar[];
      readonly details?: Readonly<Record<string, unknown>>;
    }
  | {
      readonly state: 'failed';
      readonly error: { readonly code: string; readonly message: string };
      readonly sidecars?: readonly Sidecar[];
    };

/** Context passed to the handler. */
export interface HandlerContext {
  /** Aborted when the monitor shuts down past its grace period or the claim is lost. */
  readonly signal: AbortSignal;
}

/**
 * Processes one claimed file. Resolve with the outcome; a thrown error counts as `failed`
 * (its `code` and `message` are recorded). The monitor never reads file contents itself.
 */
export type FileHandler = (file: ClaimedFile, context: HandlerContext) => Promise<HandlerResult>;

/** Options of `createMonitor`. */
export interface MonitorOptions {
  /** The drop root holding the stage folders (created when missing). */
  readonly root: string;
  /** Processes each claimed file. */
  readonly handler: FileHandler;
  /** @default an in-memory store (single process only) */
  readonly store?: ClaimStore;
  /** MONITOR_INTERVAL, in seconds. @default 15 */
  readonly intervalSeconds?: number;
  /** STABILITY_CHECKS: consecutive unchanged observations before a file is ready. @default 6 */
  readonly stabilityChecks?: number;
  /** `poll` (network shares) or `watch` (fs.watch with polling as fallback). @default 'poll' */
  readonly mode?: 'poll' | 'watch';
  /**
   * In `watch` mode: a file whose changes were reported by fs.watch is ready once it has been
   * quiet (no event, unchanged size, mtime and ctime, no writer holding it open) for this long.
   * Files never reported by fs.watch (e.g. written from another host onto a share) still need
   * the full polling window. @default 2_000
   */
  readonly watchQuietMs?: number;
  /** Only take a file after a `NAME.done` or `NAME.ok` marker appears. @default false */
  readonly requireMarker?: boolean;
  /** Glob patterns a file name must match. @default ['*'] */
  readonly include?: readonly string[];
  /** Glob patterns that are ignored in addition to `.*`, `*.tmp`, `*.part`, `~*`. @default [] */
  readonly exclude?: readonly string[];
  /** Files processed at once (p-queue). @default 2 */
  readonly concurrency?: number;
  /** Lease length; heartbeats renew it at a third of this. @default 60_000 */
  readonly leaseMs?: number;
  /** Identifies this process in claims. @default `${hostname}:${pid}:${random}` */
  readonly instanceId?: string;
  /** Time in-flight files get to finish on stop before they are cancelled. @default 30_000 */
  readonly gracePeriodMs?: number;
  /** Structured logger (pino fits). @default a no-op logger */
  readonly logger?: Logger;
}

/** A transition of one file, emitted as it happens. */
export interface TransitionEvent {
  /** The file's original name. */
  readonly name: string;
  /** Where the file is now. */
  readonly path: string;
  /** The previous state; null for a file seen for the first time or re-claimed on recovery. */
  readonly from: LifecycleState | null;
  /** The new state. */
  readonly to: LifecycleState;
  /** The claim id, once claimed. */
  readonly fileId?: number;
  /** When it happened. */
  readonly at: Date;
}

/**
 * The rule under which a file in `incoming/` is waiting to become ready: `polling` (the
 * `stabilityChecks` × `intervalSeconds` window), `aged` (unchanged for longer than the window when
 * first seen: one confirming look), `watch` (reported by fs.watch: `watchQuietMs` without events),
 * `marker` (`requireMarker`: a `NAME.done`/`NAME.ok` marker, then one confirming look).
 */
export const STABILITY_RULES = ['polling', 'aged', 'watch', 'marker'] as const;
/** One of {@link STABILITY_RULES}. */
export type StabilityRule = (typeof STABILITY_RULES)[number];

/**
 * Why an observation did not make a file ready: `unchanged` (counting towards `required`),
 * `changed` (size, mtime, ctime or the file itself changed: the count starts again),
 * `open-for-writing` (a process holds it open for writing, Linux), `waiting-for-marker`
 * (`requireMarker` and no `NAME.done`/`NAME.ok` yet).
 */
export const WAIT_REASONS = ['unchanged', 'changed', 'open-for-writing', 'waiting-for-marker'] as const;
/** One of {@link WAIT_REASONS}. */
export type WaitReason = (typeof WAIT_REASONS)[number];

/** What changed between two observations of a file: `replaced` means another inode (or kind) under the name. */
export type SignatureChange = 'size' | 'mtime' | 'ctime' | 'replaced';

/**
 * One step of a file's wait in `incoming/`, for a display or a log: `seen` once when the file is
 * first observed, `waiting` on each observation that does not make it ready (each polling
 * observation, a change seen by fs.watch or a confirming look, an open writer), `stable` once when
 * it is ready and handed on to be claimed (the `transition` to `claimed` follows). Directories and
 * other non-files get no stability events (they are reported as problems).
 *
 * @example
 * ```ts
 * monitor.on('stability', (e) => {
 *   if (e.kind === 'waiting') console.log(`${e.name}: ${e.checks}/${e.required} ${e.reason}`);
 * });
 * ```
 */
export interface StabilityEvent {
  /** `seen`, `waiting` or `stable` (see above). */
  readonly kind: 'seen' | 'waiting' | 'stable';
  /** The file name in `incoming/`. */
  readonly name: string;
  /** Absolute path in `incoming/`. */
  readonly path: string;
  /** Size in bytes at this observation. */
  readonly size: number;
  /** Modification time (ms since the epoch) at this observation. */
  readonly mtimeMs: number;
  /** The rule the file is waiting under. */
  readonly rule: StabilityRule;
  /** Unchanged observations so far under `rule` (0 after a change). */
  readonly checks: number;
  /** Observations `rule` needs: `stabilityChecks` for `polling`, 1 for the others. */
  readonly required: number;
  /** Kind `waiting` only: why it is not ready. */
  readonly reason?: WaitReason;
  /** Reason `changed` only: what changed since the previous observation. */
  readonly changes?: readonly SignatureChange[];
  /** Reason `open-for-writing` only: the ids of the processes holding it open for writing. */
  readonly writers?: readonly number[];
  /**
   * About how long until it is ready if nothing changes, in ms (0 for `stable`); null while that
   * depends on someone else (a missing marker, an open writer).
   */
  readonly readyInMs: number | null;
  /** When the observation was made. */
  readonly at: Date;
}

/**
 * What the monitor did to a file (the access trail):
 * - `seen`: found in `incoming/` (`from` = `to` = its path);
 * - `moved`: renamed between stages (into `processing/` to claim it, into `archive/`, `failed/` or
 *   `held/` at the end, back into `incoming/`, see `reason`);
 * - `claimed` / `reclaimed`: the store granted this instance a claim on a new file / on a file
 *   left in `processing/` by an instance whose lease expired (`from` = `to` = where it lies);
 * - `written`: a sidecar (`NAME.error.json`, the handler's) was written beside the final file;
 * - `removed`: a file the monitor owns was deleted (a ready marker, a temporary file a crash left,
 *   the second name of an interrupted move, a sidecar undone because the end could not be recorded);
 * - `released`: the claim was given up at stop (the file stays in `processing/` for the next start).
 */
export const FILE_OPERATIONS = ['seen', 'moved', 'claimed', 'reclaimed', 'written', 'removed', 'released'] as const;
/** One of {@link FILE_OPERATIONS}. */
export type FileOperation = (typeof FILE_OPERATIONS)[number];

/**
 * Why a file was moved back or removed:
 * - `moved` into `processing/`: `claim`; into a final folder: `settle`, or `roll-forward` (recovery
 *   finishing a move a crash interrupted after the end was recorded);
 * - `moved` back into `incoming/`: `claim-refused` (another instance holds it), `claim-failed` (the
 *   store threw), `abandoned-pending` (a crashed instance's move older than a lease), `no-claim-id`
 *   (a file put into `processing/` by hand), `abandoned-first` (the store handed this claim to an
 *   earlier file of the same name that a crash left in `processing/`: that one is processed first);
 * - `removed`: `marker` (`NAME.done`/`NAME.ok` of a claimed file), `temporary-file`,
 *   `half-moved-link`, `sidecar-undone`;
 * - `released`: `cancelled` (stop's grace period ran out).
 */
export const FILE_OPERATION_REASONS = [
  'claim',
  'settle',
  'roll-forward',
  'claim-refused',
  'claim-failed',
  'abandoned-pending',
  'no-claim-id',
  'abandoned-first',
  'marker',
  'temporary-file',
  'half-moved-link',
  'sidecar-undone',
  'cancelled',
] as const;
/** One of {@link FILE_OPERATION_REASONS}. */
export type FileOperationReason = (typeof FILE_OPERATION_REASONS)[number];

/**
 * One operation the monitor performed on a file, emitted as `operation` right after it
 * succeeded: who (instance and OS user), what, from where to where, and when. Enough for an
 * access trail that answers "who moved this file, when".
 *
 * @example
 * ```ts
 * monitor.on('operation', (op) =>
 *   audit.insert({ fileId: op.fileId ?? null, op: op.operation, from: op.from, to: op.to, by: `${op.user}@${op.instanceId}`, at: op.at }),
 * );
 * ```
 */
export interface FileOperationEvent {
  /** What was done. */
  readonly operation: FileOperation;
  /** Why, for moves and removals (see {@link FileOperationReason}). */
  readonly reason?: FileOperationReason;
  /** The file's name: the original name for a data file and for its marker or sidecar; its own name for a temporary file. */
  readonly name: string;
  /** The claim id, once the file has one. */
  readonly fileId?: number;
  /** Absolute path the operation acted on (where the file was). */
  readonly from: string;
  /** Absolute path after it (equal to `from` when nothing moved); null when the file was removed. */
  readonly to: string | null;
  /** The stage folder of `to` (of `from` for a removal). */
  readonly stage: Stage;
  /** The monitor instance that did it (`MonitorOptions.instanceId`). */
  readonly instanceId: string;
  /** The operating-system user the monitor runs as (`uid:<n>` when the name is unknown). */
  readonly user: string;
  /** When it was done. */
  readonly at: Date;
}

/** Typed events of the monitor. */
export interface MonitorEvents {
  /** Any state change of a file. */
  transition: (event: TransitionEvent) => void;
  /** A file in `incoming/` was first seen, observed while waiting, or became stable. */
  stability: (event: StabilityEvent) => void;
  /** The monitor performed an operation on a file (seen, moved, claimed, written, removed, released). */
  operation: (event: FileOperationEvent) => void;
  /** A file reached a terminal state. */
  settled: (event: TransitionEvent & { readonly to: TerminalState; readonly finalPath: string }) => void;
  /** A scan finished; `pending` counts files seen but not yet ready. */
  scan: (info: { readonly pending: number; readonly queued: number; readonly inFlight: number }) => void;
  /** Something went wrong outside a file's processing (a scan error, a lost folder); the monitor keeps going. */
  problem: (info: { readonly code: string; readonly message: string; readonly path?: string }) => void;
}

/** Structural logger (pino satisfies it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Counts returned by `Monitor.runOnce()` and `Monitor.stats()`. */
export interface MonitorSummary {
  /** Files moved to `archive/` as loaded. */
  readonly archived: number;
  /** Files moved to `failed/`. */
  readonly failed: number;
  /** Files moved to `archive/` as duplicates of an earlier load. */
  readonly duplicate: number;
  /** Files moved to `held/`. */
  readonly held: number;
  /** Files seen but not (yet) stable, still in `incoming/`. */
  readonly pending: number;
}

/**
 * The monitor (returned by `createMonitor`): an EventEmitter of {@link MonitorEvents}.
 *
 * - `start()` recovers `processing/` (expired leases), then watches until `stop()`.
 * - `runOnce()` recovers, processes every file that is ready now or becomes ready within one
 *   stability window, and resolves with a summary (the CLI's `watch --once`).
 * - `stop()` stops claiming, lets in-flight files finish within the grace period, then cancels
 *   them (their files go back to `incoming/` or stay leased for a retry) and resolves.
 */
export interface MonitorApi {
  /** Recovers `processing/`, then watches until {@link MonitorApi.stop}. */
  start(): Promise<void>;
  /** Processes what is ready now or within one stability window, then resolves with the counts. */
  runOnce(): Promise<MonitorSummary>;
  /** Stops claiming, lets in-flight files finish within the grace period, then cancels them. */
  stop(): Promise<void>;
  /**
   * Counts since creation, `queued` (ready, waiting for a slot), `inFlight` (being processed)
   * and the time of the last file that did not fail.
   */
  stats(): MonitorSummary & { readonly queued: number; readonly inFlight: number; readonly lastSuccessAt: Date | null };
}
