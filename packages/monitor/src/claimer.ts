/**
 * Claiming a ready file: the rename into a hidden pending name in `processing/` decides which
 * instance wins, the store's `claimNew()` records the claim, and the rename to
 * `processing/<fileId>--<name>` lets a restart find it. A refused or failed claim puts the file
 * back into `incoming/` without overwriting a newer file of the same name.
 */
import { readdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { leaseOf, type MonitorContext, messageOf } from './context.js';
import { MonitorErrorCode } from './errors.js';
import { errnoCode, moveNoClobber, removeFile } from './fs-ops.js';
import { markerTarget, pendingName, processingName } from './names.js';
import { findOpenWriters } from './open-writers.js';
import type { Runner } from './runner.js';
import { CONFIRM_MAX_MS, type Scanner, type Tracked } from './scanner.js';
import { observe, sameSig } from './signature.js';
import type { Claim, FileOperationReason } from './types.js';

/** Takes ready files out of `incoming/` and claims them. */
export class Claimer {
  readonly #ctx: MonitorContext;
  readonly #scanner: Scanner;
  readonly #runner: Runner;
  /** `processing/` names of pending moves (before the claim is recorded) that are ours. */
  readonly #pendingOwned = new Set<string>();

  constructor(ctx: MonitorContext, scanner: Scanner, runner: Runner) {
    this.#ctx = ctx;
    this.#scanner = scanner;
    this.#runner = runner;
  }

  /** Whether a pending name in `processing/` belongs to a move of this instance. */
  ownsPending(entry: string): boolean {
    return this.#pendingOwned.has(entry);
  }

  /** Queue task: moves a ready file out of `incoming/`, claims it and processes it. */
  async take(t: Tracked): Promise<void> {
    const { paths, store, report, log, run } = this.#ctx;
    const scanner = this.#scanner;
    const src = join(paths.incoming, t.name);
    const backInLine = (): void => {
      if (scanner.files.get(t.name) === t) t.state = 'stabilizing';
    };
    if (run.stopping) return backInLine();
    const sig = await observe(src).catch(() => undefined);
    if (sig === undefined) return backInLine();
    if (sig === null) return scanner.forget(t);
    if (!sameSig(sig, t.sig)) {
      scanner.changed(t, sig);
      return backInLine();
    }
    if (sig.kind === 'file' && Date.now() - t.readyAt > CONFIRM_MAX_MS) {
      // It waited in the queue: make sure no writer opened it meanwhile.
      const open = await findOpenWriters([{ dev: sig.dev, ino: sig.ino }]);
      if (open.writers.size > 0) {
        scanner.changed(t, sig);
        scanner.observed(t, 'waiting', { reason: 'open-for-writing', writers: [...open.writers.values()].flat() });
        return backInLine();
      }
    }
    const pending = pendingName(t.name, Date.now());
    const pendingPath = join(paths.processing, pending);
    this.#pendingOwned.add(pending);
    try {
      await rename(src, pendingPath);
    } catch (err) {
      this.#pendingOwned.delete(pending);
      if (errnoCode(err) === 'ENOENT') {
        // Taken by another instance or removed between scan and claim.
        log.debug({ file: { name: t.name } }, 'file vanished before it was claimed');
        return scanner.forget(t);
      }
      report.problem(
        MonitorErrorCode.MoveFailed,
        `Cannot move ${t.name} from incoming/ to processing/: ${messageOf(err)}. Check folder permissions; retrying after the next stability window.`,
        src,
      );
      scanner.changed(t, sig);
      return backInLine();
    }
    scanner.forget(t);
    report.operation({
      operation: 'moved',
      reason: 'claim',
      name: t.name,
      from: src,
      to: pendingPath,
      stage: 'processing',
    });
    let claim: Claim | null;
    const claimedAt = Date.now();
    try {
      claim = await store.claimNew(
        { path: src, name: t.name, size: sig.size, mtimeMs: sig.mtimeMs },
        leaseOf(this.#ctx),
      );
    } catch (err) {
      report.problem(
        MonitorErrorCode.StoreFailed,
        `Claiming ${t.name} failed: ${messageOf(err)}. The file is put back into incoming/ and tried again.`,
        src,
      );
      await this.putBack(pendingPath, src, pending, 'claim-failed');
      return;
    }
    if (claim === null) {
      log.debug({ file: { name: t.name } }, 'another instance holds a claim for this path; putting it back');
      await this.putBack(pendingPath, src, pending, 'claim-refused');
      return;
    }
    const { fileId } = claim;
    report.operation({
      operation: 'claimed',
      name: t.name,
      fileId,
      from: pendingPath,
      to: pendingPath,
      stage: 'processing',
    });
    const processingPath = join(paths.processing, processingName(claim.fileId, t.name));
    let moved: 'moved' | 'exists';
    try {
      moved = await moveNoClobber(pendingPath, processingPath);
    } catch (err) {
      this.#pendingOwned.delete(pending);
      report.problem(
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
      log.info({ file: { name: t.name }, fileId: claim.fileId }, 'claim belongs to an abandoned file in processing/');
      await this.putBack(pendingPath, src, pending, 'abandoned-first');
      const sig = await observe(processingPath).catch(() => null);
      if (sig === null) return;
      const at = processingPath;
      report.operation({ operation: 'claimed', name: t.name, fileId, from: at, to: at, stage: 'processing' });
      await this.#runner.run({ claim, name: t.name, seenPath: src, processingPath, sig, claimedAt }, null);
      return;
    }
    this.#pendingOwned.delete(pending);
    report.operation({
      operation: 'moved',
      reason: 'claim',
      name: t.name,
      fileId,
      from: pendingPath,
      to: processingPath,
      stage: 'processing',
    });
    await this.#removeMarkers(t.name);
    await this.#runner.run({ claim, name: t.name, seenPath: src, processingPath, sig, claimedAt }, 'ready');
  }

  /** Moves a pending file back to `incoming/` without overwriting a newer file of the same name. */
  async putBack(pendingPath: string, dst: string, pending: string, reason: FileOperationReason): Promise<void> {
    try {
      const outcome = await moveNoClobber(pendingPath, dst);
      if (outcome === 'moved') {
        const name = basename(dst);
        this.#ctx.report.operation({ operation: 'moved', reason, name, from: pendingPath, to: dst, stage: 'incoming' });
      } else {
        this.#ctx.log.info(
          { file: { name: basename(dst) } },
          'a newer file took the name; retrying the move back later',
        );
      }
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        this.#ctx.report.problem(
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
    if (!this.#scanner.markers.has(name)) return;
    const incoming = this.#ctx.paths.incoming;
    const entries = await readdir(incoming).catch(() => [] as string[]);
    for (const entry of entries) {
      if (markerTarget(entry) !== name) continue;
      const path = join(incoming, entry);
      const removed = await removeFile(path);
      if (removed) {
        this.#ctx.report.operation({
          operation: 'removed',
          reason: 'marker',
          name,
          from: path,
          to: null,
          stage: 'incoming',
        });
      }
    }
  }
}
