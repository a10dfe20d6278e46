/**
 * The monitor's coordinator: owns the start/runOnce/stop lifecycle and the scan timer, and wires
 * the parts together — {@link Scanner} (polling and stability), {@link WatchMode} (fs events),
 * {@link Claimer}, {@link Runner} and {@link Settler} (handler and final move), {@link Recovery}.
 */
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import { Claimer } from './claimer.js';
import { type MonitorContext, messageOf, Reporter, type RunFlags } from './context.js';
import { MonitorError, MonitorErrorCode } from './errors.js';
import { FolderCheck } from './folder-check.js';
import { createMemoryClaimStore } from './memory-claim-store.js';
import { resolveOptions } from './options.js';
import { Recovery } from './recovery.js';
import { Runner } from './runner.js';
import { Scanner } from './scanner.js';
import { Settler } from './settler.js';
import { ensureStages, type StagePaths, stagePaths } from './stages.js';
import type { Logger, MonitorApi, MonitorEvents, MonitorOptions, MonitorSummary } from './types.js';
import { WatchMode } from './watch-mode.js';

const NOOP_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => NOOP_LOGGER,
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  readonly #ctx: MonitorContext;
  readonly #run: RunFlags = { mode: 'idle', stopping: false, closed: false };
  readonly #folders: FolderCheck;
  readonly #scanner: Scanner;
  readonly #claimer: Claimer;
  readonly #watch: WatchMode;
  readonly #runner: Runner;
  readonly #settler: Settler;
  readonly #recovery: Recovery;

  #scanTimer: NodeJS.Timeout | null = null;
  #scanning: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;

  /** Use {@link createMonitor}. Validates options eagerly. */
  constructor(options: MonitorOptions) {
    super();
    const opts = resolveOptions(options);
    const log = (opts.logger ?? NOOP_LOGGER).child({ component: 'monitor' });
    this.#ctx = {
      opts,
      paths: stagePaths(opts.root),
      store: opts.store ?? createMemoryClaimStore(),
      log,
      queue: new PQueue({ concurrency: opts.concurrency }),
      report: new Reporter(this, log, opts.instanceId),
      run: this.#run,
      windowMs: opts.intervalMs * opts.stabilityChecks,
    };
    this.#folders = new FolderCheck(this.#ctx);
    this.#settler = new Settler(this.#ctx);
    this.#runner = new Runner(this.#ctx, this.#settler);
    this.#scanner = new Scanner(this.#ctx, (t) => this.#claimer.take(t));
    this.#claimer = new Claimer(this.#ctx, this.#scanner, this.#runner);
    this.#recovery = new Recovery(this.#ctx, this.#runner, this.#settler, this.#claimer);
    this.#watch = new WatchMode(this.#ctx, this.#scanner, () => void this.#scanOnce(false));
  }

  /** Absolute paths of the root and the stage folders this monitor uses. */
  get paths(): StagePaths {
    return this.#ctx.paths;
  }

  /** The instance id this monitor claims files with. */
  get instanceId(): string {
    return this.#ctx.opts.instanceId;
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
      await ensureStages(this.#ctx.paths.root);
    } catch (err) {
      this.#run.mode = 'idle';
      throw err;
    }
    if (this.#ctx.opts.mode === 'watch') this.#watch.ensure();
    await this.#scanOnce(true);
    this.#scheduleScan();
    this.#ctx.log.info({ root: this.#ctx.paths.root, mode: this.#ctx.opts.mode }, 'monitor started');
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
    const { opts, queue } = this.#ctx;
    const before = this.#settler.counts();
    let pending = 0;
    try {
      await ensureStages(this.#ctx.paths.root);
      // One window plus one interval, in time and in scans (slow scans on a loaded machine or a
      // slow share must not cut the window short).
      const deadline = Date.now() + this.#ctx.windowMs + opts.intervalMs;
      const minScans = opts.stabilityChecks + 2;
      let scans = 0;
      let nextScan = 0;
      for (;;) {
        if (this.#run.stopping) break;
        if (Date.now() >= nextScan) {
          await this.#scanOnce(true);
          scans++;
          nextScan = Date.now() + opts.intervalMs;
        }
        await this.#scanner.promoted;
        if (this.#idleOnce() || (Date.now() >= deadline && scans >= minScans)) break;
        await sleep(Math.max(5, Math.min(50, nextScan - Date.now())));
      }
      this.#run.closed = true;
      this.#scanner.clearTimers();
      await this.#scanner.promoted;
      await queue.onIdle();
      pending = this.#scanner.pendingCount();
    } finally {
      if (this.#stopPromise === null) this.#end();
    }
    const after = this.#settler.counts();
    return {
      archived: after.archived - before.archived,
      failed: after.failed - before.failed,
      duplicate: after.duplicate - before.duplicate,
      held: after.held - before.held,
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
    if (this.#run.mode === 'idle') return;
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
      ...this.#settler.counts(),
      pending: this.#scanner.pendingCount(),
      queued: this.#ctx.queue.size,
      inFlight: this.#runner.size,
      lastSuccessAt: this.#settler.lastSuccessAt,
    };
  }

  // ---------------------------------------------------------------- lifecycle of the monitor

  #begin(mode: 'watching' | 'once'): void {
    if (this.#run.mode !== 'idle' || this.#stopPromise !== null) {
      throw new MonitorError(
        MonitorErrorCode.AlreadyRunning,
        `The monitor for ${this.#ctx.paths.root} is already running (${this.#run.mode}). Call stop() before starting it again.`,
      );
    }
    this.#run.mode = mode;
    this.#run.stopping = false;
    this.#run.closed = false;
    this.#recovery.sweepSoon();
    this.#ctx.queue.start();
  }

  /** Stops every timer and the fs.watch watcher: nothing new is observed after this. */
  #stopObserving(): void {
    if (this.#scanTimer !== null) clearTimeout(this.#scanTimer);
    this.#scanTimer = null;
    this.#watch.stop();
    this.#scanner.clearTimers();
  }

  #end(): void {
    this.#run.mode = 'idle';
    this.#run.closed = true;
    this.#stopObserving();
    this.#scanner.files.clear();
  }

  async #stopNow(): Promise<void> {
    const { opts, queue, log } = this.#ctx;
    this.#run.stopping = true;
    this.#run.closed = true;
    this.#stopObserving();
    queue.clear();
    const idle = queue.onIdle();
    const inTime = await Promise.race([idle.then(() => true), sleep(opts.gracePeriodMs).then(() => false)]);
    if (!inTime) {
      const reason = new MonitorError(
        MonitorErrorCode.Stopped,
        `The monitor is stopping and the grace period of ${opts.gracePeriodMs} ms ran out; the file goes back in line and is processed again from scratch on the next start.`,
      );
      log.warn({ inFlight: this.#runner.size }, 'grace period over: cancelling in-flight files');
      this.#runner.abortAll(reason);
      const waitMs = Math.min(5_000, Math.max(1_000, opts.gracePeriodMs));
      const settled = await Promise.race([idle.then(() => true), sleep(waitMs).then(() => false)]);
      if (!settled) {
        // Handlers that ignore the signal: stop renewing their leases so another start takes the files over.
        this.#runner.abandonAll();
        log.error({ inFlight: this.#runner.size }, 'handlers ignored the abort; their leases will expire');
      }
    }
    await this.#scanning;
    this.#end();
    log.info({ root: this.#ctx.paths.root }, 'monitor stopped');
  }

  /** runOnce may finish: nothing left to wait for. */
  #idleOnce(): boolean {
    const { queue } = this.#ctx;
    return (
      this.#scanner.pendingCount() === 0 &&
      queue.size === 0 &&
      queue.pending === 0 &&
      !this.#recovery.busy &&
      !this.#scanner.hasQueued()
    );
  }

  #scheduleScan(): void {
    if (this.#run.mode !== 'watching' || this.#run.stopping) return;
    this.#scanTimer = setTimeout(() => {
      this.#scanTimer = null;
      void this.#scanOnce(true).finally(() => this.#scheduleScan());
    }, this.#ctx.opts.intervalMs);
  }

  // ---------------------------------------------------------------- one scan

  /** Runs a scan, or joins the one under way (`count`: it counts as a stability observation). */
  #scanOnce(count: boolean): Promise<void> {
    if (this.#scanning !== null) return this.#scanning;
    this.#scanning = this.#scan(count)
      .catch((err: unknown) => {
        this.#ctx.report.problem(
          MonitorErrorCode.ScanFailed,
          `Scan of ${this.#ctx.paths.incoming} failed: ${messageOf(err)}`,
        );
      })
      .finally(() => {
        this.#scanning = null;
      });
    return this.#scanning;
  }

  /** Folders, then `incoming/` (stability and hand-over), then `processing/` (recovery). */
  async #scan(count: boolean): Promise<void> {
    const folders = await this.#folders.check();
    if (folders === 'root-missing') this.#watch.close();
    if (folders !== 'ok') {
      this.#emitScan();
      return;
    }
    if (this.#ctx.opts.mode === 'watch' && this.#run.mode === 'watching') this.#watch.ensure();
    const scanned = await this.#scanner.scan(count);
    if (scanned === 'stopped') return;
    if (scanned === 'done') await this.#recovery.recover();
    this.#emitScan();
  }

  #emitScan(): void {
    this.#ctx.report.emit('scan', {
      pending: this.#scanner.pendingCount(),
      queued: this.#ctx.queue.size,
      inFlight: this.#runner.size,
    });
  }
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
