/**
 * The end of a file's processing: writes its sidecars (and `NAME.error.json` for a failure),
 * records the end in the store and moves the file into `archive/`, `failed/` or `held/` under
 * a name that never collides; keeps the counts of settled files.
 */
import { lstat, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type MonitorContext, messageOf } from './context.js';
import { isMonitorError, MonitorErrorCode } from './errors.js';
import { errnoCode, removeFile, writeFileAtomic } from './fs-ops.js';
import { finalName, isSafeSidecarSuffix } from './names.js';
import type { InFlight, Job } from './runner.js';
import { stageOf } from './stages.js';
import type { Claim, HandlerResult, Sidecar, TerminalState } from './types.js';

const SIDECAR_MODE = 0o640;

/** Moves handled files into their final folder and counts them. */
export class Settler {
  readonly #ctx: MonitorContext;
  readonly #counts = { archived: 0, failed: 0, duplicate: 0, held: 0 };
  #lastSuccessAt: Date | null = null;

  constructor(ctx: MonitorContext) {
    this.#ctx = ctx;
  }

  /** Files settled since creation, by terminal state. */
  counts(): Readonly<Record<TerminalState, number>> {
    return { ...this.#counts };
  }

  /** When the last file that did not fail settled. */
  get lastSuccessAt(): Date | null {
    return this.#lastSuccessAt;
  }

  /** Writes sidecars, records the end and moves the file into its final folder. */
  async settle(entry: InFlight, job: Job, outcome: HandlerResult, fileExists: boolean): Promise<void> {
    const { store, report } = this.#ctx;
    const { claim, name, processingPath } = job;
    const state: TerminalState = outcome.state;
    const stage = stageOf(state);
    const dir = this.#ctx.paths[stage];
    const at = new Date();
    const final = await this.#freeFinalName(dir, name, at, claim);
    const finalPath = join(dir, final);
    const written = await this.#writeSidecars(finalPath, name, final, claim, at, outcome);
    const details =
      outcome.state === 'failed'
        ? { path: finalPath, error: { code: outcome.error.code, message: outcome.error.message } }
        : { path: finalPath };
    const unwrite = async (): Promise<void> => {
      for (const path of written) {
        if (!(await removeFile(path))) continue;
        const { fileId } = claim;
        report.operation({ operation: 'removed', reason: 'sidecar-undone', name, fileId, from: path, to: null, stage });
      }
    };
    const moved = (): void => {
      report.operation({
        operation: 'moved',
        reason: 'settle',
        name,
        fileId: claim.fileId,
        from: processingPath,
        to: finalPath,
        stage,
      });
    };
    if (entry.lost) {
      await unwrite();
      return;
    }
    if (typeof store.lookup === 'function') {
      // Record first: a crash before the rename is completed from the record on recovery.
      try {
        await store.finish(claim, state, details);
      } catch (err) {
        await unwrite();
        report.problem(
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
          report.problem(
            MonitorErrorCode.MoveFailed,
            `Cannot move ${name} to ${stage}/: ${messageOf(err)}. The move is completed on the next recovery.`,
            processingPath,
          );
          return;
        }
        moved();
      }
    } else {
      if (fileExists) {
        try {
          await rename(processingPath, finalPath);
        } catch (err) {
          await unwrite();
          report.problem(
            MonitorErrorCode.MoveFailed,
            `Cannot move ${name} to ${stage}/: ${messageOf(err)}. It stays in processing/ and is processed again once its lease expires.`,
            processingPath,
          );
          return;
        }
        moved();
      }
      try {
        await store.finish(claim, state, details);
      } catch (err) {
        report.problem(
          MonitorErrorCode.StoreFailed,
          `${name} is in ${stage}/ but recording its end failed: ${messageOf(err)}.`,
          finalPath,
        );
      }
    }
    this.recordSettled(name, finalPath, state, claim.fileId, outcome);
  }

  /** Writes the handler's (valid) sidecars and the error report beside `finalPath`; returns the paths written. */
  async #writeSidecars(
    finalPath: string,
    name: string,
    final: string,
    claim: Claim,
    at: Date,
    outcome: HandlerResult,
  ): Promise<string[]> {
    const { report } = this.#ctx;
    const sidecars: Sidecar[] = [];
    for (const sidecar of outcome.sidecars ?? []) {
      if (
        typeof sidecar?.suffix === 'string' &&
        isSafeSidecarSuffix(sidecar.suffix) &&
        sidecar.suffix !== '.error.json'
      ) {
        sidecars.push(sidecar);
      } else {
        report.problem(
          MonitorErrorCode.HandlerResultInvalid,
          `Sidecar suffix ${JSON.stringify(sidecar?.suffix)} for ${name} was refused: it must start with '.', hold no path separators and be at most 40 bytes.`,
        );
      }
    }
    if (outcome.state === 'failed') {
      const error = {
        code: outcome.error.code,
        message: outcome.error.message,
        time: at.toISOString(),
        file: name,
        fileId: claim.fileId,
        storedAs: final,
      };
      sidecars.push({ suffix: '.error.json', content: `${JSON.stringify(error, null, 2)}\n` });
    }
    const written: string[] = [];
    for (const sidecar of sidecars) {
      const path = finalPath + sidecar.suffix;
      try {
        await writeFileAtomic(path, sidecar.content, SIDECAR_MODE);
        written.push(path);
        const { fileId } = claim;
        report.operation({ operation: 'written', name, fileId, from: path, to: path, stage: stageOf(outcome.state) });
      } catch (err) {
        report.problem(MonitorErrorCode.MoveFailed, `Cannot write ${basename(path)}: ${messageOf(err)}`, path);
      }
    }
    return written;
  }

  /** Counts a settled file and emits `transition` and `settled`. */
  recordSettled(name: string, finalPath: string, state: TerminalState, fileId: number, outcome?: HandlerResult): void {
    this.#counts[state]++;
    if (state !== 'failed') this.#lastSuccessAt = new Date();
    const event = this.#ctx.report.transition(name, finalPath, 'processing', state, fileId);
    this.#ctx.report.emit('settled', { ...event, to: state, finalPath });
    const error = outcome?.state === 'failed' ? { code: outcome.error.code } : {};
    this.#ctx.log.info({ file: { name }, fileId, state, finalPath, ...error }, 'file settled');
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
}
