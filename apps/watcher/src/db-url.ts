/**
 * Resolves the database location from `--db`/`REFDATA_DB` and the seed's `db_host`, `db_name`,
 * `db_user`, `db_password`. The password never stays in the URL: it is split off and passed to
 * `openDatabase` as an option, so the URL can be printed.
 */
import { AppError, AppErrorCode } from './errors.js';
import { REDACTED } from './secrets.js';

/** The default database: an embedded SQLite file under the working directory. */
export const DEFAULT_DB_URL = 'sqlite:./data/refdata.db';

/** A database location ready for `openDatabase`. */
export interface ResolvedDbUrl {
  readonly dialect: 'sqlite' | 'mssql';
  /** The URL to open, without any password. */
  readonly url: string;
  /** The same URL, safe to print. */
  readonly display: string;
  /** The password, from the URL or `db_password`; never print it. */
  readonly password?: string;
  /** For SQLite files: the path of the database file (absent for `:memory:`). */
  readonly sqlitePath?: string;
}

/** The seed's connection settings. */
export interface DbParts {
  readonly host?: string | undefined;
  readonly name?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
}

/**
 * Masks the password of a URL-like string for messages (`mssql://sa:x@h/db` → `mssql://sa:[REDACTED]@h/db`).
 *
 * @example
 * ```ts
 * maskUrl('mssql://sa:hunter2@db:1433/ref'); // 'mssql://sa:[REDACTED]@db:1433/ref'
 * ```
 */
export function maskUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^@]*@/i, `$1${REDACTED}@`);
}

/**
 * Resolves the database URL. Without a URL, `db_host` selects SQL Server; otherwise the default
 * SQLite file is used.
 *
 * @example
 * ```ts
 * resolveDbUrl('mssql://loader@db.example:1433/refdata?encrypt=true', { password: process.env.db_password });
 * resolveDbUrl(undefined, {}); // sqlite:./data/refdata.db
 * ```
 */
export function resolveDbUrl(raw: string | undefined, parts: DbParts = {}): ResolvedDbUrl {
  if (raw === undefined || raw.trim() === '') {
    if (parts.host !== undefined && parts.host !== '') return fromParts(parts);
    return resolveDbUrl(DEFAULT_DB_URL, parts);
  }
  const text = raw.trim();
  if (/^sqlite:/i.test(text)) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw invalid(text, 'the SQLite URL has no file path');
    if (path === ':memory:') return { dialect: 'sqlite', url: 'sqlite::memory:', display: 'sqlite::memory:' };
    return { dialect: 'sqlite', url: `sqlite:${path}`, display: `sqlite:${path}`, sqlitePath: path };
  }
  if (/^(mssql|sqlserver):\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text.replace(/^sqlserver:/i, 'mssql:'));
    } catch {
      // The URL parser's error quotes its input (with any password): do not keep it as the cause.
      throw invalid(text, 'it is not a valid URL');
    }
    if (url.hostname === '') throw invalid(text, 'the host is missing');
    const fromUrl = url.password === '' ? undefined : decodeURIComponent(url.password);
    url.password = '';
    if (url.username === '' && parts.user) url.username = encodeURIComponent(parts.user);
    if ((url.pathname === '' || url.pathname === '/') && parts.name)
      url.pathname = `/${encodeURIComponent(parts.name)}`;
    const password = fromUrl ?? (parts.password || undefined);
    const clean = url.toString();
    return password === undefined
      ? { dialect: 'mssql', url: clean, display: clean }
      : { dialect: 'mssql', url: clean, display: clean, password };
  }
  throw invalid(text, 'the scheme is not supported');
}

function fromParts(parts: DbParts): ResolvedDbUrl {
  // SQL Server's own `HOST,PORT` form (as in its connection strings) is accepted for db_host.
  const comma = /^(.+?),\s*(\d+)$/.exec(parts.host ?? '');
  const host = comma === null ? (parts.host ?? '') : `${comma[1]}:${comma[2]}`;
  const user = parts.user ? `${encodeURIComponent(parts.user)}@` : '';
  const name = parts.name ? `/${encodeURIComponent(parts.name)}` : '';
  const bracket = comma === null && host.includes(':') && !host.startsWith('[') && host.split(':').length > 2;
  return resolveDbUrl(`mssql://${user}${bracket ? `[${host}]` : host}${name}`, { ...parts, host: undefined });
}

function invalid(raw: string, why: string): AppError {
  return new AppError(
    AppErrorCode.CONFIG_INVALID,
    `Invalid database URL ${JSON.stringify(maskUrl(raw))}: ${why}. ` +
      'Use sqlite:PATH (e.g. sqlite:./data/refdata.db) or mssql://USER@HOST:PORT/DB?encrypt=true ' +
      '(set --db or REFDATA_DB; the password goes in db_password).',
  );
}
