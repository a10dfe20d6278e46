/**
 * Runs the handler on a claimed file: records `processing`, renews the lease while the handler
 * works, turns what it returned (or threw) into an outcome, puts a file cancelled by stop back
 * in line, and hands the outcome to the {@link Settler}.
 */
import { type MonitorContext, messageOf } from './context.js';
import { isMonitorError, MonitorError, MonitorErrorCode } from './errors.js';
import type { Settler } from './settler.js';
import { observe, type Sig, sameContent } from './signature.js';
import type { Claim, ClaimedFile, HandlerResult, LifecycleState } from './types.js';

/** A claimed file on its way to the handler. */
export interface Job {
  readonly claim: Claim;
  readonly name: string;
  readonly seenPath: string;
  readonly processingPath: string;
  readonly sig: Sig;
  /** Local time just before the claim was requested: the lease is counted from here (never from the store's clock). */
  readonly claimedAt: number;
}

/** A claimed file whose handler is running (or whose final move is under way). */
export interface InFlight {
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

type FailedResult = Extract<HandlerResult, { state: 'failed' }>;

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

function failureOf(err: unknown): FailedResult {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    state: 'failed',
    error: {
      code: typeof code === 'string' && code !== '' ? code : MonitorErrorCode.HandlerFailed,
      message: messageOf(err) || 'The handler failed without a message.',
    },
  };
}

/** Runs handlers and keeps their leases alive. */
export class Runner {
  readonly #ctx: MonitorContext;
  readonly #settler: Settler;
  /** Files being processed, by file id. */
  readonly #inFlight = new Map<number, InFlight>();

  constructor(ctx: MonitorContext, settler: Settler) {
    this.#ctx = ctx;
    this.#settler = settler;
  }

  /** Files being processed now. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** Whether the file with this id is being processed here. */
  has(fileId: number): boolean {
    return this.#inFlight.has(fileId);
  }

  /** Aborts every handler's signal with `reason`. */
  abortAll(reason: MonitorError): void {
    for (const entry of this.#inFlight.values()) entry.controller.abort(reason);
  }

  /** Handlers ignoring the abort: stop renewing their leases so another start takes the files over. */
  abandonAll(): void {
    for (const entry of this.#inFlight.values()) {
      entry.lost = true;
      entry.abandoned = true;
      if (entry.timer !== null) clearInterval(entry.timer);
      entry.timer = null;
    }
  }

  /** Processes a claimed file from `from` (null: re-claimed) to its end. */
  async run(job: Job, from: LifecycleState | null): Promise<void> {
    const { store, report, opts } = this.#ctx;
    const { claim, name, processingPath } = job;
    const entry: InFlight = {
      claim,
      controller: new AbortController(),
      leaseUntil: job.claimedAt + opts.leaseMs,
      lost: false,
      abandoned: false,
      beating: false,
      timer: null,
    };
    this.#inFlight.set(claim.fileId, entry);
    entry.timer = setInterval(() => void this.#beat(entry), Math.max(10, Math.floor(opts.leaseMs / 3)));
    try {
      report.transition(name, processingPath, from, 'claimed', claim.fileId);
      try {
        await store.transition(claim, 'processing', { path: processingPath });
      } catch (err) {
        report.problem(MonitorErrorCode.StoreFailed, `Recording that ${name} is processing failed: ${messageOf(err)}`);
      }
      report.transition(name, processingPath, 'claimed', 'processing', claim.fileId);
      const handed = (await observe(processingPath).catch(() => null)) ?? job.sig;
      const settled = await this.#handle(entry, job, handed);
      if (settled === null) return;
      const { outcome } = settled;
      const after = await observe(processingPath).catch(() => null);
      if (after === null) {
        report.problem(
          MonitorErrorCode.FileVanished,
          `${name} disappeared from processing/ while it was processed; only its record and sidecars remain.`,
          processingPath,
        );
      } else if (!sameContent(after, handed)) {
        report.problem(
          MonitorErrorCode.FileChanged,
          `${name} changed while it was processed (size ${handed.size} → ${after.size}); its outcome (${outcome.state}) reflects the bytes read. Make writers finish before the file appears in incoming/ (write NAME.tmp and rename, or use a NAME.done marker) and drop it again if needed.`,
          processingPath,
        );
      }
      await this.#settler.settle(entry, job, outcome, after !== null);
    } finally {
      if (entry.timer !== null) clearInterval(entry.timer);
      entry.timer = null;
      this.#inFlight.delete(claim.fileId);
    }
  }

  /** Calls the handler (or refuses a link or special file); null when the file is not ours to settle. */
  async #handle(entry: InFlight, job: Job, handed: Sig): Promise<{ outcome: HandlerResult } | null> {
    const { claim, name, processingPath } = job;
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
        result = await this.#ctx.opts.handler(file, { signal: entry.controller.signal });
      } catch (err) {
        threw = true;
        thrown = err;
      }
    }
    if (entry.abandoned) {
      this.#ctx.log.warn(
        { file: { name }, fileId: claim.fileId },
        'handler returned after the monitor stopped; the file is left for the next start',
      );
      return null;
    }
    if (entry.lost) {
      this.#ctx.report.problem(
        MonitorErrorCode.ClaimLost,
        `The claim on ${name} (file ${claim.fileId}) was lost while it was processed; the file is left to the instance that holds it now.`,
        processingPath,
      );
      return null;
    }
    const reason: unknown = entry.controller.signal.reason;
    const cancelled =
      entry.controller.signal.aborted && isMonitorError(reason) && reason.code === MonitorErrorCode.Stopped;
    if (cancelled && (threw || result?.state === 'failed')) {
      await this.#release(entry, job);
      return null;
    }
    if (threw) return { outcome: failureOf(thrown) };
    if (isHandlerResult(result)) return { outcome: result };
    return {
      outcome: {
        state: 'failed',
        error: {
          code: MonitorErrorCode.HandlerResultInvalid,
          message: `The handler returned ${JSON.stringify(result) ?? String(result)} instead of { state: 'archived' | 'duplicate' | 'held' | 'failed' }; fix the handler.`,
        },
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
    const leaseMs = this.#ctx.opts.leaseMs;
    try {
      const ok = await this.#ctx.store.heartbeat(entry.claim, leaseMs);
      if (ok) entry.leaseUntil = sentAt + leaseMs;
      else this.#lose(entry, 'the store no longer recognises the claim');
    } catch (err) {
      this.#ctx.report.problem(
        MonitorErrorCode.StoreFailed,
        `Heartbeat for file ${entry.claim.fileId} failed: ${messageOf(err)}`,
      );
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

  /** A cancelled file stays in `processing/` and its lease is cut short, so it is reclaimed at once. */
  async #release(entry: InFlight, job: Job): Promise<void> {
    if (entry.timer !== null) clearInterval(entry.timer);
    entry.timer = null;
    try {
      await this.#ctx.store.transition(entry.claim, 'ready', { path: job.processingPath });
      await this.#ctx.store.heartbeat(entry.claim, 1);
    } catch (err) {
      this.#ctx.report.problem(
        MonitorErrorCode.StoreFailed,
        `Releasing the claim on ${job.name} failed (${messageOf(err)}); it is taken over when its lease expires.`,
      );
    }
    this.#ctx.report.transition(job.name, job.processingPath, 'processing', 'ready', entry.claim.fileId);
    this.#ctx.report.operation({
      operation: 'released',
      reason: 'cancelled',
      name: job.name,
      fileId: entry.claim.fileId,
      from: job.processingPath,
      to: job.processingPath,
      stage: 'processing',
    });
    this.#ctx.log.info({ file: { name: job.name }, fileId: entry.claim.fileId }, 'cancelled; back in line');
  }
}
