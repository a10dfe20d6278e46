/**
 * Polling and stability: lists `incoming/`, keeps one record per file seen, counts unchanged
 * observations, applies the aged-file and marker rules, checks for open writers, reports each
 * step as a `stability` event and hands ready files to the queue.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { type MonitorContext, messageOf } from './context.js';
import { MonitorErrorCode } from './errors.js';
import { isIgnoredName, markerTarget } from './names.js';
import { findOpenWriters, identityKey } from './open-writers.js';
import { changesOf, observe, type Sig, sameSig } from './signature.js';
import type { SignatureChange, StabilityEvent, StabilityRule, WaitReason } from './types.js';

/** Longest pause before the one confirming observation of an aged file or a marked file. */
export const CONFIRM_MAX_MS = 1_000;

/** A file seen in `incoming/` and not handed on yet. */
export interface Tracked {
  readonly name: string;
  sig: Sig;
  /** Consecutive periodic observations with an unchanged signature. */
  count: number;
  /** Confirmed by the aged-file, marker or watch-quiet rule. */
  confirmed: boolean;
  /** Unchanged for longer than a whole window when first seen (the aged-file rule applies). */
  aged: boolean;
  state: 'detected' | 'stabilizing' | 'queued';
  /** When it was handed to the queue. */
  readyAt: number;
  confirmTimer: NodeJS.Timeout | null;
  /** Watch mode: time of the last fs.watch event and the signature last seen around it. */
  lastEventAt: number;
  eventSig: Sig | null;
  quietTimer: NodeJS.Timeout | null;
}

/** Extra facts of a `waiting` stability event. */
export interface WaitDetails {
  readonly reason: WaitReason;
  readonly changes?: readonly SignatureChange[];
  readonly writers?: readonly number[];
}

/** Outcome of one {@link Scanner.scan}: listed and promoted, listing failed, or stop began. */
export type ScanOutcome = 'done' | 'failed' | 'stopped';

/** Watches `incoming/` by polling and decides when each file is ready. */
export class Scanner {
  readonly #ctx: MonitorContext;
  readonly #take: (t: Tracked) => Promise<void>;
  readonly #isIncluded: (name: string) => boolean;
  readonly #isExcluded: (name: string) => boolean;
  /** Files seen in `incoming/` and not handed on yet, by name. */
  readonly files: Map<string, Tracked> = new Map();
  /** Names of the data files whose ready marker (`NAME.done`, `NAME.ok`) the last scan saw. */
  #markers = new Set<string>();
  #promoteChain: Promise<void> = Promise.resolve();

  /** `take` claims and processes a ready file (a queue task). */
  constructor(ctx: MonitorContext, take: (t: Tracked) => Promise<void>) {
    this.#ctx = ctx;
    this.#take = take;
    const include = picomatch([...ctx.opts.include], { nocase: true });
    this.#isIncluded = (name) => include(name);
    const exclude = ctx.opts.exclude.length > 0 ? picomatch([...ctx.opts.exclude], { nocase: true }) : null;
    this.#isExcluded = (name) => exclude?.(name) ?? false;
  }

  /** Names whose ready marker the last scan saw. */
  get markers(): ReadonlySet<string> {
    return this.#markers;
  }

  /** Settles when the hand-over of ready files started so far is done. */
  get promoted(): Promise<void> {
    return this.#promoteChain;
  }

  /** Not ignored by name and matched by the include/exclude globs. */
  accepts(name: string): boolean {
    return !isIgnoredName(name) && this.#isIncluded(name) && !this.#isExcluded(name);
  }

  /** Files seen but not ready yet (directories and the like excluded). */
  pendingCount(): number {
    let n = 0;
    for (const t of this.files.values()) if (t.state !== 'queued' && t.sig.kind !== 'other') n++;
    return n;
  }

  /** A file was handed to the queue and not taken yet. */
  hasQueued(): boolean {
    return [...this.files.values()].some((t) => t.state === 'queued');
  }

  /** One observation of every file in `incoming/` (`count`: it counts towards stability). */
  async scan(count: boolean): Promise<ScanOutcome> {
    const { paths, report, opts } = this.#ctx;
    let names: string[];
    try {
      names = await readdir(paths.incoming);
    } catch (err) {
      report.problem(
        MonitorErrorCode.ScanFailed,
        `Cannot list ${paths.incoming}: ${messageOf(err)}. Check that the folder exists and is readable; retrying every interval.`,
        paths.incoming,
      );
      return 'failed';
    }
    const markers = new Set<string>();
    const data: string[] = [];
    for (const name of names) {
      const target = markerTarget(name);
      if (target !== null) markers.add(target);
      else if (this.accepts(name)) data.push(name);
    }
    this.#markers = markers;
    const present = new Set(data);
    for (const t of [...this.files.values()]) if (!present.has(t.name) && t.state !== 'queued') this.forget(t);
    for (const name of data) {
      if (this.#ctx.run.stopping) return 'stopped';
      let sig: Sig | null;
      try {
        sig = await observe(join(paths.incoming, name));
      } catch (err) {
        report.problem(
          MonitorErrorCode.ScanFailed,
          `Cannot inspect ${name}: ${messageOf(err)}`,
          join(paths.incoming, name),
        );
        continue;
      }
      if (sig === null) continue;
      const t = this.files.get(name);
      if (t === undefined) {
        this.track(name, sig);
        continue;
      }
      if (t.state === 'queued') continue;
      if (sameSig(t.sig, sig)) {
        if (count) t.count++;
        if (t.state === 'detected' && count) {
          t.state = 'stabilizing';
          report.transition(name, join(paths.incoming, name), 'detected', 'stabilizing');
        }
        // A ready file is reported by the hand-over (stable, or held back by a writer).
        if (count && !this.#isReady(t)) this.observed(t, 'waiting', { reason: this.#waitReason(t) });
      } else {
        this.changed(t, sig);
      }
      if (opts.requireMarker && markers.has(name) && !t.confirmed) this.#scheduleConfirm(t);
    }
    this.promote();
    await this.#promoteChain;
    return 'done';
  }

  /** Starts tracking a file seen for the first time (`announce`: emit its `seen` event now). */
  track(name: string, sig: Sig, announce = true): Tracked {
    const { paths, report, opts } = this.#ctx;
    const t: Tracked = {
      name,
      sig,
      count: 0,
      confirmed: false,
      aged: false,
      state: 'detected',
      readyAt: 0,
      confirmTimer: null,
      lastEventAt: 0,
      eventSig: null,
      quietTimer: null,
    };
    this.files.set(name, t);
    const path = join(paths.incoming, name);
    report.transition(name, path, null, 'detected');
    if (sig.kind !== 'other') report.operation({ operation: 'seen', name, from: path, to: path, stage: 'incoming' });
    if (sig.kind === 'other') {
      report.problem(
        MonitorErrorCode.NotAFile,
        `${name} in incoming/ is not a regular file (a directory, FIFO, socket or device); it is left where it is. Remove it or drop files only.`,
        path,
        `not-a-file:${name}:${sig.ino}`,
      );
      return t;
    }
    // Unchanged (mtime and ctime) for longer than a whole window: one confirming look is enough.
    const age = Date.now() - Math.max(sig.mtimeMs, sig.ctimeMs);
    if (sig.kind === 'file' && age >= this.#ctx.windowMs) {
      t.aged = true;
      this.#scheduleConfirm(t);
    }
    if (opts.requireMarker && this.#markers.has(name)) this.#scheduleConfirm(t);
    if (announce) this.observed(t, 'seen');
    return t;
  }

  /** Emits a `stability` event about `t` (nothing for directories and other non-files). */
  observed(t: Tracked, kind: StabilityEvent['kind'], details?: WaitDetails): void {
    if (t.sig.kind === 'other') return;
    const { rule, checks, required, readyInMs } = this.#progress(t);
    const blocked = details?.reason === 'open-for-writing' || details?.reason === 'waiting-for-marker';
    this.#ctx.report.emit('stability', {
      kind,
      name: t.name,
      path: join(this.#ctx.paths.incoming, t.name),
      size: t.sig.size,
      mtimeMs: t.sig.mtimeMs,
      rule,
      checks,
      required,
      ...(details === undefined ? {} : { reason: details.reason }),
      ...(details?.changes === undefined ? {} : { changes: details.changes }),
      ...(details?.writers === undefined ? {} : { writers: details.writers }),
      readyInMs: kind === 'stable' ? 0 : blocked ? null : readyInMs,
      at: new Date(),
    });
  }

  /** The rule `t` waits under, its unchanged observations so far, how many it needs and about how long that takes. */
  #progress(t: Tracked): { rule: StabilityRule; checks: number; required: number; readyInMs: number | null } {
    const { opts } = this.#ctx;
    const confirmMs = Math.min(opts.intervalMs, CONFIRM_MAX_MS);
    if (opts.requireMarker && t.sig.kind !== 'symlink') {
      const checks = t.confirmed || t.count >= 1 ? 1 : 0;
      return { rule: 'marker', checks, required: 1, readyInMs: this.#markers.has(t.name) ? confirmMs : null };
    }
    if (t.aged && (t.confirmTimer !== null || t.confirmed)) {
      return { rule: 'aged', checks: t.confirmed ? 1 : 0, required: 1, readyInMs: t.confirmed ? 0 : confirmMs };
    }
    if (t.eventSig !== null && (t.quietTimer !== null || t.confirmed)) {
      const quietIn = Math.max(0, t.lastEventAt + opts.watchQuietMs - Date.now());
      return { rule: 'watch', checks: t.confirmed ? 1 : 0, required: 1, readyInMs: t.confirmed ? 0 : quietIn };
    }
    const required = opts.stabilityChecks;
    const checks = Math.min(t.count, required);
    return { rule: 'polling', checks, required, readyInMs: (required - checks) * opts.intervalMs };
  }

  #waitReason(t: Tracked): WaitReason {
    const marker = this.#ctx.opts.requireMarker && t.sig.kind !== 'symlink';
    return marker && !this.#markers.has(t.name) ? 'waiting-for-marker' : 'unchanged';
  }

  /** Stops tracking a file (gone, or handed on). */
  forget(t: Tracked): void {
    this.#clearTimers(t);
    if (this.files.get(t.name) === t) this.files.delete(t.name);
  }

  /** The file changed (or must be looked at again): its window starts again. */
  changed(t: Tracked, sig: Sig): void {
    const changes = changesOf(t.sig, sig);
    t.sig = sig;
    t.count = 0;
    t.confirmed = false;
    if (changes.length > 0) this.observed(t, 'waiting', { reason: 'changed', changes });
  }

  /** Clears every file's timers (nothing is observed after this). */
  clearTimers(): void {
    for (const t of this.files.values()) this.#clearTimers(t);
  }

  #clearTimers(t: Tracked): void {
    if (t.confirmTimer !== null) clearTimeout(t.confirmTimer);
    if (t.quietTimer !== null) clearTimeout(t.quietTimer);
    t.confirmTimer = null;
    t.quietTimer = null;
  }

  #scheduleConfirm(t: Tracked): void {
    if (t.confirmTimer !== null || this.#ctx.run.closed) return;
    const delay = Math.min(this.#ctx.opts.intervalMs, CONFIRM_MAX_MS);
    t.confirmTimer = setTimeout(() => {
      t.confirmTimer = null;
      void this.#confirm(t);
    }, delay);
  }

  async #confirm(t: Tracked): Promise<void> {
    if (this.files.get(t.name) !== t || t.state === 'queued' || this.#ctx.run.closed) return;
    try {
      const sig = await observe(join(this.#ctx.paths.incoming, t.name));
      if (sig === null) {
        this.forget(t);
        return;
      }
      if (sameSig(sig, t.sig)) {
        t.confirmed = true;
        this.promote();
      } else {
        this.changed(t, sig);
      }
    } catch (err) {
      this.#ctx.report.problem(MonitorErrorCode.ScanFailed, `Cannot inspect ${t.name}: ${messageOf(err)}`);
    }
  }

  #isReady(t: Tracked): boolean {
    if (t.state === 'queued' || t.sig.kind === 'other') return false;
    const stable = t.count >= this.#ctx.opts.stabilityChecks || t.confirmed;
    if (t.sig.kind === 'symlink' || !this.#ctx.opts.requireMarker) return stable;
    return this.#markers.has(t.name) && (t.confirmed || t.count >= 1);
  }

  /** Hands ready files to the queue, after one batched check for processes writing them. */
  promote(): void {
    this.#promoteChain = this.#promoteChain
      .then(() => this.#promoteNow())
      .catch((err: unknown) => {
        this.#ctx.report.problem(MonitorErrorCode.ScanFailed, `Checking ready files failed: ${messageOf(err)}`);
      });
  }

  async #promoteNow(): Promise<void> {
    const { run, paths, report, log, queue } = this.#ctx;
    if (run.closed) return;
    const ready = [...this.files.values()].filter((t) => this.#isReady(t));
    if (ready.length === 0) return;
    const regular = ready.filter((t) => t.sig.kind === 'file');
    const open = await findOpenWriters(regular.map((t) => ({ dev: t.sig.dev, ino: t.sig.ino })));
    for (const t of ready) {
      if (run.closed) return;
      if (this.files.get(t.name) !== t || !this.#isReady(t)) continue;
      const pids = t.sig.kind === 'file' ? open.writers.get(identityKey(t.sig)) : undefined;
      if (pids !== undefined) {
        t.confirmed = false;
        log.debug({ file: { name: t.name }, pids }, 'stable but still open for writing; waiting');
        this.observed(t, 'waiting', { reason: 'open-for-writing', writers: pids });
        continue;
      }
      this.observed(t, 'stable');
      const from = t.state;
      t.state = 'queued';
      t.readyAt = Date.now();
      const path = join(paths.incoming, t.name);
      report.transition(t.name, path, from === 'queued' ? 'stabilizing' : from, 'ready');
      void queue
        .add(() => this.#take(t))
        .catch((err: unknown) => {
          report.problem(
            MonitorErrorCode.MoveFailed,
            `Processing ${t.name} failed unexpectedly: ${messageOf(err)}`,
            path,
          );
        });
    }
  }
}
