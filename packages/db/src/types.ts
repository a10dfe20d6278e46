/**
 * Public types of @refdata/db: the one database contract both dialects implement.
 * ingest and the watcher app build on these types; change them only together with their users.
 */

/** Supported dialects. */
export const DIALECTS = ['sqlite', 'mssql'] as const;
/** One of {@link DIALECTS}. */
export type Dialect = (typeof DIALECTS)[number];

/** How a load is applied to the live table. */
export const LOAD_MODES = ['replace', 'append', 'upsert'] as const;
/** One of {@link LOAD_MODES}. */
export type LoadMode = (typeof LOAD_MODES)[number];

/** The life of a tracked file (the monitor's states, persisted). */
export const FILE_STATUSES = [
  'detected',
  'stabilizing',
  'ready',
  'claimed',
  'processing',
  'archived',
  'failed',
  'duplicate',
  'held',
  'released',
] as const;
/** One of {@link FILE_STATUSES}. */
export type FileStatus = (typeof FILE_STATUSES)[number];
/**
 * Statuses after which a file is never touched again by a watcher. `released` is a `held` file
 * whose load was later applied with force ({@link FileTracking.markReleased}).
 */
export const TERMINAL_FILE_STATUSES: readonly FileStatus[] = ['archived', 'failed', 'duplicate', 'held', 'released'];

/**
 * Logical column types. Each dialect maps them to physical types that keep values exact
 * (SQLite: decimals and temporal values as TEXT in canonical form; SQL Server: DECIMAL(p,s),
 * DATE, DATETIME2(n), DATETIMEOFFSET(n), TIME(n), UNIQUEIDENTIFIER, NVARCHAR).
 */
export type DbType =
  | { readonly kind: 'boolean' }
  | { readonly kind: 'int' }
  | { readonly kind: 'bigint' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'date' }
  | { readonly kind: 'datetime'; readonly offset: boolean; readonly fractionDigits: number }
  | { readonly kind: 'time'; readonly fractionDigits: number }
  | { readonly kind: 'uuid' }
  /** `maxLength` undefined means unbounded (NVARCHAR(MAX)). */
  | { readonly kind: 'text'; readonly maxLength?: number };

/**
 * A value in canonical form (the same forms @refdata/detect produces):
 * boolean; int as number; bigint as bigint; decimal as an exact string (`-?\d+(\.\d+)?`);
 * date `YYYY-MM-DD`; time `HH:MM:SS[.f…]`; datetime `YYYY-MM-DDTHH:MM:SS[.f…]` (+ `Z`/`±HH:MM` with offset);
 * uuid and text as string; NULL as null.
 */
export type DbValue = null | boolean | number | bigint | string;

/** A column of a reference table. */
export interface ColumnDef {
  /** The column name exactly as it will appear in the database (validated, always quoted in SQL). */
  readonly name: string;
  readonly type: DbType;
  readonly nullable: boolean;
}

/** A live reference table as the database describes it. */
export interface TableDescription {
  /** Logical name without namespace, e.g. `currencies` for `ref.currencies`. */
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly rowCount: number;
}

/** How an incoming column set differs from a live table (names compared case-insensitively). */
export interface SchemaComparison {
  readonly tableExists: boolean;
  /** Incoming columns the table lacks. */
  readonly added: readonly ColumnDef[];
  /** Table columns the incoming set lacks. */
  readonly missing: readonly ColumnDef[];
  /** Columns present in both whose types differ. */
  readonly changed: readonly { readonly name: string; readonly from: DbType; readonly to: DbType }[];
  readonly identical: boolean;
}

/** One row of a load: its source line (for reject reports) and its values in column order. */
export interface StagedRow {
  readonly line: number;
  readonly values: readonly DbValue[];
}

/**
 * Rows as one flat array: row `r` has line `lines[r]` and values
 * `values[r * width]` … `values[r * width + width - 1]` (`width` = the load's columns). The same
 * rows as a {@link StagedRow} array, without one object and one array per row.
 */
export interface StagedRows {
  readonly lines: ArrayLike<number>;
  readonly values: readonly DbValue[];
}

/** A row that cannot be loaded, with where it came from and why. */
export interface RejectedRow {
  readonly line: number;
  readonly raw: string;
  readonly column?: string;
  readonly value?: string;
  readonly reason: string;
}

/** What to load and how. */
export interface LoadSpec {
  /** Logical table name in the `ref` namespace, e.g. `currencies`. */
  readonly table: string;
  readonly columns: readonly ColumnDef[];
  /** @default 'replace' */
  readonly mode?: LoadMode;
  /** Required for upsert; enables the change summary for every mode. */
  readonly keyColumns?: readonly string[];
  /** The tracking row this load belongs to (audit, rejects, backups catalogue). */
  readonly fileId?: number;
  /** Source file name recorded in the backup catalogue. */
  readonly sourceFile?: string;
  /** Apply a replace even when the destructive-replace guard would hold it. @default false */
  readonly force?: boolean;
  /** A replace that removes more than this share of the live rows is held. @default 0.5 */
  readonly maxShrinkRatio?: number;
  /**
   * When the live table lacks incoming columns, add them (schema drift policy `add`) instead of failing.
   * @default false
   */
  readonly addMissingColumns?: boolean;
  readonly signal?: AbortSignal;
}

/** The result of validating staged rows before they are applied. */
export interface StagingReport {
  readonly stagedRows: number;
  /** Rows whose key repeats an earlier row of the same file (all but the first occurrence). */
  readonly duplicateKeys: readonly RejectedRow[];
  /** Rows the database could not convert to the column type (SQL Server TRY_CONVERT failures). */
  readonly conversionErrors: readonly RejectedRow[];
}

/** Rows added, removed and changed by a load, when key columns are known. */
export interface ChangeSummary {
  readonly added: number;
  readonly removed: number;
  readonly changed: number;
  readonly unchanged: number;
}

/**
 * How a snapshot holds the table before its load: `full`, a whole copy (a replace, a restore, and
 * a keyless append on SQL Server); `delta`, only what the load changed (an append or upsert: on
 * SQLite the largest rowid before the load and the pre-images of the rows it updated; on SQL
 * Server the pre-images of the live rows whose keys the file holds and those keys). A delta is
 * undone from the state right after its own load, so restoring it first undoes every newer
 * snapshot of the table, newest first.
 */
export const SNAPSHOT_KINDS = ['full', 'delta'] as const;
/** One of {@link SNAPSHOT_KINDS}. */
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

/** A catalogued snapshot in the `bkp` namespace. */
export interface BackupInfo {
  readonly table: string;
  readonly snapshot: string;
  readonly takenAt: Date;
  /** Rows of the table before the load (the rows a restore of this snapshot brings back). */
  readonly rows: number;
  /** A whole copy, or only what the load changed (see {@link SNAPSHOT_KINDS}). */
  readonly kind: SnapshotKind;
  readonly sourceFile: string | null;
  readonly fileId: number | null;
  readonly reason: 'replace' | 'append' | 'upsert' | 'restore' | 'manual';
}

/** How a load ended. */
export type LoadOutcome =
  | {
      readonly status: 'applied';
      readonly table: string;
      readonly mode: LoadMode;
      readonly rowsLoaded: number;
      /** The snapshot of the previous contents (absent when the table did not exist). */
      readonly snapshot: BackupInfo | null;
      readonly changes: ChangeSummary | null;
      readonly durationMs: number;
    }
  | {
      readonly status: 'held';
      readonly table: string;
      readonly reason: string;
      readonly liveRows: number;
      readonly incomingRows: number;
    };

/** One column a load widens ({@link LoadSession.widen}): its name and its new, wider type. */
export interface ColumnWidening {
  readonly column: string;
  readonly type: DbType;
}

/**
 * A load in progress: rows stream into a private staging table; nothing is visible until
 * {@link LoadSession.commit}, which applies the mode in one short transaction.
 */
export interface LoadSession {
  readonly table: string;
  /**
   * Appends rows to staging. Resolves when the database has taken them (backpressure); on SQL
   * Server rows stream into a bulk load that ends every 10,000 rows or at validate/commit, so a
   * failure to stage them may be reported by a later `write`, `validate` or `commit`.
   */
  write(rows: readonly StagedRow[]): Promise<void>;
  /**
   * {@link LoadSession.write} for rows given as one flat array: the same checks and outcome,
   * cheaper for the caller and the driver. Offered by the SQLite dialect; absent where a
   * dialect has no such path (call `write` then).
   */
  writeRows?(rows: StagedRows): Promise<void>;
  /**
   * Widens staged columns whose type this load sets (a new table, or a replace that gives the
   * table the file's types) when a value later in the file needs more room than the rows typed
   * so far showed: `int` → `bigint`, `int`/`bigint` → a `decimal` that holds every such value, or
   * a decimal to one with no smaller precision and no smaller scale. Rows staged so far keep their
   * values exactly; rows written after it, and the committed table, take the wider types. A larger
   * scale at the same precision holds fewer integer digits (`decimal(38,4)` → `decimal(38,6)`):
   * a staged value that no longer fits is set aside and reported by `validate()` as a conversion
   * error, as a written one would be. Call it between writes. Rejects with `DB_OPTION_INVALID` any other change, an unknown column, or a column
   * whose type an existing table fixes (an append or upsert).
   */
  widen(changes: readonly ColumnWidening[]): Promise<void>;
  /** Checks staged rows (duplicate keys, server-side conversion); removes the rows it reports. */
  validate(): Promise<StagingReport>;
  /** Snapshots the live table, applies the load atomically (or holds it) and drops staging. */
  commit(): Promise<LoadOutcome>;
  /** Drops staging; the live table is untouched. Safe to call more than once. */
  abort(): Promise<void>;
}

/** A tracked file. */
export interface FileRecord {
  readonly id: number;
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number | null;
  readonly sha256: string | null;
  readonly status: FileStatus;
  readonly detectedAt: Date;
  readonly claimedAt: Date | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly rowsRead: number | null;
  readonly rowsLoaded: number | null;
  readonly rowsRejected: number | null;
  readonly targetTable: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly instanceId: string | null;
  readonly leaseUntil: Date | null;
}

/** Proof of a claim: every later write about the file must present the token. */
export interface FileClaim {
  readonly fileId: number;
  readonly token: string;
  readonly leaseUntil: Date;
}

/** What is known of a file when it is first seen. */
export interface FileEntry {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly mtimeMs?: number;
}

/** Fields a claimant may update while processing. */
export interface FileProgressPatch {
  readonly status?: FileStatus;
  readonly path?: string;
  readonly size?: number;
  readonly sha256?: string;
  readonly rowsRead?: number;
  readonly rowsLoaded?: number;
  readonly rowsRejected?: number;
  readonly targetTable?: string;
}

/** The end of a file's life. */
export interface FileFinish extends FileProgressPatch {
  readonly status: 'archived' | 'failed' | 'duplicate' | 'held';
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** File tracking with leases, safe across processes and instances. */
export interface FileTracking {
  /**
   * Atomically creates a tracking row for a newly seen file and claims it, unless a live
   * (non-terminal) row already exists for the same path with an unexpired lease.
   * Returns null when another claimant holds it.
   */
  claimNew(
    entry: FileEntry,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null>;
  /** Atomically re-claims an existing non-terminal row whose lease has expired (crash recovery). */
  reclaim(fileId: number, lease: { readonly instanceId: string; readonly leaseMs: number }): Promise<FileClaim | null>;
  /** Extends the lease; false when the token no longer holds it. */
  heartbeat(claim: FileClaim, leaseMs: number): Promise<boolean>;
  /** Updates progress fields; throws DB_CLAIM_LOST when the token no longer holds the row. */
  update(claim: FileClaim, patch: FileProgressPatch): Promise<void>;
  /** Ends the file's life and clears the lease; throws DB_CLAIM_LOST on a stale token. */
  finish(claim: FileClaim, finish: FileFinish): Promise<void>;
  get(fileId: number): Promise<FileRecord | undefined>;
  list(filter?: { readonly status?: FileStatus; readonly limit?: number }): Promise<FileRecord[]>;
  /** Non-terminal rows whose lease has expired. */
  listExpired(): Promise<FileRecord[]>;
  /**
   * Marks a `held` file as `released` — its load was applied later, with force, and recorded as
   * another file — and stores where the file now lies. Atomic: returns false (and changes
   * nothing) when the file is not `held`, so a file is released at most once.
   */
  markReleased(fileId: number, path: string): Promise<boolean>;
  /** Every file with this content hash, oldest first. */
  findBySha256(sha256: string): Promise<FileRecord[]>;
  /**
   * Was this content already loaded into this table? The oldest file with this sha256 whose
   * load into `table` (names compared ignoring case) was applied and archived, other than
   * `excludeFileId` (the file asking); undefined when there is none.
   *
   * @example
   * ```ts
   * const earlier = await db.files.findLoaded({ sha256, table: 'currencies', excludeFileId: fileId });
   * if (earlier !== undefined) console.log(`already loaded from ${earlier.name}`);
   * ```
   */
  findLoaded(query: FindLoadedQuery): Promise<FileRecord | undefined>;
}

/** The question of {@link FileTracking.findLoaded}. */
export interface FindLoadedQuery {
  /** The content hash (lower-case hex). */
  readonly sha256: string;
  /** The logical table, e.g. `currencies` (compared ignoring case). */
  readonly table: string;
  /** The file asking, which is not an answer. */
  readonly excludeFileId?: number | undefined;
}

/** Outcome of a step in the audit trail. */
export const AUDIT_OUTCOMES = ['ok', 'error', 'skipped', 'held', 'info'] as const;
/** One of {@link AUDIT_OUTCOMES}. */
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * The steps of a file's audit trail. The database records `commit` (a load applied or held),
 * `restore` and `prune` itself, with typed details ({@link AuditDetailsByStep}); ingestion
 * records `detect`, `schema`, `stage`, `validate`, `duplicate`, `apply`, and `cancel` or
 * `ingest` when it fails; the watcher records `release`, and `access` for each operation on a file
 * (seen, moved, claimed, removed …: who, from where to where, when — the access trail).
 */
export const AUDIT_STEPS = [
  'detect',
  'schema',
  'stage',
  'validate',
  'duplicate',
  'apply',
  'commit',
  'restore',
  'prune',
  'release',
  'cancel',
  'ingest',
  'access',
] as const;
/** One of {@link AUDIT_STEPS}. */
export type AuditStep = (typeof AUDIT_STEPS)[number];
/** The steps only the database records (their details are typed: {@link AuditDetailsByStep}). */
export const DATABASE_AUDIT_STEPS: readonly DatabaseAuditStep[] = ['commit', 'restore', 'prune'];
/** One of {@link DATABASE_AUDIT_STEPS}. */
export type DatabaseAuditStep = keyof AuditDetailsByStep;
/** The steps callers record through {@link Database.recordAudit}: every step but the database's own. */
export type CallerAuditStep = Exclude<AuditStep, DatabaseAuditStep>;

/** Details of a step whose writer owns their shape (JSON-serialisable values). */
export type AuditDetails = Readonly<Record<string, unknown>>;

/** Details of a `commit` step with outcome `ok`: what the load applied. */
export interface AppliedCommitDetails {
  readonly table: string;
  readonly mode: LoadMode;
  readonly rowsLoaded: number;
  /** The snapshot of the previous contents; null when the load created the table. */
  readonly snapshot: string | null;
  readonly changes: ChangeSummary | null;
  /** Snapshots the retention rule dropped after the commit. */
  readonly pruned: readonly string[];
}

/** Details of a `commit` step with outcome `held`: why the destructive-replace guard held it. */
export interface HeldCommitDetails {
  readonly table: string;
  readonly mode: LoadMode;
  readonly liveRows: number;
  readonly incomingRows: number;
  readonly reason: string;
}

/** Details of a `restore` step. */
export interface RestoreAuditDetails {
  readonly table: string;
  /** The snapshot that became live, and its row count. */
  readonly from: string;
  readonly rows: number;
  /** The snapshot that kept the contents replaced; null when the table did not exist. */
  readonly snapshot: string | null;
}

/** Details of a `prune` step. */
export interface PruneAuditDetails {
  readonly table: string;
  readonly keep: number;
  readonly dropped: readonly string[];
}

/** The typed details of the steps the database records itself ({@link DATABASE_AUDIT_STEPS}). */
export interface AuditDetailsByStep {
  /** `ok`: {@link AppliedCommitDetails}; `held`: {@link HeldCommitDetails} (tell them apart by `'rowsLoaded' in details`). */
  readonly commit: AppliedCommitDetails | HeldCommitDetails;
  readonly restore: RestoreAuditDetails;
  readonly prune: PruneAuditDetails;
}

/** The details of step `S`: typed for the database's own steps, {@link AuditDetails} otherwise. */
export type AuditDetailsOf<S extends AuditStep> = S extends keyof AuditDetailsByStep
  ? AuditDetailsByStep[S]
  : AuditDetails;

/**
 * One audit event, typed by its step: checking `event.step` narrows `event.details`.
 *
 * @example
 * ```ts
 * const commit = (await db.listAudit(fileId)).find((a): a is AuditRecord<'commit'> => a.step === 'commit');
 * if (commit?.details !== undefined && 'rowsLoaded' in commit.details) console.log(commit.details.rowsLoaded);
 * ```
 */
export type AuditEvent<S extends AuditStep = AuditStep> = S extends AuditStep
  ? {
      readonly fileId?: number | null;
      readonly step: S;
      readonly outcome: AuditOutcome;
      readonly durationMs?: number;
      readonly details?: AuditDetailsOf<S>;
    }
  : never;

/** An audit event as stored. */
export type AuditRecord<S extends AuditStep = AuditStep> = AuditEvent<S> & {
  readonly id: number;
  readonly at: Date;
};

/** What {@link Database.pruneHistory} deleted. */
export interface HistoryPruneResult {
  /** Tracking rows. */
  readonly files: number;
  readonly auditEvents: number;
  readonly rejects: number;
}

/** Per-table settings, settable from a config file. */
export interface DatasetConfig {
  readonly table: string;
  readonly mode: LoadMode;
  readonly keyColumns: readonly string[];
  /** Column name → logical type override. */
  readonly typeOverrides: Readonly<Record<string, DbType>>;
}

/** Result of {@link Database.health}. */
export interface HealthReport {
  readonly ok: boolean;
  readonly dialect: Dialect;
  readonly latencyMs: number;
  readonly schemaVersion: number;
  readonly message?: string;
  /** SQL Server: what the login lacks to run the service, each with the statement that grants it. */
  readonly missingPermissions?: readonly MissingPermission[];
}

/**
 * The database contract. Obtain one with `openDatabase()`; call {@link Database.migrate} once
 * before use and {@link Database.close} at the end.
 */
export interface Database {
  readonly dialect: Dialect;
  /** A description safe to print (never contains a password), e.g. `sqlite:./data/refdata.db`. */
  readonly displayUrl: string;
  /** Creates or upgrades our own metadata objects (idempotent, versioned). */
  migrate(): Promise<void>;
  health(): Promise<HealthReport>;
  /** Waits for work in progress, then closes every connection. */
  close(): Promise<void>;

  /** Describes `ref.<table>`, or undefined when it does not exist. */
  describeTable(table: string): Promise<TableDescription | undefined>;
  /** Lists live `ref` tables. */
  listTables(): Promise<TableDescription[]>;
  compareColumns(table: string, incoming: readonly ColumnDef[]): Promise<SchemaComparison>;
  /**
   * Streams the rows of `ref.<table>` in column order, values in canonical form. Row order:
   * SQLite, load order; SQL Server, the dataset's key columns when it declares them (a heap
   * has no order of its own), else the server's.
   */
  readTable(table: string, options?: { readonly signal?: AbortSignal }): AsyncIterable<readonly DbValue[]>;

  /** Starts a load; rows go to a staging table until commit. */
  beginLoad(spec: LoadSpec): Promise<LoadSession>;

  listBackups(table?: string): Promise<BackupInfo[]>;
  /** Atomically replaces `ref.<table>` with a snapshot, snapshotting the current contents first. */
  restoreBackup(table: string, snapshot: string): Promise<BackupInfo>;
  /** Keeps the newest `keep` snapshots of `table` (default 10) and drops the rest; returns the dropped ones. */
  pruneBackups(table: string, keep?: number): Promise<BackupInfo[]>;

  readonly files: FileTracking;
  /** Records a step of a file's life; `commit`, `restore` and `prune` are the database's own. */
  recordAudit(event: AuditEvent<CallerAuditStep>): Promise<void>;
  listAudit(fileId: number): Promise<AuditRecord[]>;
  recordRejects(fileId: number, rows: readonly RejectedRow[]): Promise<void>;
  listRejects(fileId: number, options?: { readonly limit?: number }): Promise<RejectedRow[]>;
  /**
   * Retention: deletes the history older than `olderThan` in one transaction — tracking rows of
   * files that finished before it (archived, failed, duplicate or released; never held or in
   * flight), their audit events and rejected rows, and audit events of no tracked file recorded
   * before it. Backups are kept (see {@link Database.pruneBackups}). Once a file's row is gone,
   * the same content dropped again is loaded again rather than recorded as a duplicate.
   *
   * @example
   * ```ts
   * const removed = await db.pruneHistory(new Date(Date.now() - 90 * 86_400_000));
   * console.log(`${removed.files} files, ${removed.auditEvents} audit events, ${removed.rejects} rejected rows pruned`);
   * ```
   */
  pruneHistory(olderThan: Date): Promise<HistoryPruneResult>;
  getDataset(table: string): Promise<DatasetConfig | undefined>;
  setDataset(config: DatasetConfig): Promise<void>;
  listDatasets(): Promise<DatasetConfig[]>;
}

/** The names of the asynchronous methods of `T`. */
export type AsyncMethodName<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof T] &
  string;

/**
 * A timed call: a method of {@link Database} (`beginLoad`, `migrate`, …), of its
 * {@link FileTracking} (`files.claimNew`, …) or of a {@link LoadSession} (`session.commit`, …).
 */
export type DatabaseOperationName =
  | AsyncMethodName<Database>
  | `files.${AsyncMethodName<FileTracking>}`
  | `session.${AsyncMethodName<LoadSession>}`;

/** One settled call, as reported to {@link OpenDatabaseOptions.onOperation}. */
export interface DatabaseOperation {
  readonly name: DatabaseOperationName;
  /** From the call to its settling, in milliseconds. */
  readonly durationMs: number;
  /** False when the call rejected. */
  readonly ok: boolean;
}

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  readonly logger?: Logger;
  /**
   * Called once each asynchronous call of the database, of its `files` and of its load sessions
   * settles, e.g. to feed a latency histogram. Keep it quick; an error it throws is logged and
   * ignored. `readTable` streams are not timed.
   *
   * @example
   * ```ts
   * const db = await openDatabase(url, {
   *   onOperation: ({ name, durationMs }) => histogram.observe(durationMs / 1000, { operation: name }),
   * });
   * ```
   */
  readonly onOperation?: (operation: DatabaseOperation) => void;
  /** DB_POOL_SIZE. @default 10 */
  readonly poolSize?: number;
  /** DB_MAX_RETRIES. @default 3 */
  readonly maxRetries?: number;
  /** DB_RETRY_BACKOFF: base of the exponential backoff, in seconds. @default 1 */
  readonly retryBackoffSeconds?: number;
  /** SQLite busy timeout in milliseconds. @default 30_000 */
  readonly busyTimeoutMs?: number;
  /** Snapshots kept per table after each load. @default 10 */
  readonly keepBackups?: number;
  /** SQL Server password when it is not in the URL (env `db_password`); never logged. */
  readonly password?: string;
  /**
   * A file holding the SQL Server password (or client secret), e.g. a container secret
   * `/run/secrets/db_password` (env `DB_PASSWORD_FILE`). Read again for every new connection,
   * so a rotated password is used from the next connection on without a restart; one trailing
   * line break is ignored. A file its group or others may read gets a warning. Not with `password`.
   */
  readonly passwordFile?: string;
  /**
   * How to log in to SQL Server (default: a SQL login, or the URL's `?authentication=`).
   *
   * @example
   * ```ts
   * await openDatabase('mssql://svc_refdata@sql01:1433/refdata', { authentication: { type: 'ntlm', domain: 'CORP' }, passwordFile: '/run/secrets/db_password' });
   * await openDatabase('mssql://sql01.database.windows.net:1433/refdata?authentication=azure-active-directory-msi-vm');
   * ```
   */
  readonly authentication?: MssqlAuthentication;
  /**
   * Accept an unverified server certificate (logs a warning); when given, it wins over the URL's
   * `?trustServerCertificate=`. @default the URL's value, else false
   */
  readonly trustServerCertificate?: boolean;
  /**
   * A PEM file with the CA certificate(s) the SQL Server's TLS certificate is verified against
   * (a private CA, or a test server's self-signed certificate); wins over the URL's `?caFile=`.
   * Read once when the database is opened; missing, unreadable or certificate-less is
   * `DB_OPTION_INVALID`.
   *
   * @example
   * ```ts
   * await openDatabase('mssql://loader@sql01:1433/refdata', { caFile: '/etc/ssl/corp-root-ca.pem' });
   * ```
   */
  readonly caFile?: string;
}

import type { MssqlAuthentication } from './dialect/mssql/mssql-auth.js';
import type { MissingPermission } from './dialect/mssql/mssql-privileges.js';

/**
 * The structural logger every package accepts; pino satisfies it. The default does nothing.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
