/**
 * The rules both dialects follow, written once: argument checks of the {@link Database} contract
 * and the errors they raise, the shapes of stored rows, rejects, change summaries, outcomes and
 * audit details, and the lifecycle of a load session. SQL text stays in each dialect's `*-sql.ts`.
 */
import { DbError, DbErrorCode } from '../errors.js';
import { foldIdentifier } from '../identifiers.js';
import type { NormalizedLoadSpec } from '../load-spec.js';
import { abortError } from '../retry.js';
import type {
  AuditRecord,
  BackupInfo,
  ChangeSummary,
  ColumnDef,
  DatasetConfig,
  DbType,
  DbValue,
  Dialect,
  FileClaim,
  FileProgressPatch,
  FileRecord,
  FileStatus,
  HealthReport,
  LoadOutcome,
  Logger,
  OpenDatabaseOptions,
  RejectedRow,
} from '../types.js';
import { AUDIT_OUTCOMES, FILE_STATUSES, TERMINAL_FILE_STATUSES } from '../types.js';
import { renderCsvLine, snapshotStamp, type ValueChecker } from '../values.js';

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

/** Throws `DB_OPTION_INVALID` unless `outcome` is one of {@link AUDIT_OUTCOMES}. */
export function assertAuditOutcome(outcome: string): void {
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `Audit outcome ${JSON.stringify(outcome)} is not one of ${AUDIT_OUTCOMES.join(', ')}.`,
    );
  }
}

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

/** A row of the backup catalogue (the row count under a dialect-neutral name). */
export interface CatalogueRowLike {
  readonly snapshot: string;
  readonly table_name: string;
  readonly taken_at: unknown;
  readonly rows: unknown;
  readonly source_file: string | null;
  readonly file_id: unknown;
  readonly reason: string;
}

/** A catalogue row as a {@link BackupInfo}. */
export function backupInfoFrom(r: CatalogueRowLike): BackupInfo {
  return {
    table: r.table_name,
    snapshot: r.snapshot,
    takenAt: dateOrNull(r.taken_at) as Date,
    rows: num(r.rows),
    sourceFile: r.source_file,
    fileId: numOrNull(r.file_id),
    reason: r.reason as BackupInfo['reason'],
  };
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

/** An audit row as an {@link AuditRecord}. */
export function auditRecordFrom(r: AuditRowLike): AuditRecord {
  return {
    id: num(r.id),
    at: dateOrNull(r.at) as Date,
    fileId: numOrNull(r.file_id),
    step: r.step,
    outcome: r.outcome as AuditRecord['outcome'],
    ...(r.duration_ms === null ? {} : { durationMs: r.duration_ms }),
    ...(r.details === null ? {} : { details: JSON.parse(r.details) as Record<string, unknown> }),
  };
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

/** The catalogue entry of the snapshot a load takes of the live table. */
export function loadSnapshot(spec: NormalizedLoadSpec, name: string, takenAt: Date, liveRows: number): BackupInfo {
  return {
    table: spec.table,
    snapshot: name,
    takenAt,
    rows: liveRows,
    sourceFile: spec.sourceFile,
    fileId: spec.fileId,
    reason: spec.mode,
  };
}

/** Details of the `restore` audit step. */
export function restoreDetails(table: string, from: BackupInfo, taken: BackupInfo | null): Record<string, unknown> {
  return { table, from: from.snapshot, rows: from.rows, snapshot: taken?.snapshot ?? null };
}

/** Details of the `prune` audit step. */
export function pruneDetails(table: string, keep: number, dropped: readonly BackupInfo[]): Record<string, unknown> {
  return { table, keep, dropped: dropped.map((d) => d.snapshot) };
}

// ---- loads: rows -------------------------------------------------------------------------------

/** Throws `DB_VALUE_INVALID` unless a staged row has one value per column and an integer line. */
export function assertStagedRow(line: number, values: number, width: number, table: string): void {
  if (values !== width) {
    throw new DbError(
      DbErrorCode.VALUE_INVALID,
      `Line ${line} has ${values} values but ${table} has ${width} columns; pass one value per column.`,
    );
  }
  if (!Number.isSafeInteger(line)) {
    throw new DbError(DbErrorCode.VALUE_INVALID, `Line number ${String(line)} is not an integer.`);
  }
}

/** The first value of a row that does not fit its column, with why; undefined when all fit. */
export function firstMisfit(
  checks: readonly ValueChecker[],
  values: readonly DbValue[],
  line: number,
): { readonly index: number; readonly problem: string } | undefined {
  for (let i = 0; i < checks.length; i++) {
    const problem = (checks[i] as ValueChecker)(values[i] as DbValue, line);
    if (problem !== undefined) return { index: i, problem };
  }
  return undefined;
}

/** A row whose value `values[index]` does not fit `column`. */
export function conversionReject(
  line: number,
  values: readonly DbValue[],
  column: ColumnDef,
  index: number,
  problem: string,
): RejectedRow {
  const value = values[index] as DbValue;
  return {
    line,
    raw: renderCsvLine(values),
    column: column.name,
    value: value === null ? '' : String(value),
    reason: `${value === null ? 'the value' : JSON.stringify(String(value).slice(0, 60))} ${problem}`,
  };
}

/** A row with an empty (NULL) key column. */
export function emptyKeyReject(line: number, values: readonly DbValue[], spec: NormalizedLoadSpec): RejectedRow {
  const empty = spec.keyColumns.filter((k) => values[keyIndex(spec, k)] === null);
  return {
    line,
    raw: renderCsvLine(values),
    column: empty.join(','),
    value: '',
    reason: `key column ${empty.map((k) => JSON.stringify(k)).join(', ')} is empty; every row needs a key`,
  };
}

/** A row whose key repeats the row on `firstLine`. */
export function duplicateKeyReject(
  line: number,
  values: readonly DbValue[],
  spec: NormalizedLoadSpec,
  firstLine: unknown,
): RejectedRow {
  const keys = spec.keyColumns;
  const keyValues = keys.map((k) => String(values[keyIndex(spec, k)]));
  return {
    line,
    raw: renderCsvLine(values),
    column: keys.join(','),
    value: keyValues.join(','),
    reason: `duplicate key (${keys.map((k, i) => `${k}=${keyValues[i]}`).join(', ')}): first seen on line ${String(firstLine)}`,
  };
}

const keyIndex = (spec: NormalizedLoadSpec, key: string): number => spec.columns.findIndex((c) => c.name === key);

/** Orders rejected rows by line. */
export const byLine = (a: RejectedRow, b: RejectedRow): number => a.line - b.line;

// ---- loads: commit -----------------------------------------------------------------------------

/** Spells incoming column names as the live table does (names compare case-insensitively). */
export function liveSpelling(liveColumns: readonly ColumnDef[]): {
  readonly has: (name: string) => boolean;
  readonly name: (name: string) => string;
} {
  const byFold = new Map(liveColumns.map((c) => [foldIdentifier(c.name), c.name]));
  return {
    has: (n) => byFold.has(foldIdentifier(n)),
    name: (n) => byFold.get(foldIdentifier(n)) ?? n,
  };
}

/**
 * The value columns whose staged and live values a change summary compares, or undefined when
 * no comparison is needed: no keys, an append (everything staged is added), or a key the live
 * table lacks (no summary).
 */
export function changeSummaryColumns(
  spec: NormalizedLoadSpec,
  liveColumns: readonly ColumnDef[],
): readonly string[] | undefined {
  const keys = spec.keyColumns;
  const live = liveSpelling(liveColumns);
  if (keys.length === 0 || spec.mode === 'append' || !keys.every(live.has)) return undefined;
  return spec.columns.map((c) => c.name).filter((n) => !keys.includes(n) && live.has(n));
}

/** Row counts from comparing staging with the live table by key. */
export interface KeyComparison {
  readonly added: number;
  readonly removed: number;
  readonly matched: number;
  readonly changed: number;
}

/**
 * The change summary of a load into an existing table: from the key comparison (replace,
 * upsert), everything added (append with keys), or none (no keys, or keys the table lacks).
 */
export function changeSummary(
  spec: NormalizedLoadSpec,
  incoming: number,
  liveRows: number,
  counts: KeyComparison | undefined,
): ChangeSummary | null {
  if (spec.keyColumns.length === 0) return null;
  if (spec.mode === 'append') return { added: incoming, removed: 0, changed: 0, unchanged: liveRows };
  if (counts === undefined) return null;
  const { added, changed } = counts;
  return spec.mode === 'replace'
    ? { added, removed: counts.removed, changed, unchanged: counts.matched - changed }
    : { added, removed: 0, changed, unchanged: liveRows - changed };
}

/** The outcome of a load applied to `ref.<table>`; `snapshot` null when the table was new. */
export function appliedOutcome(
  spec: NormalizedLoadSpec,
  incoming: number,
  snapshot: BackupInfo | null,
  changes: ChangeSummary | null,
  started: number,
): Extract<LoadOutcome, { status: 'applied' }> {
  return {
    status: 'applied',
    table: spec.table,
    mode: spec.mode,
    rowsLoaded: incoming,
    snapshot,
    changes,
    durationMs: performance.now() - started,
  };
}

/** The change summary of a load that creates its table: every keyed row is added. */
export function newTableChanges(spec: NormalizedLoadSpec, incoming: number): ChangeSummary | null {
  return spec.keyColumns.length > 0 ? { added: incoming, removed: 0, changed: 0, unchanged: 0 } : null;
}

/** Details of an applied `commit` audit step. */
export function commitDetails(
  outcome: Extract<LoadOutcome, { status: 'applied' }>,
  pruned: readonly BackupInfo[],
): Record<string, unknown> {
  return {
    table: outcome.table,
    mode: outcome.mode,
    rowsLoaded: outcome.rowsLoaded,
    snapshot: outcome.snapshot?.snapshot ?? null,
    changes: outcome.changes,
    pruned: pruned.map((p) => p.snapshot),
  };
}

/** Details of a held `commit` audit step. */
export function heldDetails(
  spec: NormalizedLoadSpec,
  outcome: Extract<LoadOutcome, { status: 'held' }>,
): Record<string, unknown> {
  return {
    table: outcome.table,
    mode: spec.mode,
    liveRows: outcome.liveRows,
    incomingRows: outcome.incomingRows,
    reason: outcome.reason,
  };
}

/** Logs how a commit ended. */
export function logOutcome(logger: Logger, table: string, outcome: LoadOutcome): void {
  if (outcome.status === 'applied') {
    logger.info(
      { table, mode: outcome.mode, rows: outcome.rowsLoaded, snapshot: outcome.snapshot?.snapshot ?? null },
      'load committed',
    );
  } else {
    logger.info({ table, liveRows: outcome.liveRows, incomingRows: outcome.incomingRows }, 'replace held');
  }
}

// ---- loads: session lifecycle ------------------------------------------------------------------

/**
 * The lifecycle every load session shares: operations run one after another, a closed session
 * refuses work with `DB_SESSION_CLOSED`, a cancelled one with `DB_ABORTED` after dropping its
 * staging, and `abort()` is safe to call more than once.
 */
export class SessionGate {
  readonly #table: string;
  readonly #signal: AbortSignal | undefined;
  readonly #drop: () => Promise<void>;
  readonly #track: <T>(p: Promise<T>) => Promise<T>;
  #open = true;
  #chain: Promise<unknown> = Promise.resolve();

  /**
   * @param drop Closes the session and drops its staging (never throws).
   * @param track Wraps each queued operation (the database waits for tracked work on close).
   */
  constructor(spec: NormalizedLoadSpec, drop: () => Promise<void>, track: <T>(p: Promise<T>) => Promise<T> = (p) => p) {
    this.#table = spec.table;
    this.#signal = spec.signal;
    this.#drop = drop;
    this.#track = track;
  }

  /** Whether the session still accepts work. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Marks the session closed (after commit or abort). */
  close(): void {
    this.#open = false;
  }

  /** Throws `DB_SESSION_CLOSED` after commit/abort, `DB_ABORTED` once the signal fired. */
  assertOpen(): void {
    if (!this.#open) {
      throw new DbError(
        DbErrorCode.SESSION_CLOSED,
        `The load into ${this.#table} was already committed or aborted; start a new one with beginLoad().`,
      );
    }
    if (this.#signal?.aborted) throw abortError(this.#signal);
  }

  /** Runs `op` after every earlier operation; on cancellation drops staging before rethrowing. */
  run<T>(op: () => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      try {
        return await op();
      } catch (err) {
        if (err instanceof DbError && err.code === DbErrorCode.ABORTED && this.#open) await this.#drop();
        throw err;
      }
    });
  }

  /** Drops staging once, after earlier operations; later calls wait for the same end. */
  abort(): Promise<void> {
    if (!this.#open) return this.#chain.then(() => undefined);
    return this.#serial(async () => {
      if (this.#open) await this.#drop();
    });
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op, op);
    this.#chain = next.catch(() => undefined);
    return this.#track(next);
  }
}
