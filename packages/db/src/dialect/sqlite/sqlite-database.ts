/**
 * The embedded SQLite dialect (better-sqlite3): opening, migrating, health and closing, with
 * every other part of the {@link Database} contract in its own file of this folder.
 *
 * One database file holds everything; namespaces are part of the (always quoted) table names:
 * `"ref.<table>"`, `"bkp.<table>.<stamp>"`, `"stg.<table>.<pid>.<id>"`, `"refdata.*"`. Attached
 * databases would not be atomic across files in WAL mode (https://www.sqlite.org/lang_attach.html),
 * so one file keeps every commit atomic even on a crash. Concurrency: see sqlite-client.ts.
 */
import { compareColumnSets } from '../../load-spec.js';
import type {
  AuditEvent,
  AuditRecord,
  BackupInfo,
  ColumnDef,
  Database,
  DatasetConfig,
  DbValue,
  FileTracking,
  HealthReport,
  LoadSession,
  LoadSpec,
  OpenDatabaseOptions,
  RejectedRow,
  SchemaComparison,
  TableDescription,
} from '../../types.js';
import type { SqliteUrl } from '../../url.js';
import { assertSchemaVersion, healthReport, validateOpenOptions } from '../shared.js';
import { listAudit, listRejects, recordAudit, recordRejects } from './sqlite-audit.js';
import { listBackups, pruneBackups, restoreBackup } from './sqlite-backups.js';
import { SqliteClient } from './sqlite-client.js';
import { getDataset, listDatasets, setDataset } from './sqlite-datasets.js';
import { SqliteFileTracking } from './sqlite-file-tracking.js';
import { beginLoad } from './sqlite-load-session.js';
import {
  CREATE_VERSION_TABLE_SQL,
  dropTableSql,
  INSERT_VERSION_SQL,
  META,
  SCHEMA_VERSION_SQL,
  SQLITE_MIGRATIONS,
  STAGING_TABLES_SQL,
} from './sqlite-sql.js';
import { describeTable, existsIn, listTables, readTable } from './sqlite-tables.js';

/** The schema version this release writes. */
export const SQLITE_SCHEMA_VERSION: number = SQLITE_MIGRATIONS.length;

/** Whether the process `pid` still runs (EPERM: it runs under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * The SQLite implementation of {@link Database}. Create it with `openDatabase('sqlite:PATH')`.
 * @internal
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly displayUrl: string;
  readonly files: FileTracking;
  readonly #client: SqliteClient;

  private constructor(client: SqliteClient) {
    this.#client = client;
    this.displayUrl = `sqlite:${client.path}`;
    this.files = new SqliteFileTracking(client);
  }

  /** Opens (creating when needed) the SQLite database at `url.path`. */
  static async open(url: SqliteUrl, options: OpenDatabaseOptions = {}): Promise<SqliteDatabase> {
    validateOpenOptions(options);
    const db = new SqliteDatabase(await SqliteClient.open(url.path, options));
    db.#client.logger.debug({ path: db.displayUrl }, 'sqlite database opened');
    return db;
  }

  async migrate(): Promise<void> {
    const logger = this.#client.logger;
    await this.#client.run(
      'migrate',
      (conn) => {
        conn.exec(CREATE_VERSION_TABLE_SQL);
        const current = (conn.prepare(SCHEMA_VERSION_SQL).pluck().get() as number) ?? 0;
        assertSchemaVersion(current, SQLITE_SCHEMA_VERSION);
        for (let v = current; v < SQLITE_SCHEMA_VERSION; v++) {
          for (const sql of SQLITE_MIGRATIONS[v] ?? []) conn.exec(sql);
          conn.prepare(INSERT_VERSION_SQL).run(v + 1, Date.now());
          logger.info({ version: v + 1 }, 'metadata schema migrated');
        }
        // Staging tables of processes that died mid-load (names carry the owner's pid).
        for (const name of conn.prepare(STAGING_TABLES_SQL).pluck().all() as string[]) {
          const pid = Number(/\.(\d+)\.[0-9a-f]+$/.exec(name)?.[1]);
          if (Number.isSafeInteger(pid) && pid !== process.pid && !isAlive(pid)) {
            conn.exec(dropTableSql(name));
            logger.info({ staging: name }, 'dropped staging table left by a stopped process');
          }
        }
      },
      { write: true },
    );
  }

  health(): Promise<HealthReport> {
    return healthReport('sqlite', SQLITE_SCHEMA_VERSION, () =>
      this.#client.run(
        'health',
        (conn) => {
          conn.prepare('SELECT 1').get();
          return existsIn(conn, META.version) ? ((conn.prepare(SCHEMA_VERSION_SQL).pluck().get() as number) ?? 0) : 0;
        },
        { write: false },
      ),
    );
  }

  async close(): Promise<void> {
    if (this.#client.closed) return;
    await this.#client.close();
    this.#client.logger.debug({}, 'sqlite database closed');
  }

  async describeTable(table: string): Promise<TableDescription | undefined> {
    return describeTable(this.#client, table);
  }

  async listTables(): Promise<TableDescription[]> {
    return listTables(this.#client);
  }

  async compareColumns(table: string, incoming: readonly ColumnDef[]): Promise<SchemaComparison> {
    const description = await this.describeTable(table);
    return compareColumnSets(description?.columns, incoming);
  }

  readTable(table: string, options: { readonly signal?: AbortSignal } = {}): AsyncIterable<readonly DbValue[]> {
    return readTable(this.#client, table, options);
  }

  async beginLoad(spec: LoadSpec): Promise<LoadSession> {
    return beginLoad(this.#client, spec);
  }

  async listBackups(table?: string): Promise<BackupInfo[]> {
    return listBackups(this.#client, table);
  }

  async restoreBackup(table: string, snapshot: string): Promise<BackupInfo> {
    return restoreBackup(this.#client, table, snapshot);
  }

  async pruneBackups(table: string, keep?: number): Promise<BackupInfo[]> {
    return pruneBackups(this.#client, table, keep);
  }

  async recordAudit(event: AuditEvent): Promise<void> {
    return recordAudit(this.#client, event);
  }

  async listAudit(fileId: number): Promise<AuditRecord[]> {
    return listAudit(this.#client, fileId);
  }

  async recordRejects(fileId: number, rows: readonly RejectedRow[]): Promise<void> {
    return recordRejects(this.#client, fileId, rows);
  }

  async listRejects(fileId: number, options: { readonly limit?: number } = {}): Promise<RejectedRow[]> {
    return listRejects(this.#client, fileId, options);
  }

  async getDataset(table: string): Promise<DatasetConfig | undefined> {
    return getDataset(this.#client, table);
  }

  async setDataset(config: DatasetConfig): Promise<void> {
    return setDataset(this.#client, config);
  }

  async listDatasets(): Promise<DatasetConfig[]> {
    return listDatasets(this.#client);
  }
}
