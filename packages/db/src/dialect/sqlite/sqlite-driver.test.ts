// Loading better-sqlite3 and wrapping its errors.
import { describe, expect, it } from 'vitest';
import { wrapSqliteError } from './sqlite-driver.js';

const sqliteError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('wrapSqliteError', () => {
  it('says a full disk is a full disk and what to do, keeping the driver code and the cause', () => {
    const cause = sqliteError('SQLITE_FULL', 'database or disk is full');
    const err = wrapSqliteError(cause, 'write');
    expect(err).toMatchObject({ code: 'DB_QUERY_FAILED', driverCode: 'SQLITE_FULL', cause });
    expect(err.message).toBe(
      'The SQLite database could not grow while write: database or disk is full (SQLITE_FULL). Free space on the disk that holds it (or raise its size limit), then retry; the statement was rolled back.',
    );
  });

  it('maps busy to DB_LOCKED and an unopenable file to DB_UNAVAILABLE', () => {
    expect(wrapSqliteError(sqliteError('SQLITE_BUSY', 'database is locked'), 'commit')).toMatchObject({
      code: 'DB_LOCKED',
    });
    expect(wrapSqliteError(sqliteError('SQLITE_CANTOPEN', 'unable to open'), 'open')).toMatchObject({
      code: 'DB_UNAVAILABLE',
    });
  });
});
