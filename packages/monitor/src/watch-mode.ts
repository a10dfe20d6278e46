/**
 * `mode: 'watch'`: fs.watch events on `incoming/` make a file ready after `watchQuietMs` without
 * events or changes. Polling (the {@link Scanner}) continues as the fallback for missed events
 * and network shares; the watch is set up again when `incoming/` is replaced.
 */
import { type FSWatcher, lstatSync, watch } from 'node:fs';
import { join } from 'node:path';
import { type MonitorContext, messageOf } from './context.js';
import { MonitorErrorCode } from './errors.js';
import { markerTarget } from './names.js';
import type { Scanner, Tracked } from './scanner.js';
import { observe, type Sig, sameSig } from './signature.js';

/** Inode of a directory, synchronously (used to notice a replaced `incoming/`). */
function statIno(path: string): string {
  const st = lstatSync(path, { bigint: true });
  if (!st.isDirectory()) throw new Error(`${path} is not a directory`);
  return st.ino.toString();
}

/** The fs.watch side of watch mode. */
export class WatchMode {
  readonly #ctx: MonitorContext;
  readonly #scanner: Scanner;
  readonly #quickScan: () => void;
  #watcher: FSWatcher | null = null;
  #watchedIno: string | null = null;
  #quickScanTimer: NodeJS.Timeout | null = null;

  /** `quickScan` runs a scan that does not count as an observation. */
  constructor(ctx: MonitorContext, scanner: Scanner, quickScan: () => void) {
    this.#ctx = ctx;
    this.#scanner = scanner;
    this.#quickScan = quickScan;
  }

  #active(): boolean {
    return !this.#ctx.run.stopping && this.#ctx.run.mode === 'watching';
  }

  /** Watches `incoming/` (again, when it was replaced); on failure polling goes on alone. */
  ensure(): void {
    if (!this.#active()) return;
    const incoming = this.#ctx.paths.incoming;
    let ino: string;
    try {
      // Synchronous on purpose: called from scans, and cheap.
      ino = statIno(incoming);
    } catch {
      this.close();
      return;
    }
    if (this.#watcher !== null && this.#watchedIno === ino) return;
    this.close();
    try {
      const watcher = watch(incoming, { persistent: true });
      watcher.on('change', (_type, filename) => this.#onEvent(typeof filename === 'string' ? filename : null));
      watcher.on('error', (err) => {
        this.#ctx.report.problem(
          MonitorErrorCode.WatchFailed,
          `fs.watch on ${incoming} failed (${messageOf(err)}); polling continues and the watch is set up again on the next scan.`,
          incoming,
        );
        if (this.#watcher === watcher) this.close();
      });
      this.#watcher = watcher;
      this.#watchedIno = ino;
    } catch (err) {
      this.#ctx.report.problem(
        MonitorErrorCode.WatchFailed,
        `Cannot watch ${incoming} (${messageOf(err)}); polling every interval instead.`,
        incoming,
        'watch-failed',
      );
    }
  }

  /** Closes the fs.watch watcher. */
  close(): void {
    if (this.#watcher !== null) {
      this.#watcher.removeAllListeners('change');
      this.#watcher.close();
    }
    this.#watcher = null;
    this.#watchedIno = null;
  }

  /** Closes the watcher and cancels a scheduled quick scan. */
  stop(): void {
    if (this.#quickScanTimer !== null) clearTimeout(this.#quickScanTimer);
    this.#quickScanTimer = null;
    this.close();
  }

  /** A scan that does not count as an observation (events without a usable name). */
  #scheduleQuickScan(): void {
    if (this.#quickScanTimer !== null || !this.#active()) return;
    this.#quickScanTimer = setTimeout(() => {
      this.#quickScanTimer = null;
      this.#quickScan();
    }, 100);
  }

  #onEvent(filename: string | null): void {
    if (!this.#active()) return;
    if (filename === null || filename.includes('/') || markerTarget(filename) !== null) {
      this.#scheduleQuickScan();
      return;
    }
    if (!this.#scanner.accepts(filename)) return;
    const t = this.#scanner.files.get(filename);
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
      sig = await observe(join(this.#ctx.paths.incoming, name));
    } catch {
      this.#scheduleQuickScan();
      return;
    }
    if (this.#ctx.run.stopping) return;
    let t = this.#scanner.files.get(name);
    if (sig === null) {
      if (t !== undefined && t.state !== 'queued') this.#scanner.forget(t);
      return;
    }
    const seen = t === undefined;
    if (t === undefined) t = this.#scanner.track(name, sig, false);
    else if (t.state === 'queued') return;
    else if (!sameSig(t.sig, sig)) this.#scanner.changed(t, sig);
    if (t.sig.kind === 'other') return;
    t.lastEventAt = Math.max(t.lastEventAt, at);
    t.eventSig = sig;
    this.#armQuiet(t);
    // Announced once the watch rule applies, so the event names it.
    if (seen) this.#scanner.observed(t, 'seen');
  }

  #armQuiet(t: Tracked): void {
    if (t.quietTimer !== null || this.#ctx.run.closed) return;
    const delay = Math.max(10, t.lastEventAt + this.#ctx.opts.watchQuietMs - Date.now());
    t.quietTimer = setTimeout(() => {
      t.quietTimer = null;
      void this.#quietCheck(t);
    }, delay);
  }

  async #quietCheck(t: Tracked): Promise<void> {
    if (this.#scanner.files.get(t.name) !== t || t.state === 'queued' || this.#ctx.run.closed) return;
    let sig: Sig | null;
    try {
      sig = await observe(join(this.#ctx.paths.incoming, t.name));
    } catch {
      return;
    }
    if (sig === null) {
      this.#scanner.forget(t);
      return;
    }
    const quietMs = this.#ctx.opts.watchQuietMs;
    const quiet = Date.now() - t.lastEventAt >= quietMs;
    if (quiet && t.eventSig !== null && sameSig(sig, t.eventSig) && sameSig(sig, t.sig)) {
      t.confirmed = true;
      this.#scanner.promote();
      return;
    }
    if (!sameSig(sig, t.sig)) this.#scanner.changed(t, sig);
    if (!quiet || t.eventSig === null || !sameSig(sig, t.eventSig)) {
      t.eventSig = sig;
      if (quiet) t.lastEventAt = Date.now();
    }
    this.#armQuiet(t);
  }
}
