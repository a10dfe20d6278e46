/**
 * A plain tedious connection for live SQL Server (Babelfish) tests: set-up statements the
 * library never runs (CREATE DATABASE, CREATE LOGIN, ALTER LOGIN … WITH PASSWORD, GRANT).
 */
import { Connection, Request } from 'tedious';

/** One connection that runs batches and returns rows as objects. */
export interface MssqlAdmin {
  /** Runs a batch (no parameters) and returns the rows of its last result set as objects. */
  query<R = Record<string, unknown>>(sql: string): Promise<R[]>;
  close(): void;
}

/** Options of {@link connectMssqlAdmin}. */
export interface MssqlAdminOptions {
  /** The database to use instead of the URL's. */
  readonly database?: string;
  /** Login and password instead of the URL's. */
  readonly user?: string;
  readonly password?: string;
}

/**
 * Connects with the login of `url` (`mssql://USER:PASSWORD@HOST:PORT/DB?encrypt=false`).
 *
 * @example
 * ```ts
 * const admin = await connectMssqlAdmin(process.env.REFDATA_TEST_MSSQL as string);
 * await admin.query('CREATE DATABASE t1');
 * admin.close();
 * ```
 */
export async function connectMssqlAdmin(url: string, options: MssqlAdminOptions = {}): Promise<MssqlAdmin> {
  const u = new URL(url);
  const conn = new Connection({
    server: u.hostname,
    options: {
      port: Number(u.port || 1433),
      database: options.database ?? (decodeURIComponent(u.pathname.slice(1)) || 'master'),
      encrypt: u.searchParams.get('encrypt') === 'true',
      trustServerCertificate: true,
      connectTimeout: 15_000,
    },
    authentication: {
      type: 'default',
      options: {
        userName: options.user ?? decodeURIComponent(u.username),
        password: options.password ?? (process.env.REFDATA_TEST_MSSQL_PASSWORD || decodeURIComponent(u.password)),
      },
    },
  });
  await new Promise<void>((resolve, reject) => {
    conn.on('connect', (err) => (err ? reject(err) : resolve()));
    conn.connect();
  });
  return {
    query<R>(sql: string): Promise<R[]> {
      return new Promise((resolve, reject) => {
        let rows: R[] = [];
        const request = new Request(sql, (err) => (err ? reject(err) : resolve(rows)));
        request.on('columnMetadata', () => {
          rows = [];
        });
        request.on('row', (columns) => {
          const row: Record<string, unknown> = {};
          for (const c of columns as { metadata: { colName: string }; value: unknown }[])
            row[c.metadata.colName] = c.value;
          rows.push(row as R);
        });
        conn.execSqlBatch(request);
      });
    },
    close(): void {
      conn.close();
    },
  };
}

/** `url` with another database (and optionally another login and password). */
export function mssqlUrlWith(url: string, change: { database?: string; user?: string; password?: string }): string {
  const u = new URL(url);
  if (change.database !== undefined) u.pathname = `/${change.database}`;
  if (change.user !== undefined) u.username = encodeURIComponent(change.user);
  if (change.password !== undefined) u.password = encodeURIComponent(change.password);
  return u.toString();
}
