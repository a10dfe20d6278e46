/**
 * Progress snapshots of one ingestion: counters turned into rows per second and an ETA from the
 * share of bytes read.
 */
import type { IngestProgress } from './types.js';

/** Counters of a running ingestion. @internal */
export interface ProgressCounters {
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  bytesRead: number;
}

/**
 * Turns counters into {@link IngestProgress} snapshots with a rate and an ETA (from the share of
 * bytes read, which is known exactly because every byte passes a counter). @internal
 */
export class ProgressMeter {
  readonly #file: string;
  readonly #table: string;
  readonly #bytesTotal: number;
  readonly #startedAt: number;

  constructor(file: string, table: string, bytesTotal: number, startedAt: number = performance.now()) {
    this.#file = file;
    this.#table = table;
    this.#bytesTotal = bytesTotal;
    this.#startedAt = startedAt;
  }

  /** Milliseconds since the ingestion started. */
  elapsedMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** A snapshot of `counters`; `done` marks the last event. */
  snapshot(counters: Readonly<ProgressCounters>, done: boolean): IngestProgress {
    const elapsedMs = this.elapsedMs();
    const seconds = elapsedMs / 1000;
    const rowsPerSecond = seconds > 0 ? Math.round(counters.rowsRead / seconds) : 0;
    let etaSeconds: number | null = null;
    if (done) etaSeconds = 0;
    else if (counters.bytesRead > 0 && seconds > 0 && this.#bytesTotal >= counters.bytesRead) {
      const bytesPerSecond = counters.bytesRead / seconds;
      etaSeconds = Math.round(((this.#bytesTotal - counters.bytesRead) / bytesPerSecond) * 10) / 10;
    }
    return {
      file: this.#file,
      table: this.#table,
      rowsRead: counters.rowsRead,
      rowsLoaded: counters.rowsLoaded,
      rowsRejected: counters.rowsRejected,
      bytesRead: counters.bytesRead,
      bytesTotal: this.#bytesTotal,
      rowsPerSecond,
      etaSeconds,
      elapsedMs: Math.round(elapsedMs),
      done,
    };
  }
}
