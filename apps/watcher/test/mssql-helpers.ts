/**
 * A fresh SQL Server database per test on the live engine in REFDATA_TEST_MSSQL (Babelfish in CI):
 * `CREATE DATABASE refdata_t_<hex>`, dropped when the test finishes, so the tests own every table
 * and tracked file in it.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { onTestFinished } from 'vitest';

/** The live engine's URL, or undefined when the SQL Server tests do not run here. */
export const MSSQL_URL: string | undefined = process.env.REFDATA_TEST_MSSQL || undefined;

interface TediousLike {
  Connection: new (
    config: unknown,
  ) => {
    on(event: 'error', listener: (err: Error) => void): void;
    connect(callback: (err?: Error) => void): void;
    execSqlBatch(request: unknown): void;
    close(): void;
  };
  Request: new (sql: string, callback: (err?: Error | null) => void) => unknown;
}

/** Runs one batch against `database` on the engine of {@link MSSQL_URL}. */
async function batch(database: string, sql: string): Promise<void> {
  const url = new URL(MSSQL_URL as string);
  const require = createRequire(new URL('../../../packages/db/package.json', import.meta.url));
  const tedious = require('tedious') as TediousLike;
  const conn = new tedious.Connection({
    server: url.hostname,
    authentication: {
      type: 'default',
      options: {
        userName: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password) || process.env.REFDATA_TEST_MSSQL_PASSWORD,
      },
    },
    options: {
      port: Number(url.port || 1433),
      database,
      encrypt: url.searchParams.get('encrypt') !== 'false',
      trustServerCertificate: true,
    },
  });
  conn.on('error', () => {});
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  try {
    await new Promise<void>((resolve, reject) =>
      conn.execSqlBatch(new tedious.Request(sql, (err) => (err ? reject(err) : resolve()))),
    );
  } finally {
    conn.close();
  }
}

/** Creates an empty database on the live engine and returns its `mssql://` URL; dropped after the test. */
export async function freshMssqlDatabase(): Promise<string> {
  const name = `refdata_t_${randomBytes(4).toString('hex')}`;
  await batch('master', `CREATE DATABASE [${name}];`);
  onTestFinished(async () => {
    await batch('master', `DROP DATABASE [${name}];`);
  });
  const url = new URL(MSSQL_URL as string);
  url.pathname = `/${name}`;
  return url.toString();
}

/** What a watcher's server connection runs in each phase of a load (Babelfish shows the T-SQL text). */
export const SERVER_PHASES: { readonly staging: RegExp; readonly validate: RegExp; readonly commit: RegExp } = {
  staging: /insert bulk \[stg\]|Processing Bulk Load Request/i,
  validate: /TRY_CONVERT|INSERT INTO \[stg\]\.\[[^\]]+\.t\] WITH \(TABLOCK\)|DELETE FROM \[stg\]/,
  commit: /sp_getapplock @Resource = @resource|SELECT \* INTO \[bkp\]|DELETE FROM \[ref\]|INSERT INTO \[ref\]/,
};

/** The statements other connections are running on the server, one per line (Babelfish: pg_stat_activity). */
export async function serverActivity(admin: { query<R>(sql: string): Promise<R[]> }): Promise<string> {
  const rows = await admin.query<{ q: string }>(
    "SELECT CAST(query AS NVARCHAR(4000)) AS q FROM pg_catalog.pg_stat_activity WHERE state = 'active' AND pid <> @@SPID",
  );
  return rows.map((r) => r.q).join('\n');
}
