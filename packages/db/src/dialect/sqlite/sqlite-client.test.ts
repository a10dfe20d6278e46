// The SQLite connection's configuration: page size of new files, WAL, and files made elsewhere.
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openTempSqlite, readAll } from '../../../test/helpers.js';
import { openDatabase } from '../../index.js';

const pragma = (path: string, name: string): unknown => {
  const conn = new BetterSqlite3(path, { readonly: true });
  try {
    return conn.pragma(name, { simple: true });
  } finally {
    conn.close();
  }
};

describe('SqliteClient configuration', () => {
  it('creates a new database with 16 KiB pages in WAL mode, and loads into it', async () => {
    const { db, path } = await openTempSqlite();
    const session = await db.beginLoad({
      table: 'pages',
      columns: [{ name: 'v', type: { kind: 'text' }, nullable: true }],
      mode: 'replace',
    });
    await session.write([{ line: 2, values: ['x'.repeat(20_000)] }]);
    await session.validate();
    await session.commit();
    expect(pragma(path, 'page_size')).toBe(16_384);
    expect(pragma(path, 'journal_mode')).toBe('wal');
    // A value longer than a page spills to overflow pages and comes back whole.
    expect(await readAll(db, 'pages')).toEqual([['x'.repeat(20_000)]]);
  });

  it('keeps the page size of a database file created elsewhere, with its rows', async () => {
    const { dir, cleanup } = await makeTempDir('refdata-db-');
    onTestFinished(cleanup);
    const path = join(dir, 'made-elsewhere.db');
    const conn = new BetterSqlite3(path);
    conn.exec('CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES (1)');
    conn.close();
    const db = await openDatabase(`sqlite:${path}`);
    onTestFinished(() => db.close());
    await db.migrate();
    expect(pragma(path, 'page_size')).toBe(4096);
    expect(pragma(path, 'journal_mode')).toBe('wal');
    expect(pragma(path, 'integrity_check')).toBe('ok');
  });
});
