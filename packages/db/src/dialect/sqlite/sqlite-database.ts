/**
 * The embedded SQLite dialect (better-sqlite3): opening, migrating, health and closing; every
 * other part of the {@link Database} contract is in its own file of this folder (see SQLITE_PARTS).
 *
 * One database file holds everything; namespaces are part of the (always quoted) table names:
 * `"ref.<table>"`, `"bkp.<table>.<stamp>"`, `"stg.<table>.<pid>.<id>"`, `"refdata.*"`. Attached
 * databases would not be atomic across files in WAL mode (https://www.sqlite.org/lang_attach.html),
 * so one file keeps every commit atomic even on a crash. Concurrency: see sqlite-client.ts.
 */
import type { Database, FileTracking, HealthReport, OpenDatabaseOptions } from '../../types.js';
import type { SqliteUrl } from '../../url.js';
import { DialectDatabase, type DialectParts } from '../dialect-database.js';
import { assertSchemaVersion, healthReport, validateOpenOptions } from '../shared.js';
import { listAudit, listRejects, recordAudit, recordRejects } from './sqlite-audit.js';
import { listBackups, pruneBackups, restoreBackup } from './sqlite-backups.js';
import { SqliteClient } from './sqlite-client.js';
import { getDataset, listDatasets, setDataset } from './sqlite-datasets.js';
import { SqliteFileTracking } from './sqlite-file-tracking.js';
import { beginLoad } from './sqlite-load-session.js';
import { pruneHistory } from './sqlite-retention.js';
import {
  CREATE_VERSION_TABLE_SQL,
  dropTableSql,
  INSERT_VERSION_SQL,
  META,
  SCHEMA_VERSION_SQL,
  SQLITE_MIGRATIONS,
  STAGING_TABLES_SQL,
} from './sqlite-sql.js';
import { describeTable, existsIn, listTables, readRows } from './sqlite-tables.js';

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

/** Where each part of the contract lives in this dialect. */
const SQLITE_PARTS: DialectParts<SqliteClient> = {
  describeTable,
  listTables,
  readRows,
  beginLoad,
  listBackups,
  restoreBackup,
  pruneBackups,
  recordAudit,
  listAudit,
  recordRejects,
  listRejects,
  pruneHistory,
  getDataset,
  setDataset,
  listDatasets,
};

/**
 * The SQLite implementation of {@link Database}. Create it with `openDatabase('sqlite:PATH')`.
 * @internal
 */
export class SqliteDatabase extends DialectDatabase<SqliteClient> {
  readonly dialect = 'sqlite' as const;
  readonly displayUrl: string;
  readonly files: FileTracking;
  readonly #client: SqliteClient;

  private constructor(client: SqliteClient) {
    super(client, SQLITE_PARTS);
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
}
