/**
 * The embedded SQLite dialect (better-sqlite3).
 *
 * One database file holds everything; namespaces are part of the (always quoted) table names:
 * `"ref.<table>"`, `"bkp.<table>.<stamp>"`, `"stg.<table>.<pid>.<id>"`, `"refdata.*"`. Attached
 * databases would not be atomic across files in WAL mode (https://www.sqlite.org/lang_attach.html),
 * so one file keeps every commit atomic even on a crash.
 *
 * Concurrency: WAL mode (readers never block the writer and see a consistent snapshot), every
 * write transaction is `BEGIN IMMEDIATE` (takes the write lock up front, so it never fails half
 * way with SQLITE_BUSY), and a short busy timeout inside SQLite with an asynchronous retry loop
 * around it, so a database locked by another process for a long time neither fails the unit of
 * work early nor blocks the event loop.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DbError, DbErrorCode } from '../../errors.js';
import { assertIdentifier, foldIdentifier, quoteSqliteIdentifier as q } from '../../identifiers.js';
import {
  assertAppendable,
  assertDatasetConfig,
  compareColumnSets,
  destructiveReplaceReason,
  type NormalizedLoadSpec,
  normalizeLoadSpec,
} from '../../load-spec.js';
import { noopLogger } from '../../logger.js';
import { abortError, type RetryClass, type RetryPolicy, sleep, withRetry } from '../../retry.js';
import type {
  AuditEvent,
  AuditRecord,
  BackupInfo,
  ChangeSummary,
  ColumnDef,
  Database,
  DatasetConfig,
  DbType,
  DbValue,
  FileClaim,
  FileEntry,
  FileFinish,
  FileProgressPatch,
  FileRecord,
  FileStatus,
  FileTracking,
  HealthReport,
  LoadOutcome,
  LoadSession,
  LoadSpec,
  Logger,
  OpenDatabaseOptions,
  RejectedRow,
  SchemaComparison,
  StagedRow,
  StagingReport,
  TableDescription,
} from '../../types.js';
import { AUDIT_OUTCOMES, FILE_STATUSES, TERMINAL_FILE_STATUSES } from '../../types.js';
import type { SqliteUrl } from '../../url.js';
import { renderCsvLine, snapshotStamp, toJson, type ValueChecker } from '../../values.js';
import { assertLease, assertValidId, claimLost, closedError, commitDetails, validateOpenOptions } from '../shared.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import {
  isSqliteBusy,
  loadBetterSqlite3,
  type SqliteConnection,
  type SqliteConstructor,
  type SqliteStatement,
  wrapSqliteError,
} from './sqlite-driver.js';
import {
  addColumnSql,
  appendSql,
  changeSummarySql,
  copyRowsSql,
  countSql,
  createTableSql,
  deleteLineSql,
  dropTableSql,
  duplicateKeysSql,
  liveTableName,
  META,
  nullKeysSql,
  renameTableSql,
  SQLITE_MIGRATIONS,
  selectAllSql,
  snapshotTableName,
  stagingInsertSql,
  stagingTableName,
  TERMINAL_SQL,
  upsertInsertSql,
  upsertUpdateSql,
} from './sqlite-sql.js';
import { parseSqliteDeclaredType, type SqliteBindValue, sqliteBinder, sqliteReader } from './sqlite-types.js';
import { stagingRowCheck, stagingValueChecker } from './sqlite-value-check.js';

/** The schema version this release writes. */
export const SQLITE_SCHEMA_VERSION: number = SQLITE_MIGRATIONS.length;

/** The busy wait SQLite itself does before our asynchronous retry loop takes over, in ms. */
const BUSY_SLICE_MS = 250;
/**
 * Page cache of the connection, in KiB: room for the joins and sorts of validate() and commit()
 * (duplicate keys, change summary, upsert) over large tables.
 */
const CACHE_KIB = 65_536;
/**
 * Page cache while rows are written to staging, in KiB. Appending to a table needs only the
 * pages being filled; a larger cache would only keep pages already written (on the 1M-row
 * benchmark, peak RSS 202 MB with 64 MiB, 138 MB with 8 MiB, at the same speed).
 */
const STAGING_CACHE_KIB = 8192;
/**
 * Staged rows after which a load checkpoints the WAL from a background thread (see
 * sqlite-checkpointer.ts); smaller loads never reach the automatic checkpoint.
 */
const BACKGROUND_CHECKPOINT_ROWS = 20_000;
/** The page cache size last set on each connection, in KiB. */
const cacheSizes = new WeakMap<SqliteConnection, number>();

/** Sets the page cache of `conn` to `kib` KiB unless it already has that size. */
function useCache(conn: SqliteConnection, kib: number): void {
  if (cacheSizes.get(conn) === kib) return;
  conn.pragma(`cache_size = -${kib}`);
  cacheSizes.set(conn, kib);
}

/** Rows per prepared multi-row INSERT into staging (well under SQLite's 32,766 parameters). */
const MAX_ROWS_PER_INSERT = 100;
/**
 * Parameters per staging INSERT. They are passed as separate arguments (`run(...values)`) rather
 * than one array: better-sqlite3 then reads each from the call's arguments instead of an
 * `Object::Get` per element, a quarter of the staging write's binding cost; spread arguments live
 * on the stack, so they are kept to a few thousand (a row has at most 2,000: the column limit).
 */
const MAX_PARAMS_PER_INSERT = 4096;
/** SQLITE_MAX_COLUMN (2000) less the line number each staged row carries. */
const SQLITE_MAX_DATA_COLUMNS = 1999;
const ROWID_ALIASES = ['rowid', '_rowid_', 'oid'] as const;

interface TxOptions {
  /** BEGIN IMMEDIATE (write) instead of BEGIN (consistent read). */
  readonly write: boolean;
  /** Run with `PRAGMA synchronous = FULL` (durable commit of a replace, restore or finish). */
  readonly durable?: boolean;
  readonly signal?: AbortSignal | undefined;
}

interface FileRow {
  id: number;
  path: string;
  name: string;
  size: number;
  mtime_ms: number | null;
  sha256: string | null;
  status: string;
  detected_at: number;
  claimed_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  rows_read: number | null;
  rows_loaded: number | null;
  rows_rejected: number | null;
  target_table: string | null;
  error_code: string | null;
  error_message: string | null;
  instance_id: string | null;
  lease_until: number | null;
  token: string | null;
}

interface CatalogueRow {
  snapshot: string;
  table_name: string;
  taken_at: number;
  rows: number;
  source_file: string | null;
  file_id: number | null;
  reason: string;
}

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    path: row.path,
    name: row.name,
    size: row.size,
    mtimeMs: row.mtime_ms,
    sha256: row.sha256,
    status: row.status as FileStatus,
    detectedAt: new Date(row.detected_at),
    claimedAt: dateOrNull(row.claimed_at),
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
    rowsRead: row.rows_read,
    rowsLoaded: row.rows_loaded,
    rowsRejected: row.rows_rejected,
    targetTable: row.target_table,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    instanceId: row.instance_id,
    leaseUntil: dateOrNull(row.lease_until),
  };
}

function toBackupInfo(row: CatalogueRow): BackupInfo {
  return {
    table: row.table_name,
    snapshot: row.snapshot,
    takenAt: new Date(row.taken_at),
    rows: row.rows,
    sourceFile: row.source_file,
    fileId: row.file_id,
    reason: row.reason as BackupInfo['reason'],
  };
}

/** The first rowid alias not shadowed by a data column (a column named `rowid` hides the real rowid). */
export function pickRowidAlias(columns: readonly string[]): string {
  const folded = new Set(columns.map(foldIdentifier));
  const alias = ROWID_ALIASES.find((a) => !folded.has(a));
  if (alias === undefined) {
    throw new DbError(
      DbErrorCode.IDENTIFIER_INVALID,
      'Columns named rowid, _rowid_ and oid all at once hide the row id SQLite needs; rename one of them.',
    );
  }
  return alias;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Internal state shared by the database object and its load sessions. */
interface Core {
  readonly conn: SqliteConnection;
  readonly logger: Logger;
  readonly keepBackups: number;
  tx<T>(label: string, fn: (conn: SqliteConnection) => T, options: TxOptions): Promise<T>;
  describe(conn: SqliteConnection, physical: string): ColumnDef[] | undefined;
  exists(conn: SqliteConnection, physical: string): boolean;
  count(conn: SqliteConnection, physical: string): number;
  audit(conn: SqliteConnection, event: AuditEvent): void;
  takeSnapshotName(conn: SqliteConnection, table: string, at: Date): string;
  catalogue(conn: SqliteConnection, info: BackupInfo): void;
  pruneIn(conn: SqliteConnection, table: string, keep: number): BackupInfo[];
  sessions: Set<SqliteLoadSession>;
  /** Staging tables of this process whose drop failed (locked, disk full); dropped at the next load. */
  orphans: Set<string>;
  /** WAL checkpoints off the writer's thread during large loads (none for `:memory:`). */
  readonly checkpointer: BackgroundCheckpointer | undefined;
}

/**
 * The SQLite implementation of {@link Database}. Create it with `openDatabase('sqlite:PATH')`.
 * @internal
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly displayUrl: string;
  readonly files: FileTracking;
  readonly #Driver: SqliteConstructor;
  readonly #conn: SqliteConnection;
  readonly #path: string;
  readonly #logger: Logger;
  readonly #busyTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #core: Core;
  #closed = false;

  private constructor(Driver: SqliteConstructor, conn: SqliteConnection, path: string, options: OpenDatabaseOptions) {
    this.#Driver = Driver;
    this.#conn = conn;
    this.#path = path;
    this.displayUrl = `sqlite:${path}`;
    this.#logger = (options.logger ?? noopLogger).child({ component: '@refdata/db', dialect: 'sqlite' });
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 30_000;
    this.#retry = Object.freeze({ maxRetries: options.maxRetries ?? 3, baseSeconds: options.retryBackoffSeconds ?? 1 });
    const keepBackups = options.keepBackups ?? 10;
    this.#core = {
      conn,
      logger: this.#logger,
      keepBackups,
      tx: (label, fn, o) => this.#tx(label, fn, o),
      describe: describeIn,
      exists: existsIn,
      count: countIn,
      audit: auditIn,
      takeSnapshotName,
      catalogue: catalogueIn,
      pruneIn: (c, table, keep) => pruneIn(c, table, keep, this.#logger),
      sessions: new Set(),
      orphans: new Set(),
      checkpointer: conn.memory ? undefined : new BackgroundCheckpointer(conn.name, this.#logger),
    };
    this.files = new SqliteFileTracking(this.#core, (p) => this.#track(p));
  }

  /** Opens (creating when needed) the SQLite database at `url.path`. */
  static async open(url: SqliteUrl, options: OpenDatabaseOptions = {}): Promise<SqliteDatabase> {
    validateOpenOptions(options);
    const Driver = await loadBetterSqlite3();
    const memory = url.path === ':memory:';
    const path = memory ? ':memory:' : resolve(url.path);
    if (!memory) {
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
      } catch (err) {
        throw new DbError(
          DbErrorCode.UNAVAILABLE,
          `Cannot create the folder of the SQLite database ${url.path}: ${(err as Error).message}.`,
          {
            cause: err,
          },
        );
      }
    }
    let conn: SqliteConnection;
    try {
      conn = new Driver(path, { timeout: BUSY_SLICE_MS });
    } catch (err) {
      throw wrapSqliteError(err, `opening ${url.path}`);
    }
    const db = new SqliteDatabase(Driver, conn, memory ? ':memory:' : url.path, options);
    try {
      await db.#configure(memory);
    } catch (err) {
      conn.close();
      throw err;
    }
    db.#logger.debug({ path: db.displayUrl }, 'sqlite database opened');
    return db;
  }

  async #configure(memory: boolean): Promise<void> {
    await this.#busyLoop('configuring the connection', () => {
      const conn = this.#conn;
      if (!memory) {
        const mode = conn.pragma('journal_mode = WAL', { simple: true });
        if (String(mode).toLowerCase() !== 'wal') {
          throw new DbError(
            DbErrorCode.UNAVAILABLE,
            `The SQLite database ${this.#path} cannot use WAL mode (got ${String(mode)}); put it on a local file system.`,
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

  // ---- transactions, busy handling and retries ----------------------------------------------

  async #busyLoop<T>(label: string, attempt: () => T, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    let wait = 10;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      try {
        return attempt();
      } catch (err) {
        if (!isSqliteBusy(err) || Date.now() >= deadline) throw wrapSqliteError(err, label);
        this.#logger.debug({ op: label, waitMs: wait }, 'sqlite database busy; waiting');
        await sleep(Math.min(wait, Math.max(1, deadline - Date.now())), signal);
        wait = Math.min(wait * 2, 500);
      }
    }
  }

  #tx<T>(label: string, fn: (conn: SqliteConnection) => T, options: TxOptions): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    const conn = this.#conn;
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
      () => this.#busyLoop(label, once, options.signal),
      classify,
      this.#retry,
      this.#logger,
      options.signal,
    );
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = (): void => {
      this.#pending.delete(promise);
    };
    promise.then(done, done);
    return promise;
  }

  #run<T>(label: string, fn: (conn: SqliteConnection) => T, options: TxOptions): Promise<T> {
    return this.#track(this.#tx(label, fn, options));
  }

  // ---- lifecycle --------------------------------------------------------------------------

  async migrate(): Promise<void> {
    await this.#run(
      'migrate',
      (conn) => {
        conn.exec(
          `CREATE TABLE IF NOT EXISTS ${q(META.version)} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
        );
        const current =
          (conn
            .prepare(`SELECT COALESCE(MAX(version), 0) FROM ${q(META.version)}`)
            .pluck()
            .get() as number) ?? 0;
        if (current > SQLITE_SCHEMA_VERSION) {
          throw new DbError(
            DbErrorCode.SCHEMA_VERSION_UNSUPPORTED,
            `The database has metadata schema version ${current}, newer than this release understands (${SQLITE_SCHEMA_VERSION}); upgrade @refdata/db.`,
          );
        }
        for (let v = current; v < SQLITE_SCHEMA_VERSION; v++) {
          for (const sql of SQLITE_MIGRATIONS[v] ?? []) conn.exec(sql);
          conn.prepare(`INSERT INTO ${q(META.version)} (version, applied_at) VALUES (?, ?)`).run(v + 1, Date.now());
          this.#logger.info({ version: v + 1 }, 'metadata schema migrated');
        }
        // Staging tables of processes that died mid-load (names carry the owner's pid).
        const staging = conn
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) = 'stg.'")
          .pluck()
          .all() as string[];
        for (const name of staging) {
          const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1]);
          if (Number.isSafeInteger(pid) && pid !== process.pid && !isAlive(pid)) {
            conn.exec(dropTableSql(name));
            this.#logger.info({ staging: name }, 'dropped staging table left by a stopped process');
          }
        }
      },
      { write: true },
    );
  }

  async health(): Promise<HealthReport> {
    const started = performance.now();
    try {
      const version = await this.#run(
        'health',
        (conn) => {
          conn.prepare('SELECT 1').get();
          const hasVersion = existsIn(conn, META.version);
          return hasVersion
            ? ((conn
                .prepare(`SELECT COALESCE(MAX(version), 0) FROM ${q(META.version)}`)
                .pluck()
                .get() as number) ?? 0)
            : 0;
        },
        { write: false },
      );
      return {
        ok: version === SQLITE_SCHEMA_VERSION,
        dialect: 'sqlite',
        latencyMs: performance.now() - started,
        schemaVersion: version,
        ...(version === SQLITE_SCHEMA_VERSION
          ? {}
          : { message: `metadata schema version ${version}, expected ${SQLITE_SCHEMA_VERSION}; run migrate()` }),
      };
    } catch (err) {
      return {
        ok: false,
        dialect: 'sqlite',
        latencyMs: performance.now() - started,
        schemaVersion: 0,
        message: err instanceof Error ? err.message : String(err),
      };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    for (const session of [...this.#core.sessions]) await session.abort();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    this.#closed = true;
    await this.#core.checkpointer?.close();
    try {
      if (this.#conn.open && !this.#conn.memory) this.#conn.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // another process may hold the database; the checkpoint happens later
    }
    this.#conn.close();
    this.#logger.debug({}, 'sqlite database closed');
  }

  // ---- tables ----------------------------------------------------------------------------

  async describeTable(table: string): Promise<TableDescription | undefined> {
    assertIdentifier(table, 'table');
    return this.#run(
      'describeTable',
      (conn) => {
        const physical = liveTableName(table);
        const columns = describeIn(conn, physical);
        if (columns === undefined) return undefined;
        return { name: storedName(conn, physical).slice(4), columns, rowCount: countIn(conn, physical) };
      },
      { write: false },
    );
  }

  async listTables(): Promise<TableDescription[]> {
    return this.#run(
      'listTables',
      (conn) => {
        const names = conn
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) = 'ref.' ORDER BY name")
          .pluck()
          .all() as string[];
        return names.map((physical) => ({
          name: physical.slice(4),
          columns: describeIn(conn, physical) ?? [],
          rowCount: countIn(conn, physical),
        }));
      },
      { write: false },
    );
  }

  async compareColumns(table: string, incoming: readonly ColumnDef[]): Promise<SchemaComparison> {
    const description = await this.describeTable(table);
    return compareColumnSets(description?.columns, incoming);
  }

  readTable(table: string, options: { readonly signal?: AbortSignal } = {}): AsyncIterable<readonly DbValue[]> {
    assertIdentifier(table, 'table');
    // A separate read-only connection holds one read transaction (a consistent WAL snapshot) for
    // the whole stream, so a replace committed meanwhile is not seen half-way and the main
    // connection stays free (better-sqlite3 forbids other statements while an iterator is open).
    const self = this;
    const signal = options.signal;
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<readonly DbValue[]> {
        if (self.#closed) throw closedError();
        const memory = self.#conn.memory;
        const reader = memory
          ? self.#conn
          : new self.#Driver(self.#conn.name, { readonly: true, fileMustExist: true, timeout: BUSY_SLICE_MS });
        try {
          const physical = liveTableName(table);
          const { columns, rows } = await self.#busyLoop(
            'readTable',
            () => {
              if (!memory) reader.exec('BEGIN');
              const cols = describeIn(reader, physical);
              if (cols === undefined) {
                throw new DbError(
                  DbErrorCode.TABLE_NOT_FOUND,
                  `The table ref.${table} does not exist; list the tables with listTables().`,
                );
              }
              const stmt = reader.prepare(
                selectAllSql(
                  physical,
                  cols.map((c) => c.name),
                  pickRowidAlias(cols.map((c) => c.name)),
                ),
              );
              stmt.raw(true).safeIntegers(true);
              // In-memory databases cannot be shared with a second connection: materialise.
              const it: Iterable<unknown[]> = memory
                ? (stmt.all() as unknown[][])
                : (stmt.iterate() as IterableIterator<unknown[]>);
              return { columns: cols, rows: it };
            },
            signal,
          );
          const readers = columns.map((c) => sqliteReader(c.type));
          let n = 0;
          for (const raw of rows) {
            if ((++n & 1023) === 0 && signal?.aborted) throw abortError(signal);
            const out = new Array<DbValue>(readers.length);
            for (let i = 0; i < readers.length; i++) out[i] = (readers[i] as (v: unknown) => DbValue)(raw[i]);
            yield out;
          }
        } catch (err) {
          throw wrapSqliteError(err, `reading ref.${table}`);
        } finally {
          if (!memory) {
            if (reader.inTransaction) reader.exec('ROLLBACK');
            reader.close();
          }
        }
      },
    };
  }

  // ---- loads -----------------------------------------------------------------------------

  async beginLoad(spec: LoadSpec): Promise<LoadSession> {
    const normalized = normalizeLoadSpec(spec);
    if (normalized.signal?.aborted) throw abortError(normalized.signal);
    if (normalized.columns.length > SQLITE_MAX_DATA_COLUMNS) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `${normalized.table} has ${normalized.columns.length} columns; SQLite tables hold at most ${SQLITE_MAX_DATA_COLUMNS} data columns (SQLITE_MAX_COLUMN is 2000 and staging needs one for the line number). Split the file or drop columns.`,
      );
    }
    const names = normalized.columns.map((c) => c.name);
    const rowidAlias = pickRowidAlias(names);
    const staging = stagingTableName(normalized.table, `${process.pid}.${randomBytes(6).toString('hex')}`);
    await this.#dropOrphans();
    await this.#run(
      'beginLoad',
      (conn) => {
        if (normalized.mode !== 'replace') {
          const live = describeIn(conn, liveTableName(normalized.table));
          if (live !== undefined)
            assertAppendable(
              normalized.table,
              compareColumnSets(live, normalized.columns),
              normalized.addMissingColumns,
            );
        }
        conn.exec(createTableSql(staging, normalized.columns));
      },
      { write: true, signal: normalized.signal },
    );
    const session = new SqliteLoadSession(this.#core, normalized, staging, rowidAlias, (p) => this.#track(p));
    this.#core.sessions.add(session);
    this.#logger.debug({ table: normalized.table, mode: normalized.mode }, 'load started');
    return session;
  }

  /** Retries the drop of staging tables an earlier abort could not drop; they stay listed on failure. */
  async #dropOrphans(): Promise<void> {
    for (const name of [...this.#core.orphans]) {
      try {
        await this.#core.tx('abort', (conn) => conn.exec(dropTableSql(name)), { write: true });
        this.#core.orphans.delete(name);
        this.#logger.info({ staging: name }, 'dropped staging table left by an earlier failed load');
      } catch {
        return; // still locked or full: the load that follows reports it
      }
    }
  }

  // ---- backups ---------------------------------------------------------------------------

  async listBackups(table?: string): Promise<BackupInfo[]> {
    if (table !== undefined) assertIdentifier(table, 'table');
    return this.#run(
      'listBackups',
      (conn) => {
        const rows = (
          table === undefined
            ? conn.prepare(`SELECT * FROM ${q(META.catalogue)} ORDER BY table_name, taken_at DESC, snapshot DESC`).all()
            : conn
                .prepare(
                  `SELECT * FROM ${q(META.catalogue)} WHERE table_name = ? ORDER BY taken_at DESC, snapshot DESC`,
                )
                .all(table)
        ) as CatalogueRow[];
        return rows.map(toBackupInfo);
      },
      { write: false },
    );
  }

  async restoreBackup(table: string, snapshot: string): Promise<BackupInfo> {
    assertIdentifier(table, 'table');
    return this.#run(
      'restoreBackup',
      (conn) => {
        const started = performance.now();
        const row = conn
          .prepare(`SELECT * FROM ${q(META.catalogue)} WHERE table_name = ? AND snapshot = ?`)
          .get(table, snapshot) as CatalogueRow | undefined;
        const source = row === undefined ? undefined : snapshotTableName(row.snapshot);
        const columns = source === undefined ? undefined : describeIn(conn, source);
        if (row === undefined || source === undefined || columns === undefined) {
          throw new DbError(
            DbErrorCode.SNAPSHOT_NOT_FOUND,
            `No snapshot ${JSON.stringify(snapshot)} of ${JSON.stringify(table)} is catalogued; list them with listBackups(${JSON.stringify(table)}).`,
          );
        }
        const live = liveTableName(table);
        const now = new Date();
        let taken: BackupInfo | null = null;
        if (existsIn(conn, live)) {
          const name = takeSnapshotName(conn, table, now);
          const rows = countIn(conn, live);
          conn.exec(renameTableSql(live, snapshotTableName(name)));
          taken = { table, snapshot: name, takenAt: now, rows, sourceFile: null, fileId: null, reason: 'restore' };
          catalogueIn(conn, taken);
        }
        const names = columns.map((c) => c.name);
        conn.exec(createTableSql(live, columns));
        conn.exec(copyRowsSql(source, live, names, pickRowidAlias(names)));
        auditIn(conn, {
          step: 'restore',
          outcome: 'ok',
          durationMs: performance.now() - started,
          details: { table, from: row.snapshot, rows: row.rows, snapshot: taken?.snapshot ?? null },
        });
        return taken ?? toBackupInfo(row);
      },
      { write: true, durable: true },
    );
  }

  async pruneBackups(table: string, keep?: number): Promise<BackupInfo[]> {
    assertIdentifier(table, 'table');
    const k = keep ?? this.#core.keepBackups;
    if (!Number.isSafeInteger(k) || k < 0)
      throw new DbError(DbErrorCode.OPTION_INVALID, `keep ${String(k)} must be a whole number ≥ 0.`);
    return this.#run(
      'pruneBackups',
      (conn) => {
        const dropped = pruneIn(conn, table, k, this.#logger);
        if (dropped.length > 0)
          auditIn(conn, {
            step: 'prune',
            outcome: 'ok',
            details: { table, keep: k, dropped: dropped.map((d) => d.snapshot) },
          });
        return dropped;
      },
      { write: true, durable: true },
    );
  }

  // ---- audit, rejects, datasets ----------------------------------------------------------

  async recordAudit(event: AuditEvent): Promise<void> {
    if (!(AUDIT_OUTCOMES as readonly string[]).includes(event.outcome)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `Audit outcome ${JSON.stringify(event.outcome)} is not one of ${AUDIT_OUTCOMES.join(', ')}.`,
      );
    }
    return this.#run('recordAudit', (conn) => auditIn(conn, event), { write: true });
  }

  async listAudit(fileId: number): Promise<AuditRecord[]> {
    assertValidId(fileId, 'fileId');
    return this.#run(
      'listAudit',
      (conn) => {
        const rows = conn.prepare(`SELECT * FROM ${q(META.audit)} WHERE file_id = ? ORDER BY id`).all(fileId) as {
          id: number;
          file_id: number | null;
          step: string;
          outcome: string;
          duration_ms: number | null;
          details: string | null;
          at: number;
        }[];
        return rows.map((r) => ({
          id: r.id,
          at: new Date(r.at),
          fileId: r.file_id,
          step: r.step,
          outcome: r.outcome as AuditRecord['outcome'],
          ...(r.duration_ms === null ? {} : { durationMs: r.duration_ms }),
          ...(r.details === null ? {} : { details: JSON.parse(r.details) as Record<string, unknown> }),
        }));
      },
      { write: false },
    );
  }

  async recordRejects(fileId: number, rows: readonly RejectedRow[]): Promise<void> {
    assertValidId(fileId, 'fileId');
    if (rows.length === 0) return Promise.resolve();
    return this.#run(
      'recordRejects',
      (conn) => {
        const stmt = conn.prepare(
          `INSERT INTO ${q(META.rejects)} (file_id, line, raw, column_name, value, reason) VALUES (?, ?, ?, ?, ?, ?)`,
        );
        for (const r of rows) stmt.run(fileId, r.line, r.raw, r.column ?? null, r.value ?? null, r.reason);
      },
      { write: true },
    );
  }

  async listRejects(fileId: number, options: { readonly limit?: number } = {}): Promise<RejectedRow[]> {
    assertValidId(fileId, 'fileId');
    const limit = options.limit ?? -1;
    return this.#run(
      'listRejects',
      (conn) => {
        const rows = conn
          .prepare(
            `SELECT line, raw, column_name, value, reason FROM ${q(META.rejects)} WHERE file_id = ? ORDER BY line, id LIMIT ?`,
          )
          .all(fileId, limit) as {
          line: number;
          raw: string;
          column_name: string | null;
          value: string | null;
          reason: string;
        }[];
        return rows.map((r) => ({
          line: r.line,
          raw: r.raw,
          ...(r.column_name === null ? {} : { column: r.column_name }),
          ...(r.value === null ? {} : { value: r.value }),
          reason: r.reason,
        }));
      },
      { write: false },
    );
  }

  async getDataset(table: string): Promise<DatasetConfig | undefined> {
    assertIdentifier(table, 'table');
    return this.#run(
      'getDataset',
      (conn) => {
        const row = conn.prepare(`SELECT * FROM ${q(META.datasets)} WHERE table_name = ?`).get(table) as
          | DatasetRow
          | undefined;
        return row === undefined ? undefined : toDataset(row);
      },
      { write: false },
    );
  }

  async setDataset(config: DatasetConfig): Promise<void> {
    assertDatasetConfig(config);
    return this.#run(
      'setDataset',
      (conn) => {
        conn
          .prepare(
            `INSERT INTO ${q(META.datasets)} (table_name, mode, key_columns, type_overrides, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (table_name) DO UPDATE SET table_name = excluded.table_name, mode = excluded.mode, key_columns = excluded.key_columns, type_overrides = excluded.type_overrides, updated_at = excluded.updated_at`,
          )
          .run(
            config.table,
            config.mode,
            JSON.stringify(config.keyColumns),
            JSON.stringify(config.typeOverrides),
            Date.now(),
          );
      },
      { write: true },
    );
  }

  async listDatasets(): Promise<DatasetConfig[]> {
    return this.#run(
      'listDatasets',
      (conn) =>
        (conn.prepare(`SELECT * FROM ${q(META.datasets)} ORDER BY table_name`).all() as DatasetRow[]).map(toDataset),
      { write: false },
    );
  }
}

interface DatasetRow {
  table_name: string;
  mode: string;
  key_columns: string;
  type_overrides: string;
}

function toDataset(row: DatasetRow): DatasetConfig {
  return {
    table: row.table_name,
    mode: row.mode as DatasetConfig['mode'],
    keyColumns: JSON.parse(row.key_columns) as string[],
    typeOverrides: JSON.parse(row.type_overrides) as Record<string, DbType>,
  };
}

// ---- helpers that run inside a transaction ---------------------------------------------------

function existsIn(conn: SqliteConnection, physical: string): boolean {
  return (
    conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").get(physical) !==
    undefined
  );
}

function storedName(conn: SqliteConnection, physical: string): string {
  return (
    (conn
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE")
      .pluck()
      .get(physical) as string) ?? physical
  );
}

function describeIn(conn: SqliteConnection, physical: string): ColumnDef[] | undefined {
  if (!existsIn(conn, physical)) return undefined;
  const rows = conn
    .prepare('SELECT name, type, "notnull" AS nn FROM pragma_table_info(?) ORDER BY cid')
    .all(physical) as {
    name: string;
    type: string;
    nn: number;
  }[];
  return rows.map((r) => ({ name: r.name, type: parseSqliteDeclaredType(r.type), nullable: r.nn === 0 }));
}

function countIn(conn: SqliteConnection, physical: string): number {
  return Number(conn.prepare(countSql(physical)).pluck().get());
}

function auditIn(conn: SqliteConnection, event: AuditEvent): void {
  conn
    .prepare(
      `INSERT INTO ${q(META.audit)} (file_id, step, outcome, duration_ms, details, at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(
      event.fileId ?? null,
      event.step,
      event.outcome,
      event.durationMs ?? null,
      event.details === undefined ? null : toJson(event.details),
      Date.now(),
    );
}

function takeSnapshotName(conn: SqliteConnection, table: string, at: Date): string {
  // Unique even for two loads in one millisecond: move the stamp forward until it is free.
  let ms = at.getTime();
  const last = conn
    .prepare(`SELECT MAX(taken_at) FROM ${q(META.catalogue)} WHERE table_name = ?`)
    .pluck()
    .get(table) as number | null;
  if (last !== null && last >= ms) ms = last + 1;
  for (;;) {
    const name = `${table}.${snapshotStamp(new Date(ms))}`;
    if (!existsIn(conn, snapshotTableName(name))) return name;
    ms++;
  }
}

function catalogueIn(conn: SqliteConnection, info: BackupInfo): void {
  conn
    .prepare(
      `INSERT INTO ${q(META.catalogue)} (snapshot, table_name, taken_at, rows, source_file, file_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(info.snapshot, info.table, info.takenAt.getTime(), info.rows, info.sourceFile, info.fileId, info.reason);
}

function pruneIn(conn: SqliteConnection, table: string, keep: number, logger: Logger): BackupInfo[] {
  const rows = conn
    .prepare(
      `SELECT * FROM ${q(META.catalogue)} WHERE table_name = ? ORDER BY taken_at DESC, snapshot DESC LIMIT -1 OFFSET ?`,
    )
    .all(table, keep) as CatalogueRow[];
  const del = conn.prepare(`DELETE FROM ${q(META.catalogue)} WHERE snapshot = ?`);
  for (const row of rows) {
    conn.exec(dropTableSql(snapshotTableName(row.snapshot)));
    del.run(row.snapshot);
  }
  if (rows.length > 0) logger.info({ table, dropped: rows.length, keep }, 'old snapshots pruned');
  return rows.map(toBackupInfo);
}

// ---- file tracking ---------------------------------------------------------------------------

class SqliteFileTracking implements FileTracking {
  readonly #core: Core;
  readonly #track: <T>(p: Promise<T>) => Promise<T>;

  constructor(core: Core, track: <T>(p: Promise<T>) => Promise<T>) {
    this.#core = core;
    this.#track = track;
  }

  #run<T>(label: string, fn: (conn: SqliteConnection) => T, write: boolean): Promise<T> {
    return this.#track(this.#core.tx(`files.${label}`, fn, { write }));
  }

  async claimNew(
    entry: FileEntry,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertLease(lease.leaseMs);
    return this.#run(
      'claimNew',
      (conn) => {
        const now = Date.now();
        const leaseUntil = now + lease.leaseMs;
        const token = randomUUID();
        const existing = conn
          .prepare(
            `SELECT id, lease_until FROM ${q(META.files)} WHERE path = ? AND status NOT IN ${TERMINAL_SQL} ORDER BY id DESC LIMIT 1`,
          )
          .get(entry.path) as { id: number; lease_until: number | null } | undefined;
        if (existing !== undefined && existing.lease_until !== null && existing.lease_until > now) return null;
        let id: number;
        if (existing !== undefined) {
          conn
            .prepare(
              `UPDATE ${q(META.files)} SET name = ?, size = ?, mtime_ms = ?, status = 'claimed', claimed_at = ?, instance_id = ?, lease_until = ?, token = ? WHERE id = ?`,
            )
            .run(entry.name, entry.size, entry.mtimeMs ?? null, now, lease.instanceId, leaseUntil, token, existing.id);
          id = existing.id;
        } else {
          id = Number(
            conn
              .prepare(
                `INSERT INTO ${q(META.files)} (path, name, size, mtime_ms, status, detected_at, claimed_at, instance_id, lease_until, token)
VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?, ?) RETURNING id`,
              )
              .pluck()
              .get(
                entry.path,
                entry.name,
                entry.size,
                entry.mtimeMs ?? null,
                now,
                now,
                lease.instanceId,
                leaseUntil,
                token,
              ),
          );
        }
        return { fileId: id, token, leaseUntil: new Date(leaseUntil) };
      },
      true,
    );
  }

  async reclaim(
    fileId: number,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertValidId(fileId, 'fileId');
    assertLease(lease.leaseMs);
    return this.#run(
      'reclaim',
      (conn) => {
        const now = Date.now();
        const token = randomUUID();
        const row = conn
          .prepare(
            `UPDATE ${q(META.files)} SET status = 'claimed', claimed_at = ?, instance_id = ?, lease_until = ?, token = ?
WHERE id = ? AND status NOT IN ${TERMINAL_SQL} AND (lease_until IS NULL OR lease_until <= ?) RETURNING lease_until`,
          )
          .get(now, lease.instanceId, now + lease.leaseMs, token, fileId, now) as { lease_until: number } | undefined;
        return row === undefined ? null : { fileId, token, leaseUntil: new Date(row.lease_until) };
      },
      true,
    );
  }

  async heartbeat(claim: FileClaim, leaseMs: number): Promise<boolean> {
    assertLease(leaseMs);
    return this.#run(
      'heartbeat',
      (conn) => {
        const result = conn
          .prepare(
            `UPDATE ${q(META.files)} SET lease_until = ? WHERE id = ? AND token = ? AND status NOT IN ${TERMINAL_SQL}`,
          )
          .run(Date.now() + leaseMs, claim.fileId, claim.token);
        return result.changes === 1;
      },
      true,
    );
  }

  async update(claim: FileClaim, patch: FileProgressPatch): Promise<void> {
    const { sets, values } = patchSql(patch);
    return this.#run(
      'update',
      (conn) => {
        if (patch.status === 'processing') {
          sets.push('started_at = COALESCE(started_at, ?)');
          values.push(Date.now());
        }
        const set = sets.length === 0 ? 'id = id' : sets.join(', ');
        const result = conn
          .prepare(`UPDATE ${q(META.files)} SET ${set} WHERE id = ? AND token = ? AND status NOT IN ${TERMINAL_SQL}`)
          .run(...values, claim.fileId, claim.token);
        if (result.changes !== 1) throw claimLost(claim);
      },
      true,
    );
  }

  async finish(claim: FileClaim, finish: FileFinish): Promise<void> {
    if (!TERMINAL_FILE_STATUSES.includes(finish.status)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `finish() needs a terminal status (${TERMINAL_FILE_STATUSES.join(', ')}), got ${JSON.stringify(finish.status)}.`,
      );
    }
    const { sets, values } = patchSql(finish);
    sets.push('error_code = ?', 'error_message = ?', 'finished_at = ?', 'lease_until = NULL');
    values.push(finish.errorCode ?? null, finish.errorMessage ?? null, Date.now());
    return this.#track(
      this.#core.tx(
        'files.finish',
        (conn) => {
          // The token must still hold the row; finishing twice with the same token is harmless.
          const result = conn
            .prepare(`UPDATE ${q(META.files)} SET ${sets.join(', ')} WHERE id = ? AND token = ?`)
            .run(...values, claim.fileId, claim.token);
          if (result.changes !== 1) throw claimLost(claim);
        },
        { write: true, durable: true },
      ),
    );
  }

  async get(fileId: number): Promise<FileRecord | undefined> {
    assertValidId(fileId, 'fileId');
    return this.#run(
      'get',
      (conn) => {
        const row = conn.prepare(`SELECT * FROM ${q(META.files)} WHERE id = ?`).get(fileId) as FileRow | undefined;
        return row === undefined ? undefined : toFileRecord(row);
      },
      false,
    );
  }

  async list(filter: { readonly status?: FileStatus; readonly limit?: number } = {}): Promise<FileRecord[]> {
    if (filter.status !== undefined && !FILE_STATUSES.includes(filter.status)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `File status ${JSON.stringify(filter.status)} is not one of ${FILE_STATUSES.join(', ')}.`,
      );
    }
    const limit = filter.limit ?? -1;
    return this.#run(
      'list',
      (conn) => {
        const rows = (
          filter.status === undefined
            ? conn.prepare(`SELECT * FROM ${q(META.files)} ORDER BY id DESC LIMIT ?`).all(limit)
            : conn
                .prepare(`SELECT * FROM ${q(META.files)} WHERE status = ? ORDER BY id DESC LIMIT ?`)
                .all(filter.status, limit)
        ) as FileRow[];
        return rows.map(toFileRecord);
      },
      false,
    );
  }

  async listExpired(): Promise<FileRecord[]> {
    return this.#run(
      'listExpired',
      (conn) => {
        const rows = conn
          .prepare(
            `SELECT * FROM ${q(META.files)} WHERE status NOT IN ${TERMINAL_SQL} AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id`,
          )
          .all(Date.now()) as FileRow[];
        return rows.map(toFileRecord);
      },
      false,
    );
  }

  async markReleased(fileId: number, path: string): Promise<boolean> {
    return this.#run(
      'markReleased',
      (conn) =>
        conn
          .prepare(`UPDATE ${q(META.files)} SET status = 'released', path = ? WHERE id = ? AND status = 'held'`)
          .run(path, fileId).changes === 1,
      true,
    );
  }

  async findBySha256(sha256: string, table?: string): Promise<FileRecord[]> {
    return this.#run(
      'findBySha256',
      (conn) => {
        const rows = (
          table === undefined
            ? conn.prepare(`SELECT * FROM ${q(META.files)} WHERE sha256 = ? ORDER BY id`).all(sha256)
            : conn
                .prepare(
                  `SELECT * FROM ${q(META.files)} WHERE sha256 = ? AND status = 'archived' AND target_table = ? COLLATE NOCASE ORDER BY id`,
                )
                .all(sha256, table)
        ) as FileRow[];
        return rows.map(toFileRecord);
      },
      false,
    );
  }
}

function patchSql(patch: FileProgressPatch): { sets: string[]; values: (string | number | null)[] } {
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  const add = (column: string, value: string | number | undefined): void => {
    if (value !== undefined) {
      sets.push(`${column} = ?`);
      values.push(value);
    }
  };
  if (patch.status !== undefined && !FILE_STATUSES.includes(patch.status)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `File status ${JSON.stringify(patch.status)} is not one of ${FILE_STATUSES.join(', ')}.`,
    );
  }
  add('status', patch.status);
  add('path', patch.path);
  add('size', patch.size);
  add('sha256', patch.sha256);
  add('rows_read', patch.rowsRead);
  add('rows_loaded', patch.rowsLoaded);
  add('rows_rejected', patch.rowsRejected);
  add('target_table', patch.targetTable);
  return { sets, values };
}

// ---- load session ----------------------------------------------------------------------------

type SessionState = 'open' | 'closed';

class SqliteLoadSession implements LoadSession {
  readonly table: string;
  readonly #core: Core;
  readonly #spec: NormalizedLoadSpec;
  readonly #staging: string;
  readonly #rowid: string;
  readonly #checks: ValueChecker[];
  /** True when every value of a row fits: the per-value checks are then skipped. */
  readonly #fitsRow: (values: readonly DbValue[]) => boolean;
  readonly #binders: (((value: DbValue) => SqliteBindValue) | undefined)[];
  /** Rows write() set aside because a value does not fit its column; reported by validate(). */
  #conversionErrors: RejectedRow[] = [];
  readonly #rowsPerInsert: number;
  readonly #inserts = new Map<number, SqliteStatement<SqliteBindValue[]>>();
  readonly #track: <T>(p: Promise<T>) => Promise<T>;
  #state: SessionState = 'open';
  #chain: Promise<unknown> = Promise.resolve();
  /** Rows were written since the last validate(). */
  #dirty = false;
  /** Rows in staging: counted as they are written and removed, so no COUNT(*) scans the table. */
  #stagedRows = 0;
  /** This session holds the background checkpointer. */
  #checkpointing = false;

  constructor(
    core: Core,
    spec: NormalizedLoadSpec,
    staging: string,
    rowid: string,
    track: <T>(p: Promise<T>) => Promise<T>,
  ) {
    this.#core = core;
    this.#spec = spec;
    this.table = spec.table;
    this.#staging = staging;
    this.#rowid = rowid;
    this.#checks = spec.columns.map(stagingValueChecker);
    this.#fitsRow = stagingRowCheck(spec.columns);
    this.#binders = spec.columns.map((c) => sqliteBinder(c.type));
    this.#rowsPerInsert = Math.max(
      1,
      Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_INSERT / (spec.columns.length + 1))),
    );
    this.#track = track;
  }

  /** Runs `op` after every earlier operation of this session. */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op, op);
    this.#chain = next.catch(() => undefined);
    return this.#track(next);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') {
      throw new DbError(
        DbErrorCode.SESSION_CLOSED,
        `The load into ${this.table} was already committed or aborted; start a new one with beginLoad().`,
      );
    }
    const signal = this.#spec.signal;
    if (signal?.aborted) throw abortError(signal);
  }

  #insert(conn: SqliteConnection, rows: number): SqliteStatement<SqliteBindValue[]> {
    let stmt = this.#inserts.get(rows);
    if (stmt === undefined) {
      stmt = conn.prepare<SqliteBindValue[]>(stagingInsertSql(this.#staging, this.#rowid, this.#spec.columns, rows));
      this.#inserts.set(rows, stmt);
    }
    return stmt;
  }

  async write(rows: readonly StagedRow[]): Promise<void> {
    return this.#serial(async () => {
      await this.#failOnAbort(async () => {
        this.#assertOpen();
        if (rows.length === 0) return;
        this.#dirty = true;
        // Convert outside the transaction: the write lock is held only for the inserts.
        const per = this.#rowsPerInsert;
        const width = this.#checks.length;
        const stride = width + 1;
        const checks = this.#checks;
        const fitsRow = this.#fitsRow;
        const binders = this.#binders;
        const chunks: SqliteBindValue[][] = [];
        let chunk: SqliteBindValue[] = [];
        let p = 0;
        let inChunk = per;
        let remaining = rows.length;
        for (const row of rows) {
          remaining--;
          const values = row.values;
          const line = row.line;
          if (values.length !== width) {
            throw new DbError(
              DbErrorCode.VALUE_INVALID,
              `Line ${line} has ${values.length} values but ${this.table} has ${width} columns; pass one value per column.`,
            );
          }
          if (!Number.isSafeInteger(line)) {
            throw new DbError(DbErrorCode.VALUE_INVALID, `Line number ${String(line)} is not an integer.`);
          }
          let problem: string | undefined;
          let bad = -1;
          if (!fitsRow(values))
            for (let i = 0; i < width && problem === undefined; i++) {
              problem = (checks[i] as ValueChecker)(values[i] as DbValue, line);
              if (problem !== undefined) bad = i;
            }
          if (problem !== undefined) {
            const column = this.#spec.columns[bad] as ColumnDef;
            const value = values[bad] as DbValue;
            this.#conversionErrors.push({
              line,
              raw: renderCsvLine(values),
              column: column.name,
              value: value === null ? '' : String(value),
              reason: `${value === null ? 'the value' : JSON.stringify(String(value).slice(0, 60))} ${problem}`,
            });
            continue;
          }
          if (inChunk === per) {
            chunk = new Array(Math.min(per, remaining + 1) * stride);
            chunks.push(chunk);
            p = 0;
            inChunk = 0;
          }
          inChunk++;
          chunk[p++] = line;
          for (let i = 0; i < width; i++) {
            const b = binders[i];
            chunk[p++] = b === undefined ? (values[i] as SqliteBindValue) : b(values[i] as DbValue);
          }
        }
        // A chunk allocated for more rows than arrived (rejected rows) is trimmed to what it holds.
        const last = chunks[chunks.length - 1];
        if (last !== undefined && p < last.length) last.length = p;
        await this.#core
          .tx(
            'write',
            (conn) => {
              useCache(conn, STAGING_CACHE_KIB);
              for (const c of chunks) this.#insert(conn, c.length / stride).run(...c);
            },
            { write: true, signal: this.#spec.signal },
          )
          .then(() => {
            for (const c of chunks) this.#stagedRows += c.length / stride;
            if (!this.#checkpointing && this.#stagedRows >= BACKGROUND_CHECKPOINT_ROWS && this.#state === 'open') {
              this.#checkpointing = true;
              this.#core.checkpointer?.acquire();
            }
          })
          .catch((err: unknown) => {
            if (
              (err as DbError).driverCode?.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY') ||
              (err as DbError).driverCode === 'SQLITE_CONSTRAINT_ROWID'
            ) {
              throw new DbError(
                DbErrorCode.VALUE_INVALID,
                `Two staged rows of ${this.table} carry the same line number; every row needs its own line.`,
                {
                  cause: err,
                },
              );
            }
            throw err;
          });
      });
    });
  }

  async validate(): Promise<StagingReport> {
    return this.#serial(() => this.#failOnAbort(() => this.#validate()));
  }

  async #validate(): Promise<StagingReport> {
    this.#assertOpen();
    const keys = this.#spec.keyColumns;
    const names = this.#spec.columns.map((c) => c.name);
    const readers = this.#spec.columns.map((c) => sqliteReader(c.type));
    const report = await this.#core.tx(
      'validate',
      (conn) => {
        useCache(conn, CACHE_KIB);
        const duplicateKeys: RejectedRow[] = [];
        let removed = 0;
        if (keys.length > 0) {
          const del = conn.prepare(deleteLineSql(this.#staging, this.#rowid));
          const toValues = (raw: unknown[], offset: number): DbValue[] => readers.map((r, i) => r(raw[i + offset]));
          const keyIndex = keys.map((k) => names.indexOf(k));
          const rawRows = (sql: string): unknown[][] =>
            conn.prepare(sql).raw(true).safeIntegers(true).all() as unknown[][];
          const nulls = rawRows(nullKeysSql(this.#staging, this.#rowid, keys, names));
          for (const raw of nulls) {
            const values = toValues(raw, 1);
            const empty = keys.filter((_k, i) => values[keyIndex[i] as number] === null);
            duplicateKeys.push({
              line: Number(raw[0]),
              raw: renderCsvLine(values),
              column: empty.join(','),
              value: '',
              reason: `key column ${empty.map((k) => JSON.stringify(k)).join(', ')} is empty; every row needs a key`,
            });
            removed += del.run(raw[0]).changes;
          }
          const dups = rawRows(duplicateKeysSql(this.#staging, this.#rowid, keys, names));
          for (const raw of dups) {
            const values = toValues(raw, 2);
            const keyValues = keyIndex.map((i) => String(values[i]));
            duplicateKeys.push({
              line: Number(raw[0]),
              raw: renderCsvLine(values),
              column: keys.join(','),
              value: keyValues.join(','),
              reason: `duplicate key (${keys.map((k, i) => `${k}=${keyValues[i]}`).join(', ')}): first seen on line ${String(raw[1])}`,
            });
            removed += del.run(raw[0]).changes;
          }
          duplicateKeys.sort((a, b) => a.line - b.line);
        }
        const conversionErrors = this.#conversionErrors.sort((a, b) => a.line - b.line);
        this.#conversionErrors = [];
        return { stagedRows: this.#stagedRows - removed, duplicateKeys, conversionErrors };
      },
      { write: true, signal: this.#spec.signal },
    );
    this.#stagedRows = report.stagedRows;
    this.#dirty = false;
    return report;
  }

  async commit(): Promise<LoadOutcome> {
    return this.#serial(() =>
      this.#failOnAbort(async () => {
        this.#assertOpen();
        if (this.#dirty && (this.#spec.keyColumns.length > 0 || this.#conversionErrors.length > 0)) {
          // validate() was skipped: apply it anyway and keep what it rejects with the file.
          const report = await this.#validate();
          const rejected = [...report.duplicateKeys, ...report.conversionErrors];
          if (rejected.length > 0 && this.#spec.fileId !== null) {
            await this.#core.tx(
              'recordRejects',
              (conn) => {
                const stmt = conn.prepare(
                  `INSERT INTO ${q(META.rejects)} (file_id, line, raw, column_name, value, reason) VALUES (?, ?, ?, ?, ?, ?)`,
                );
                for (const r of report.duplicateKeys)
                  stmt.run(this.#spec.fileId, r.line, r.raw, r.column ?? null, r.value ?? null, r.reason);
              },
              { write: true },
            );
          }
        }
        const outcome = await this.#core.tx(
          'commit',
          (conn) => {
            useCache(conn, CACHE_KIB);
            return this.#apply(conn);
          },
          {
            write: true,
            durable: true,
            signal: this.#spec.signal,
          },
        );
        this.#close();
        this.#core.logger.info(
          outcome.status === 'applied'
            ? {
                table: this.table,
                mode: outcome.mode,
                rows: outcome.rowsLoaded,
                snapshot: outcome.snapshot?.snapshot ?? null,
              }
            : { table: this.table, liveRows: outcome.liveRows, incomingRows: outcome.incomingRows },
          outcome.status === 'applied' ? 'load committed' : 'replace held',
        );
        return outcome;
      }),
    );
  }

  #apply(conn: SqliteConnection): LoadOutcome {
    const started = performance.now();
    const spec = this.#spec;
    const core = this.#core;
    const live = liveTableName(spec.table);
    const staging = this.#staging;
    const incoming = this.#stagedRows;
    const liveColumns = describeIn(conn, live);
    const now = new Date();
    const names = spec.columns.map((c) => c.name);

    if (liveColumns === undefined) {
      conn.exec(renameTableSql(staging, live));
      const outcome: LoadOutcome = {
        status: 'applied',
        table: spec.table,
        mode: spec.mode,
        rowsLoaded: incoming,
        snapshot: null,
        changes: spec.keyColumns.length > 0 ? { added: incoming, removed: 0, changed: 0, unchanged: 0 } : null,
        durationMs: performance.now() - started,
      };
      auditIn(conn, {
        fileId: spec.fileId,
        step: 'commit',
        outcome: 'ok',
        durationMs: outcome.durationMs,
        details: commitDetails(outcome, []),
      });
      return outcome;
    }

    const liveRows = countIn(conn, live);
    const reason = destructiveReplaceReason(spec, liveRows, incoming);
    if (reason !== null) {
      conn.exec(dropTableSql(staging));
      auditIn(conn, {
        fileId: spec.fileId,
        step: 'commit',
        outcome: 'held',
        durationMs: performance.now() - started,
        details: { table: spec.table, mode: spec.mode, liveRows, incomingRows: incoming, reason },
      });
      return { status: 'held', table: spec.table, reason, liveRows, incomingRows: incoming };
    }

    // Key and value columns as the live table spells them.
    const liveByFold = new Map(liveColumns.map((c) => [foldIdentifier(c.name), c.name]));
    const liveName = (n: string): string => liveByFold.get(foldIdentifier(n)) ?? n;
    let changes: ChangeSummary | null = null;
    const keys = spec.keyColumns;
    if (keys.length > 0 && spec.mode !== 'append') {
      const comparable = keys.every((k) => liveByFold.has(foldIdentifier(k)));
      if (comparable) {
        const valueCols = names.filter((n) => !keys.includes(n) && liveByFold.has(foldIdentifier(n)));
        const sql = changeSummarySql(staging, live, keys, valueCols);
        const get = (s: string): number => Number(conn.prepare(s).pluck().get());
        const added = get(sql.added);
        const matched = get(sql.matched);
        const changed = get(sql.changed);
        if (spec.mode === 'replace') {
          changes = { added, removed: get(sql.removed), changed, unchanged: matched - changed };
        } else {
          changes = { added, removed: 0, changed, unchanged: liveRows - changed };
        }
      }
    } else if (keys.length > 0) {
      changes = { added: incoming, removed: 0, changed: 0, unchanged: liveRows };
    }

    const snapshotName = takeSnapshotName(conn, spec.table, now);
    const snapshotPhysical = snapshotTableName(snapshotName);
    const snapshot: BackupInfo = {
      table: spec.table,
      snapshot: snapshotName,
      takenAt: now,
      rows: liveRows,
      sourceFile: spec.sourceFile,
      fileId: spec.fileId,
      reason: spec.mode,
    };

    if (spec.mode === 'replace') {
      // Metadata-only swap: the old table becomes the snapshot, staging becomes live.
      conn.exec(renameTableSql(live, snapshotPhysical));
      conn.exec(renameTableSql(staging, live));
    } else {
      const comparison = compareColumnSets(liveColumns, spec.columns);
      assertAppendable(spec.table, comparison, spec.addMissingColumns);
      const liveNames = liveColumns.map((c) => c.name);
      conn.exec(createTableSql(snapshotPhysical, liveColumns));
      conn.exec(copyRowsSql(live, snapshotPhysical, liveNames, pickRowidAlias(liveNames)));
      for (const c of comparison.added) conn.exec(addColumnSql(live, c));
      const cols = names.map(liveName);
      // Staging and live share names modulo case; SQLite resolves quoted names case-insensitively.
      if (spec.mode === 'append') {
        conn.exec(appendSql(staging, live, cols, this.#rowid));
      } else {
        const keyCols = keys.map(liveName);
        const valueCols = cols.filter((c) => !keyCols.includes(c));
        const update = upsertUpdateSql(staging, live, keyCols, valueCols);
        if (update !== undefined) conn.exec(update);
        conn.exec(upsertInsertSql(staging, live, keyCols, cols, this.#rowid));
      }
      conn.exec(dropTableSql(staging));
    }
    catalogueIn(conn, snapshot);
    const pruned = core.pruneIn(conn, spec.table, core.keepBackups);
    const outcome: LoadOutcome = {
      status: 'applied',
      table: spec.table,
      mode: spec.mode,
      rowsLoaded: incoming,
      snapshot,
      changes,
      durationMs: performance.now() - started,
    };
    auditIn(conn, {
      fileId: spec.fileId,
      step: 'commit',
      outcome: 'ok',
      durationMs: outcome.durationMs,
      details: commitDetails(outcome, pruned),
    });
    return outcome;
  }

  abort(): Promise<void> {
    if (this.#state === 'closed') return this.#chain.then(() => undefined);
    return this.#serial(async () => {
      if (this.#state === 'closed') return;
      await this.#drop();
    });
  }

  async #drop(): Promise<void> {
    this.#close();
    try {
      await this.#core.tx('abort', (conn) => conn.exec(dropTableSql(this.#staging)), { write: true });
      this.#core.logger.debug({ table: this.table }, 'load aborted; staging dropped');
    } catch (err) {
      // Retried at the next beginLoad(); migrate() in a later process drops it too.
      this.#core.orphans.add(this.#staging);
      this.#core.logger.warn(
        { table: this.table, err: { code: (err as DbError).code, message: (err as Error).message } },
        'could not drop staging',
      );
    }
  }

  #close(): void {
    this.#state = 'closed';
    if (this.#checkpointing) {
      this.#checkpointing = false;
      this.#core.checkpointer?.release();
    }
    this.#inserts.clear();
    this.#core.sessions.delete(this);
  }

  /** On cancellation, drops staging before reporting DB_ABORTED. */
  async #failOnAbort<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof DbError && err.code === DbErrorCode.ABORTED && this.#state === 'open') await this.#drop();
      throw err;
    }
  }
}
