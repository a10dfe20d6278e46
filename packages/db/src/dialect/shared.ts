/**
 * The rules both dialects follow, written once: argument checks of the {@link Database} contract
 * and the errors they raise, the shapes of stored rows and of backup audit details. The rules of
 * a load are in shared-load.ts; SQL text stays in each dialect's `*-sql.ts`.
 */
import { DbError, DbErrorCode } from '../errors.js';
import type {
  AuditEvent,
  AuditRecord,
  BackupInfo,
  DatasetConfig,
  DbType,
  Dialect,
  FileClaim,
  FileProgressPatch,
  FileRecord,
  FileStatus,
  FindLoadedQuery,
  HealthReport,
  OpenDatabaseOptions,
  RejectedRow,
} from '../types.js';
import { AUDIT_OUTCOMES, AUDIT_STEPS, DATABASE_AUDIT_STEPS, FILE_STATUSES, TERMINAL_FILE_STATUSES } from '../types.js';
import { snapshotStamp } from '../values.js';

// ---- opening, closing, migrating --------------------------------------------------------------

/** Throws `DB_OPTION_INVALID` for a numeric option out of range (before anything is opened). */
export function validateOpenOptions(options: OpenDatabaseOptions): void {
  const check = (value: number | undefined, name: string, min: number): void => {
    if (value !== undefined && !(Number.isFinite(value) && value >= min)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `Option ${name} is ${String(value)}; it must be a number ≥ ${min}.`,
      );
    }
  };
  check(options.busyTimeoutMs, 'busyTimeoutMs', 0);
  check(options.maxRetries, 'maxRetries', 0);
  check(options.retryBackoffSeconds, 'retryBackoffSeconds', 0);
  check(options.keepBackups, 'keepBackups', 0);
  check(options.poolSize, 'poolSize', 1);
}

/** The error of any call after {@link Database.close}. */
export function closedError(): DbError {
  return new DbError(DbErrorCode.CLOSED, 'The database was closed; open it again with openDatabase().');
}

/** Throws `DB_SCHEMA_VERSION_UNSUPPORTED` when the stored metadata is newer than this release. */
export function assertSchemaVersion(current: number, supported: number): void {
  if (current > supported) {
    throw new DbError(
      DbErrorCode.SCHEMA_VERSION_UNSUPPORTED,
      `The database has metadata schema version ${current}, newer than this release understands (${supported}); upgrade @refdata/db.`,
    );
  }
}

/** Runs `readVersion` and reports health; never throws (a failure is `ok: false` with its message). */
export async function healthReport(
  dialect: Dialect,
  expected: number,
  readVersion: () => Promise<number>,
): Promise<HealthReport> {
  const started = performance.now();
  try {
    const version = await readVersion();
    return {
      ok: version === expected,
      dialect,
      latencyMs: performance.now() - started,
      schemaVersion: version,
      ...(version === expected
        ? {}
        : { message: `metadata schema version ${version}, expected ${expected}; run migrate()` }),
    };
  } catch (err) {
    return {
      ok: false,
      dialect,
      latencyMs: performance.now() - started,
      schemaVersion: 0,
      message: err instanceof Error ? err.message : String(err),
    };
  }
}

// ---- arguments ---------------------------------------------------------------------------------

/** Throws `DB_OPTION_INVALID` unless `id` is an integer. */
export function assertValidId(id: number, what: string): void {
  if (!Number.isSafeInteger(id))
    throw new DbError(DbErrorCode.OPTION_INVALID, `${what} ${String(id)} is not an integer.`);
}

/** Throws `DB_OPTION_INVALID` unless `keep` (snapshots to keep) is a whole number ≥ 0. */
export function assertKeep(keep: number): void {
  if (!Number.isSafeInteger(keep) || keep < 0)
    throw new DbError(DbErrorCode.OPTION_INVALID, `keep ${String(keep)} must be a whole number ≥ 0.`);
}

const CALLER_AUDIT_STEPS: readonly string[] = AUDIT_STEPS.filter(
  (s) => !(DATABASE_AUDIT_STEPS as readonly string[]).includes(s),
);

/**
 * Throws `DB_OPTION_INVALID` unless a caller may record the event: its step is one of
 * {@link AUDIT_STEPS} but not the database's own, and its outcome one of {@link AUDIT_OUTCOMES}.
 */
export function assertAuditEvent(event: { readonly step: string; readonly outcome: string }): void {
  if (!CALLER_AUDIT_STEPS.includes(event.step)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `Audit step ${JSON.stringify(event.step)} ${(DATABASE_AUDIT_STEPS as readonly string[]).includes(event.step) ? 'is recorded by the database itself' : 'is unknown'}; record one of ${CALLER_AUDIT_STEPS.join(', ')}.`,
    );
  }
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(event.outcome)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `Audit outcome ${JSON.stringify(event.outcome)} is not one of ${AUDIT_OUTCOMES.join(', ')}.`,
    );
  }
}

/**
 * Statuses whose history retention may delete ({@link Database.pruneHistory}): terminal, but not
 * `held` (a held file waits for a person's decision).
 */
export const PRUNABLE_FILE_STATUSES: readonly FileStatus[] = TERMINAL_FILE_STATUSES.filter((s) => s !== 'held');

// ---- file tracking -----------------------------------------------------------------------------

/**
 * The longest lease, in ms: 2^31 − 1 (about 24.8 days). SQL Server's `DATEADD(MILLISECOND, …)`
 * takes an INT, and a heartbeat timer cannot wait longer either.
 */
export const MAX_LEASE_MS = 2_147_483_647;

/** Throws `DB_OPTION_INVALID` unless `leaseMs` is a positive number of ms up to {@link MAX_LEASE_MS}. */
export function assertLease(leaseMs: number): void {
  if (!(Number.isFinite(leaseMs) && leaseMs > 0 && leaseMs <= MAX_LEASE_MS)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `leaseMs ${String(leaseMs)} must be a positive number of milliseconds (at most 24 days).`,
    );
  }
}

/** The file a {@link FindLoadedQuery} skips, checked, or null. */
export function excludedFileId(query: FindLoadedQuery): number | null {
  const id = query.excludeFileId ?? null;
  if (id !== null) assertValidId(id, 'excludeFileId');
  return id;
}

/** The error of a write whose claim token no longer holds the file's row. */
export function claimLost(claim: FileClaim): DbError {
  return new DbError(
    DbErrorCode.CLAIM_LOST,
    `The claim on file ${claim.fileId} is no longer held (its lease expired and another instance took it, or it was finished); stop processing it.`,
  );
}

/** Throws `DB_OPTION_INVALID` unless `status` is one of {@link FILE_STATUSES}. */
export function assertFileStatus(status: string): void {
  if (!(FILE_STATUSES as readonly string[]).includes(status)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `File status ${JSON.stringify(status)} is not one of ${FILE_STATUSES.join(', ')}.`,
    );
  }
}

/** Throws `DB_OPTION_INVALID` unless `status` ends a file's life. */
export function assertFinishStatus(status: string): void {
  if (!(TERMINAL_FILE_STATUSES as readonly string[]).includes(status)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `finish() needs a terminal status (${TERMINAL_FILE_STATUSES.join(', ')}), got ${JSON.stringify(status)}.`,
    );
  }
}

/** A column of the files table a claimant may write (a fixed whitelist, never data). */
export type FilePatchColumn =
  | 'status'
  | 'path'
  | 'size'
  | 'sha256'
  | 'rows_read'
  | 'rows_loaded'
  | 'rows_rejected'
  | 'target_table';

/** The columns a progress patch sets, in a fixed order, with their values; checks the status. */
export function patchColumns(
  patch: FileProgressPatch,
): { readonly column: FilePatchColumn; readonly value: string | number }[] {
  if (patch.status !== undefined) assertFileStatus(patch.status);
  const fields: readonly [FilePatchColumn, string | number | undefined][] = [
    ['status', patch.status],
    ['path', patch.path],
    ['size', patch.size],
    ['sha256', patch.sha256],
    ['rows_read', patch.rowsRead],
    ['rows_loaded', patch.rowsLoaded],
    ['rows_rejected', patch.rowsRejected],
    ['target_table', patch.targetTable],
  ];
  return fields.flatMap(([column, value]) => (value === undefined ? [] : [{ column, value }]));
}

// ---- stored rows -------------------------------------------------------------------------------

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** A stored time (SQLite: ms since the epoch; SQL Server: a Date) as a Date. */
export const dateOrNull = (v: unknown): Date | null =>
  v instanceof Date ? v : v === null || v === undefined ? null : new Date(typeof v === 'number' ? v : String(v));

/** A row of the files table, as either dialect returns it. */
export interface FileRowLike {
  readonly id: unknown;
  readonly path: string;
  readonly name: string;
  readonly size: unknown;
  readonly mtime_ms: unknown;
  readonly sha256: string | null;
  readonly status: string;
  readonly detected_at: unknown;
  readonly claimed_at: unknown;
  readonly started_at: unknown;
  readonly finished_at: unknown;
  readonly rows_read: unknown;
  readonly rows_loaded: unknown;
  readonly rows_rejected: unknown;
  readonly target_table: string | null;
  readonly error_code: string | null;
  readonly error_message: string | null;
  readonly instance_id: string | null;
  readonly lease_until: unknown;
}

/** A files row as a {@link FileRecord}. */
export function fileRecordFrom(r: FileRowLike): FileRecord {
  return {
    id: num(r.id),
    path: r.path,
    name: r.name,
    size: num(r.size),
    mtimeMs: numOrNull(r.mtime_ms),
    sha256: r.sha256 === null ? null : r.sha256.trim(),
    status: r.status as FileStatus,
    detectedAt: dateOrNull(r.detected_at) as Date,
    claimedAt: dateOrNull(r.claimed_at),
    startedAt: dateOrNull(r.started_at),
    finishedAt: dateOrNull(r.finished_at),
    rowsRead: numOrNull(r.rows_read),
    rowsLoaded: numOrNull(r.rows_loaded),
    rowsRejected: numOrNull(r.rows_rejected),
    targetTable: r.target_table,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    instanceId: r.instance_id,
    leaseUntil: dateOrNull(r.lease_until),
  };
}

/**
 * A row of the backup catalogue (the row count under a dialect-neutral name). The columns after
 * `reason` came with metadata migration 2 (SQLite) / 3 (SQL Server); older rows are `full`.
 */
export interface CatalogueRowLike {
  readonly snapshot: string;
  readonly table_name: string;
  readonly taken_at: unknown;
  readonly rows: unknown;
  readonly source_file: string | null;
  readonly file_id: unknown;
  readonly reason: string;
  readonly kind?: string | null;
  /** JSON array of the load's key columns (a delta on SQL Server finds its rows by them). */
  readonly key_columns?: string | null;
  /** JSON array of the live table's column names before the load. */
  readonly columns_before?: string | null;
  /** Rows of the live table right after the load. */
  readonly rows_after?: unknown;
  /** SQLite: the largest rowid before the load (0 for an empty table). */
  readonly watermark?: unknown;
}

/** A catalogue row as a {@link BackupInfo}. */
export function backupInfoFrom(r: CatalogueRowLike): BackupInfo {
  return {
    table: r.table_name,
    snapshot: r.snapshot,
    takenAt: dateOrNull(r.taken_at) as Date,
    rows: num(r.rows),
    kind: r.kind === 'delta' ? 'delta' : 'full',
    sourceFile: r.source_file,
    fileId: numOrNull(r.file_id),
    reason: r.reason as BackupInfo['reason'],
  };
}

/**
 * A catalogued snapshot with what undoing it needs. A `full` snapshot needs nothing more; a
 * `delta` has the columns and row count before its load (`rows`), the row count right after
 * (`rowsAfter`), and its key columns (SQL Server) or rowid watermark (SQLite).
 */
export interface SnapshotEntry {
  readonly info: BackupInfo;
  readonly keyColumns: readonly string[] | null;
  readonly columnsBefore: readonly string[] | null;
  readonly rowsAfter: number | null;
  readonly watermark: number | null;
}

const jsonList = (v: string | null | undefined): string[] | null =>
  v === null || v === undefined ? null : (JSON.parse(v) as string[]);

/** A catalogue row as a {@link SnapshotEntry}. */
export function snapshotEntryFrom(r: CatalogueRowLike): SnapshotEntry {
  return {
    info: backupInfoFrom(r),
    keyColumns: jsonList(r.key_columns),
    columnsBefore: jsonList(r.columns_before),
    rowsAfter: numOrNull(r.rows_after),
    watermark: numOrNull(r.watermark),
  };
}

/** A full snapshot's catalogue entry (nothing more is needed to restore it). */
export const fullEntry = (info: BackupInfo): SnapshotEntry => ({
  info,
  keyColumns: null,
  columnsBefore: null,
  rowsAfter: null,
  watermark: null,
});

/**
 * How a restore brings `ref.<table>` back to the state before `target`'s load, from the table's
 * snapshots newest first (`newestFirst`, as the catalogue lists them): reset the live table to
 * `base`, the oldest full snapshot at or after the target (none: start from the live table as it
 * is), then undo `deltas` in order, newest first. Each delta is valid only from the state right
 * after its own load, which is what the step before it leaves (a full snapshot holds the state
 * before its load, which is the state after the previous one). Undefined when `target` is not
 * catalogued.
 */
export function restorePlan(
  newestFirst: readonly SnapshotEntry[],
  target: string,
): { readonly base: SnapshotEntry | undefined; readonly deltas: readonly SnapshotEntry[] } | undefined {
  const end = newestFirst.findIndex((e) => e.info.snapshot === target);
  if (end < 0) return undefined;
  const chain = newestFirst.slice(0, end + 1);
  const baseAt = chain.findLastIndex((e) => e.info.kind === 'full');
  return baseAt < 0 ? { base: undefined, deltas: chain } : { base: chain[baseAt], deltas: chain.slice(baseAt + 1) };
}

/** The error of a restore whose chain of snapshots cannot be undone safely. */
export function chainBroken(table: string, target: string, why: string): DbError {
  return new DbError(
    DbErrorCode.SNAPSHOT_CHAIN_BROKEN,
    `Cannot restore ${JSON.stringify(table)} to snapshot ${JSON.stringify(target)}: ${why}. Nothing was changed. Restore a newer snapshot of kind "full" (listBackups shows each snapshot's kind), or load the file again.`,
  );
}

/**
 * Throws `DB_SNAPSHOT_CHAIN_BROKEN` unless the live table holds the rows `delta`'s load left
 * (a count that differs means the table was changed outside refdata since), and the delta has
 * what undoing it needs.
 */
export function assertUndoable(table: string, target: string, delta: SnapshotEntry, liveRows: number): void {
  if (delta.columnsBefore === null || delta.rowsAfter === null) {
    throw chainBroken(table, target, `snapshot ${JSON.stringify(delta.info.snapshot)} lacks what undoing it needs`);
  }
  if (liveRows !== delta.rowsAfter) {
    throw chainBroken(
      table,
      target,
      `undoing the ${delta.info.reason} of snapshot ${JSON.stringify(delta.info.snapshot)} needs the ${delta.rowsAfter} rows that load left, but the table has ${liveRows} (it was changed outside refdata)`,
    );
  }
}

/** A row of the datasets table. */
export interface DatasetRowLike {
  readonly table_name: string;
  readonly mode: string;
  readonly key_columns: string;
  readonly type_overrides: string;
}

/** A datasets row as a {@link DatasetConfig}. */
export function datasetFrom(row: DatasetRowLike): DatasetConfig {
  return {
    table: row.table_name,
    mode: row.mode as DatasetConfig['mode'],
    keyColumns: JSON.parse(row.key_columns) as string[],
    typeOverrides: JSON.parse(row.type_overrides) as Record<string, DbType>,
  };
}

/** A row of the audit table (its time under a dialect-neutral name). */
export interface AuditRowLike {
  readonly id: unknown;
  readonly file_id: unknown;
  readonly step: string;
  readonly outcome: string;
  readonly duration_ms: number | null;
  readonly details: string | null;
  readonly at: unknown;
}

/** An audit row as an {@link AuditRecord} (its step and details as they were recorded). */
export function auditRecordFrom(r: AuditRowLike): AuditRecord {
  return {
    id: num(r.id),
    at: dateOrNull(r.at) as Date,
    fileId: numOrNull(r.file_id),
    step: r.step,
    outcome: r.outcome as AuditRecord['outcome'],
    ...(r.duration_ms === null ? {} : { durationMs: r.duration_ms }),
    ...(r.details === null ? {} : { details: JSON.parse(r.details) as Record<string, unknown> }),
  } as AuditRecord;
}

/** A row of the rejects table. */
export interface RejectRowLike {
  readonly line: unknown;
  readonly raw: string;
  readonly column_name: string | null;
  readonly value: string | null;
  readonly reason: string;
}

/** A rejects row as a {@link RejectedRow}. */
export function rejectFrom(r: RejectRowLike): RejectedRow {
  return {
    line: num(r.line),
    raw: r.raw,
    ...(r.column_name === null ? {} : { column: r.column_name }),
    ...(r.value === null ? {} : { value: r.value }),
    reason: r.reason,
  };
}

// ---- backups -----------------------------------------------------------------------------------

/**
 * Snapshot names for `table` taken at `at`, in the order to try them: `<table>.<UTC stamp>`, the
 * stamp moved past the newest catalogued one and then forward a millisecond at a time, so two
 * loads in one millisecond never collide. The caller takes the first whose table does not exist.
 */
export function* snapshotCandidates(
  table: string,
  at: Date,
  lastTakenMs: number | null,
): Generator<{ readonly name: string; readonly takenAt: Date }> {
  let ms = at.getTime();
  if (lastTakenMs !== null && lastTakenMs >= ms) ms = lastTakenMs + 1;
  for (;;) {
    const takenAt = new Date(ms);
    yield { name: `${table}.${snapshotStamp(takenAt)}`, takenAt };
    ms++;
  }
}

/** The catalogue entry of the snapshot a restore takes of the live table first. */
export function restoreSnapshot(table: string, name: string, takenAt: Date, rows: number): BackupInfo {
  return { table, snapshot: name, takenAt, rows, kind: 'full', sourceFile: null, fileId: null, reason: 'restore' };
}

/** The `restore` audit event: which snapshot became live, and which snapshot kept the old contents. */
export function restoreAudit(table: string, from: BackupInfo, taken: BackupInfo | null, started: number): AuditEvent {
  return {
    step: 'restore',
    outcome: 'ok',
    durationMs: performance.now() - started,
    details: { table, from: from.snapshot, rows: from.rows, snapshot: taken?.snapshot ?? null },
  };
}

/** The `prune` audit event. */
export function pruneAudit(table: string, keep: number, dropped: readonly BackupInfo[]): AuditEvent {
  return { step: 'prune', outcome: 'ok', details: { table, keep, dropped: dropped.map((d) => d.snapshot) } };
}
