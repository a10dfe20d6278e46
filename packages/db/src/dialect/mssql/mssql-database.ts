/**
 * The SQL Server dialect (tedious + tarn): opening, migrating, health and closing; every other
 * part of the {@link Database} contract is in its own file of this folder (see MSSQL_PARTS).
 *
 * Schemas `ref` (live), `bkp` (snapshots + catalogue), `stg` (staging) and `refdata` (metadata).
 * Loads bulk-copy into a text staging table (decimals and temporal values as NVARCHAR, see
 * mssql-types.ts), validate() converts them on the server with TRY_CONVERT into a typed staging
 * table, and commit() swaps tables with ALTER SCHEMA … TRANSFER + sp_rename in one short
 * transaction (metadata only), serialised per table with an application lock.
 */
import { noopLogger } from '../../logger.js';
import type { Database, FileTracking, HealthReport, OpenDatabaseOptions } from '../../types.js';
import { type MssqlUrl, redactDatabaseUrl } from '../../url.js';
import { DialectDatabase, type DialectParts } from '../dialect-database.js';
import { assertSchemaVersion, healthReport, validateOpenOptions } from '../shared.js';
import { listAudit, listRejects, recordAudit, recordRejects } from './mssql-audit.js';
import { listBackups, pruneBackups, restoreBackup } from './mssql-backups.js';
import { MssqlClient } from './mssql-client.js';
import { getDataset, listDatasets, setDataset } from './mssql-datasets.js';
import { MssqlFileTracking } from './mssql-file-tracking.js';
import { beginLoad } from './mssql-load-session.js';
import { int } from './mssql-params.js';
import { withPermissions } from './mssql-privileges.js';
import { pruneHistory } from './mssql-retention.js';
import {
  bootstrapSql,
  dropTableIfExistsSql,
  HEALTH_VERSION_SQL,
  INSERT_VERSION_SQL,
  MIGRATION_LOCK_SQL,
  MSSQL_MIGRATIONS,
  PING_SQL,
  SCHEMA_VERSION_SQL,
  SCHEMAS,
  STALE_STAGING_SQL,
} from './mssql-sql.js';
import { describeTable, listTables, readRows } from './mssql-tables.js';
import {
  buildTediousConfig,
  loadTarn,
  loadTedious,
  mssqlAuthenticationProvider,
  type TarnPoolConstructor,
  type TediousModuleLike,
} from './tedious-like.js';

/** The metadata schema version this release writes. */
export const MSSQL_SCHEMA_VERSION: number = MSSQL_MIGRATIONS.length;

/** Where each part of the contract lives in this dialect. */
const MSSQL_PARTS: DialectParts<MssqlClient> = {
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
 * The SQL Server implementation of {@link Database}. Create it with `openDatabase('mssql://…')`.
 * @internal
 */
export class MssqlDatabase extends DialectDatabase<MssqlClient> {
  readonly dialect = 'mssql' as const;
  readonly displayUrl: string;
  readonly files: FileTracking;
  readonly #client: MssqlClient;

  /** @internal Use {@link MssqlDatabase.open}; tests pass fake tedious and tarn modules. */
  constructor(url: MssqlUrl, options: OpenDatabaseOptions, tedious: TediousModuleLike, Pool: TarnPoolConstructor) {
    validateOpenOptions(options);
    const logger = (options.logger ?? noopLogger).child({ component: '@refdata/db', dialect: 'mssql' });
    // The login is built for each new connection: a password file is read again (rotation).
    const authenticate = mssqlAuthenticationProvider(url, options, logger);
    const client = new MssqlClient(tedious, Pool, buildTediousConfig(url, options, logger, authenticate), {
      authenticate,
      poolSize: options.poolSize ?? 10,
      retry: { maxRetries: options.maxRetries ?? 3, baseSeconds: options.retryBackoffSeconds ?? 1 },
      logger,
      keepBackups: options.keepBackups ?? 10,
    });
    super(client, MSSQL_PARTS);
    this.#client = client;
    this.displayUrl = redactDatabaseUrl(url);
    this.files = new MssqlFileTracking(client);
  }

  /** Loads tedious and tarn, builds the pool and checks that the server answers. */
  static async open(url: MssqlUrl, options: OpenDatabaseOptions = {}): Promise<MssqlDatabase> {
    validateOpenOptions(options);
    const [tedious, Pool] = await Promise.all([loadTedious(), loadTarn()]);
    const db = new MssqlDatabase(url, options, tedious, Pool);
    try {
      await db.#client.unit('connect', (s) => s.query(PING_SQL), { transaction: false });
    } catch (err) {
      await db.#client.close();
      throw err;
    }
    db.#client.logger.info({ url: db.displayUrl }, 'SQL Server database opened');
    return db;
  }

  async migrate(): Promise<void> {
    const logger = this.#client.logger;
    await this.#client.unit(
      'migrate',
      async (s) => {
        // The lock first: two instances starting together must not both create the schemas.
        await s.batch(MIGRATION_LOCK_SQL);
        await s.batch(bootstrapSql());
        const [row] = await s.query<{ v: unknown }>(SCHEMA_VERSION_SQL);
        const current = Number(row?.v ?? 0);
        assertSchemaVersion(current, MSSQL_SCHEMA_VERSION);
        for (let v = current; v < MSSQL_SCHEMA_VERSION; v++) {
          for (const sql of MSSQL_MIGRATIONS[v] ?? []) await s.batch(sql);
          await s.execute(INSERT_VERSION_SQL, [int('v', v + 1)]);
          logger.info({ version: v + 1 }, 'metadata schema migrated');
        }
        for (const stale of await s.query<{ name: string }>(STALE_STAGING_SQL)) {
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, stale.name));
          logger.info({ staging: stale.name }, 'dropped staging table older than a day');
        }
      },
      { transaction: true },
    );
  }

  async health(): Promise<HealthReport> {
    const report = await healthReport('mssql', MSSQL_SCHEMA_VERSION, async () => {
      const [row] = await this.#client.unit('health', (s) => s.query<{ v: unknown }>(HEALTH_VERSION_SQL), {
        transaction: false,
      });
      return Number(row?.v ?? 0);
    });
    return withPermissions(report, this.#client);
  }

  async close(): Promise<void> {
    if (this.#client.closed) return;
    await this.#client.close();
    this.#client.logger.debug({}, 'SQL Server database closed');
  }
}
