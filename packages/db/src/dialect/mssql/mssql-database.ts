/**
 * The SQL Server dialect (tedious + tarn).
 *
 * Schemas `ref` (live), `bkp` (snapshots + catalogue), `stg` (staging) and `refdata` (metadata).
 * Loads bulk-copy into a text staging table (decimals and temporal values as NVARCHAR, see
 * mssql-types.ts), validate() converts them on the server with TRY_CONVERT into a typed staging
 * table, and commit() swaps tables with ALTER SCHEMA … TRANSFER + sp_rename in one short
 * transaction (metadata only), serialised per table with an application lock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DbError, DbErrorCode } from '../../errors.js';
import { assertIdentifier, foldIdentifier } from '../../identifiers.js';
import {
  assertAppendable,
  assertDatasetConfig,
  compareColumnSets,
  destructiveReplaceReason,
  type NormalizedLoadSpec,
  normalizeLoadSpec,
} from '../../load-spec.js';
import { noopLogger } from '../../logger.js';
import { abortError } from '../../retry.js';
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
import { type MssqlUrl, redactDatabaseUrl } from '../../url.js';
import { formatDbType, renderCsvLine, snapshotStamp, toJson, type ValueChecker, valueChecker } from '../../values.js';
import { assertLease, claimLost, closedError } from '../shared.js';
import { commitAudit, heldOutcome } from '../shared-load.js';
import { MssqlClient, type MssqlSession, type SqlParam } from './mssql-client.js';
import {
  addColumnSql,
  appendSql,
  bootstrapSql,
  CLAIM_NEW_SQL,
  changeSummarySql,
  conversionFailuresSql,
  copyTableSql,
  countSql,
  createStagingSql,
  createTypedSql,
  DESCRIBE_SQL,
  deleteDuplicateKeysSql,
  deleteNullKeysSql,
  dropLineColumnSql,
  dropTableIfExistsSql,
  duplicateKeysSql,
  fallbackInsertSql,
  fallbackRowsPerStatement,
  fillTypedSql,
  HEARTBEAT_SQL,
  LIST_EXPIRED_SQL,
  LIST_TABLES_SQL,
  MARK_RELEASED_SQL,
  MAX_COLUMNS,
  MIGRATION_LOCK_SQL,
  MSSQL_MIGRATIONS,
  nullKeysSql,
  OBJECT_ID_SQL,
  RECLAIM_SQL,
  RENAME_SQL,
  readTableSql,
  SCHEMAS,
  STALE_STAGING_SQL,
  stagedLinesInRangeSql,
  stagingColumn,
  syncStagingSql,
  TABLE_LOCK_SQL,
  transferSql,
  updateFileSql,
  upsertInsertSql,
  upsertUpdateSql,
} from './mssql-sql.js';
import { mssqlReadValue, mssqlStagingValue, parseMssqlType, qualified, tediousStagingColumn } from './mssql-types.js';
import {
  buildTediousConfig,
  loadTarn,
  loadTedious,
  type TarnPoolConstructor,
  type TediousModuleLike,
} from './tedious-like.js';

/** The metadata schema version this release writes. */
export const MSSQL_SCHEMA_VERSION: number = MSSQL_MIGRATIONS.length;

/** Bulk-load permission denied: fall back to parameterised INSERT. */
const BULK_PERMISSION_ERRORS = new Set([4834, 4827]);

const nv = (name: string, value: string | null, length = 4000): SqlParam => ({
  name,
  type: 'NVarChar',
  value,
  options: { length },
});
const nvMax = (name: string, value: string | null): SqlParam => ({
  name,
  type: 'NVarChar',
  value,
  options: { length: Number.POSITIVE_INFINITY },
});
const big = (name: string, value: number | bigint | null): SqlParam => ({ name, type: 'BigInt', value });
const int = (name: string, value: number): SqlParam => ({ name, type: 'Int', value });
const guid = (name: string, value: string): SqlParam => ({ name, type: 'UniqueIdentifier', value });
const dt = (name: string, value: Date): SqlParam => ({ name, type: 'DateTime2', value, options: { scale: 3 } });
const float = (name: string, value: number | null): SqlParam => ({ name, type: 'Float', value });

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const dateOrNull = (v: unknown): Date | null =>
  v instanceof Date ? v : v === null || v === undefined ? null : new Date(String(v));

interface FileRowMs {
  id: unknown;
  path: string;
  name: string;
  size: unknown;
  mtime_ms: unknown;
  sha256: string | null;
  status: string;
  detected_at: Date;
  claimed_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  rows_read: unknown;
  rows_loaded: unknown;
  rows_rejected: unknown;
  target_table: string | null;
  error_code: string | null;
  error_message: string | null;
  instance_id: string | null;
  lease_until: Date | null;
}

function toFileRecord(r: FileRowMs): FileRecord {
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

interface CatalogueRowMs {
  snapshot: string;
  table_name: string;
  taken_at: Date;
  row_count: unknown;
  source_file: string | null;
  file_id: unknown;
  reason: string;
}

function toBackupInfo(r: CatalogueRowMs): BackupInfo {
  return {
    table: r.table_name,
    snapshot: r.snapshot,
    takenAt: dateOrNull(r.taken_at) as Date,
    rows: num(r.row_count),
    sourceFile: r.source_file,
    fileId: numOrNull(r.file_id),
    reason: r.reason as BackupInfo['reason'],
  };
}

// ---- helpers running inside a unit of work ---------------------------------------------------

async function existsIn(s: MssqlSession, schema: string, name: string): Promise<boolean> {
  const [row] = await s.query<{ id: unknown }>(OBJECT_ID_SQL, [nv('name', qualified(schema, name))]);
  return row !== undefined && row.id !== null;
}

async function describeIn(s: MssqlSession, schema: string, name: string): Promise<ColumnDef[] | undefined> {
  const rows = await s.query<{
    name: string;
    type_name: string;
    max_length: number;
    precision: number;
    scale: number;
    nullable: boolean;
  }>(DESCRIBE_SQL, [nv('name', qualified(schema, name))]);
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({
    name: r.name,
    type: parseMssqlType(r.type_name, Number(r.max_length), Number(r.precision), Number(r.scale)),
    nullable: Boolean(r.nullable),
  }));
}

async function countIn(s: MssqlSession, schema: string, name: string): Promise<number> {
  const [row] = await s.query<{ n: unknown }>(countSql(schema, name));
  return num(row?.n ?? 0);
}

async function renameIn(s: MssqlSession, schema: string, name: string, newName: string): Promise<void> {
  await s.execute(RENAME_SQL, [nv('objname', qualified(schema, name), 1000), nv('newname', newName, 128)]);
}

async function auditIn(s: MssqlSession, event: AuditEvent): Promise<void> {
  await s.execute(
    'INSERT INTO [refdata].[audit] (file_id, step, outcome, duration_ms, details, at_utc) VALUES (@file_id, @step, @outcome, @duration_ms, @details, SYSUTCDATETIME());',
    [
      big('file_id', event.fileId ?? null),
      nv('step', event.step, 100),
      nv('outcome', event.outcome, 20),
      float('duration_ms', event.durationMs ?? null),
      nvMax('details', event.details === undefined ? null : toJson(event.details)),
    ],
  );
}

async function takeSnapshotName(s: MssqlSession, table: string, at: Date): Promise<{ name: string; takenAt: Date }> {
  let ms = at.getTime();
  const [last] = await s.query<{ t: Date | null }>(
    'SELECT MAX(taken_at) AS [t] FROM [bkp].[catalogue] WHERE table_name = @table;',
    [nv('table', table, 128)],
  );
  if (last?.t instanceof Date && last.t.getTime() >= ms) ms = last.t.getTime() + 1;
  for (;;) {
    const name = `${table}.${snapshotStamp(new Date(ms))}`;
    if (!(await existsIn(s, SCHEMAS.backup, name))) return { name, takenAt: new Date(ms) };
    ms++;
  }
}

async function catalogueIn(s: MssqlSession, info: BackupInfo): Promise<void> {
  await s.execute(
    'INSERT INTO [bkp].[catalogue] (snapshot, table_name, taken_at, row_count, source_file, file_id, reason) VALUES (@snapshot, @table, @taken_at, @rows, @source_file, @file_id, @reason);',
    [
      nv('snapshot', info.snapshot, 128),
      nv('table', info.table, 128),
      dt('taken_at', info.takenAt),
      big('rows', info.rows),
      nv('source_file', info.sourceFile, 1024),
      big('file_id', info.fileId),
      nv('reason', info.reason, 10),
    ],
  );
}

async function pruneIn(s: MssqlSession, table: string, keep: number): Promise<BackupInfo[]> {
  const rows = await s.query<CatalogueRowMs>(
    'SELECT * FROM [bkp].[catalogue] WHERE table_name = @table ORDER BY taken_at DESC, snapshot DESC OFFSET @keep ROWS;',
    [nv('table', table, 128), int('keep', keep)],
  );
  for (const r of rows) {
    await s.execute(dropTableIfExistsSql(SCHEMAS.backup, r.snapshot));
    await s.execute('DELETE FROM [bkp].[catalogue] WHERE snapshot = @snapshot;', [nv('snapshot', r.snapshot, 128)]);
  }
  return rows.map(toBackupInfo);
}

/**
 * The SQL Server implementation of {@link Database}. Create it with `openDatabase('mssql://…')`.
 * @internal
 */
export class MssqlDatabase implements Database {
  readonly dialect = 'mssql' as const;
  readonly displayUrl: string;
  readonly files: FileTracking;
  readonly #client: MssqlClient;
  readonly #logger: Logger;
  readonly #keepBackups: number;
  readonly #sessions = new Set<MssqlLoadSession>();
  #closed = false;

  /** @internal Use {@link MssqlDatabase.open}; tests pass fake tedious and tarn modules. */
  constructor(url: MssqlUrl, options: OpenDatabaseOptions, tedious: TediousModuleLike, Pool: TarnPoolConstructor) {
    this.displayUrl = redactDatabaseUrl(url);
    this.#logger = (options.logger ?? noopLogger).child({ component: '@refdata/db', dialect: 'mssql' });
    this.#keepBackups = options.keepBackups ?? 10;
    const config = buildTediousConfig(url, options, this.#logger);
    this.#client = new MssqlClient(tedious, Pool, config, {
      poolSize: options.poolSize ?? 10,
      retry: { maxRetries: options.maxRetries ?? 3, baseSeconds: options.retryBackoffSeconds ?? 1 },
      logger: this.#logger,
    });
    this.files = new MssqlFileTracking(this.#client);
  }

  /** Loads tedious and tarn, builds the pool and checks that the server answers. */
  static async open(url: MssqlUrl, options: OpenDatabaseOptions = {}): Promise<MssqlDatabase> {
    const [tedious, Pool] = await Promise.all([loadTedious(), loadTarn()]);
    const db = new MssqlDatabase(url, options, tedious, Pool);
    try {
      await db.#client.unit('connect', (s) => s.query('SELECT 1 AS [ok];'), { transaction: false });
    } catch (err) {
      await db.#client.close();
      throw err;
    }
    db.#logger.info({ url: db.displayUrl }, 'SQL Server database opened');
    return db;
  }

  #unit<T>(
    label: string,
    fn: (s: MssqlSession, attempt: number) => Promise<T>,
    transaction: boolean,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#client.unit(label, fn, { transaction, signal });
  }

  async migrate(): Promise<void> {
    await this.#unit(
      'migrate',
      async (s) => {
        await s.batch(bootstrapSql());
        await s.batch(MIGRATION_LOCK_SQL);
        const [row] = await s.query<{ v: unknown }>(
          'SELECT COALESCE(MAX(version), 0) AS [v] FROM [refdata].[schema_version];',
        );
        const current = num(row?.v ?? 0);
        if (current > MSSQL_SCHEMA_VERSION) {
          throw new DbError(
            DbErrorCode.SCHEMA_VERSION_UNSUPPORTED,
            `The database has metadata schema version ${current}, newer than this release understands (${MSSQL_SCHEMA_VERSION}); upgrade @refdata/db.`,
          );
        }
        for (let v = current; v < MSSQL_SCHEMA_VERSION; v++) {
          for (const sql of MSSQL_MIGRATIONS[v] ?? []) await s.batch(sql);
          await s.execute(
            'INSERT INTO [refdata].[schema_version] (version, applied_at) VALUES (@v, SYSUTCDATETIME());',
            [int('v', v + 1)],
          );
          this.#logger.info({ version: v + 1 }, 'metadata schema migrated');
        }
        for (const stale of await s.query<{ name: string }>(STALE_STAGING_SQL)) {
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, stale.name));
          this.#logger.info({ staging: stale.name }, 'dropped staging table older than a day');
        }
      },
      true,
    );
  }

  async health(): Promise<HealthReport> {
    const started = performance.now();
    try {
      const version = await this.#unit(
        'health',
        async (s) => {
          const [row] = await s.query<{ v: unknown }>(
            "SELECT CASE WHEN OBJECT_ID(N'[refdata].[schema_version]', N'U') IS NULL THEN 0 ELSE (SELECT COALESCE(MAX(version), 0) FROM [refdata].[schema_version]) END AS [v];",
          );
          return num(row?.v ?? 0);
        },
        false,
      );
      return {
        ok: version === MSSQL_SCHEMA_VERSION,
        dialect: 'mssql',
        latencyMs: performance.now() - started,
        schemaVersion: version,
        ...(version === MSSQL_SCHEMA_VERSION
          ? {}
          : { message: `metadata schema version ${version}, expected ${MSSQL_SCHEMA_VERSION}; run migrate()` }),
      };
    } catch (err) {
      return {
        ok: false,
        dialect: 'mssql',
        latencyMs: performance.now() - started,
        schemaVersion: 0,
        message: err instanceof Error ? err.message : String(err),
      };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const session of [...this.#sessions]) await session.abort();
    this.#closed = true;
    await this.#client.close();
    this.#logger.debug({}, 'SQL Server database closed');
  }

  async describeTable(table: string): Promise<TableDescription | undefined> {
    assertIdentifier(table, 'table');
    return this.#unit(
      'describeTable',
      async (s) => {
        const columns = await describeIn(s, SCHEMAS.live, table);
        if (columns === undefined) return undefined;
        return { name: table, columns, rowCount: await countIn(s, SCHEMAS.live, table) };
      },
      false,
    );
  }

  async listTables(): Promise<TableDescription[]> {
    return this.#unit(
      'listTables',
      async (s) => {
        const out: TableDescription[] = [];
        for (const { name } of await s.query<{ name: string }>(LIST_TABLES_SQL)) {
          out.push({
            name,
            columns: (await describeIn(s, SCHEMAS.live, name)) ?? [],
            rowCount: await countIn(s, SCHEMAS.live, name),
          });
        }
        return out;
      },
      false,
    );
  }

  async compareColumns(table: string, incoming: readonly ColumnDef[]): Promise<SchemaComparison> {
    const description = await this.describeTable(table);
    return compareColumnSets(description?.columns, incoming);
  }

  readTable(table: string, options: { readonly signal?: AbortSignal } = {}): AsyncIterable<readonly DbValue[]> {
    assertIdentifier(table, 'table');
    const client = this.#client;
    const signal = options.signal;
    const isClosed = (): boolean => this.#closed;
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<readonly DbValue[]> {
        if (isClosed()) throw closedError();
        const queue: unknown[][] = [];
        let finished = false;
        let failure: unknown;
        let wake: (() => void) | undefined;
        let control: { pause: () => void; resume: () => void; cancel: () => void } | undefined;
        let paused = false;
        let columns: ColumnDef[] | undefined;
        const notify = (): void => {
          const w = wake;
          wake = undefined;
          w?.();
        };
        // One connection for the whole read; the reader holds a shared schema lock on the table,
        // so a concurrent replace waits for it and the reader sees the old table complete.
        const running = client
          .withConnection('readTable', async (s) => {
            columns = await describeIn(s, SCHEMAS.live, table);
            if (columns === undefined) {
              throw new DbError(
                DbErrorCode.TABLE_NOT_FOUND,
                `The table ref.${table} does not exist; list the tables with listTables().`,
              );
            }
            const cols = columns;
            const st = s.stream(readTableSql(table, cols, await keyOrder(s, table, cols)), [], (raw) => {
              queue.push(raw.map((v, i) => mssqlReadValue((cols[i] as ColumnDef).type, v)));
              if (queue.length >= 1000 && !paused) {
                paused = true;
                st.pause();
              }
              notify();
            });
            control = st;
            await st.done;
          })
          .then(
            () => {
              finished = true;
              notify();
            },
            (err: unknown) => {
              failure = err;
              finished = true;
              notify();
            },
          );
        try {
          for (;;) {
            if (signal?.aborted) throw abortError(signal);
            const row = queue.shift();
            if (row !== undefined) {
              if (paused && queue.length < 100) {
                paused = false;
                control?.resume();
              }
              yield row as DbValue[];
              continue;
            }
            if (finished) {
              if (failure !== undefined) throw failure;
              return;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        } finally {
          if (!finished) control?.cancel();
          await running;
        }
      },
    };
  }

  async beginLoad(spec: LoadSpec): Promise<LoadSession> {
    const normalized = normalizeLoadSpec(spec);
    if (normalized.signal?.aborted) throw abortError(normalized.signal);
    if (normalized.columns.length >= MAX_COLUMNS) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `${normalized.table} has ${normalized.columns.length} columns; SQL Server tables hold at most ${MAX_COLUMNS - 1} data columns here (one is needed for the line number). Split the file.`,
      );
    }
    const staging = `${normalized.table}.${snapshotStamp(new Date())}.${randomBytes(4).toString('hex')}`;
    await this.#unit(
      'beginLoad',
      async (s) => {
        if (normalized.mode !== 'replace') {
          const live = await describeIn(s, SCHEMAS.live, normalized.table);
          if (live !== undefined)
            assertAppendable(
              normalized.table,
              compareColumnSets(live, normalized.columns),
              normalized.addMissingColumns,
            );
        }
        await s.execute(createStagingSql(staging, normalized.columns));
      },
      false,
      normalized.signal,
    );
    const session = new MssqlLoadSession(this.#client, normalized, staging, this.#keepBackups, this.#logger, () =>
      this.#sessions.delete(session),
    );
    this.#sessions.add(session);
    return session;
  }

  async listBackups(table?: string): Promise<BackupInfo[]> {
    if (table !== undefined) assertIdentifier(table, 'table');
    return this.#unit(
      'listBackups',
      async (s) =>
        (table === undefined
          ? await s.query<CatalogueRowMs>(
              'SELECT * FROM [bkp].[catalogue] ORDER BY table_name, taken_at DESC, snapshot DESC;',
            )
          : await s.query<CatalogueRowMs>(
              'SELECT * FROM [bkp].[catalogue] WHERE table_name = @table ORDER BY taken_at DESC, snapshot DESC;',
              [nv('table', table, 128)],
            )
        ).map(toBackupInfo),
      false,
    );
  }

  async restoreBackup(table: string, snapshot: string): Promise<BackupInfo> {
    assertIdentifier(table, 'table');
    return this.#unit(
      'restoreBackup',
      async (s) => {
        const started = performance.now();
        await s.execute(TABLE_LOCK_SQL, [nv('resource', `refdata.table.${table.toLowerCase()}`, 255)]);
        const [row] = await s.query<CatalogueRowMs>(
          'SELECT * FROM [bkp].[catalogue] WHERE table_name = @table AND snapshot = @snapshot;',
          [nv('table', table, 128), nv('snapshot', snapshot, 128)],
        );
        if (row === undefined || !(await existsIn(s, SCHEMAS.backup, row.snapshot))) {
          throw new DbError(
            DbErrorCode.SNAPSHOT_NOT_FOUND,
            `No snapshot ${JSON.stringify(snapshot)} of ${JSON.stringify(table)} is catalogued; list them with listBackups(${JSON.stringify(table)}).`,
          );
        }
        let taken: BackupInfo | null = null;
        if (await existsIn(s, SCHEMAS.live, table)) {
          const { name, takenAt } = await takeSnapshotName(s, table, new Date());
          const rows = await countIn(s, SCHEMAS.live, table);
          await renameIn(s, SCHEMAS.live, table, name);
          await s.execute(transferSql(SCHEMAS.backup, SCHEMAS.live, name));
          taken = { table, snapshot: name, takenAt, rows, sourceFile: null, fileId: null, reason: 'restore' };
          await catalogueIn(s, taken);
        }
        await s.execute(copyTableSql(SCHEMAS.backup, row.snapshot, SCHEMAS.live, table));
        await auditIn(s, {
          step: 'restore',
          outcome: 'ok',
          durationMs: performance.now() - started,
          details: { table, from: row.snapshot, rows: num(row.row_count), snapshot: taken?.snapshot ?? null },
        });
        return taken ?? toBackupInfo(row);
      },
      true,
    );
  }

  async pruneBackups(table: string, keep?: number): Promise<BackupInfo[]> {
    assertIdentifier(table, 'table');
    const k = keep ?? this.#keepBackups;
    if (!Number.isSafeInteger(k) || k < 0)
      throw new DbError(DbErrorCode.OPTION_INVALID, `keep ${String(k)} must be a whole number ≥ 0.`);
    return this.#unit(
      'pruneBackups',
      async (s) => {
        await s.execute(TABLE_LOCK_SQL, [nv('resource', `refdata.table.${table.toLowerCase()}`, 255)]);
        const dropped = await pruneIn(s, table, k);
        if (dropped.length > 0)
          await auditIn(s, {
            step: 'prune',
            outcome: 'ok',
            details: { table, keep: k, dropped: dropped.map((d) => d.snapshot) },
          });
        return dropped;
      },
      true,
    );
  }

  async recordAudit(event: AuditEvent): Promise<void> {
    if (!(AUDIT_OUTCOMES as readonly string[]).includes(event.outcome)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `Audit outcome ${JSON.stringify(event.outcome)} is not one of ${AUDIT_OUTCOMES.join(', ')}.`,
      );
    }
    await this.#unit('recordAudit', (s) => auditIn(s, event), false);
  }

  async listAudit(fileId: number): Promise<AuditRecord[]> {
    return this.#unit(
      'listAudit',
      async (s) => {
        const rows = await s.query<{
          id: unknown;
          file_id: unknown;
          step: string;
          outcome: string;
          duration_ms: number | null;
          details: string | null;
          at_utc: Date;
        }>('SELECT * FROM [refdata].[audit] WHERE file_id = @file_id ORDER BY id;', [big('file_id', fileId)]);
        return rows.map((r) => ({
          id: num(r.id),
          at: dateOrNull(r.at_utc) as Date,
          fileId: numOrNull(r.file_id),
          step: r.step,
          outcome: r.outcome as AuditRecord['outcome'],
          ...(r.duration_ms === null ? {} : { durationMs: r.duration_ms }),
          ...(r.details === null ? {} : { details: JSON.parse(r.details) as Record<string, unknown> }),
        }));
      },
      false,
    );
  }

  async recordRejects(fileId: number, rows: readonly RejectedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#unit('recordRejects', (s) => insertRejects(s, fileId, rows), true);
  }

  async listRejects(fileId: number, options: { readonly limit?: number } = {}): Promise<RejectedRow[]> {
    const limit = options.limit ?? 2_147_483_647;
    return this.#unit(
      'listRejects',
      async (s) => {
        const rows = await s.query<{
          line: unknown;
          raw: string;
          column_name: string | null;
          value: string | null;
          reason: string;
        }>(
          'SELECT TOP (@limit) line, raw, column_name, value, reason FROM [refdata].[rejects] WHERE file_id = @file_id ORDER BY line, id;',
          [int('limit', limit), big('file_id', fileId)],
        );
        return rows.map((r) => ({
          line: num(r.line),
          raw: r.raw,
          ...(r.column_name === null ? {} : { column: r.column_name }),
          ...(r.value === null ? {} : { value: r.value }),
          reason: r.reason,
        }));
      },
      false,
    );
  }

  async getDataset(table: string): Promise<DatasetConfig | undefined> {
    assertIdentifier(table, 'table');
    return this.#unit('getDataset', (s) => datasetIn(s, table), false);
  }

  async setDataset(config: DatasetConfig): Promise<void> {
    assertDatasetConfig(config);
    const params = [
      nv('table', config.table, 128),
      nv('mode', config.mode, 10),
      nvMax('keys', JSON.stringify(config.keyColumns)),
      nvMax('overrides', JSON.stringify(config.typeOverrides)),
    ];
    await this.#unit(
      'setDataset',
      async (s) => {
        // UPDATE then INSERT … WHERE NOT EXISTS, never MERGE.
        const updated = await s.execute(
          'UPDATE [refdata].[datasets] WITH (UPDLOCK, HOLDLOCK) SET mode = @mode, key_columns = @keys, type_overrides = @overrides, updated_at = SYSUTCDATETIME() WHERE table_name = @table;',
          params,
        );
        if (updated === 0) {
          await s.execute(
            'INSERT INTO [refdata].[datasets] (table_name, mode, key_columns, type_overrides, updated_at) VALUES (@table, @mode, @keys, @overrides, SYSUTCDATETIME());',
            params,
          );
        }
      },
      true,
    );
  }

  async listDatasets(): Promise<DatasetConfig[]> {
    return this.#unit(
      'listDatasets',
      async (s) =>
        (await s.query<DatasetRowMs>('SELECT * FROM [refdata].[datasets] ORDER BY table_name;')).map(toDataset),
      false,
    );
  }
}

interface DatasetRowMs {
  table_name: string;
  mode: string;
  key_columns: string;
  type_overrides: string;
}

async function datasetIn(s: MssqlSession, table: string): Promise<DatasetConfig | undefined> {
  const [row] = await s.query<DatasetRowMs>('SELECT * FROM [refdata].[datasets] WHERE table_name = @table;', [
    nv('table', table, 128),
  ]);
  return row === undefined ? undefined : toDataset(row);
}

/** The dataset's key columns as the table spells them, when every one exists; else none. */
async function keyOrder(s: MssqlSession, table: string, columns: readonly ColumnDef[]): Promise<string[]> {
  const keys = ((await datasetIn(s, table))?.keyColumns ?? []).map((k) =>
    columns.find((c) => foldIdentifier(c.name) === foldIdentifier(k)),
  );
  return keys.every((c) => c !== undefined) ? keys.map((c) => c.name) : [];
}

function toDataset(row: DatasetRowMs): DatasetConfig {
  return {
    table: row.table_name,
    mode: row.mode as DatasetConfig['mode'],
    keyColumns: JSON.parse(row.key_columns) as string[],
    typeOverrides: JSON.parse(row.type_overrides) as Record<string, DbType>,
  };
}

async function insertRejects(s: MssqlSession, fileId: number, rows: readonly RejectedRow[]): Promise<void> {
  const per = fallbackRowsPerStatement(6);
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    const params: SqlParam[] = [];
    const tuples = chunk.map((r, i) => {
      params.push(
        big(`f${i}`, fileId),
        big(`l${i}`, r.line),
        nvMax(`r${i}`, r.raw),
        nv(`c${i}`, r.column ?? null),
        nvMax(`v${i}`, r.value ?? null),
        nv(`e${i}`, r.reason),
      );
      return `(@f${i}, @l${i}, @r${i}, @c${i}, @v${i}, @e${i})`;
    });
    await s.execute(
      `INSERT INTO [refdata].[rejects] (file_id, line, raw, column_name, value, reason) VALUES ${tuples.join(', ')};`,
      params,
    );
  }
}

// ---- file tracking ---------------------------------------------------------------------------

class MssqlFileTracking implements FileTracking {
  readonly #client: MssqlClient;

  constructor(client: MssqlClient) {
    this.#client = client;
  }

  async claimNew(
    entry: FileEntry,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertLease(lease.leaseMs);
    const token = randomUUID();
    const rows = await this.#client.unit(
      'files.claimNew',
      (s) =>
        s.query<{ id: unknown; lease_until: Date }>(CLAIM_NEW_SQL, [
          nv('path', entry.path),
          nv('name', entry.name, 1024),
          big('size', entry.size),
          big('mtime', entry.mtimeMs === undefined ? null : Math.trunc(entry.mtimeMs)),
          nv('instance', lease.instanceId, 200),
          int('lease_ms', Math.ceil(lease.leaseMs)),
          guid('token', token),
        ]),
      { transaction: false },
    );
    const row = rows[0];
    return row === undefined ? null : { fileId: num(row.id), token, leaseUntil: dateOrNull(row.lease_until) as Date };
  }

  async reclaim(
    fileId: number,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertLease(lease.leaseMs);
    const token = randomUUID();
    const rows = await this.#client.unit(
      'files.reclaim',
      (s) =>
        s.query<{ lease_until: Date }>(RECLAIM_SQL, [
          big('id', fileId),
          nv('instance', lease.instanceId, 200),
          int('lease_ms', Math.ceil(lease.leaseMs)),
          guid('token', token),
        ]),
      { transaction: false },
    );
    const row = rows[0];
    return row === undefined ? null : { fileId, token, leaseUntil: dateOrNull(row.lease_until) as Date };
  }

  async heartbeat(claim: FileClaim, leaseMs: number): Promise<boolean> {
    assertLease(leaseMs);
    const n = await this.#client.unit(
      'files.heartbeat',
      (s) =>
        s.execute(HEARTBEAT_SQL, [
          big('id', claim.fileId),
          guid('token', claim.token),
          int('lease_ms', Math.ceil(leaseMs)),
        ]),
      { transaction: false },
    );
    return n === 1;
  }

  async update(claim: FileClaim, patch: FileProgressPatch): Promise<void> {
    const { sets, params } = patchSql(patch);
    if (patch.status === 'processing') sets.push('started_at = COALESCE(started_at, SYSUTCDATETIME())');
    const n = await this.#client.unit(
      'files.update',
      (s) => s.execute(updateFileSql(sets, false), [...params, big('id', claim.fileId), guid('token', claim.token)]),
      { transaction: false },
    );
    if (n !== 1) throw claimLost(claim);
  }

  async finish(claim: FileClaim, finish: FileFinish): Promise<void> {
    if (!TERMINAL_FILE_STATUSES.includes(finish.status)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `finish() needs a terminal status (${TERMINAL_FILE_STATUSES.join(', ')}), got ${JSON.stringify(finish.status)}.`,
      );
    }
    const { sets, params } = patchSql(finish);
    sets.push(
      'error_code = @error_code',
      'error_message = @error_message',
      'finished_at = SYSUTCDATETIME()',
      'lease_until = NULL',
    );
    params.push(nv('error_code', finish.errorCode ?? null, 100), nv('error_message', finish.errorMessage ?? null));
    const n = await this.#client.unit(
      'files.finish',
      (s) => s.execute(updateFileSql(sets, true), [...params, big('id', claim.fileId), guid('token', claim.token)]),
      { transaction: false },
    );
    if (n !== 1) throw claimLost(claim);
  }

  async get(fileId: number): Promise<FileRecord | undefined> {
    const [row] = await this.#client.unit(
      'files.get',
      (s) => s.query<FileRowMs>('SELECT * FROM [refdata].[files] WHERE id = @id;', [big('id', fileId)]),
      {
        transaction: false,
      },
    );
    return row === undefined ? undefined : toFileRecord(row);
  }

  async list(filter: { readonly status?: FileStatus; readonly limit?: number } = {}): Promise<FileRecord[]> {
    if (filter.status !== undefined && !FILE_STATUSES.includes(filter.status)) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `File status ${JSON.stringify(filter.status)} is not one of ${FILE_STATUSES.join(', ')}.`,
      );
    }
    const limit = int('limit', filter.limit ?? 2_147_483_647);
    const rows = await this.#client.unit(
      'files.list',
      (s) =>
        filter.status === undefined
          ? s.query<FileRowMs>('SELECT TOP (@limit) * FROM [refdata].[files] ORDER BY id DESC;', [limit])
          : s.query<FileRowMs>(
              'SELECT TOP (@limit) * FROM [refdata].[files] WHERE status = @status ORDER BY id DESC;',
              [limit, nv('status', filter.status, 20)],
            ),
      { transaction: false },
    );
    return rows.map(toFileRecord);
  }

  async listExpired(): Promise<FileRecord[]> {
    return (
      await this.#client.unit('files.listExpired', (s) => s.query<FileRowMs>(LIST_EXPIRED_SQL), { transaction: false })
    ).map(toFileRecord);
  }

  async markReleased(fileId: number, path: string): Promise<boolean> {
    const n = await this.#client.unit(
      'files.markReleased',
      (s) => s.execute(MARK_RELEASED_SQL, [nv('path', path), big('id', fileId)]),
      { transaction: false },
    );
    return n === 1;
  }

  async findBySha256(sha256: string, table?: string): Promise<FileRecord[]> {
    const rows = await this.#client.unit(
      'files.findBySha256',
      (s) =>
        table === undefined
          ? s.query<FileRowMs>('SELECT * FROM [refdata].[files] WHERE sha256 = @sha ORDER BY id;', [
              nv('sha', sha256, 64),
            ])
          : s.query<FileRowMs>(
              "SELECT * FROM [refdata].[files] WHERE sha256 = @sha AND status = N'archived' AND target_table = @table ORDER BY id;",
              [nv('sha', sha256, 64), nv('table', table, 128)],
            ),
      { transaction: false },
    );
    return rows.map(toFileRecord);
  }
}

function patchSql(patch: FileProgressPatch): { sets: string[]; params: SqlParam[] } {
  if (patch.status !== undefined && !FILE_STATUSES.includes(patch.status)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `File status ${JSON.stringify(patch.status)} is not one of ${FILE_STATUSES.join(', ')}.`,
    );
  }
  const sets: string[] = [];
  const params: SqlParam[] = [];
  const add = (column: string, param: SqlParam | undefined): void => {
    if (param === undefined) return;
    sets.push(`${column} = @${param.name}`);
    params.push(param);
  };
  add('status', patch.status === undefined ? undefined : nv('status', patch.status, 20));
  add('path', patch.path === undefined ? undefined : nv('path', patch.path));
  add('size', patch.size === undefined ? undefined : big('size', patch.size));
  add('sha256', patch.sha256 === undefined ? undefined : nv('sha256', patch.sha256, 64));
  add('rows_read', patch.rowsRead === undefined ? undefined : big('rows_read', patch.rowsRead));
  add('rows_loaded', patch.rowsLoaded === undefined ? undefined : big('rows_loaded', patch.rowsLoaded));
  add('rows_rejected', patch.rowsRejected === undefined ? undefined : big('rows_rejected', patch.rowsRejected));
  add('target_table', patch.targetTable === undefined ? undefined : nv('target_table', patch.targetTable, 128));
  return { sets, params };
}

// ---- load session ----------------------------------------------------------------------------

class MssqlLoadSession implements LoadSession {
  readonly table: string;
  readonly #client: MssqlClient;
  readonly #spec: NormalizedLoadSpec;
  readonly #staging: string;
  readonly #typed: string;
  readonly #keepBackups: number;
  readonly #logger: Logger;
  readonly #onClose: () => void;
  readonly #checks: ValueChecker[];
  readonly #commitId = randomUUID();
  #method: 'bulk' | 'insert' = 'bulk';
  #state: 'open' | 'closed' = 'open';
  #chain: Promise<unknown> = Promise.resolve();
  #dirty = false;
  #conversionErrors: RejectedRow[] = [];

  constructor(
    client: MssqlClient,
    spec: NormalizedLoadSpec,
    staging: string,
    keepBackups: number,
    logger: Logger,
    onClose: () => void,
  ) {
    this.#client = client;
    this.#spec = spec;
    this.table = spec.table;
    this.#staging = staging;
    this.#typed = `${staging}.t`;
    this.#keepBackups = keepBackups;
    this.#logger = logger;
    this.#onClose = onClose;
    this.#checks = spec.columns.map(valueChecker);
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op, op);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #assertOpen(): void {
    if (this.#state !== 'open') {
      throw new DbError(
        DbErrorCode.SESSION_CLOSED,
        `The load into ${this.table} was already committed or aborted; start a new one with beginLoad().`,
      );
    }
    if (this.#spec.signal?.aborted) throw abortError(this.#spec.signal);
  }

  async #failOnAbort<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof DbError && err.code === DbErrorCode.ABORTED && this.#state === 'open') await this.#drop();
      throw err;
    }
  }

  async write(rows: readonly StagedRow[]): Promise<void> {
    return this.#serial(() =>
      this.#failOnAbort(async () => {
        this.#assertOpen();
        if (rows.length === 0) return;
        this.#dirty = true;
        const columns = this.#spec.columns;
        const width = columns.length;
        const out: unknown[][] = [];
        for (const row of rows) {
          if (row.values.length !== width) {
            throw new DbError(
              DbErrorCode.VALUE_INVALID,
              `Line ${row.line} has ${row.values.length} values but ${this.table} has ${width} columns; pass one value per column.`,
            );
          }
          let bad = -1;
          let problem: string | undefined;
          for (let i = 0; i < width && problem === undefined; i++) {
            problem = (this.#checks[i] as ValueChecker)(row.values[i] as DbValue, row.line);
            if (problem !== undefined) bad = i;
          }
          if (problem !== undefined) {
            const value = row.values[bad] as DbValue;
            this.#conversionErrors.push({
              line: row.line,
              raw: renderCsvLine(row.values),
              column: (columns[bad] as ColumnDef).name,
              value: value === null ? '' : String(value),
              reason: `${value === null ? 'the value' : JSON.stringify(String(value).slice(0, 60))} ${problem}`,
            });
            continue;
          }
          out.push([row.line, ...row.values.map((v, i) => mssqlStagingValue((columns[i] as ColumnDef).type, v))]);
        }
        if (out.length === 0) return;
        const first = out[0]?.[0] as number;
        const last = out[out.length - 1]?.[0] as number;
        const run = (method: 'bulk' | 'insert'): Promise<void> =>
          this.#client.unit(
            'write',
            async (s, attempt) => {
              if (attempt > 0) {
                // A retried batch whose first attempt may have reached the server: check first.
                const [row] = await s.query<{ n: unknown }>(stagedLinesInRangeSql(this.#staging), [
                  big('first', first),
                  big('last', last),
                ]);
                const present = num(row?.n ?? 0);
                if (present === out.length) return;
                if (present !== 0) {
                  throw new DbError(
                    DbErrorCode.QUERY_FAILED,
                    `A retried batch of ${this.table} was partly staged (${present} of ${out.length} rows); abort the load and run it again.`,
                  );
                }
              }
              if (method === 'bulk') await this.#bulk(s, out);
              else await this.#insert(s, out);
            },
            // The fallback INSERT statements of one batch run in one transaction.
            { transaction: method === 'insert', signal: this.#spec.signal },
          );
        if (this.#method === 'bulk') {
          try {
            await run('bulk');
            return;
          } catch (err) {
            const number = (err as { number?: unknown }).number;
            if (typeof number !== 'number' || !BULK_PERMISSION_ERRORS.has(number)) throw err;
            this.#method = 'insert';
            this.#logger.warn(
              { table: this.table, number },
              'bulk load not permitted; falling back to parameterised INSERT',
            );
          }
        }
        await run('insert');
      }),
    );
  }

  #bulk(s: MssqlSession, rows: unknown[][]): Promise<number> {
    const columns = [
      { name: 'line', type: 'BigInt' as const, options: { nullable: false } },
      ...this.#spec.columns.map((c, i) => {
        const spec = tediousStagingColumn(c.type);
        return {
          name: stagingColumn(i),
          type: spec.type,
          options: { nullable: true, ...(spec.length === undefined ? {} : { length: spec.length }) },
        };
      }),
    ];
    // Pre-quoted: tedious does not escape bulk-load table names.
    return s.bulkLoad(qualified(SCHEMAS.staging, this.#staging), columns, rows);
  }

  async #insert(s: MssqlSession, rows: unknown[][]): Promise<void> {
    const columns = this.#spec.columns;
    const per = fallbackRowsPerStatement(columns.length + 1);
    const specs = columns.map((c) => tediousStagingColumn(c.type));
    for (let start = 0; start < rows.length; start += per) {
      const chunk = rows.slice(start, start + per);
      const params: SqlParam[] = [];
      let p = 0;
      for (const row of chunk) {
        params.push({ name: `p${p++}`, type: 'BigInt', value: row[0] });
        for (let i = 0; i < specs.length; i++) {
          const spec = specs[i] as ReturnType<typeof tediousStagingColumn>;
          params.push({
            name: `p${p++}`,
            type: spec.type,
            value: row[i + 1],
            ...(spec.length === undefined ? {} : { options: { length: spec.length } }),
          });
        }
      }
      await s.execute(fallbackInsertSql(this.#staging, columns.length, chunk.length), params);
    }
  }

  validate(): Promise<StagingReport> {
    return this.#serial(() => this.#failOnAbort(() => this.#validate()));
  }

  async #validate(): Promise<StagingReport> {
    this.#assertOpen();
    const columns = this.#spec.columns;
    const keys = this.#spec.keyColumns;
    const report = await this.#client.unit(
      'validate',
      async (s) => {
        const conversionErrors: RejectedRow[] = [];
        const failures = conversionFailuresSql(this.#staging, columns);
        if (failures !== undefined) {
          for (const r of await s.query<Record<string, unknown>>(failures)) {
            const values = columns.map((_c, i) => r[stagingColumn(i)] as DbValue);
            const bad = Math.max(
              0,
              columns.findIndex((_c, i) => Number(r[`f${i}`] ?? 0) === 1),
            );
            const column = columns[bad] as ColumnDef;
            conversionErrors.push({
              line: num(r.line),
              raw: renderCsvLine(values),
              column: column.name,
              value: String(values[bad] ?? ''),
              reason: `the server could not convert ${JSON.stringify(String(values[bad] ?? '').slice(0, 60))} to ${formatDbType(column.type)} (TRY_CONVERT failed)`,
            });
          }
        }
        await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#typed));
        await s.execute(createTypedSql(this.#typed, columns));
        if (failures !== undefined && conversionErrors.length > 0) {
          const lines = new Set(conversionErrors.map((e) => e.line));
          for (const line of lines)
            await s.execute(`DELETE FROM ${qualified(SCHEMAS.staging, this.#staging)} WHERE [line] = @line;`, [
              big('line', line),
            ]);
        }
        await s.execute(fillTypedSql(this.#staging, this.#typed, columns));
        const duplicateKeys: RejectedRow[] = [];
        if (keys.length > 0) {
          const keyIndex = keys.map((k) => columns.findIndex((c) => c.name === k));
          const valuesOf = (r: Record<string, unknown>): DbValue[] =>
            columns.map((c, i) => mssqlReadValue(c.type, r[`v${i}`]));
          for (const r of await s.query<Record<string, unknown>>(nullKeysSql(this.#typed, keys, columns))) {
            const values = valuesOf(r);
            const empty = keys.filter((_k, i) => values[keyIndex[i] as number] === null);
            duplicateKeys.push({
              line: num(r.line),
              raw: renderCsvLine(values),
              column: empty.join(','),
              value: '',
              reason: `key column ${empty.map((k) => JSON.stringify(k)).join(', ')} is empty; every row needs a key`,
            });
          }
          await s.execute(deleteNullKeysSql(this.#typed, keys));
          for (const r of await s.query<Record<string, unknown>>(duplicateKeysSql(this.#typed, keys, columns))) {
            const values = valuesOf(r);
            const keyValues = keyIndex.map((i) => String(values[i]));
            duplicateKeys.push({
              line: num(r.line),
              raw: renderCsvLine(values),
              column: keys.join(','),
              value: keyValues.join(','),
              reason: `duplicate key (${keys.map((k, i) => `${k}=${keyValues[i]}`).join(', ')}): first seen on line ${String(r.first_line)}`,
            });
          }
          await s.execute(deleteDuplicateKeysSql(this.#typed, keys));
          duplicateKeys.sort((a, b) => a.line - b.line);
        }
        await s.execute(syncStagingSql(this.#staging, this.#typed));
        const stagedRows = await countIn(s, SCHEMAS.staging, this.#typed);
        return { stagedRows, duplicateKeys, conversionErrors };
      },
      { transaction: true, signal: this.#spec.signal },
    );
    const conversionErrors = [...this.#conversionErrors, ...report.conversionErrors].sort((a, b) => a.line - b.line);
    this.#conversionErrors = [];
    this.#dirty = false;
    return { ...report, conversionErrors };
  }

  commit(): Promise<LoadOutcome> {
    return this.#serial(() =>
      this.#failOnAbort(async () => {
        this.#assertOpen();
        let validated = !this.#dirty;
        if (!validated) {
          const report = await this.#validate();
          validated = true;
          const rejected = [...report.duplicateKeys, ...report.conversionErrors];
          if (rejected.length > 0 && this.#spec.fileId !== null) {
            const fileId = this.#spec.fileId;
            await this.#client.unit('recordRejects', (s) => insertRejects(s, fileId, rejected), { transaction: true });
          }
        }
        const outcome = await this.#client.unit('commit', (s, attempt) => this.#apply(s, attempt), {
          transaction: true,
          signal: this.#spec.signal,
        });
        await this.#dropStaging();
        this.#close();
        this.#logger.info(
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

  async #apply(s: MssqlSession, attempt: number): Promise<LoadOutcome> {
    const spec = this.#spec;
    const table = spec.table;
    if (attempt > 0) {
      // The previous attempt may have committed before the connection failed: its idempotency
      // record, written in the same transaction, tells.
      const [done] = await s.query<{ outcome: string }>(
        'SELECT outcome FROM [refdata].[load_commits] WHERE commit_id = @id;',
        [guid('id', this.#commitId)],
      );
      if (done !== undefined) return reviveOutcome(done.outcome);
    }
    const started = performance.now();
    await s.execute(TABLE_LOCK_SQL, [nv('resource', `refdata.table.${table.toLowerCase()}`, 255)]);
    const incoming = await countIn(s, SCHEMAS.staging, this.#typed);
    const liveColumns = await describeIn(s, SCHEMAS.live, table);
    const names = spec.columns.map((c) => c.name);
    const record = async (outcome: LoadOutcome): Promise<LoadOutcome> => {
      await s.execute(
        'INSERT INTO [refdata].[load_commits] (commit_id, table_name, outcome, committed_at) VALUES (@id, @table, @outcome, SYSUTCDATETIME());',
        [guid('id', this.#commitId), nv('table', table, 128), nvMax('outcome', toJson(outcome))],
      );
      return outcome;
    };
    const makeLive = async (): Promise<void> => {
      await s.execute(dropLineColumnSql(this.#typed));
      await s.execute(transferSql(SCHEMAS.live, SCHEMAS.staging, this.#typed));
      await renameIn(s, SCHEMAS.live, this.#typed, table);
    };

    if (liveColumns === undefined) {
      await makeLive();
      const outcome: LoadOutcome = {
        status: 'applied',
        table,
        mode: spec.mode,
        rowsLoaded: incoming,
        snapshot: null,
        changes: spec.keyColumns.length > 0 ? { added: incoming, removed: 0, changed: 0, unchanged: 0 } : null,
        durationMs: performance.now() - started,
      };
      await auditIn(s, commitAudit(spec, outcome, started));
      return record(outcome);
    }

    const liveRows = await countIn(s, SCHEMAS.live, table);
    const reason = destructiveReplaceReason({ ...spec, table }, liveRows, incoming);
    if (reason !== null) {
      const held = heldOutcome(spec, reason, liveRows, incoming);
      await auditIn(s, commitAudit(spec, held, started));
      return record(held);
    }

    const liveByFold = new Map(liveColumns.map((c) => [foldIdentifier(c.name), c.name]));
    const liveName = (n: string): string => liveByFold.get(foldIdentifier(n)) ?? n;
    const keys = spec.keyColumns;
    let changes: ChangeSummary | null = null;
    if (keys.length > 0 && spec.mode !== 'append') {
      if (keys.every((k) => liveByFold.has(foldIdentifier(k)))) {
        const valueCols = names.filter((n) => !keys.includes(n) && liveByFold.has(foldIdentifier(n)));
        const [c] = await s.query<{ added: unknown; removed: unknown; matched: unknown; changed: unknown }>(
          changeSummarySql(this.#typed, table, keys, valueCols),
        );
        const added = num(c?.added ?? 0);
        const changed = num(c?.changed ?? 0);
        const matched = num(c?.matched ?? 0);
        changes =
          spec.mode === 'replace'
            ? { added, removed: num(c?.removed ?? 0), changed, unchanged: matched - changed }
            : { added, removed: 0, changed, unchanged: liveRows - changed };
      }
    } else if (keys.length > 0) {
      changes = { added: incoming, removed: 0, changed: 0, unchanged: liveRows };
    }

    const { name: snapshotName, takenAt } = await takeSnapshotName(s, table, new Date());
    const snapshot: BackupInfo = {
      table,
      snapshot: snapshotName,
      takenAt,
      rows: liveRows,
      sourceFile: spec.sourceFile,
      fileId: spec.fileId,
      reason: spec.mode,
    };
    if (spec.mode === 'replace') {
      // Metadata only: the live table becomes the snapshot, typed staging becomes live.
      await renameIn(s, SCHEMAS.live, table, snapshotName);
      await s.execute(transferSql(SCHEMAS.backup, SCHEMAS.live, snapshotName));
      await makeLive();
    } else {
      const comparison = compareColumnSets(liveColumns, spec.columns);
      assertAppendable(table, comparison, spec.addMissingColumns);
      await s.execute(copyTableSql(SCHEMAS.live, table, SCHEMAS.backup, snapshotName));
      for (const c of comparison.added) await s.execute(addColumnSql(table, c));
      const cols = names.map(liveName);
      if (spec.mode === 'append') {
        await s.execute(appendSql(this.#typed, table, cols));
      } else {
        const keyCols = keys.map(liveName);
        const update = upsertUpdateSql(
          this.#typed,
          table,
          keyCols,
          cols.filter((c) => !keyCols.includes(c)),
        );
        if (update !== undefined) await s.execute(update);
        await s.execute(upsertInsertSql(this.#typed, table, keyCols, cols));
      }
    }
    await catalogueIn(s, snapshot);
    const pruned = await pruneIn(s, table, this.#keepBackups);
    const outcome: LoadOutcome = {
      status: 'applied',
      table,
      mode: spec.mode,
      rowsLoaded: incoming,
      snapshot,
      changes,
      durationMs: performance.now() - started,
    };
    await auditIn(s, commitAudit(spec, outcome, started, pruned));
    return record(outcome);
  }

  abort(): Promise<void> {
    if (this.#state === 'closed') return this.#chain.then(() => undefined);
    return this.#serial(async () => {
      if (this.#state === 'closed') return;
      await this.#drop();
    });
  }

  async #dropStaging(): Promise<void> {
    try {
      await this.#client.unit(
        'dropStaging',
        async (s) => {
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#typed));
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#staging));
        },
        { transaction: false },
      );
    } catch (err) {
      // migrate() drops staging tables older than a day.
      this.#logger.warn(
        { table: this.table, err: { code: (err as DbError).code, message: (err as Error).message } },
        'could not drop staging',
      );
    }
  }

  async #drop(): Promise<void> {
    this.#close();
    await this.#dropStaging();
  }

  #close(): void {
    this.#state = 'closed';
    this.#onClose();
  }
}

/** Parses an outcome stored in load_commits (dates come back as ISO strings). */
export function reviveOutcome(json: string): LoadOutcome {
  const parsed = JSON.parse(json) as LoadOutcome & {
    snapshot?: (Omit<BackupInfo, 'takenAt'> & { takenAt: string }) | null;
  };
  if (parsed.status === 'applied' && parsed.snapshot) {
    return { ...parsed, snapshot: { ...parsed.snapshot, takenAt: new Date(parsed.snapshot.takenAt) } };
  }
  return parsed;
}
