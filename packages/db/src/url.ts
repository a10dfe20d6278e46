/**
 * Database URLs: `sqlite:PATH`, `sqlite::memory:`, and
 * `mssql://USER[:PASSWORD]@HOST[:PORT]/DB?encrypt=true&trustServerCertificate=false&caFile=PATH`.
 */
import {
  authenticationFromUrlParams,
  MSSQL_AUTH_URL_PARAMS,
  type MssqlAuthentication,
  needsUser,
} from './dialect/mssql/mssql-auth.js';
import { DbError, DbErrorCode } from './errors.js';

/** A parsed SQLite URL. */
export interface SqliteUrl {
  readonly dialect: 'sqlite';
  /** File path as written in the URL, or `:memory:`. */
  readonly path: string;
}

/** TLS mode of a SQL Server connection (tedious `encrypt`). */
export type MssqlEncrypt = boolean | 'strict';

/** A parsed SQL Server URL. */
export interface MssqlUrl {
  readonly dialect: 'mssql';
  readonly host: string;
  /** @default 1433 */
  readonly port: number;
  /** Named instance (`HOST\INSTANCE` in the URL as `HOST%5CINSTANCE` or `?instanceName=`). */
  readonly instanceName?: string;
  readonly database: string;
  /** The login; empty for the Entra ID types that need none (`?authentication=azure-active-directory-default`). */
  readonly user: string;
  /**
   * `?authentication=TYPE` and its parameters (`domain`, `clientId`, `tenantId`); absent means a
   * SQL login.
   */
  readonly authentication?: MssqlAuthentication;
  /** Present only when the URL carries one; prefer `options.password` / env `db_password`. */
  readonly password?: string;
  /** @default true */
  readonly encrypt: MssqlEncrypt;
  /** @default false */
  readonly trustServerCertificate: boolean;
  /**
   * `?caFile=PATH`: a PEM file with the CA certificate(s) the server's TLS certificate is verified
   * against (e.g. a private CA, or a test server's self-signed certificate).
   */
  readonly caFile?: string;
  /** Connect timeout in milliseconds. @default 15000 */
  readonly connectTimeoutMs: number;
}

/** A parsed database URL. */
export type DatabaseUrl = SqliteUrl | MssqlUrl;

const BOOL: Record<string, boolean> = { true: true, false: false, yes: true, no: false, '1': true, '0': false };

function invalid(message: string): DbError {
  return new DbError(
    DbErrorCode.URL_INVALID,
    `${message}. Use sqlite:PATH, sqlite::memory: or mssql://USER@HOST:PORT/DB?encrypt=true.`,
  );
}

/**
 * Parses a database URL. Throws `DB_URL_INVALID` with a message that never repeats a password.
 *
 * @example
 * ```ts
 * parseDatabaseUrl('mssql://loader@db.example.com:1433/refdata?encrypt=strict');
 * // { dialect: 'mssql', host: 'db.example.com', port: 1433, database: 'refdata', user: 'loader', encrypt: 'strict', … }
 * ```
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  if (typeof url !== 'string' || url.length === 0) throw invalid('The database URL is empty');
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (path.length === 0) throw invalid('The SQLite URL has no path');
    return { dialect: 'sqlite', path };
  }
  if (!/^(mssql|sqlserver):\/\//i.test(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw invalid(
      scheme === undefined
        ? 'The database URL has no scheme'
        : `The database URL scheme ${JSON.stringify(scheme)} is not supported`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('The SQL Server URL cannot be parsed');
  }
  const host = decodeURIComponent(parsed.hostname);
  if (host.length === 0) throw invalid('The SQL Server URL has no host');
  const user = decodeURIComponent(parsed.username);
  const authentication = authenticationFromUrlParams(parsed.searchParams);
  if (user.length === 0 && needsUser(authentication?.type ?? 'sql')) {
    throw invalid('The SQL Server URL has no user (mssql://USER@HOST/DB)');
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database.length === 0 || database.includes('/')) throw invalid('The SQL Server URL must name one database');
  const port = parsed.port === '' ? 1433 : Number(parsed.port);
  const params = parsed.searchParams;
  const known = new Set([
    'encrypt',
    'trustServerCertificate',
    'caFile',
    'instanceName',
    'connectTimeout',
    ...MSSQL_AUTH_URL_PARAMS,
  ]);
  for (const key of params.keys()) {
    if (!known.has(key)) throw invalid(`The SQL Server URL parameter ${JSON.stringify(key)} is not supported`);
  }
  const encryptText = params.get('encrypt') ?? 'true';
  let encrypt: MssqlEncrypt;
  if (encryptText === 'strict') encrypt = 'strict';
  else if (encryptText in BOOL) encrypt = BOOL[encryptText] as boolean;
  else throw invalid(`encrypt=${JSON.stringify(encryptText)} is not true, false or strict`);
  const trustText = params.get('trustServerCertificate') ?? 'false';
  if (!(trustText in BOOL)) throw invalid(`trustServerCertificate=${JSON.stringify(trustText)} is not true or false`);
  const caFile = params.get('caFile') ?? undefined;
  if (caFile !== undefined && caFile.length === 0) throw invalid('caFile= is empty; give the path of a PEM CA file');
  const connectTimeoutText = params.get('connectTimeout') ?? '15000';
  const connectTimeoutMs = Number(connectTimeoutText);
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw invalid(`connectTimeout=${JSON.stringify(connectTimeoutText)} is not a positive number of milliseconds`);
  }
  let instanceName = params.get('instanceName') ?? undefined;
  let hostName = host;
  const backslash = host.indexOf('\\');
  if (backslash >= 0) {
    instanceName = host.slice(backslash + 1);
    hostName = host.slice(0, backslash);
  }
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return {
    dialect: 'mssql',
    host: hostName,
    port,
    ...(instanceName === undefined ? {} : { instanceName }),
    database,
    user,
    ...(authentication === undefined ? {} : { authentication }),
    ...(password === undefined ? {} : { password }),
    encrypt,
    trustServerCertificate: BOOL[trustText] as boolean,
    ...(caFile === undefined ? {} : { caFile }),
    connectTimeoutMs,
  };
}

/**
 * A form of the URL safe to print and log: the password is removed (SQL Server) and nothing
 * else is added. Unparseable input is reduced to its scheme.
 *
 * @example
 * ```ts
 * redactDatabaseUrl('mssql://sa:secret@db:1433/refdata'); // 'mssql://sa@db:1433/refdata?encrypt=true'
 * ```
 */
export function redactDatabaseUrl(url: string | DatabaseUrl): string {
  let parsed: DatabaseUrl;
  try {
    parsed = typeof url === 'string' ? parseDatabaseUrl(url) : url;
  } catch {
    const scheme = typeof url === 'string' ? /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] : undefined;
    return scheme === undefined ? '<invalid database URL>' : `${scheme}:<invalid>`;
  }
  if (parsed.dialect === 'sqlite') return `sqlite:${parsed.path}`;
  const host = parsed.instanceName === undefined ? parsed.host : `${parsed.host}%5C${parsed.instanceName}`;
  const query = [`encrypt=${parsed.encrypt}`];
  if (parsed.trustServerCertificate) query.push('trustServerCertificate=true');
  if (parsed.caFile !== undefined) query.push(`caFile=${encodeURIComponent(parsed.caFile)}`);
  const auth = parsed.authentication;
  if (auth !== undefined) {
    query.push(`authentication=${auth.type}`);
    for (const [key, value] of Object.entries(auth))
      if (key !== 'type') query.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  if (parsed.user === '')
    return `mssql://${host}:${parsed.port}/${encodeURIComponent(parsed.database)}?${query.join('&')}`;
  return `mssql://${encodeURIComponent(parsed.user)}@${host}:${parsed.port}/${encodeURIComponent(parsed.database)}?${query.join('&')}`;
}
