import { type FSWatcher, lstatSync, watch } from 'node:fs';
import { lstat, mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import picomatch from 'picomatch';
import { isMonitorError, MonitorError, MonitorErrorCode } from './errors.js';
import { errnoCode, moveNoClobber, writeFileAtomic } from './fs-ops.js';
import { createMemoryClaimStore } from './memory-claim-store.js';
import {
  finalName,
  isIgnoredName,
  isSafeSidecarSuffix,
  markerTarget,
  parsePendingName,
  parseProcessingName,
  pendingName,
  processingName,
} from './names.js';
import { findOpenWriters, identityKey } from './open-writers.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import { assertStageDirectory, ensureStages, folderMode, type StagePaths, stageOf, stagePaths } from './stages.js';
import {
  type Claim,
  type ClaimedFile,
  type ClaimRecord,
  type ClaimStore,
  type HandlerResult,
  type LifecycleState,
  type Logger,
  type MonitorApi,
  type MonitorEvents,
  type MonitorOptions,
  type MonitorSummary,
  type Sidecar,
  STAGES,
  type TerminalState,
} from './types.js';

/** What an observation of a directory entry records (lstat, never following symlinks). */
interface Sig {
  readonly kind: 'file' | 'symlink' | 'other';
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly mtimeNs: string;
  readonly ctimeMs: number;
  readonly ctimeNs: string;
  /** Hard links to the inode: more than one for a file left half-moved by a crash. */
  readonly nlink: number;
}

/** A file seen in `incoming/` and not handed on yet. */
interface Tracked {
  readonly name: string;
  sig: Sig;
  /** Consecutive periodic observations with an unchanged signature. */
  count: number;
  /** Confirmed by the aged-file, marker or watch-quiet rule. */
  confirmed: boolean;
  state: 'detected' | 'stabilizing' | 'queued';
  /** When it was handed to the queue. */
  readyAt: number;
  confirmTimer: NodeJS.Timeout | null;
  /** Watch mode: time of the last fs.watch event and the signature last seen around it. */
  lastEventAt: number;
  eventSig: Sig | null;
  quietTimer: NodeJS.Timeout | null;
}

/** A claimed file whose handler is running (or whose final move is under way). */
interface InFlight {
  readonly claim: Claim;
  readonly controller: AbortController;
  leaseUntil: number;
  /** The claim was lost or abandoned at stop: the file is no longer ours to move. */
  lost: boolean;
  /** Stop gave up waiting for the handler. */
  abandoned: boolean;
  beating: boolean;
  timer: NodeJS.Timeout | null;
}

interface Job {
  readonly claim: Claim;
  readonly name: string;
  readonly seenPath: string;
  readonly processingPath: string;
  readonly sig: Sig;
  /** Local time just before the claim was requested: the lease is counted from here (never from the store's clock). */
  readonly claimedAt: number;
}

type FailedResult = Extract<HandlerResult, { state: 'failed' }>;

const TERMINAL: ReadonlySet<LifecycleState> = new Set<LifecycleState>(['archived', 'failed', 'duplicate', 'held']);
const NOOP_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => NOOP_LOGGER,
};
/** Longest pause before the one confirming observation of an aged file or a marked file. */
const CONFIRM_MAX_MS = 1_000;
const SIDECAR_MODE = 0o640;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function observe(path: string): Promise<Sig | null> {
  try {
    const st = await lstat(path, { bigint: true });
    return {
      kind: st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other',
      dev: st.dev.toString(),
      ino: st.ino.toString(),
      size: Number(st.size),
      mtimeMs: Number(st.mtimeNs / 1000n) / 1000,
      mtimeNs: st.mtimeNs.toString(),
      ctimeMs: Number(st.ctimeNs / 1000n) / 1000,
      ctimeNs: st.ctimeNs.toString(),
      nlink: Number(st.nlink),
    };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

function sameSig(a: Sig, b: Sig): boolean {
  return (
    a.kind === b.kind &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** Same content as far as metadata tells (ctime excluded: our own renames change it). */
function sameContent(a: Sig, b: Sig): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isHandlerResult(value: unknown): value is HandlerResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { state?: unknown; error?: { code?: unknown; message?: unknown }; sidecars?: unknown };
  if (v.sidecars !== undefined && !Array.isArray(v.sidecars)) return false;
  if (v.state === 'archived' || v.state === 'duplicate' || v.state === 'held') return true;
  return (
    v.state === 'failed' &&
    typeof v.error === 'object' &&
    v.error !== null &&
    typeof v.error.code === 'string' &&
    typeof v.error.message === 'string'
  );
}

/**
 * Watches `<root>/incoming/`, waits until each file is stable, claims it through a
 * {@link ClaimStore}, moves it to `processing/<fileId>--<name>`, hands it to the
 * {@link FileHandler} and finally moves it to `archive/`, `failed/` (with `NAME.error.json`) or
 * `held/`. Emits typed {@link MonitorEvents} for every transition. Create it with
 * {@link createMonitor}.
 *
 * @example
 * ```ts
 * const monitor = createMonitor({ root: './drop', handler, store });
 * monitor.on('settled', (e) => log.info({ file: e.name, state: e.to }, 'file settled'));
 * await monitor.start();
 * process.once('SIGTERM', () => void monitor.stop());
 * ```
 */
export class Monitor extends EventEmitter<MonitorEvents> implements MonitorApi {
  readonly #opts: ResolvedOptions;
  readonly #paths: StagePaths;
  readonly #store: ClaimStore;
  readonly #log: Logger;
  readonly #queue: PQueue;
  readonly #isIncluded: (name: string) => boolean;
  readonly #isExcluded: (name: string) => boolean;
  readonly #windowMs: number;

  readonly #files = new Map<string, Tracked>();
  #markers = new Set<string>();
  readonly #inFlight = new Map<number, InFlight>();
  /** `processing/` names of pending moves (before the claim is recorded) that are ours. */
  readonly #pendingOwned = new Set<string>();
  readonly #recovering = new Set<number>();
  readonly #reclaimNotBefore = new Map<number, number>();
  /** Problems reported once per condition until it clears. */
  readonly #reported = new Set<string>();
  /** Stages found missing by the last folder check. */
  readonly #missingStages = new Set<string>();

  #mode: 'idle' | 'watching' | 'once' = 'idle';
  #stopping = false;
  /** No new claims (runOnce finishing or stop under way). */
  #closed = false;
  #scanTimer: NodeJS.Timeout | null = null;
  #quickScanTimer: NodeJS.Timeout | null = null;
  #scanning: Promise<void> | null = null;
  #promoteChain: Promise<void> = Promise.resolve();
  #watcher: FSWatcher | null = null;
  #watchedIno: string | null = null;
  #stopPromise: Promise<void> | null = null;

  readonly #counts = { archived: 0, failed: 0, duplicate: 0, held: 0 };
  #lastSuccessAt: Date | null = null;

  /** Use {@link createMonitor}. Validates options eagerly. */
  constructor(options: MonitorOptions) {
    super();
    this.#opts = resolveOptions(options);
    this.#paths = stagePaths(this.#opts.root);
    this.#store = this.#opts.store ?? createMemoryClaimStore();
    this.#log = (this.#opts.logger ?? NOOP_LOGGER).child({ component: 'monitor' });
    this.#queue = new PQueue({ concurrency: this.#opts.concurrency });
    const include = picomatch([...this.#opts.include], { nocase: true });
    this.#isIncluded = (name) => include(name);
    const exclude = this.#opts.exclude.length > 0 ? picomatch([...this.#opts.exclude], { nocase: true }) : null;
    this.#isExcluded = (name) => exclude?.(name) ?? false;
    this.#windowMs = this.#opts.intervalMs * this.#opts.stabilityChecks;
  }

  /** Absolute paths of the root and the stage folders this monitor uses. */
  get paths(): StagePaths {
    return this.#paths;
  }

  /** The instance id this monitor claims files with. */
  get instanceId(): string {
    return this.#opts.instanceId;
  }

  /**
   * Creates the stage folders, recovers `processing/` (expired leases are re-claimed and
   * processed again from scratch), then scans every `intervalSeconds` (and on fs.watch events in
   * `watch` mode) until {@link Monitor.stop}. Resolves once the first scan has run.
   *
   * @throws {@link MonitorError} `MONITOR_ALREADY_RUNNING`, `MONITOR_STAGE_INVALID`.
   */
  async start(): Promise<void> {
    this.#begin('watching');
    try {
      await ensureStages(this.#paths.root);
    } catch (err) {
      this.#mode = 'idle';
      throw err;
    }
    if (this.#opts.mode === 'watch') this.#ensureWatcher();
    await this.#scanOnce(true);
    this.#scheduleScan();
    this.#log.info({ root: this.#paths.root, mode: this.#opts.mode }, 'monitor started');
  }

  /**
   * Recovers `processing/`, then processes every file that is ready now or becomes ready within
   * one stability window (`intervalSeconds × stabilityChecks`, plus one interval), waits for
   * them to settle and resolves with the counts of this run. Files that have been unchanged for
   * longer than a whole window need only one confirming observation after at most one second,
   * so an old drop folder is processed at once. Files still changing are left in `incoming/` and
   * counted as `pending`.
   *
   * @throws {@link MonitorError} `MONITOR_ALREADY_RUNNING`, `MONITOR_STAGE_INVALID`.
   * @example
   * ```ts
   * const summary = await createMonitor({ root: './drop', handler }).runOnce();
   * console.log(`${summary.archived} archived, ${summary.failed} failed`);
   * ```
   */
  async runOnce(): Promise<MonitorSummary> {
    this.#begin('once');
    const before = { ...this.#counts };
    let pending = 0;
    try {
      await ensureStages(this.#paths.root);
      // One window plus one interval, in time and in scans (slow scans on a loaded machine or a
      // slow share must not cut the window short).
      const deadline = Date.now() + this.#windowMs + this.#opts.intervalMs;
      const minScans = this.#opts.stabilityChecks + 2;
      let scans = 0;
      let nextScan = 0;
      for (;;) {
        if (this.#stopping) break;
        if (Date.now() >= nextScan) {
          await this.#scanOnce(true);
          scans++;
          nextScan = Date.now() + this.#opts.intervalMs;
        }
        await this.#promoteChain;
        if (this.#idleOnce() || (Date.now() >= deadline && scans >= minScans)) break;
        await sleep(Math.max(5, Math.min(50, nextScan - Date.now())));
      }
      this.#closed = true;
      this.#clearFileTimers();
      await this.#promoteChain;
      await this.#queue.onIdle();
      pending = this.#pendingCount();
    } finally {
      if (this.#stopPromise === null) this.#end();
    }
    return {
      archived: this.#counts.archived - before.archived,
      failed: this.#counts.failed - before.failed,
      duplicate: this.#counts.duplicate - before.duplicate,
      held: this.#counts.held - before.held,
      pending,
    };
  }

  /**
   * Stops claiming, lets in-flight files finish within `gracePeriodMs`, then aborts their
   * handlers' signals (reason: a `MONITOR_STOPPED` error). A handler that rejects (or reports
   * `failed`) after that abort leaves its file in `processing/` with its lease released, so the
   * next start (or another instance) processes it again from scratch. Resolves when every
   * handler has returned, or at most a few seconds after the abort. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.#stopPromise !== null) return this.#stopPromise;
    if (this.#mode === 'idle') return;
    this.#stopPromise = this.#stopNow().finally(() => {
      this.#stopPromise = null;
    });
    return this.#stopPromise;
  }

  /** Counts since creation, plus the queue and in-flight sizes and the time of the last success. */
  stats(): MonitorSummary & {
    readonly queued: number;
    readonly inFlight: number;
    readonly lastSuccessAt: Date | null;
  } {
    return {
      ...this.#counts,
      pending: this.#pendingCount(),
      queued: this.#queue.size,
      inFlight: this.#inFlight.size,
      lastSuccessAt: this.#lastSuccessAt,
    };
  }

  // ---------------------------------------------------------------- lifecycle of the monitor

  #begin(mode: 'watching' | 'once'): void {
    if (this.#mode !== 'idle' || this.#stopPromise !== null) {
      throw new MonitorError(
        MonitorErrorCode.AlreadyRunning,
        `The monitor for ${this.#paths.root} is already running (${this.#mode}). Call stop() before starting it again.`,
      );
    }
    this.#mode = mode;
    this.#stopping = false;
    this.#closed = false;
    this.#queue.start();
  }

  /** Stops every timer and the fs.watch watcher: nothing new is observed after this. */
  #stopObserving(): void {
    if (this.#scanTimer !== null) clearTimeout(this.#scanTimer);
    if (this.#quickScanTimer !== null) clearTimeout(this.#quickScanTimer);
    this.#scanTimer = null;
    this.#quickScanTimer = null;
    this.#closeWatcher();
    this.#clearFileTimers();
  }

  #end(): void {
    this.#mode = 'idle';
    this.#closed = true;
    this.#stopObserving();
    this.#files.clear();
  }

  async #stopNow(): Promise<void> {
    this.#stopping = true;
    this.#closed = true;
    this.#stopObserving();
    this.#queue.clear();
    const idle = this.#queue.onIdle();
    const inTime = await Promise.race([idle.then(() => true), sleep(this.#opts.gracePeriodMs).then(() => false)]);
    if (!inTime) {
      const reason = new MonitorError(
        MonitorErrorCode.Stopped,
        `The monitor is stopping and the grace period of ${this.#opts.gracePeriodMs} ms ran out; the file goes back in line and is processed again from scratch on the next start.`,
      );
      this.#log.warn({ inFlight: this.#inFlight.size }, 'grace period over: cancelling in-flight files');
      for (const entry of this.#inFlight.values()) entry.controller.abort(reason);
      const waitMs = Math.min(5_000, Math.max(1_000, this.#opts.gracePeriodMs));
      const settled = await Promise.race([idle.then(() => true), sleep(waitMs).then(() => false)]);
      if (!settled) {
        // Handlers that ignore the signal: stop renewing their leases so another start takes the files over.
        for (const entry of this.#inFlight.values()) this.#abandon(entry);
        this.#log.error({ inFlight: this.#inFlight.size }, 'handlers ignored the abort; their leases will expire');
      }
    }
    await this.#scanning;
    this.#end();
    this.#log.info({ root: this.#paths.root }, 'monitor stopped');
  }

  #pendingCount(): number {
    let n = 0;
    for (const t of this.#files.values()) if (t.state !== 'queued' && t.sig.kind !== 'other') n++;
    return n;
  }

  /** runOnce may finish: nothing left to wait for. */
  #idleOnce(): boolean {
    return (
      this.#pendingCount() === 0 &&
      this.#queue.size === 0 &&
      this.#queue.pending === 0 &&
      this.#recovering.size === 0 &&
      [...this.#files.values()].every((t) => t.state !== 'queued')
    );
  }

  #clearFileTimers(): void {
    for (const t of this.#files.values()) {
      if (t.confirmTimer !== null) clearTimeout(t.confirmTimer);
      if (t.quietTimer !== null) clearTimeout(t.quietTimer);
      t.confirmTimer = null;
      t.quietTimer = null;
    }
  }

  #scheduleScan(): void {
    if (this.#mode !== 'watching' || this.#stopping) return;
    this.#scanTimer = setTimeout(() => {
      this.#scanTimer = null;
      void this.#scanOnce(true).finally(() => this.#scheduleScan());
    }, this.#opts.intervalMs);
  }

  /** A scan that does not count as an observation (watch-mode events without a usable name). */
  #scheduleQuickScan(): void {
    if (this.#quickScanTimer !== null || this.#stopping || this.#mode !== 'watching') return;
    this.#quickScanTimer = setTimeout(() => {
      this.#quickScanTimer = null;
      void this.#scanOnce(false);
    }, 100);
  }

  // ---------------------------------------------------------------- events and problems

  #emitSafe<E extends keyof MonitorEvents>(event: E, ...args: Parameters<MonitorEvents[E]>): void {
    try {
      (this.emit as (e: E, ...a: Parameters<MonitorEvents[E]>) => boolean)(event, ...args);
    } catch (err) {
      this.#log.error({ event, err: messageOf(err) }, 'a monitor event listener threw');
    }
  }

  #transition(
    name: string,
    path: string,
    from: LifecycleState | null,
    to: LifecycleState,
    fileId?: number,
  ): { name: string; path: string; from: LifecycleState | null; to: LifecycleState; at: Date; fileId?: number } {
    const event = { name, path, from, to, at: new Date(), ...(fileId === undefined ? {} : { fileId }) };
    this.#log.debug({ file: { name, path }, from, to, fileId }, 'file transition');
    this.#emitSafe('transition', event);
    return event;
  }

  #problem(code: string, message: string, path?: string, onceKey?: string): void {
    if (onceKey !== undefined) {
      if (this.#reported.has(onceKey)) return;
      this.#reported.add(onceKey);
    }
    this.#log.warn({ code, ...(path === undefined ? {} : { path }) }, message);
    this.#emitSafe('problem', { code, message, ...(path === undefined ? {} : { path }) });
  }

  #cleared(onceKey: string): void {
    this.#reported.delete(onceKey);
  }

  // ---------------------------------------------------------------- scanning

  #scanOnce(count: boolean): Promise<void> {
    if (this.#scanning !== null) return this.#scanning;
    this.#scanning = this.#scan(count)
      .catch((err: unknown) => {
        this.#problem(MonitorErrorCode.ScanFailed, `Scan of ${this.#paths.incoming} failed: ${messageOf(err)}`);
      })
      .finally(() => {
        this.#scanning = null;
      });
    return this.#scanning;
  }

  async #scan(count: boolean): Promise<void> {
    if (!(await this.#checkFolders())) {
      this.#emitScan();
      return;
    }
    let names: string[];
    try {
      names = await readdir(this.#paths.incoming);
    } catch (err) {
      this.#problem(
        MonitorErrorCode.ScanFailed,
        `Cannot list ${this.#paths.incoming}: ${messageOf(err)}. Check that the folder exists and is readable; retrying every interval.`,
        this.#paths.incoming,
      );
      this.#emitScan();
      return;
    }
    const markers = new Set<string>();
    const data: string[] = [];
    for (const name of names) {
      const target = markerTarget(name);
      if (target !== null) markers.add(target);
      else if (this.#accepts(name)) data.push(name);
    }
    this.#markers = markers;
    const present = new Set(data);
    for (const t of [...this.#files.values()]) if (!present.has(t.name) && t.state !== 'queued') this.#forget(t);
    for (const name of data) {
      if (this.#stopping) return;
      let sig: Sig | null;
      try {
        sig = await observe(join(this.#paths.incoming, name));
      } catch (err) {
        this.#problem(
          MonitorErrorCode.ScanFailed,
          `Cannot inspect ${name}: ${messageOf(err)}`,
          join(this.#paths.incoming, name),
        );
        continue;
      }
      if (sig === null) continue;
      const t = this.#files.get(name);
      if (t === undefined) {
        this.#track(name, sig);
        continue;
      }
      if (t.state === 'queued') continue;
      if (sameSig(t.sig, sig)) {
        if (count) t.count++;
        if (t.state === 'detected' && count) {
          t.state = 'stabilizing';
          this.#transition(name, join(this.#paths.incoming, name), 'detected', 'stabilizing');
        }
      } else {
        this.#changed(t, sig);
      }
      if (this.#opts.requireMarker && markers.has(name) && !t.confirmed) this.#scheduleConfirm(t);
    }
    this.#promote();
    await this.#promoteChain;
    await this.#recover();
    this.#emitScan();
  }

  #emitScan(): void {
    this.#emitSafe('scan', { pending: this.#pendingCount(), queued: this.#queue.size, inFlight: this.#inFlight.size });
  }

  #accepts(name: string): boolean {
    return !isIgnoredName(name) && this.#isIncluded(name) && !this.#isExcluded(name);
  }

  /** Checks root and stages; recreates missing stages under an existing root. False: do nothing this round. */
  async #checkFolders(): Promise<boolean> {
    const root = this.#paths.root;
    try {
      const st = await lstat(root);
      if (!st.isDirectory() && !st.isSymbolicLink())
        throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      this.#cleared('root-missing');
    } catch (err) {
      this.#problem(
        MonitorErrorCode.RootMissing,
        `The drop root ${root} is missing or not a directory (${errnoCode(err) ?? messageOf(err)}). The monitor waits for it to come back; recreate it or fix the mount.`,
        root,
        'root-missing',
      );
      this.#closeWatcher();
      return false;
    }
    for (const stage of STAGES) {
      const path = this.#paths[stage];
      try {
        let st = await lstat(path).catch((err: unknown) => {
          if (errnoCode(err) === 'ENOENT') return null;
          throw err;
        });
        if (st === null) {
          // Missing twice in a row before it is recreated: an operator removing the whole drop
          // folder must not find it refilled under their rm -r.
          if (!this.#missingStages.has(stage)) {
            this.#missingStages.add(stage);
            return false;
          }
          this.#missingStages.delete(stage);
          await mkdir(path, { mode: folderMode(stage) }).catch((err: unknown) => {
            if (errnoCode(err) !== 'EEXIST') throw err;
          });
          this.#problem(
            MonitorErrorCode.FolderRecreated,
            `Stage folder ${path} was missing and has been created again; files dropped meanwhile must be dropped again.`,
            path,
          );
          st = await lstat(path);
        }
        assertStageDirectory(path, st);
        this.#missingStages.delete(stage);
        this.#cleared(`stage:${stage}`);
        if ((st.mode & 0o002) !== 0) {
          this.#problem(
            MonitorErrorCode.FolderInsecure,
            `Stage folder ${path} is writable by every user; run chmod o-w on it.`,
            path,
            `insecure:${stage}`,
          );
        }
      } catch (err) {
        const message = isMonitorError(err) ? err.message : `Cannot prepare stage folder ${path}: ${messageOf(err)}`;
        this.#problem(isMonitorError(err) ? err.code : MonitorErrorCode.ScanFailed, message, path, `stage:${stage}`);
        return false;
      }
    }
    if (this.#opts.mode === 'watch' && this.#mode === 'watching') this.#ensureWatcher();
    return true;
  }

  #track(name: string, sig: Sig): Tracked {
    const t: Tracked = {
      name,
      sig,
      count: 0,
      confirmed: false,
      state: 'detected',
      readyAt: 0,
      confirmTimer: null,
      lastEventAt: 0,
      eventSig: null,
      quietTimer: null,
    };
    this.#files.set(name, t);
    const path = join(this.#paths.incoming, name);
    this.#transition(name, path, null, 'detected');
    if (sig.kind === 'other') {
      this.#problem(
        MonitorErrorCode.NotAFile,
        `${name} in incoming/ is not a regular file (a directory, FIFO, socket or device); it is left where it is. Remove it or drop files only.`,
        path,
        `not-a-file:${name}:${sig.ino}`,
      );
      return t;
    }
    // Unchanged (mtime and ctime) for longer than a whole window: one confirming look is enough.
    const age = Date.now() - Math.max(sig.mtimeMs, sig.ctimeMs);
    if (sig.kind === 'file' && age >= this.#windowMs) this.#scheduleConfirm(t);
    if (this.#opts.requireMarker && this.#markers.has(name)) this.#scheduleConfirm(t);
    return t;
  }

  #forget(t: Tracked): void {
    if (t.confirmTimer !== null) clearTimeout(t.confirmTimer);
    if (t.quietTimer !== null) clearTimeout(t.quietTimer);
    t.confirmTimer = null;
    t.quietTimer = null;
    if (this.#files.get(t.name) === t) this.#files.delete(t.name);
  }

  #changed(t: Tracked, sig: Sig): void {
    t.sig = sig;
    t.count = 0;
    t.confirmed = false;
  }

  #scheduleConfirm(t: Tracked): void {
    if (t.confirmTimer !== null || this.#closed) return;
    const delay = Math.min(this.#opts.intervalMs, CONFIRM_MAX_MS);
    t.confirmTimer = setTimeout(() => {
      t.confirmTimer = null;
      void this.#confirm(t);
    }, delay);
  }

  async #confirm(t: Tracked): Promise<void> {
    if (this.#files.get(t.name) !== t || t.state === 'queued' || this.#closed) return;
    try {
      const sig = await observe(join(this.#paths.incoming, t.name));
      if (sig === null) {
        this.#forget(t);
        return;
      }
      if (sameSig(sig, t.sig)) {
        t.confirmed = true;
        this.#promote();
      } else {
        this.#changed(t, sig);
      }
    } catch (err) {
      this.#problem(MonitorErrorCode.ScanFailed, `Cannot inspect ${t.name}: ${messageOf(err)}`);
    }
  }

  #isReady(t: Tracked): boolean {
    if (t.state === 'queued' || t.sig.kind === 'other') return false;
    const stable = t.count >= this.#opts.stabilityChecks || t.confirmed;
    if (t.sig.kind === 'symlink' || !this.#opts.requireMarker) return stable;
    return this.#markers.has(t.name) && (t.confirmed || t.count >= 1);
  }

  /** Hands ready files to the queue, after one batched check for processes writing them. */
  #promote(): void {
    this.#promoteChain = this.#promoteChain
      .then(() => this.#promoteNow())
      .catch((err: unknown) => {
        this.#problem(MonitorErrorCode.ScanFailed, `Checking ready files failed: ${messageOf(err)}`);
      });
  }

  async #promoteNow(): Promise<void> {
    if (this.#closed) return;
    const ready = [...this.#files.values()].filter((t) => this.#isReady(t));
    if (ready.length === 0) return;
    const regular = ready.filter((t) => t.sig.kind === 'file');
    const open = await findOpenWriters(regular.map((t) => ({ dev: t.sig.dev, ino: t.sig.ino })));
    for (const t of ready) {
      if (this.#closed) return;
      if (this.#files.get(t.name) !== t || !this.#isReady(t)) continue;
      const pids = t.sig.kind === 'file' ? open.writers.get(identityKey(t.sig)) : undefined;
      if (pids !== undefined) {
        t.confirmed = false;
        this.#log.debug({ file: { name: t.name }, pids }, 'stable but still open for writing; waiting');
        continue;
      }
      const from = t.state;
      t.state = 'queued';
      t.readyAt = Date.now();
      const path = join(this.#paths.incoming, t.name);
      this.#transition(t.name, path, from === 'queued' ? 'stabilizing' : from, 'ready');
      void this.#queue
        .add(() => this.#take(t))
        .catch((err: unknown) => {
          this.#problem(
            MonitorErrorCode.MoveFailed,
            `Processing ${t.name} failed unexpectedly: ${messageOf(err)}`,
            path,
          );
        });
    }
  }

  // ---------------------------------------------------------------- watch mode

  #ensureWatcher(): void {
    if (this.#stopping || this.#mode !== 'watching') return;
    let ino: string;
    try {
      // Synchronous on purpose: called from scans, and cheap.
      ino = statIno(this.#paths.incoming);
    } catch {
      this.#closeWatcher();
      return;
    }
    if (this.#watcher !== null && this.#watchedIno === ino) return;
    this.#closeWatcher();
    try {
      const watcher = watch(this.#paths.incoming, { persistent: true });
      watcher.on('change', (_type, filename) => this.#onWatchEvent(typeof filename === 'string' ? filename : null));
      watcher.on('error', (err) => {
        this.#problem(
          MonitorErrorCode.WatchFailed,
          `fs.watch on ${this.#paths.incoming} failed (${messageOf(err)}); polling continues and the watch is set up again on the next scan.`,
          this.#paths.incoming,
        );
        if (this.#watcher === watcher) this.#closeWatcher();
      });
      this.#watcher = watcher;
      this.#watchedIno = ino;
    } catch (err) {
      this.#problem(
        MonitorErrorCode.WatchFailed,
        `Cannot watch ${this.#paths.incoming} (${messageOf(err)}); polling every interval instead.`,
        this.#paths.incoming,
        'watch-failed',
      );
    }
  }

  #closeWatcher(): void {
    if (this.#watcher !== null) {
      this.#watcher.removeAllListeners('change');
      this.#watcher.close();
    }
    this.#watcher = null;
    this.#watchedIno = null;
  }

  #onWatchEvent(filename: string | null): void {
    if (this.#stopping || this.#mode !== 'watching') return;
    if (filename === null || filename.includes('/') || markerTarget(filename) !== null) {
      this.#scheduleQuickScan();
      return;
    }
    if (!this.#accepts(filename)) return;
    const t = this.#files.get(filename);
    if (t !== undefined && t.state === 'queued') return;
    const now = Date.now();
    if (t !== undefined && t.quietTimer !== null) {
      t.lastEventAt = now;
      return;
    }
    void this.#eventObserve(filename, now);
  }

  async #eventObserve(name: string, at: number): Promise<void> {
    let sig: Sig | null;
    try {
      sig = await observe(join(this.#paths.incoming, name));
    } catch {
      this.#scheduleQuickScan();
      return;
    }
    if (this.#stopping) return;
    let t = this.#files.get(name);
    if (sig === null) {
      if (t !== undefined && t.state !== 'queued') this.#forget(t);
      return;
    }
    if (t === undefined) t = this.#track(name, sig);
    else if (t.state === 'queued') return;
    else if (!sameSig(t.sig, sig)) this.#changed(t, sig);
    if (t.sig.kind === 'other') return;
    t.lastEventAt = Math.max(t.lastEventAt, at);
    t.eventSig = sig;
    this.#armQuiet(t);
  }

  #armQuiet(t: Tracked): void {
    if (t.quietTimer !== null || this.#closed) return;
    const delay = Math.max(10, t.lastEventAt + this.#opts.watchQuietMs - Date.now());
    t.quietTimer = setTimeout(() => {
      t.quietTimer = null;
      void this.#quietCheck(t);
    }, delay);
  }

  async #quietCheck(t: Tracked): Promise<void> {
    if (this.#files.get(t.name) !== t || t.state === 'queued' || this.#closed) return;
    let sig: Sig | null;
    try {
      sig = await observe(join(this.#paths.incoming, t.name));
    } catch {
      return;
    }
    if (sig === null) {
      this.#forget(t);
      return;
    }
    const quiet = Date.now() - t.lastEventAt >= this.#opts.watchQuietMs;
    if (quiet && t.eventSig !== null && sameSig(sig, t.eventSig) && sameSig(sig, t.sig)) {
      t.confirmed = true;
      this.#promote();
      return;
    }
    if (!sameSig(sig, t.sig)) this.#changed(t, sig);
    if (!quiet || t.eventSig === null || !sameSig(sig, t.eventSig)) {
      t.eventSig = sig;
      if (quiet) t.lastEventAt = Date.now();
    }
    this.#armQuiet(t);
  }

  // ---------------------------------------------------------------- claiming

  #lease(): { readonly instanceId: string; readonly leaseMs: number } {
    return { instanceId: this.#opts.instanceId, leaseMs: this.#opts.leaseMs };
  }

  /** Queue task: moves a ready file out of `incoming/`, claims it and processes it. */
  async #take(t: Tracked): Promise<void> {
    const src = join(this.#paths.incoming, t.name);
    const backInLine = (): void => {
      if (this.#files.get(t.name) === t) t.state = 'stabilizing';
    };
    if (this.#stopping) return backInLine();
    const sig = await observe(src).catch(() => undefined);
    if (sig === undefined) return backInLine();
    if (sig === null) return this.#forget(t);
    if (!sameSig(sig, t.sig)) {
      this.#changed(t, sig);
      return backInLine();
    }
    if (sig.kind === 'file' && Date.now() - t.readyAt > CONFIRM_MAX_MS) {
      // It waited in the queue: make sure no writer opened it meanwhile.
      const open = await findOpenWriters([{ dev: sig.dev, ino: sig.ino }]);
      if (open.writers.size > 0) {
        this.#changed(t, sig);
        return backInLine();
      }
    }
    const pending = pendingName(t.name, Date.now());
    const pendingPath = join(this.#paths.processing, pending);
    this.#pendingOwned.add(pending);
    try {
      await rename(src, pendingPath);
    } catch (err) {
      this.#pendingOwned.delete(pending);
      if (errnoCode(err) === 'ENOENT') {
        // Taken by another instance or removed between scan and claim.
        this.#log.debug({ file: { name: t.name } }, 'file vanished before it was claimed');
        return this.#forget(t);
      }
      this.#problem(
        MonitorErrorCode.MoveFailed,
        `Cannot move ${t.name} from incoming/ to processing/: ${messageOf(err)}. Check folder permissions; retrying after the next stability window.`,
        src,
      );
      this.#changed(t, sig);
      return backInLine();
    }
    this.#forget(t);
    let claim: Claim | null;
    const claimedAt = Date.now();
    try {
      claim = await this.#store.claimNew(
        { path: src, name: t.name, size: sig.size, mtimeMs: sig.mtimeMs },
        this.#lease(),
      );
    } catch (err) {
      this.#problem(
        MonitorErrorCode.StoreFailed,
        `Claiming ${t.name} failed: ${messageOf(err)}. The file is put back into incoming/ and tried again.`,
        src,
      );
      await this.#putBack(pendingPath, src, pending);
      return;
    }
    if (claim === null) {
      this.#log.debug({ file: { name: t.name } }, 'another instance holds a claim for this path; putting it back');
      await this.#putBack(pendingPath, src, pending);
      return;
    }
    const processingPath = join(this.#paths.processing, processingName(claim.fileId, t.name));
    let moved: 'moved' | 'exists';
    try {
      moved = await moveNoClobber(pendingPath, processingPath);
    } catch (err) {
      this.#pendingOwned.delete(pending);
      this.#problem(
        MonitorErrorCode.MoveFailed,
        `Cannot rename claimed file ${t.name} in processing/: ${messageOf(err)}. It is taken back into incoming/ once its lease expires.`,
        pendingPath,
      );
      return;
    }
    if (moved === 'exists') {
      // The store handed us the claim of an earlier file of the same name whose instance died
      // after moving it here but before recording it. That file is the one this claim is about:
      // process it now, and put ours back in line.
      this.#log.info(
        { file: { name: t.name }, fileId: claim.fileId },
        'claim belongs to an abandoned file in processing/',
      );
      await this.#putBack(pendingPath, src, pending);
      const sig = await observe(processingPath).catch(() => null);
      if (sig === null) return;
      await this.#run({ claim, name: t.name, seenPath: src, processingPath, sig, claimedAt }, null);
      return;
    }
    this.#pendingOwned.delete(pending);
    await this.#removeMarkers(t.name);
    await this.#run({ claim, name: t.name, seenPath: src, processingPath, sig, claimedAt }, 'ready');
  }

  /** Moves a pending file back to `incoming/` without overwriting a newer file of the same name. */
  async #putBack(pendingPath: string, dst: string, pending: string): Promise<void> {
    try {
      const outcome = await moveNoClobber(pendingPath, dst);
      if (outcome === 'exists') {
        this.#log.info({ file: { name: basename(dst) } }, 'a newer file took the name; retrying the move back later');
      }
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        this.#problem(
          MonitorErrorCode.MoveFailed,
          `Cannot move ${basename(dst)} back to incoming/: ${messageOf(err)}`,
          pendingPath,
        );
      }
    } finally {
      this.#pendingOwned.delete(pending);
    }
  }

  /** Removes the ready markers (`NAME.done`, `NAME.ok`, any case) of a claimed file. */
  async #removeMarkers(name: string): Promise<void> {
    if (!this.#markers.has(name)) return;
    const entries = await readdir(this.#paths.incoming).catch(() => [] as string[]);
    for (const entry of entries) {
      if (markerTarget(entry) === name) await unlink(join(this.#paths.incoming, entry)).catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- processing

  async #run(job: Job, from: LifecycleState | null): Promise<void> {
    const { claim, name, processingPath } = job;
    const entry: InFlight = {
      claim,
      controller: new AbortController(),
      leaseUntil: job.claimedAt + this.#opts.leaseMs,
      lost: false,
      abandoned: false,
      beating: false,
      timer: null,
    };
    this.#inFlight.set(claim.fileId, entry);
    entry.timer = setInterval(() => void this.#beat(entry), Math.max(10, Math.floor(this.#opts.leaseMs / 3)));
    try {
      this.#transition(name, processingPath, from, 'claimed', claim.fileId);
      try {
        await this.#store.transition(claim, 'processing', { path: processingPath });
      } catch (err) {
        this.#problem(MonitorErrorCode.StoreFailed, `Recording that ${name} is processing failed: ${messageOf(err)}`);
      }
      this.#transition(name, processingPath, 'claimed', 'processing', claim.fileId);
      const handed = (await observe(processingPath).catch(() => null)) ?? job.sig;
      const file: ClaimedFile = {
        path: job.seenPath,
        name,
        size: handed.size,
        mtimeMs: handed.mtimeMs,
        claim,
        processingPath,
      };
      let result: HandlerResult | undefined;
      let thrown: unknown;
      let threw = false;
      if (handed.kind === 'symlink') {
        result = {
          state: 'failed',
          error: {
            code: MonitorErrorCode.SymlinkRefused,
            message: `${name} is a symbolic link; links are never followed, so its target was not read or touched. Drop the file itself instead of a link.`,
          },
        };
      } else if (handed.kind === 'other') {
        result = {
          state: 'failed',
          error: {
            code: MonitorErrorCode.NotAFile,
            message: `${name} is not a regular file (a directory, FIFO, socket or device). Drop regular files only.`,
          },
        };
      } else {
        try {
          result = await this.#opts.handler(file, { signal: entry.controller.signal });
        } catch (err) {
          threw = true;
          thrown = err;
        }
      }
      if (entry.abandoned) {
        this.#log.warn(
          { file: { name }, fileId: claim.fileId },
          'handler returned after the monitor stopped; the file is left for the next start',
        );
        return;
      }
      if (entry.lost) {
        this.#problem(
          MonitorErrorCode.ClaimLost,
          `The claim on ${name} (file ${claim.fileId}) was lost while it was processed; the file is left to the instance that holds it now.`,
          processingPath,
        );
        return;
      }
      const reason: unknown = entry.controller.signal.reason;
      const cancelled =
        entry.controller.signal.aborted && isMonitorError(reason) && reason.code === MonitorErrorCode.Stopped;
      if (cancelled && (threw || result?.state === 'failed')) {
        await this.#release(entry, job);
        return;
      }
      let outcome: HandlerResult;
      if (threw) outcome = this.#failureOf(thrown);
      else if (isHandlerResult(result)) outcome = result;
      else {
        outcome = {
          state: 'failed',
          error: {
            code: MonitorErrorCode.HandlerResultInvalid,
            message: `The handler returned ${JSON.stringify(result) ?? String(result)} instead of { state: 'archived' | 'duplicate' | 'held' | 'failed' }; fix the handler.`,
          },
        };
      }
      const after = await observe(processingPath).catch(() => null);
      if (after === null) {
        this.#problem(
          MonitorErrorCode.FileVanished,
          `${name} disappeared from processing/ while it was processed; only its record and sidecars remain.`,
          processingPath,
        );
      } else if (!sameContent(after, handed)) {
        this.#problem(
          MonitorErrorCode.FileChanged,
          `${name} changed while it was processed (size ${handed.size} → ${after.size}); its outcome (${outcome.state}) reflects the bytes read. Make writers finish before the file appears in incoming/ (write NAME.tmp and rename, or use a NAME.done marker) and drop it again if needed.`,
          processingPath,
        );
      }
      await this.#settle(entry, job, outcome, after !== null);
    } finally {
      if (entry.timer !== null) clearInterval(entry.timer);
      entry.timer = null;
      this.#inFlight.delete(claim.fileId);
    }
  }

  #failureOf(err: unknown): FailedResult {
    const code = (err as { code?: unknown } | null)?.code;
    return {
      state: 'failed',
      error: {
        code: typeof code === 'string' && code !== '' ? code : MonitorErrorCode.HandlerFailed,
        message: messageOf(err) || 'The handler failed without a message.',
      },
    };
  }

  async #beat(entry: InFlight): Promise<void> {
    if (entry.lost || entry.beating) return;
    if (Date.now() >= entry.leaseUntil) {
      this.#lose(entry, 'the lease expired before a heartbeat succeeded');
      return;
    }
    entry.beating = true;
    const sentAt = Date.now();
    try {
      const ok = await this.#store.heartbeat(entry.claim, this.#opts.leaseMs);
      if (ok) entry.leaseUntil = sentAt + this.#opts.leaseMs;
      else this.#lose(entry, 'the store no longer recognises the claim');
    } catch (err) {
      this.#problem(MonitorErrorCode.StoreFailed, `Heartbeat for file ${entry.claim.fileId} failed: ${messageOf(err)}`);
      if (Date.now() >= entry.leaseUntil) this.#lose(entry, 'the lease expired while the store failed');
    } finally {
      entry.beating = false;
    }
  }

  #lose(entry: InFlight, why: string): void {
    if (entry.lost) return;
    entry.lost = true;
    entry.controller.abort(
      new MonitorError(
        MonitorErrorCode.ClaimLost,
        `The claim on file ${entry.claim.fileId} was lost (${why}); stop processing it, another instance may hold it now.`,
      ),
    );
  }

  #abandon(entry: InFlight): void {
    entry.lost = true;
    entry.abandoned = true;
    if (entry.timer !== null) clearInterval(entry.timer);
    entry.timer = null;
  }

  /** A cancelled file stays in `processing/` and its lease is cut short, so it is reclaimed at once. */
  async #release(entry: InFlight, job: Job): Promise<void> {
    if (entry.timer !== null) clearInterval(entry.timer);
    entry.timer = null;
    try {
      await this.#store.transition(entry.claim, 'ready', { path: job.processingPath });
      await this.#store.heartbeat(entry.claim, 1);
    } catch (err) {
      this.#problem(
        MonitorErrorCode.StoreFailed,
        `Releasing the claim on ${job.name} failed (${messageOf(err)}); it is taken over when its lease expires.`,
      );
    }
    this.#transition(job.name, job.processingPath, 'processing', 'ready', entry.claim.fileId);
    this.#log.info({ file: { name: job.name }, fileId: entry.claim.fileId }, 'cancelled; back in line');
  }

  /** Writes sidecars, records the end and moves the file into its final folder. */
  async #settle(entry: InFlight, job: Job, outcome: HandlerResult, fileExists: boolean): Promise<void> {
    const { claim, name, processingPath } = job;
    const state: TerminalState = outcome.state;
    const dir = this.#paths[stageOf(state)];
    const at = new Date();
    const final = await this.#freeFinalName(dir, name, at, claim);
    const finalPath = join(dir, final);
    const sidecars: Sidecar[] = [];
    for (const sidecar of outcome.sidecars ?? []) {
      if (
        typeof sidecar?.suffix === 'string' &&
        isSafeSidecarSuffix(sidecar.suffix) &&
        sidecar.suffix !== '.error.json'
      ) {
        sidecars.push(sidecar);
      } else {
        this.#problem(
          MonitorErrorCode.HandlerResultInvalid,
          `Sidecar suffix ${JSON.stringify(sidecar?.suffix)} for ${name} was refused: it must start with '.', hold no path separators and be at most 40 bytes.`,
        );
      }
    }
    if (outcome.state === 'failed') {
      const report = {
        code: outcome.error.code,
        message: outcome.error.message,
        time: at.toISOString(),
        file: name,
        fileId: claim.fileId,
        storedAs: final,
      };
      sidecars.push({ suffix: '.error.json', content: `${JSON.stringify(report, null, 2)}\n` });
    }
    const written: string[] = [];
    for (const sidecar of sidecars) {
      const path = finalPath + sidecar.suffix;
      try {
        await writeFileAtomic(path, sidecar.content, SIDECAR_MODE);
        written.push(path);
      } catch (err) {
        this.#problem(MonitorErrorCode.MoveFailed, `Cannot write ${basename(path)}: ${messageOf(err)}`, path);
      }
    }
    const details =
      outcome.state === 'failed'
        ? { path: finalPath, error: { code: outcome.error.code, message: outcome.error.message } }
        : { path: finalPath };
    const unwrite = async (): Promise<void> => {
      for (const path of written) await unlink(path).catch(() => undefined);
    };
    if (entry.lost) {
      await unwrite();
      return;
    }
    if (typeof this.#store.lookup === 'function') {
      // Record first: a crash before the rename is completed from the record on recovery.
      try {
        await this.#store.finish(claim, state, details);
      } catch (err) {
        await unwrite();
        this.#problem(
          isMonitorError(err) && err.code === MonitorErrorCode.ClaimLost ? err.code : MonitorErrorCode.StoreFailed,
          `Recording the end of ${name} failed: ${messageOf(err)}. The file stays in processing/ and is processed again once its lease expires.`,
          processingPath,
        );
        return;
      }
      if (fileExists) {
        try {
          await rename(processingPath, finalPath);
        } catch (err) {
          this.#problem(
            MonitorErrorCode.MoveFailed,
            `Cannot move ${name} to ${stageOf(state)}/: ${messageOf(err)}. The move is completed on the next recovery.`,
            processingPath,
          );
          return;
        }
      }
    } else {
      if (fileExists) {
        try {
          await rename(processingPath, finalPath);
        } catch (err) {
          await unwrite();
          this.#problem(
            MonitorErrorCode.MoveFailed,
            `Cannot move ${name} to ${stageOf(state)}/: ${messageOf(err)}. It stays in processing/ and is processed again once its lease expires.`,
            processingPath,
          );
          return;
        }
      }
      try {
        await this.#store.finish(claim, state, details);
      } catch (err) {
        this.#problem(
          MonitorErrorCode.StoreFailed,
          `${name} is in ${stageOf(state)}/ but recording its end failed: ${messageOf(err)}.`,
          finalPath,
        );
      }
    }
    this.#recordSettled(name, finalPath, state, claim.fileId, outcome);
  }

  #recordSettled(name: string, finalPath: string, state: TerminalState, fileId: number, outcome?: HandlerResult): void {
    this.#counts[state]++;
    if (state !== 'failed') this.#lastSuccessAt = new Date();
    const event = this.#transition(name, finalPath, 'processing', state, fileId);
    this.#emitSafe('settled', { ...event, to: state, finalPath });
    const error = outcome?.state === 'failed' ? { code: outcome.error.code } : {};
    this.#log.info({ file: { name }, fileId, state, finalPath, ...error }, 'file settled');
  }

  async #freeFinalName(dir: string, name: string, at: Date, claim: Claim): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const candidate = finalName(name, at, `${claim.fileId}:${claim.token}:${attempt}`);
      try {
        await lstat(join(dir, candidate));
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' || attempt >= 8) return candidate;
      }
    }
  }

  // ---------------------------------------------------------------- recovery of processing/

  async #recover(): Promise<void> {
    if (this.#closed) return;
    let entries: string[];
    try {
      entries = await readdir(this.#paths.processing);
    } catch (err) {
      this.#problem(MonitorErrorCode.ScanFailed, `Cannot list ${this.#paths.processing}: ${messageOf(err)}`);
      return;
    }
    const now = Date.now();
    const present = new Set(entries.map((e) => parseProcessingName(e)?.fileId));
    for (const id of this.#reclaimNotBefore.keys()) if (!present.has(id)) this.#reclaimNotBefore.delete(id);
    for (const entry of entries) {
      if (this.#closed) return;
      const parsed = parseProcessingName(entry);
      if (parsed !== null) {
        const id = parsed.fileId;
        if (this.#inFlight.has(id) || this.#recovering.has(id)) continue;
        if ((this.#reclaimNotBefore.get(id) ?? 0) > now) continue;
        this.#recovering.add(id);
        void this.#queue
          .add(() => this.#recoverOne(id, parsed.name, entry), { priority: 1 })
          .catch((err: unknown) => {
            this.#problem(MonitorErrorCode.StoreFailed, `Recovering ${entry} failed: ${messageOf(err)}`);
          })
          .finally(() => this.#recovering.delete(id));
        continue;
      }
      const pending = parsePendingName(entry);
      if (pending !== null) {
        if (this.#pendingOwned.has(entry)) continue;
        const path = join(this.#paths.processing, entry);
        const sig = await observe(path).catch(() => null);
        if (sig === null) continue;
        // Another instance may be between its move and its claim: only take over old ones.
        if (now - Math.max(pending.createdAt, sig.ctimeMs) < this.#opts.leaseMs) continue;
        if (await this.#dropHalfMovedLink(path, sig)) continue;
        await this.#putBack(path, join(this.#paths.incoming, pending.name), entry);
        continue;
      }
      if (isIgnoredName(entry)) continue;
      // No id: put here by hand or by an older tool. Taken back like a new file.
      const path = join(this.#paths.processing, entry);
      const sig = await observe(path).catch(() => null);
      if (sig === null) continue;
      if (sig.kind === 'other') {
        this.#problem(
          MonitorErrorCode.NotAFile,
          `${entry} in processing/ is not a regular file and carries no claim id; move it away.`,
          path,
          `processing-other:${entry}`,
        );
        continue;
      }
      this.#log.info({ file: { name: entry } }, 'file without a claim id in processing/; moving it back to incoming/');
      await this.#putBack(path, join(this.#paths.incoming, entry), '');
    }
  }

  /**
   * Moves without overwriting are a hard link followed by an unlink of the old name, so a crash
   * between the two leaves a pending name beside the file's other name in `incoming/` or
   * `processing/`. The pending name is always the transient one: drop it, and the file is where
   * the move left it (not yet moved, moved, or already settled). A pending file whose other link
   * lies outside the stages (a user's own hard link) is kept. Only runs for such rare leftovers.
   */
  async #dropHalfMovedLink(path: string, sig: Sig): Promise<boolean> {
    if (sig.nlink < 2) return false;
    const { processing, incoming, archive, failed, held } = this.#paths;
    for (const dir of [processing, incoming, archive, failed, held]) {
      const entries = await readdir(dir).catch(() => [] as string[]);
      for (const entry of entries) {
        const other = join(dir, entry);
        if (other === path) continue;
        const twin = await observe(other).catch(() => null);
        if (twin === null || twin.dev !== sig.dev || twin.ino !== sig.ino) continue;
        await unlink(path).catch(() => undefined);
        this.#log.info({ file: { name: entry } }, 'removed the leftover name of a move interrupted by a crash');
        return true;
      }
    }
    return false;
  }

  /** Queue task: re-claims a file left in `processing/` and processes it again from scratch. */
  async #recoverOne(fileId: number, name: string, entry: string): Promise<void> {
    if (this.#stopping) return;
    const processingPath = join(this.#paths.processing, entry);
    const backoff = (): void => {
      this.#reclaimNotBefore.set(fileId, Date.now() + this.#opts.intervalMs);
    };
    let claim: Claim | null;
    const claimedAt = Date.now();
    try {
      claim = await this.#store.reclaim(fileId, this.#lease());
    } catch (err) {
      backoff();
      this.#problem(MonitorErrorCode.StoreFailed, `Re-claiming ${entry} failed: ${messageOf(err)}; retrying later.`);
      return;
    }
    if (claim === null) {
      if (typeof this.#store.lookup === 'function') {
        let record: ClaimRecord | null = null;
        try {
          record = await this.#store.lookup(fileId);
        } catch (err) {
          this.#problem(MonitorErrorCode.StoreFailed, `Looking up ${entry} failed: ${messageOf(err)}`);
        }
        if (record !== null && TERMINAL.has(record.state)) {
          await this.#rollForward(fileId, name, processingPath, record);
          return;
        }
      }
      backoff();
      return;
    }
    this.#reclaimNotBefore.delete(fileId);
    const sig = await observe(processingPath).catch(() => null);
    if (sig === null) {
      const message = `${name} (file ${fileId}) was no longer in processing/ when it was re-claimed; nothing to process.`;
      this.#problem(MonitorErrorCode.FileVanished, message, processingPath);
      await this.#store
        .finish(claim, 'failed', { path: processingPath, error: { code: MonitorErrorCode.FileVanished, message } })
        .catch(() => undefined);
      return;
    }
    this.#log.info({ file: { name }, fileId }, 're-claimed after an expired lease; processing again from scratch');
    await this.#run({ claim, name, seenPath: join(this.#paths.incoming, name), processingPath, sig, claimedAt }, null);
  }

  /** The record says the file ended but it is still in `processing/`: finish the move. */
  async #rollForward(fileId: number, name: string, processingPath: string, record: ClaimRecord): Promise<void> {
    const state = record.state as TerminalState;
    const dir = this.#paths[stageOf(state)];
    let target = record.path;
    const inside = dirname(target) === dir && basename(target) !== '' && !basename(target).startsWith('.');
    let free = false;
    if (inside) {
      free = await lstat(target).then(
        () => false,
        (err: unknown) => errnoCode(err) === 'ENOENT',
      );
    }
    if (!inside || !free) {
      target = join(dir, finalName(name, new Date(), `${fileId}:recovered`));
    }
    try {
      await rename(processingPath, target);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        this.#problem(
          MonitorErrorCode.MoveFailed,
          `Cannot complete the move of ${name}: ${messageOf(err)}`,
          processingPath,
        );
      }
      return;
    }
    this.#log.info({ file: { name }, fileId, state }, 'completed a move interrupted by a crash');
    this.#recordSettled(name, target, state, fileId);
  }
}

/** Inode of a directory, synchronously (used to notice a replaced `incoming/`). */
function statIno(path: string): string {
  const st = lstatSync(path, { bigint: true });
  if (!st.isDirectory()) throw new Error(`${path} is not a directory`);
  return st.ino.toString();
}

/**
 * Creates a {@link Monitor} over `options.root`. Options are validated at once (a
 * `MONITOR_OPTIONS_INVALID` error names the option, what was wrong and what is allowed); nothing
 * touches the disk until `start()` or `runOnce()`.
 *
 * Readiness rules (see the README for the reasoning):
 * - polling: `stabilityChecks` consecutive observations `intervalSeconds` apart with unchanged
 *   size, mtime, ctime and inode;
 * - a file whose mtime and ctime are both older than the whole window when first seen needs one
 *   confirming observation after `min(intervalSeconds, 1 s)`;
 * - `watch` mode: a file reported by fs.watch is ready after `watchQuietMs` without events or changes;
 * - `requireMarker`: only once `NAME.done` or `NAME.ok` exists, plus one confirming observation;
 * - always (on Linux): no process holds the file open for writing.
 *
 * @throws {@link MonitorError} `MONITOR_OPTIONS_INVALID`.
 * @example
 * ```ts
 * import { createMonitor } from '@refdata/monitor';
 *
 * const monitor = createMonitor({
 *   root: './drop',
 *   intervalSeconds: Number(process.env.MONITOR_INTERVAL ?? 15),
 *   stabilityChecks: Number(process.env.STABILITY_CHECKS ?? 6),
 *   handler: async (file, { signal }) => {
 *     await load(file.processingPath, { signal });
 *     return { state: 'archived' };
 *   },
 * });
 * await monitor.start();
 * ```
 */
export function createMonitor(options: MonitorOptions): Monitor {
  return new Monitor(options);
}
