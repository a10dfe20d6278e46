/**
 * The {@link OpenDatabaseOptions.onOperation} hook: a {@link Database} that behaves exactly like
 * the one it wraps and reports how long each asynchronous call took (its files and sessions too).
 */
import type {
  AuditEvent,
  AuditRecord,
  BackupInfo,
  CallerAuditStep,
  ColumnDef,
  ColumnWidening,
  Database,
  DatabaseOperation,
  DatabaseOperationName,
  DatasetConfig,
  DbValue,
  FileClaim,
  FileEntry,
  FileFinish,
  FileProgressPatch,
  FileRecord,
  FileStatus,
  FileTracking,
  FindLoadedQuery,
  HealthReport,
  HistoryPruneResult,
  LoadOutcome,
  LoadSession,
  LoadSpec,
  Logger,
  RejectedRow,
  SchemaComparison,
  StagedRow,
  StagingReport,
  TableDescription,
} from './types.js';

type Timer = <T>(name: DatabaseOperationName, call: () => Promise<T>) => Promise<T>;

/** A timer that reports each settled call to `hook`; a hook that throws is logged and ignored. */
function timer(hook: (operation: DatabaseOperation) => void, logger: Logger): Timer {
  const report = (name: DatabaseOperationName, started: number, ok: boolean): void => {
    try {
      hook({ name, durationMs: performance.now() - started, ok });
    } catch (err) {
      logger.warn({ operation: name, err: { message: (err as Error)?.message } }, 'onOperation hook threw; ignored');
    }
  };
  return async (name, call) => {
    const started = performance.now();
    try {
      const result = await call();
      report(name, started, true);
      return result;
    } catch (err) {
      report(name, started, false);
      throw err;
    }
  };
}

/**
 * `db`, with each asynchronous call timed and reported to `hook`.
 * @internal Used by `openDatabase` when `onOperation` is given.
 */
export function observeOperations(
  db: Database,
  hook: (operation: DatabaseOperation) => void,
  logger: Logger,
): Database {
  return new ObservedDatabase(db, timer(hook, logger));
}

class ObservedDatabase implements Database {
  readonly dialect: Database['dialect'];
  readonly displayUrl: string;
  readonly files: FileTracking;
  readonly #db: Database;
  readonly #time: Timer;

  constructor(db: Database, time: Timer) {
    this.#db = db;
    this.#time = time;
    this.dialect = db.dialect;
    this.displayUrl = db.displayUrl;
    this.files = new ObservedFileTracking(db.files, time);
  }

  migrate(): Promise<void> {
    return this.#time('migrate', () => this.#db.migrate());
  }
  health(): Promise<HealthReport> {
    return this.#time('health', () => this.#db.health());
  }
  close(): Promise<void> {
    return this.#time('close', () => this.#db.close());
  }
  describeTable(table: string): Promise<TableDescription | undefined> {
    return this.#time('describeTable', () => this.#db.describeTable(table));
  }
  listTables(): Promise<TableDescription[]> {
    return this.#time('listTables', () => this.#db.listTables());
  }
  compareColumns(table: string, incoming: readonly ColumnDef[]): Promise<SchemaComparison> {
    return this.#time('compareColumns', () => this.#db.compareColumns(table, incoming));
  }
  readTable(table: string, options?: { readonly signal?: AbortSignal }): AsyncIterable<readonly DbValue[]> {
    return this.#db.readTable(table, options);
  }
  async beginLoad(spec: LoadSpec): Promise<LoadSession> {
    return new ObservedLoadSession(await this.#time('beginLoad', () => this.#db.beginLoad(spec)), this.#time);
  }
  listBackups(table?: string): Promise<BackupInfo[]> {
    return this.#time('listBackups', () => this.#db.listBackups(table));
  }
  restoreBackup(table: string, snapshot: string): Promise<BackupInfo> {
    return this.#time('restoreBackup', () => this.#db.restoreBackup(table, snapshot));
  }
  pruneBackups(table: string, keep?: number): Promise<BackupInfo[]> {
    return this.#time('pruneBackups', () => this.#db.pruneBackups(table, keep));
  }
  recordAudit(event: AuditEvent<CallerAuditStep>): Promise<void> {
    return this.#time('recordAudit', () => this.#db.recordAudit(event));
  }
  listAudit(fileId: number): Promise<AuditRecord[]> {
    return this.#time('listAudit', () => this.#db.listAudit(fileId));
  }
  recordRejects(fileId: number, rows: readonly RejectedRow[]): Promise<void> {
    return this.#time('recordRejects', () => this.#db.recordRejects(fileId, rows));
  }
  pruneHistory(olderThan: Date): Promise<HistoryPruneResult> {
    return this.#time('pruneHistory', () => this.#db.pruneHistory(olderThan));
  }

  listRejects(fileId: number, options?: { readonly limit?: number }): Promise<RejectedRow[]> {
    return this.#time('listRejects', () => this.#db.listRejects(fileId, options));
  }
  getDataset(table: string): Promise<DatasetConfig | undefined> {
    return this.#time('getDataset', () => this.#db.getDataset(table));
  }
  setDataset(config: DatasetConfig): Promise<void> {
    return this.#time('setDataset', () => this.#db.setDataset(config));
  }
  listDatasets(): Promise<DatasetConfig[]> {
    return this.#time('listDatasets', () => this.#db.listDatasets());
  }
}

class ObservedFileTracking implements FileTracking {
  readonly #files: FileTracking;
  readonly #time: Timer;

  constructor(files: FileTracking, time: Timer) {
    this.#files = files;
    this.#time = time;
  }

  claimNew(
    entry: FileEntry,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    return this.#time('files.claimNew', () => this.#files.claimNew(entry, lease));
  }
  reclaim(fileId: number, lease: { readonly instanceId: string; readonly leaseMs: number }): Promise<FileClaim | null> {
    return this.#time('files.reclaim', () => this.#files.reclaim(fileId, lease));
  }
  heartbeat(claim: FileClaim, leaseMs: number): Promise<boolean> {
    return this.#time('files.heartbeat', () => this.#files.heartbeat(claim, leaseMs));
  }
  update(claim: FileClaim, patch: FileProgressPatch): Promise<void> {
    return this.#time('files.update', () => this.#files.update(claim, patch));
  }
  finish(claim: FileClaim, finish: FileFinish): Promise<void> {
    return this.#time('files.finish', () => this.#files.finish(claim, finish));
  }
  get(fileId: number): Promise<FileRecord | undefined> {
    return this.#time('files.get', () => this.#files.get(fileId));
  }
  list(filter?: { readonly status?: FileStatus; readonly limit?: number }): Promise<FileRecord[]> {
    return this.#time('files.list', () => this.#files.list(filter));
  }
  listExpired(): Promise<FileRecord[]> {
    return this.#time('files.listExpired', () => this.#files.listExpired());
  }
  markReleased(fileId: number, path: string): Promise<boolean> {
    return this.#time('files.markReleased', () => this.#files.markReleased(fileId, path));
  }
  findBySha256(sha256: string): Promise<FileRecord[]> {
    return this.#time('files.findBySha256', () => this.#files.findBySha256(sha256));
  }
  findLoaded(query: FindLoadedQuery): Promise<FileRecord | undefined> {
    return this.#time('files.findLoaded', () => this.#files.findLoaded(query));
  }
}

class ObservedLoadSession implements LoadSession {
  readonly table: string;
  readonly #session: LoadSession;
  readonly #time: Timer;

  constructor(session: LoadSession, time: Timer) {
    this.#session = session;
    this.#time = time;
    this.table = session.table;
  }

  write(rows: readonly StagedRow[]): Promise<void> {
    return this.#time('session.write', () => this.#session.write(rows));
  }
  widen(changes: readonly ColumnWidening[]): Promise<void> {
    return this.#time('session.widen', () => this.#session.widen(changes));
  }
  validate(): Promise<StagingReport> {
    return this.#time('session.validate', () => this.#session.validate());
  }
  commit(): Promise<LoadOutcome> {
    return this.#time('session.commit', () => this.#session.commit());
  }
  abort(): Promise<void> {
    return this.#time('session.abort', () => this.#session.abort());
  }
}
