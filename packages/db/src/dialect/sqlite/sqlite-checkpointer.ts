/**
 * Background WAL checkpoints for long loads.
 *
 * In WAL mode every committed page is written twice: appended to the `-wal` file at commit, then
 * copied into the database file by a checkpoint. SQLite runs that checkpoint on the connection
 * that commits once the WAL holds `wal_autocheckpoint` pages — for a load, the thread that
 * writes staging, which then stops writing while it copies and fsyncs tens of megabytes. While
 * a large load writes, this helper runs `PRAGMA wal_checkpoint(PASSIVE)` every few tens of
 * milliseconds from a worker thread with its own connection instead. A PASSIVE checkpoint never
 * waits for, blocks or interrupts readers and writers, and is crash-safe like any checkpoint
 * (https://www.sqlite.org/wal.html#checkpointing); the writer then restarts a WAL that is already
 * copied, so the automatic checkpoint rarely has work left (it stays on as the safety net).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../types.js';

/** Milliseconds between background checkpoints while a load writes. */
export const CHECKPOINT_INTERVAL_MS = 100;

// The worker is plain CommonJS run with `eval`, so the package needs no second entry point.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy (another checkpoint runs) or the file is gone: try again at the next tick
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Runs PASSIVE checkpoints on a worker thread while at least one caller holds it (see the
 * module comment). Failures to start are logged and ignored: the writer's own automatic
 * checkpoint then does the work, as it would without this helper. @internal
 */
export class BackgroundCheckpointer {
  readonly #path: string;
  readonly #logger: Logger;
  #holders = 0;
  #worker: Worker | undefined;
  #stopped: Promise<void> = Promise.resolve();

  constructor(path: string, logger: Logger) {
    this.#path = path;
    this.#logger = logger;
  }

  /** True while the worker thread runs. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts the checkpoints (if not running) for one more holder. */
  acquire(): void {
    this.#holders++;
    if (this.#worker !== undefined) return;
    let driver: string;
    try {
      driver = createRequire(import.meta.url).resolve('better-sqlite3');
    } catch (err) {
      this.#logger.debug({ err: (err as Error).message }, 'background checkpoints unavailable');
      return;
    }
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, path: this.#path, intervalMs: CHECKPOINT_INTERVAL_MS },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    worker.unref();
    worker.on('error', (err) => {
      this.#logger.warn({ err: err.message }, 'background checkpoints stopped; the writer checkpoints itself');
    });
    this.#stopped = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.once('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
    });
    this.#worker = worker;
  }

  /** One holder is done; the worker stops when none is left. */
  release(): void {
    if (this.#holders === 0) return;
    this.#holders--;
    if (this.#holders === 0) this.#stop();
  }

  /** Stops the worker whatever the holders, and waits until its connection is closed. */
  async close(): Promise<void> {
    this.#holders = 0;
    this.#stop();
    await this.#stopped;
  }

  #stop(): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    // Keep the process up until the worker has closed its connection (a few milliseconds).
    worker.ref();
    worker.postMessage('stop');
  }
}
