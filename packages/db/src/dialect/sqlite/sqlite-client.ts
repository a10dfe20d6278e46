/**
 * The SQLite connection and its units of work: WAL mode, every write transaction `BEGIN IMMEDIATE`,
 * a short busy wait inside SQLite with an asynchronous retry loop around it, and the state every
 * part of the dialect shares (open sessions, staging left to drop, the background checkpointer).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DbError, DbErrorCode } from '../../errors.js';
import { noopLogger } from '../../logger.js';
import { abortError, type RetryClass, type RetryPolicy, sleep, withRetry } from '../../retry.js';
import type { Logger, OpenDatabaseOptions } from '../../types.js';
import { closedError } from '../shared.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import {
  isSqliteBusy,
  loadBetterSqlite3,
  type SqliteConnection,
  type SqliteConstructor,
  wrapSqliteError,
} from './sqlite-driver.js';

/** The busy wait SQLite itself does before our asynchronous retry loop takes over, in ms. */
const BUSY_SLICE_MS = 250;
/**
 * Page cache of the connection, in KiB: room for the joins and sorts of validate() and commit()
 * (duplicate keys, change summary, upsert) over large tables.
 */
export const CACHE_KIB = 65_536;
/**
 * Page cache while rows are written to staging, in KiB. Appending to a table needs only the
 * pages being filled; a larger cache would only keep pages already written (on the 1M-row
 * benchmark, peak RSS 202 MB with 64 MiB, 138 MB with 8 MiB, at the same speed).
 */
export const STAGING_CACHE_KIB = 8192;
/** Page size of databases this client creates, in bytes (SQLite's default is 4096). */
const PAGE_SIZE = 16_384;
/** The page cache size last set on each connection, in KiB. */
const cacheSizes = new WeakMap<SqliteConnection, number>();

/** Sets the page cache of `conn` to `kib` KiB unless it already has that size. */
export function useCache(conn: SqliteConnection, kib: number): void {
  if (cacheSizes.get(conn) === kib) return;
  conn.pragma(`cache_size = -${kib}`);
  cacheSizes.set(conn, kib);
}

/** How a unit of work runs. */
export interface TxOptions {
  /** BEGIN IMMEDIATE (write) instead of BEGIN (consistent read). */
  readonly write: boolean;
  /** Run with `PRAGMA synchronous = FULL` (durable commit of a replace, restore or finish). */
  readonly durable?: boolean;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One SQLite database file: its connection, units of work with busy handling and retries, and
 * the work in progress that {@link SqliteClient.close} waits for.
 */
export class SqliteClient {
  readonly conn: SqliteConnection;
  /** The path as given (or `:memory:`), for display. */
  readonly path: string;
  readonly logger: Logger;
  /** Snapshots kept per table after each load. */
  readonly keepBackups: number;
  /** Open load sessions; close() aborts them. */
  readonly sessions: Set<{ abort(): Promise<void> }> = new Set();
  /** Staging tables of this process whose drop failed (locked, disk full); dropped at the next load. */
  readonly orphans: Set<string> = new Set();
  /** WAL checkpoints off the writer's thread during large loads (none for `:memory:`). */
  readonly checkpointer: BackgroundCheckpointer | undefined;
  readonly #Driver: SqliteConstructor;
  readonly #busyTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(Driver: SqliteConstructor, conn: SqliteConnection, path: string, options: OpenDatabaseOptions) {
    this.#Driver = Driver;
    this.conn = conn;
    this.path = path;
    this.logger = (options.logger ?? noopLogger).child({ component: '@refdata/db', dialect: 'sqlite' });
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 30_000;
    this.#retry = Object.freeze({ maxRetries: options.maxRetries ?? 3, baseSeconds: options.retryBackoffSeconds ?? 1 });
    this.keepBackups = options.keepBackups ?? 10;
    this.checkpointer = conn.memory ? undefined : new BackgroundCheckpointer(conn.name, this.logger);
  }

  /** Opens (creating when needed, with its folder) the database file at `path` and configures it. */
  static async open(path: string, options: OpenDatabaseOptions): Promise<SqliteClient> {
    const Driver = await loadBetterSqlite3();
    const memory = path === ':memory:';
    const resolved = memory ? ':memory:' : resolve(path);
    if (!memory) {
      try {
        mkdirSync(dirname(resolved), { recursive: true, mode: 0o750 });
      } catch (err) {
        throw new DbError(
          DbErrorCode.UNAVAILABLE,
          `Cannot create the folder of the SQLite database ${path}: ${(err as Error).message}.`,
          {
            cause: err,
          },
        );
      }
    }
    let conn: SqliteConnection;
    try {
      conn = new Driver(resolved, { timeout: BUSY_SLICE_MS });
    } catch (err) {
      throw wrapSqliteError(err, `opening ${path}`);
    }
    const client = new SqliteClient(Driver, conn, memory ? ':memory:' : path, options);
    try {
      await client.#configure(memory);
    } catch (err) {
      conn.close();
      throw err;
    }
    return client;
  }

  async #configure(memory: boolean): Promise<void> {
    await this.busyLoop('configuring the connection', () => {
      const conn = this.conn;
      if (!memory) {
        // A new database gets 16 KiB pages (an existing one keeps its own: SQLite ignores this
        // once the file has content). Bulk loads write a quarter as many pages, WAL frames and
        // checksums: ~12 % less CPU in a bare 1M-row staging insert (1.18 vs 1.35 CPU-s).
        conn.pragma(`page_size = ${PAGE_SIZE}`);
        const mode = conn.pragma('journal_mode = WAL', { simple: true });
        if (String(mode).toLowerCase() !== 'wal') {
          throw new DbError(
            DbErrorCode.UNAVAILABLE,
            `The SQLite database ${this.path} cannot use WAL mode (got ${String(mode)}); put it on a local file system.`,
          );
        }
      }
      // NORMAL is durable across process crashes in WAL mode; commits that end a load run FULL.
      conn.pragma('synchronous = NORMAL');
      // Checkpoint every ~40 MB of WAL instead of 4 MB: long loads write in fewer, larger steps.
      conn.pragma('wal_autocheckpoint = 10000');
      conn.pragma('journal_size_limit = 67108864');
      conn.pragma('temp_store = MEMORY');
      useCache(conn, CACHE_KIB);
    });
  }

  /** Whether {@link SqliteClient.close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `attempt` until it does not fail with SQLITE_BUSY, waiting asynchronously (doubling up to
   * 500 ms) for at most `busyTimeoutMs`; any other error, or the deadline, ends it.
   */
  async busyLoop<T>(label: string, attempt: () => T, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    let wait = 10;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      try {
        return attempt();
      } catch (err) {
        if (!isSqliteBusy(err) || Date.now() >= deadline) throw wrapSqliteError(err, label);
        this.logger.debug({ op: label, waitMs: wait }, 'sqlite database busy; waiting');
        await sleep(Math.min(wait, Math.max(1, deadline - Date.now())), signal);
        wait = Math.min(wait * 2, 500);
      }
    }
  }

  /** Runs `fn` in one transaction (rolled back on error), retried whole on transient errors. */
  tx<T>(label: string, fn: (conn: SqliteConnection) => T, options: TxOptions): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    const conn = this.conn;
    const once = (): T => {
      if (options.durable) conn.pragma('synchronous = FULL');
      try {
        conn.exec(options.write ? 'BEGIN IMMEDIATE' : 'BEGIN');
        try {
          const result = fn(conn);
          conn.exec('COMMIT');
          return result;
        } catch (err) {
          if (conn.inTransaction) conn.exec('ROLLBACK');
          throw err;
        }
      } finally {
        if (options.durable) conn.pragma('synchronous = NORMAL');
      }
    };
    const classify = (err: unknown): RetryClass =>
      err instanceof DbError && err.transient ? 'transient' : 'permanent';
    return withRetry(
      label,
      () => this.busyLoop(label, once, options.signal),
      classify,
      this.#retry,
      this.logger,
      options.signal,
    );
  }

  /** Registers work in progress: close() waits for it. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = (): void => {
      this.#pending.delete(promise);
    };
    promise.then(done, done);
    return promise;
  }

  /** {@link SqliteClient.tx}, tracked. */
  run<T>(label: string, fn: (conn: SqliteConnection) => T, options: TxOptions): Promise<T> {
    return this.track(this.tx(label, fn, options));
  }

  /**
   * A second, read-only connection to the same file (one read transaction can then span a whole
   * stream while this connection stays free); the connection itself for `:memory:`.
   */
  openReader(): SqliteConnection {
    return this.conn.memory
      ? this.conn
      : new this.#Driver(this.conn.name, { readonly: true, fileMustExist: true, timeout: BUSY_SLICE_MS });
  }

  /** Waits for work in progress, aborts open sessions, stops the checkpointer and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    for (const session of [...this.sessions]) await session.abort();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    this.#closed = true;
    await this.checkpointer?.close();
    try {
      if (this.conn.open && !this.conn.memory) this.conn.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // another process may hold the database; the checkpoint happens later
    }
    this.conn.close();
  }
}
