/**
 * Opening a database by URL: the one entry point that picks the dialect (and wraps it when an
 * `onOperation` hook is given).
 */
import { MssqlDatabase } from './dialect/mssql/mssql-database.js';
import { SqliteDatabase } from './dialect/sqlite/sqlite-database.js';
import { DbError, DbErrorCode } from './errors.js';
import { noopLogger } from './logger.js';
import { observeOperations } from './observed-database.js';
import type { Database, OpenDatabaseOptions } from './types.js';
import { parseDatabaseUrl } from './url.js';

/**
 * Opens a database by URL and returns the {@link Database} contract for its dialect. The driver
 * (better-sqlite3 or tedious, optional peers) is imported on first use.
 *
 * - `sqlite:PATH` — a file (created with its folder when missing), e.g. `sqlite:./data/refdata.db`
 * - `sqlite::memory:` — a private in-memory database (tests)
 * - `mssql://USER@HOST:PORT/DB?encrypt=true&trustServerCertificate=false` — SQL Server; the
 *   password comes from `options.password` (env `db_password`) or the URL, and never appears in
 *   {@link Database.displayUrl}, logs or errors.
 *
 * Call {@link Database.migrate} once before use and {@link Database.close} at the end. With
 * `options.onOperation`, each asynchronous call reports its duration (a `DatabaseOperation`).
 *
 * @example
 * ```ts
 * import { openDatabase } from '@refdata/db';
 *
 * const db = await openDatabase('sqlite:./data/refdata.db');
 * await db.migrate();
 * const load = await db.beginLoad({ table: 'currencies', columns: [{ name: 'code', type: { kind: 'text' }, nullable: false }] });
 * await load.write([{ line: 2, values: ['EUR'] }]);
 * await load.validate();
 * console.log(await load.commit());
 * await db.close();
 * ```
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const hook = options.onOperation;
  if (hook !== undefined && typeof hook !== 'function') {
    throw new DbError(DbErrorCode.OPTION_INVALID, `Option onOperation must be a function; got ${typeof hook}.`);
  }
  const parsed = parseDatabaseUrl(url);
  const db =
    parsed.dialect === 'sqlite'
      ? await SqliteDatabase.open(parsed, options)
      : await MssqlDatabase.open(parsed, options);
  if (hook === undefined) return db;
  return observeOperations(db, hook, (options.logger ?? noopLogger).child({ component: '@refdata/db' }));
}
