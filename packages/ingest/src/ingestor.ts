/**
 * The facade other teams import: `createIngestor` and the `Ingestor` (queue, one table at a time,
 * typed events, close), which hands each file to `loadFile`.
 */
import { basename } from 'node:path';
import type { Database, Logger } from '@refdata/db';
import type { FormatInfo, FormatOverrides } from '@refdata/detect';
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import { defaultWorkerUrl } from './batch-source.js';
import { IngestError, IngestErrorCode, isIngestError } from './errors.js';
import { detectFile, type IngestContext, loadFile, type ResolvedSettings } from './file-load.js';
import { PendingIngestion } from './pending-ingestion.js';
import { resolveCallSettings, resolveIngestorSettings } from './settings.js';
import { tableNameFromFile } from './table-name.js';
import type { IngestHandle, IngestOptions, IngestorEvents, IngestorOptions, IngestResult } from './types.js';

const noop = (): void => {};
const NOOP_LOGGER: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => NOOP_LOGGER };

/**
 * Loads CSV files into reference tables: streaming, exact, validated, observable and cancellable.
 * Create one with {@link createIngestor}. Files run {@link IngestorOptions.concurrency} at a
 * time, but two files for one table are always applied one after the other, in call order.
 *
 * Events (typed, see {@link IngestorEvents}): `started`, `progress`, `batch`, `rejected`,
 * `completed`, `failed`, `cancelled`. Failures are also reported by the rejected promise of
 * {@link Ingestor.ingest} — eventemitter3 drops an `error` event nobody listens to, so none is emitted.
 *
 * @example
 * ```ts
 * const ingestor = createIngestor({ db });
 * ingestor.on('failed', ({ file, error }) => log.error({ file, code: error.code }, error.message));
 * const result = await ingestor.ingest('drop/currencies.csv', { mode: 'replace' });
 * await ingestor.close();
 * ```
 */
export class Ingestor extends EventEmitter<IngestorEvents> {
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #settings: ResolvedSettings;
  readonly #queue: PQueue;
  readonly #workerUrl: URL | undefined;
  readonly #tables = new Map<string, Promise<void>>();
  readonly #jobs = new Set<PendingIngestion>();
  #closed = false;

  /** Prefer {@link createIngestor}. Validates the options eagerly (`INGEST_OPTIONS_INVALID`). */
  constructor(options: IngestorOptions) {
    super();
    if (typeof options !== 'object' || options === null || typeof options.db?.beginLoad !== 'function') {
      throw new IngestError(
        IngestErrorCode.OPTIONS_INVALID,
        'createIngestor needs { db }: a Database from openDatabase() of @refdata/db.',
      );
    }
    const settings = resolveIngestorSettings(options);
    this.#db = options.db;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#settings = settings;
    this.#queue = new PQueue({ concurrency: settings.concurrency });
    if (options.parseInWorker !== undefined && typeof options.parseInWorker !== 'boolean') {
      throw new IngestError(
        IngestErrorCode.OPTIONS_INVALID,
        `Option parseInWorker must be true or false; got ${JSON.stringify(options.parseInWorker)}.`,
      );
    }
    this.#workerUrl = options.parseInWorker === false ? undefined : defaultWorkerUrl();
  }

  /** Ingestions started and not yet settled (queued or running). */
  get pending(): number {
    return this.#jobs.size;
  }

  /** True when parsing runs on a worker thread (the built package; sources parse inline). */
  get parsesInWorker(): boolean {
    return this.#workerUrl !== undefined;
  }

  /**
   * Detects the format of a file (encoding, dialect, header, column types) with this ingestor's
   * type-inference settings, reading only a bounded sample.
   *
   * @throws {@link IngestError} `INGEST_FORMAT_UNDETECTABLE` (the detect error is the `cause`,
   * its code in `causeCode`) or `INGEST_FILE_UNREADABLE`.
   *
   * @example
   * ```ts
   * const format = await ingestor.detect('units.csv', { delimiter: ';' });
   * console.log(format.columns.map((c) => `${c.name}: ${c.type.kind}`));
   * ```
   */
  async detect(file: string, overrides?: FormatOverrides): Promise<FormatInfo> {
    this.#assertOpen();
    return detectFile(file, { overrides, settings: this.#settings });
  }

  /**
   * Starts loading `file`. The returned handle is awaitable for the {@link IngestResult} and
   * async-iterable for {@link IngestProgress} events (at least every
   * `progressIntervalSeconds` and once at the end, `done: true`); `handle.cancel()` or
   * `options.signal` stops it and leaves the table unchanged (`INGEST_CANCELLED`).
   *
   * The result's status is `loaded`, `duplicate` (same content already loaded into the table;
   * nothing changed) or `held` (a destructive replace the guard held; pass `force: true`).
   * Failures reject with an {@link IngestError}; the table is then unchanged.
   *
   * @example
   * ```ts
   * const job = ingestor.ingest('drop/processing/42--currencies.csv', { fileId: 42, maxErrors: 10 });
   * for await (const p of job) console.log(`${p.rowsRead} rows, ${p.rowsPerSecond}/s, ETA ${p.etaSeconds}s`);
   * const result = await job;
   * if (result.rejectsCsv) await writeFile('currencies.csv.rejects.csv', result.rejectsCsv);
   * ```
   */
  ingest(file: string, options: IngestOptions = {}): IngestHandle {
    const controller = new AbortController();
    let table = '';
    let settings: ResolvedSettings | undefined;
    let setupError: unknown;
    try {
      this.#assertOpen();
      if (typeof file !== 'string' || file === '') {
        throw new IngestError(IngestErrorCode.OPTIONS_INVALID, 'ingest() needs the path of a file.');
      }
      settings = resolveCallSettings(this.#settings, options);
      table = options.table ?? tableNameFromFile(options.sourceName ?? basename(file));
    } catch (err) {
      setupError = err;
    }

    const external = options.signal;
    const onExternalAbort = (): void => controller.abort(external?.reason);
    if (external?.aborted) controller.abort(external.reason);
    else external?.addEventListener('abort', onExternalAbort, { once: true });

    const job: PendingIngestion = new PendingIngestion(
      file,
      table,
      async (publish, live) => {
        try {
          if (settings === undefined) throw setupError;
          const request = { file, table, options, settings, signal: controller.signal, publish, live };
          return await this.#schedule(table, controller.signal, file, () => loadFile(this.#context(), request));
        } finally {
          external?.removeEventListener('abort', onExternalAbort);
        }
      },
      (reason) => controller.abort(new Error(reason ?? 'cancelled by the caller')),
    );
    this.#jobs.add(job);
    const forget = (): void => {
      this.#jobs.delete(job);
    };
    job.then(forget, forget);
    return job;
  }

  /**
   * Stops accepting new files and waits for every queued and running ingestion to settle.
   * Does not close the database (it belongs to the caller). Safe to call more than once.
   *
   * @example
   * ```ts
   * await ingestor.close();
   * await db.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#jobs].map((job) => Promise.resolve(job)));
    await this.#queue.onIdle();
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new IngestError(
        IngestErrorCode.CLOSED,
        'This ingestor was closed; create a new one with createIngestor().',
      );
    }
  }

  #context(): IngestContext {
    return { db: this.#db, logger: this.#logger, events: this, workerUrl: this.#workerUrl };
  }

  /** Waits for the table's previous ingestion, then for a free slot, then runs `task`. */
  async #schedule(
    table: string,
    signal: AbortSignal,
    file: string,
    task: () => Promise<IngestResult>,
  ): Promise<IngestResult> {
    const key = table.toLowerCase();
    const previous = this.#tables.get(key) ?? Promise.resolve();
    let release = noop;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tables.set(key, tail);
    let started = false;
    try {
      return await new Promise<IngestResult>((resolve, reject) => {
        const cancelWhileQueued = (): void => {
          if (!started) reject(cancelledBeforeStart(file, table, signal));
        };
        if (signal.aborted) return cancelWhileQueued();
        signal.addEventListener('abort', cancelWhileQueued, { once: true });
        previous
          .then(() =>
            this.#queue.add(async () => {
              if (signal.aborted) throw cancelledBeforeStart(file, table, signal);
              started = true;
              return task();
            }),
          )
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', cancelWhileQueued));
      });
    } catch (err) {
      if (!started && isIngestError(err) && err.code === IngestErrorCode.CANCELLED) {
        this.emit('cancelled', { file, table });
      }
      throw err;
    } finally {
      release();
      if (this.#tables.get(key) === tail) this.#tables.delete(key);
    }
  }
}

function cancelledBeforeStart(file: string, table: string, signal: AbortSignal): IngestError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
  return new IngestError(
    IngestErrorCode.CANCELLED,
    `Ingestion of ${basename(file)} was cancelled before it started (${why}); nothing was loaded.`,
    {
      file,
      table,
      cause: reason,
    },
  );
}

/**
 * Creates an {@link Ingestor} over an open database (call `db.migrate()` first). The database
 * stays the caller's: close the ingestor, then the database.
 *
 * Settings (the seed's names in parentheses; an application maps its configuration to them, see
 * {@link INGEST_LIMITS} for ranges and defaults): `batchSize` (INGEST_BATCH_SIZE, 990),
 * `progressIntervalSeconds` (INGEST_PROGRESS_INTERVAL, 5), `typeInference` (INGEST_TYPE_INFERENCE,
 * true), `typeSampleRows` (INGEST_TYPE_SAMPLE_ROWS, 1000).
 *
 * @throws {@link IngestError} `INGEST_OPTIONS_INVALID` for a missing db or an out-of-range option.
 *
 * @example
 * ```ts
 * import { openDatabase } from '@refdata/db';
 * import { createIngestor } from '@refdata/ingest';
 *
 * const db = await openDatabase('sqlite:./data/refdata.db');
 * await db.migrate();
 * const ingestor = createIngestor({ db, concurrency: 2 });
 * const result = await ingestor.ingest('currencies_20250101.csv', { maxErrors: 0 });
 * console.log(result.status, result.table, result.rowsLoaded); // loaded currencies 180
 * await ingestor.close();
 * await db.close();
 * ```
 */
export function createIngestor(options: IngestorOptions): Ingestor {
  return new Ingestor(options);
}
