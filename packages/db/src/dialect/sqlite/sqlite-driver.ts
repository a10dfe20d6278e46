/**
 * Lazy loading of better-sqlite3 (an optional peer dependency) and mapping of its errors.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { DbError, DbErrorCode } from '../../errors.js';

/** The better-sqlite3 constructor. */
export type SqliteConstructor = typeof BetterSqlite3;
/** A better-sqlite3 connection. */
export type SqliteConnection = BetterSqlite3.Database;
/** A prepared better-sqlite3 statement. */
export type SqliteStatement<P extends unknown[]> = BetterSqlite3.Statement<P>;

let cached: Promise<SqliteConstructor> | undefined;

/** Imports better-sqlite3 on first use; `DB_DRIVER_MISSING` when it is not installed. */
export function loadBetterSqlite3(): Promise<SqliteConstructor> {
  cached ??= import('better-sqlite3').then(
    (mod) => (mod as { default?: SqliteConstructor }).default ?? (mod as unknown as SqliteConstructor),
    (err: unknown) => {
      cached = undefined;
      throw new DbError(
        DbErrorCode.DRIVER_MISSING,
        'The SQLite driver better-sqlite3 is not installed (or failed to load). Install it with `npm install better-sqlite3@^12` next to @refdata/db.',
        { cause: err, driverCode: (err as { code?: string }).code ?? 'MODULE_NOT_FOUND' },
      );
    },
  );
  return cached;
}

/** True for SQLITE_BUSY* and SQLITE_LOCKED* (another connection holds a lock). */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Wraps a better-sqlite3 error in a {@link DbError}, keeping its code and the original as cause. */
export function wrapSqliteError(err: unknown, action: string): DbError {
  if (err instanceof DbError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const driverCode = typeof code === 'string' ? code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (driverCode !== undefined && isSqliteBusy(err)) {
    return new DbError(
      DbErrorCode.LOCKED,
      `The SQLite database is locked by another process (${action}); close the other program or retry later.`,
      { cause: err, driverCode, transient: true },
    );
  }
  if (/no such table: (refdata\.|bkp\.catalogue)/.test(message)) {
    return new DbError(
      DbErrorCode.QUERY_FAILED,
      `The metadata tables are missing while ${action}; call db.migrate() once after opening the database.`,
      { cause: err, ...(driverCode === undefined ? {} : { driverCode }) },
    );
  }
  if (driverCode === 'SQLITE_FULL') {
    return new DbError(
      DbErrorCode.QUERY_FAILED,
      `The SQLite database could not grow while ${action}: ${message} (SQLITE_FULL). Free space on the disk that holds it (or raise its size limit), then retry; the statement was rolled back.`,
      { cause: err, driverCode },
    );
  }
  if (driverCode === 'SQLITE_CANTOPEN' || driverCode === 'SQLITE_NOTADB' || driverCode === 'SQLITE_READONLY') {
    return new DbError(
      DbErrorCode.UNAVAILABLE,
      `The SQLite database cannot be used (${action}): ${message}. Check the path, its permissions and that it is a SQLite file.`,
      { cause: err, driverCode },
    );
  }
  return new DbError(DbErrorCode.QUERY_FAILED, `SQLite failed while ${action}: ${message}`, {
    cause: err,
    ...(driverCode === undefined ? {} : { driverCode }),
  });
}
