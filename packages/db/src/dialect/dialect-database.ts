/**
 * The {@link Database} both dialects share: it checks every argument once and hands the call to
 * the dialect's parts (a table of functions over its client). A dialect adds open, migrate,
 * health, close and its file tracking.
 */
import { DbError, DbErrorCode } from '../errors.js';
import { assertIdentifier } from '../identifiers.js';
import { assertDatasetConfig, compareColumnSets, type NormalizedLoadSpec, normalizeLoadSpec } from '../load-spec.js';
import { abortError } from '../retry.js';
import type {
  AuditEvent,
  AuditRecord,
  BackupInfo,
  CallerAuditStep,
  ColumnDef,
  Database,
  DatasetConfig,
  DbValue,
  Dialect,
  FileTracking,
  HealthReport,
  HistoryPruneResult,
  LoadSession,
  LoadSpec,
  RejectedRow,
  SchemaComparison,
  TableDescription,
} from '../types.js';
import { assertAuditEvent, assertKeep, assertValidId, closedError } from './shared.js';

/** What the shared database needs to know of a dialect's client. */
export interface DialectClient {
  /** True once the database was closed: new work is refused with `DB_CLOSED`. */
  readonly closed: boolean;
  /** Snapshots kept per table when `pruneBackups` is called without `keep`. */
  readonly keepBackups: number;
}

/**
 * A dialect's implementation of each {@link Database} call, given checked arguments. Each dialect
 * folder has one file per group: `*-tables.ts`, `*-load-session.ts`, `*-backups.ts`,
 * `*-audit.ts`, `*-datasets.ts`.
 */
export interface DialectParts<C extends DialectClient> {
  describeTable(client: C, table: string): Promise<TableDescription | undefined>;
  listTables(client: C): Promise<TableDescription[]>;
  /** The rows of `ref.<table>` in canonical form (`DB_TABLE_NOT_FOUND` when it does not exist). */
  readRows(client: C, table: string, signal: AbortSignal | undefined): AsyncIterable<readonly DbValue[]>;
  beginLoad(client: C, spec: NormalizedLoadSpec): Promise<LoadSession>;
  listBackups(client: C, table: string | undefined): Promise<BackupInfo[]>;
  restoreBackup(client: C, table: string, snapshot: string): Promise<BackupInfo>;
  pruneBackups(client: C, table: string, keep: number): Promise<BackupInfo[]>;
  recordAudit(client: C, event: AuditEvent<CallerAuditStep>): Promise<void>;
  listAudit(client: C, fileId: number): Promise<AuditRecord[]>;
  /** Called with at least one row. */
  recordRejects(client: C, fileId: number, rows: readonly RejectedRow[]): Promise<void>;
  listRejects(client: C, fileId: number, limit: number | undefined): Promise<RejectedRow[]>;
  /** Deletes the history older than `cutoff` (see {@link Database.pruneHistory}). */
  pruneHistory(client: C, cutoff: Date): Promise<HistoryPruneResult>;
  getDataset(client: C, table: string): Promise<DatasetConfig | undefined>;
  setDataset(client: C, config: DatasetConfig): Promise<void>;
  listDatasets(client: C): Promise<DatasetConfig[]>;
}

/** An iterator whose first step fails with `err`. */
function refuse(err: Error): AsyncIterator<never> {
  return { next: () => Promise.reject(err) };
}

/**
 * The part of {@link Database} that is the same in every dialect: argument checks and dispatch.
 * @internal
 */
export abstract class DialectDatabase<C extends DialectClient> implements Database {
  abstract readonly dialect: Dialect;
  abstract readonly displayUrl: string;
  abstract readonly files: FileTracking;
  readonly #client: C;
  readonly #parts: DialectParts<C>;

  protected constructor(client: C, parts: DialectParts<C>) {
    this.#client = client;
    this.#parts = parts;
  }

  abstract migrate(): Promise<void>;
  abstract health(): Promise<HealthReport>;
  abstract close(): Promise<void>;

  async describeTable(table: string): Promise<TableDescription | undefined> {
    assertIdentifier(table, 'table');
    return this.#parts.describeTable(this.#client, table);
  }

  async listTables(): Promise<TableDescription[]> {
    return this.#parts.listTables(this.#client);
  }

  async compareColumns(table: string, incoming: readonly ColumnDef[]): Promise<SchemaComparison> {
    const description = await this.describeTable(table);
    return compareColumnSets(description?.columns, incoming);
  }

  readTable(table: string, options: { readonly signal?: AbortSignal } = {}): AsyncIterable<readonly DbValue[]> {
    assertIdentifier(table, 'table');
    const client = this.#client;
    const parts = this.#parts;
    // The dialect's iterator itself, not a delegating generator (`yield*` costs a hop per row).
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<readonly DbValue[]> =>
        client.closed ? refuse(closedError()) : parts.readRows(client, table, options.signal)[Symbol.asyncIterator](),
    };
  }

  async beginLoad(spec: LoadSpec): Promise<LoadSession> {
    const normalized = normalizeLoadSpec(spec);
    if (normalized.signal?.aborted) throw abortError(normalized.signal);
    return this.#parts.beginLoad(this.#client, normalized);
  }

  async listBackups(table?: string): Promise<BackupInfo[]> {
    if (table !== undefined) assertIdentifier(table, 'table');
    return this.#parts.listBackups(this.#client, table);
  }

  async restoreBackup(table: string, snapshot: string): Promise<BackupInfo> {
    assertIdentifier(table, 'table');
    return this.#parts.restoreBackup(this.#client, table, snapshot);
  }

  async pruneBackups(table: string, keep?: number): Promise<BackupInfo[]> {
    assertIdentifier(table, 'table');
    const k = keep ?? this.#client.keepBackups;
    assertKeep(k);
    return this.#parts.pruneBackups(this.#client, table, k);
  }

  async recordAudit(event: AuditEvent<CallerAuditStep>): Promise<void> {
    assertAuditEvent(event);
    return this.#parts.recordAudit(this.#client, event);
  }

  async listAudit(fileId: number): Promise<AuditRecord[]> {
    assertValidId(fileId, 'fileId');
    return this.#parts.listAudit(this.#client, fileId);
  }

  async recordRejects(fileId: number, rows: readonly RejectedRow[]): Promise<void> {
    assertValidId(fileId, 'fileId');
    if (rows.length === 0) return;
    return this.#parts.recordRejects(this.#client, fileId, rows);
  }

  async listRejects(fileId: number, options: { readonly limit?: number } = {}): Promise<RejectedRow[]> {
    assertValidId(fileId, 'fileId');
    return this.#parts.listRejects(this.#client, fileId, options.limit);
  }

  async pruneHistory(olderThan: Date): Promise<HistoryPruneResult> {
    if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `pruneHistory needs a valid Date (history older than it is deleted); got ${String(olderThan)}.`,
      );
    }
    return this.#parts.pruneHistory(this.#client, olderThan);
  }

  async getDataset(table: string): Promise<DatasetConfig | undefined> {
    assertIdentifier(table, 'table');
    return this.#parts.getDataset(this.#client, table);
  }

  async setDataset(config: DatasetConfig): Promise<void> {
    assertDatasetConfig(config);
    return this.#parts.setDataset(this.#client, config);
  }

  async listDatasets(): Promise<DatasetConfig[]> {
    return this.#parts.listDatasets(this.#client);
  }
}
