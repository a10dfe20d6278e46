/**
 * Structural types of the parts of tedious we use, so tests can pass fakes, plus the connection
 * config builder and the lazy driver loader.
 */
import { DbError, DbErrorCode } from '../../errors.js';
import type { Logger, OpenDatabaseOptions } from '../../types.js';
import type { MssqlEncrypt, MssqlUrl } from '../../url.js';
import { authenticationProvider, readSettingFile, type TediousAuthentication } from './mssql-auth.js';
import type { TediousTypeName } from './mssql-types.js';

/** Options of a parameter or bulk-load column. */
export interface TediousTypeOptions {
  readonly length?: number;
  readonly precision?: number;
  readonly scale?: number;
  readonly nullable?: boolean;
}

/** One column of a row event. */
export interface TediousColumnValue {
  readonly value: unknown;
  readonly metadata: { readonly colName: string };
}

/** A tedious Request. */
export interface TediousRequestLike {
  addParameter(name: string, type: unknown, value?: unknown, options?: TediousTypeOptions | null): void;
  on(event: 'row', listener: (columns: TediousColumnValue[]) => void): unknown;
  pause(): void;
  resume(): void;
}

/** A tedious BulkLoad. */
export interface TediousBulkLoadLike {
  addColumn(name: string, type: unknown, options: TediousTypeOptions): void;
  setTimeout(timeout?: number): void;
}

/** A tedious Connection. */
export interface TediousConnectionLike {
  readonly closed?: boolean;
  readonly inTransaction: boolean;
  connect(callback: (err?: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  execSql(request: TediousRequestLike): void;
  execSqlBatch(request: TediousRequestLike): void;
  newBulkLoad(
    table: string,
    options: { readonly keepNulls: boolean },
    callback: (err: Error | null | undefined, rowCount?: number) => void,
  ): TediousBulkLoadLike;
  execBulkLoad(bulkLoad: TediousBulkLoadLike, rows: Iterable<unknown[]> | AsyncIterable<unknown[]>): void;
  beginTransaction(callback: (err?: Error | null) => void, name?: string, isolationLevel?: number): void;
  commitTransaction(callback: (err?: Error | null) => void): void;
  rollbackTransaction(callback: (err?: Error | null) => void): void;
  reset(callback: (err?: Error | null) => void): void;
  /** Cancels the request in progress. */
  cancel(): boolean;
  close(): void;
}

/** The tedious module. */
export interface TediousModuleLike {
  readonly Connection: new (config: TediousConfig) => TediousConnectionLike;
  readonly Request: new (
    sql: string,
    callback: (err: Error | null | undefined, rowCount?: number) => void,
  ) => TediousRequestLike;
  readonly TYPES: Readonly<Record<TediousTypeName | 'DateTime2' | 'UniqueIdentifier' | 'Float', unknown>>;
  readonly ISOLATION_LEVEL: { readonly READ_COMMITTED: number };
}

/** The tedious connection configuration we build (a subset of tedious's ConnectionConfiguration). */
export interface TediousConfig {
  readonly server: string;
  /** Built for each new connection by {@link authenticationProvider} (mssql-auth.ts). */
  readonly authentication: TediousAuthentication;
  readonly options: {
    readonly database: string;
    readonly port?: number;
    readonly instanceName?: string;
    readonly encrypt: MssqlEncrypt;
    readonly trustServerCertificate: boolean;
    /** The CA certificate(s) of `caFile` (PEM), passed to Node's TLS as `ca`. */
    readonly cryptoCredentialsDetails?: { readonly ca: string };
    readonly connectTimeout: number;
    readonly requestTimeout: number;
    readonly cancelTimeout: number;
    readonly maxRetriesOnTransientErrors: number;
    readonly useUTC: boolean;
    readonly lowerCaseGuids: boolean;
    readonly abortTransactionOnError: boolean;
    readonly enableArithAbort: boolean;
    readonly appName: string;
    readonly rowCollectionOnRequestCompletion: boolean;
  };
}

/**
 * Builds the tedious configuration from a parsed URL. TLS is on and the certificate verified by
 * default (`encrypt: true`, `trustServerCertificate: false`); trusting an unverified certificate
 * needs `?trustServerCertificate=true` or the option, and logs a warning. A private CA (or a test
 * server's self-signed certificate) is verified with `caFile` (option, or `?caFile=` in the URL;
 * the option wins): its PEM text becomes `cryptoCredentialsDetails.ca`. tedious's own retry of
 * transient errors is switched off (`maxRetriesOnTransientErrors: 0`) so one policy rules.
 *
 * @example
 * ```ts
 * buildTediousConfig(parseDatabaseUrl('mssql://loader@db:1433/refdata') as MssqlUrl, { password: 's3cret' }, logger);
 * ```
 */
export function buildTediousConfig(
  url: MssqlUrl,
  options: OpenDatabaseOptions,
  logger: Logger,
  authenticate: () => TediousAuthentication = mssqlAuthenticationProvider(url, options, logger),
): TediousConfig {
  const trustServerCertificate = options.trustServerCertificate ?? url.trustServerCertificate;
  if (trustServerCertificate) {
    logger.warn({ host: url.host }, 'TLS certificate of the SQL Server is NOT verified (trustServerCertificate=true)');
  }
  if (url.encrypt === false) {
    logger.warn({ host: url.host }, 'the SQL Server connection is NOT encrypted (encrypt=false)');
  }
  const caFile = options.caFile ?? url.caFile;
  const ca =
    caFile === undefined ? undefined : readCaFile(caFile, options.caFile === undefined ? '?caFile=' : 'caFile');
  return {
    server: url.host,
    authentication: authenticate(),
    options: {
      database: url.database,
      ...(url.instanceName === undefined ? { port: url.port } : { instanceName: url.instanceName }),
      encrypt: url.encrypt,
      trustServerCertificate,
      ...(ca === undefined ? {} : { cryptoCredentialsDetails: { ca } }),
      connectTimeout: url.connectTimeoutMs,
      requestTimeout: 0,
      cancelTimeout: 5000,
      maxRetriesOnTransientErrors: 0,
      useUTC: true,
      lowerCaseGuids: true,
      abortTransactionOnError: true,
      enableArithAbort: true,
      appName: '@refdata/db',
      rowCollectionOnRequestCompletion: false,
    },
  };
}

/**
 * Reads a PEM CA file; `DB_OPTION_INVALID` naming `setting` when it is missing, unreadable or
 * holds no certificate.
 */
function readCaFile(path: string, setting: string): string {
  const text = readSettingFile(
    path,
    (why) =>
      `${setting} ${JSON.stringify(path)} cannot be read (${why}). ` +
      'Give the path of a readable PEM file holding the CA certificate of the SQL Server (or its self-signed certificate).',
  );
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `${setting} ${JSON.stringify(path)} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line). ` +
        'Give the CA certificate of the SQL Server in PEM form.',
    );
  }
  return text;
}

/** The authentication of `url` and `options` (see {@link authenticationProvider}), for each new connection. */
export function mssqlAuthenticationProvider(
  url: MssqlUrl,
  options: OpenDatabaseOptions,
  logger: Logger,
): () => TediousAuthentication {
  return authenticationProvider(
    {
      user: url.user,
      urlAuthentication: url.authentication,
      urlPassword: url.password,
      authentication: options.authentication,
      password: options.password,
      passwordFile: options.passwordFile,
    },
    logger,
  );
}

/** The tarn Pool constructor (typed structurally). */
export type TarnPoolConstructor = new <T>(options: {
  create: () => Promise<T>;
  destroy: (resource: T) => unknown;
  validate?: (resource: T) => boolean;
  min: number;
  max: number;
  acquireTimeoutMillis?: number;
  createTimeoutMillis?: number;
  destroyTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  reapIntervalMillis?: number;
  propagateCreateError?: boolean;
  log?: (msg: string) => unknown;
}) => TarnPoolLike<T>;

/** A tarn pool. */
export interface TarnPoolLike<T> {
  acquire(): { promise: Promise<T> };
  release(resource: T): boolean;
  destroy(): Promise<unknown>;
  numUsed(): number;
  numFree(): number;
}

let tediousCache: Promise<TediousModuleLike> | undefined;
let tarnCache: Promise<TarnPoolConstructor> | undefined;

/** Imports tedious on first use; `DB_DRIVER_MISSING` when it is not installed. */
export function loadTedious(): Promise<TediousModuleLike> {
  tediousCache ??= import('tedious').then(
    (mod) => (mod as unknown as { default?: TediousModuleLike }).default ?? (mod as unknown as TediousModuleLike),
    (err: unknown) => {
      tediousCache = undefined;
      throw new DbError(
        DbErrorCode.DRIVER_MISSING,
        'The SQL Server driver tedious is not installed. Install it with `npm install tedious@^19.2.2` next to @refdata/db.',
        { cause: err, driverCode: (err as { code?: string }).code ?? 'MODULE_NOT_FOUND' },
      );
    },
  );
  return tediousCache;
}

/** Imports tarn (a dependency of @refdata/db) on first use. */
export function loadTarn(): Promise<TarnPoolConstructor> {
  tarnCache ??= import('tarn').then((mod) => {
    const m = mod as unknown as { Pool?: TarnPoolConstructor; default?: { Pool: TarnPoolConstructor } };
    return (m.Pool ?? m.default?.Pool) as TarnPoolConstructor;
  });
  return tarnCache;
}
