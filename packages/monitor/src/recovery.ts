/**
 * Recovery on every scan: files in `processing/` whose lease expired are re-claimed and
 * processed again from scratch, ended files are moved on from their record (roll-forward), and
 * the leftovers of a crashed instance (old pending moves, files without a claim id, the second
 * name of an interrupted no-clobber move, temporary files in any stage) go back or away.
 */
import { lstat, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Claimer } from './claimer.js';
import { leaseOf, type MonitorContext, messageOf } from './context.js';
import { MonitorErrorCode } from './errors.js';
import { errnoCode, isBeingWritten, removeFile } from './fs-ops.js';
import { finalName, isIgnoredName, isTempName, parsePendingName, parseProcessingName } from './names.js';
import type { Runner } from './runner.js';
import type { Settler } from './settler.js';
import { observe, type Sig } from './signature.js';
import { stageOf } from './stages.js';
import { type Claim, type ClaimRecord, type LifecycleState, STAGES, type Stage, type TerminalState } from './types.js';

const TERMINAL: ReadonlySet<LifecycleState> = new Set<LifecycleState>(['archived', 'failed', 'duplicate', 'held']);
/** Stage folders are listed for temporary files at the first pass after a start, then this often. */
const TEMP_SWEEP_EVERY_MS = 10 * 60_000;

/** Looks after what crashed or stopped instances left in `processing/`. */
export class Recovery {
  readonly #ctx: MonitorContext;
  readonly #runner: Runner;
  readonly #settler: Settler;
  readonly #claimer: Claimer;
  /** File ids whose re-claim is queued or running. */
  readonly #recovering = new Set<number>();
  /** File ids not to try again before a time (the store refused or failed). */
  readonly #reclaimNotBefore = new Map<number, number>();

  constructor(ctx: MonitorContext, runner: Runner, settler: Settler, claimer: Claimer) {
    this.#ctx = ctx;
    this.#runner = runner;
    this.#settler = settler;
    this.#claimer = claimer;
  }

  /** When the stage folders are next listed for temporary files (0: at the next pass). */
  #nextSweepAt = 0;
  /** Temporary files seen too young to remove, with their stage: looked at again on every pass. */
  readonly #youngTemps = new Map<string, Stage>();

  /** Lists every stage folder for leftover temporary files on the next pass (called at start). */
  sweepSoon(): void {
    this.#nextSweepAt = 0;
  }

  /** Re-claims are queued or running. */
  get busy(): boolean {
    return this.#recovering.size > 0;
  }

  /** One pass over `processing/`. */
  async recover(): Promise<void> {
    const { paths, report, queue, opts, log, run } = this.#ctx;
    if (run.closed) return;
    let entries: string[];
    try {
      entries = await readdir(paths.processing);
    } catch (err) {
      report.problem(MonitorErrorCode.ScanFailed, `Cannot list ${paths.processing}: ${messageOf(err)}`);
      return;
    }
    const now = Date.now();
    await this.#sweepTemporaries(now);
    const present = new Set(entries.map((e) => parseProcessingName(e)?.fileId));
    for (const id of this.#reclaimNotBefore.keys()) if (!present.has(id)) this.#reclaimNotBefore.delete(id);
    for (const entry of entries) {
      if (run.closed) return;
      const parsed = parseProcessingName(entry);
      if (parsed !== null) {
        const id = parsed.fileId;
        if (this.#runner.has(id) || this.#recovering.has(id)) continue;
        if ((this.#reclaimNotBefore.get(id) ?? 0) > now) continue;
        this.#recovering.add(id);
        void queue
          .add(() => this.#recoverOne(id, parsed.name, entry), { priority: 1 })
          .catch((err: unknown) => {
            report.problem(MonitorErrorCode.StoreFailed, `Recovering ${entry} failed: ${messageOf(err)}`);
          })
          .finally(() => this.#recovering.delete(id));
        continue;
      }
      const pending = parsePendingName(entry);
      if (pending !== null) {
        if (this.#claimer.ownsPending(entry)) continue;
        const path = join(paths.processing, entry);
        const sig = await observe(path).catch(() => null);
        if (sig === null) continue;
        // Another instance may be between its move and its claim: only take over old ones.
        if (now - Math.max(pending.createdAt, sig.ctimeMs) < opts.leaseMs) continue;
        if (await this.#dropHalfMovedLink(path, sig, pending.name)) continue;
        await this.#claimer.putBack(path, join(paths.incoming, pending.name), entry, 'abandoned-pending');
        continue;
      }
      if (isIgnoredName(entry)) continue;
      // No id: put here by hand or by an older tool. Taken back like a new file.
      const path = join(paths.processing, entry);
      const sig = await observe(path).catch(() => null);
      if (sig === null) continue;
      if (sig.kind === 'other') {
        report.problem(
          MonitorErrorCode.NotAFile,
          `${entry} in processing/ is not a regular file and carries no claim id; move it away.`,
          path,
          `processing-other:${entry}`,
        );
        continue;
      }
      log.info({ file: { name: entry } }, 'file without a claim id in processing/; moving it back to incoming/');
      await this.#claimer.putBack(path, join(paths.incoming, entry), '', 'no-claim-id');
    }
  }

  /**
   * Removes the temporary files of atomic writes (sidecars) that a crash left in any stage folder:
   * names of the monitor's own pattern only ({@link isTempName}), regular files only, and only
   * once unchanged for a whole lease (mtime and ctime), so a write of another live instance is
   * never cut short. A file this process is writing is never touched.
   */
  async #sweepTemporaries(now: number): Promise<void> {
    const { paths, opts, log, report } = this.#ctx;
    const candidates = new Map(this.#youngTemps);
    this.#youngTemps.clear();
    if (now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + Math.max(TEMP_SWEEP_EVERY_MS, opts.leaseMs);
      for (const stage of STAGES) {
        const entries = await readdir(paths[stage]).catch(() => [] as string[]);
        for (const entry of entries) if (isTempName(entry)) candidates.set(join(paths[stage], entry), stage);
      }
    }
    for (const [path, stage] of candidates) {
      if (this.#ctx.run.closed) return;
      if (isBeingWritten(path)) {
        this.#youngTemps.set(path, stage);
        continue;
      }
      const sig = await observe(path).catch(() => null);
      if (sig === null || sig.kind !== 'file') continue;
      if (now - Math.max(sig.mtimeMs, sig.ctimeMs) < opts.leaseMs) {
        this.#youngTemps.set(path, stage);
        continue;
      }
      try {
        await unlink(path);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') {
          report.problem(
            MonitorErrorCode.MoveFailed,
            `Cannot remove the temporary file ${path} left by a crash: ${messageOf(err)}. Remove it by hand.`,
            path,
            `temp:${path}`,
          );
        }
        continue;
      }
      log.info({ file: { name: basename(path) }, path }, 'removed a temporary file left by a crash');
      const name = basename(path);
      report.operation({ operation: 'removed', reason: 'temporary-file', name, from: path, to: null, stage });
    }
  }

  /**
   * Moves without overwriting are a hard link followed by an unlink of the old name, so a crash
   * between the two leaves a pending name beside the file's other name in `incoming/` or
   * `processing/`. The pending name is always the transient one: drop it, and the file is where
   * the move left it (not yet moved, moved, or already settled). A pending file whose other link
   * lies outside the stages (a user's own hard link) is kept. Only runs for such rare leftovers.
   */
  async #dropHalfMovedLink(path: string, sig: Sig, name: string): Promise<boolean> {
    if (sig.nlink < 2) return false;
    const { processing, incoming, archive, failed, held } = this.#ctx.paths;
    for (const dir of [processing, incoming, archive, failed, held]) {
      const entries = await readdir(dir).catch(() => [] as string[]);
      for (const entry of entries) {
        const other = join(dir, entry);
        if (other === path) continue;
        const twin = await observe(other).catch(() => null);
        if (twin === null || twin.dev !== sig.dev || twin.ino !== sig.ino) continue;
        const removed = await removeFile(path);
        this.#ctx.log.info({ file: { name: entry } }, 'removed the leftover name of a move interrupted by a crash');
        if (removed) {
          this.#ctx.report.operation({
            operation: 'removed',
            reason: 'half-moved-link',
            name,
            from: path,
            to: null,
            stage: 'processing',
          });
        }
        return true;
      }
    }
    return false;
  }

  /** Queue task: re-claims a file left in `processing/` and processes it again from scratch. */
  async #recoverOne(fileId: number, name: string, entry: string): Promise<void> {
    const { paths, store, report, log, opts, run } = this.#ctx;
    if (run.stopping) return;
    const processingPath = join(paths.processing, entry);
    const backoff = (): void => {
      this.#reclaimNotBefore.set(fileId, Date.now() + opts.intervalMs);
    };
    let claim: Claim | null;
    const claimedAt = Date.now();
    try {
      claim = await store.reclaim(fileId, leaseOf(this.#ctx));
    } catch (err) {
      backoff();
      report.problem(MonitorErrorCode.StoreFailed, `Re-claiming ${entry} failed: ${messageOf(err)}; retrying later.`);
      return;
    }
    if (claim === null) {
      if (typeof store.lookup === 'function') {
        let record: ClaimRecord | null = null;
        try {
          record = await store.lookup(fileId);
        } catch (err) {
          report.problem(MonitorErrorCode.StoreFailed, `Looking up ${entry} failed: ${messageOf(err)}`);
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
    report.operation({
      operation: 'reclaimed',
      name,
      fileId,
      from: processingPath,
      to: processingPath,
      stage: 'processing',
    });
    const sig = await observe(processingPath).catch(() => null);
    if (sig === null) {
      const message = `${name} (file ${fileId}) was no longer in processing/ when it was re-claimed; nothing to process.`;
      report.problem(MonitorErrorCode.FileVanished, message, processingPath);
      await store
        .finish(claim, 'failed', { path: processingPath, error: { code: MonitorErrorCode.FileVanished, message } })
        .catch(() => undefined);
      return;
    }
    log.info({ file: { name }, fileId }, 're-claimed after an expired lease; processing again from scratch');
    await this.#runner.run({ claim, name, seenPath: join(paths.incoming, name), processingPath, sig, claimedAt }, null);
  }

  /** The record says the file ended but it is still in `processing/`: finish the move. */
  async #rollForward(fileId: number, name: string, processingPath: string, record: ClaimRecord): Promise<void> {
    const state = record.state as TerminalState;
    const dir = this.#ctx.paths[stageOf(state)];
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
        this.#ctx.report.problem(
          MonitorErrorCode.MoveFailed,
          `Cannot complete the move of ${name}: ${messageOf(err)}`,
          processingPath,
        );
      }
      return;
    }
    this.#ctx.log.info({ file: { name }, fileId, state }, 'completed a move interrupted by a crash');
    this.#ctx.report.operation({
      operation: 'moved',
      reason: 'roll-forward',
      name,
      fileId,
      from: processingPath,
      to: target,
      stage: stageOf(state),
    });
    this.#settler.recordSettled(name, target, state, fileId);
  }
}
