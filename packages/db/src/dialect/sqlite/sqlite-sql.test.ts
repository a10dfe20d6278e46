// The key comparisons of an upsert or keyed replace: exact counts, and query plans that never scan
// one table once per row of the other (the cost that grew with the live table × the file).
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  changeSummarySql,
  countAboveSql,
  deleteAboveSql,
  maxRowidSql,
  preImagesSql,
  restorePreImagesSql,
  upsertInsertSql,
  upsertUpdateSql,
} from './sqlite-sql.js';

let conn: Database.Database;
beforeEach(() => {
  conn = new Database(':memory:');
  conn.exec('CREATE TABLE "ref.t" (a INTEGER, b TEXT, v TEXT)');
  conn.exec('CREATE TABLE "stg.t" (a INTEGER NOT NULL, b TEXT NOT NULL, v TEXT)');
  // Live: (1,x) twice (a table appended to without a unique key), a NULL key, and (2,y), (3,z).
  conn.exec(
    `INSERT INTO "ref.t" VALUES (1, 'x', 'old'), (1, 'x', 'old2'), (NULL, 'x', 'n'), (2, 'y', 'same'), (3, 'z', 'z')`,
  );
  // Staged (keys non-null and unique, as after validation): (1,x) changed, (2,y) unchanged, (4,w) and (1,w) new.
  conn.exec(`INSERT INTO "stg.t" VALUES (1, 'x', 'new'), (2, 'y', 'same'), (4, 'w', 'w'), (1, 'w', 'w')`);
});
afterEach(() => conn.close());

const keys = ['a', 'b'];
const count = (sql: string): number => Number(conn.prepare(sql).pluck().get());
const plan = (sql: string): string =>
  (conn.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('SQLite key comparisons', () => {
  it('count added, removed, matched and changed exactly, with NULL and repeated live keys', () => {
    const sql = changeSummarySql('stg.t', 'ref.t', keys, ['v']);
    expect(count(sql.added)).toBe(2);
    // (NULL,x) and (3,z) have no staged key.
    expect(count(sql.removed)).toBe(2);
    expect(count(sql.matched)).toBe(3);
    expect(count(sql.changed)).toBe(2);
  });

  it('inserts exactly the staged rows whose key is not live', () => {
    conn.exec(upsertInsertSql('stg.t', 'ref.t', keys, ['a', 'b', 'v'], 'rowid'));
    expect(conn.prepare('SELECT a, b, v FROM "ref.t" WHERE v = \'w\' ORDER BY rowid').all()).toEqual([
      { a: 4, b: 'w', v: 'w' },
      { a: 1, b: 'w', v: 'w' },
    ]);
    expect(count('SELECT COUNT(*) FROM "ref.t"')).toBe(7);
  });

  it('look rows up through an index, never by a correlated scan per row', () => {
    const sql = changeSummarySql('stg.t', 'ref.t', keys, ['v']);
    const insert = upsertInsertSql('stg.t', 'ref.t', keys, ['a', 'b', 'v'], 'rowid');
    for (const statement of [sql.added, sql.removed, sql.matched, sql.changed, insert]) {
      const p = plan(statement);
      expect(p, statement).not.toContain('CORRELATED');
      expect(p, statement).toMatch(/SEARCH [ls] USING AUTOMATIC/);
      // Live is scanned once; the index is built over the file's rows, never over every live row.
      expect(p, statement).not.toMatch(/SEARCH l USING AUTOMATIC/);
    }
  });

  it('undo an upsert exactly from its delta: pre-images by rowid (repeated live keys too) and the watermark', () => {
    const before = conn.prepare('SELECT rowid, * FROM "ref.t" ORDER BY rowid').all();
    const watermark = count(maxRowidSql('ref.t', 'rowid'));
    expect(watermark).toBe(5);
    conn.exec('CREATE TABLE "bkp.d" (a INTEGER, b TEXT, v TEXT)');
    const images = preImagesSql('stg.t', 'ref.t', 'bkp.d', keys, ['a', 'b', 'v'], 'rowid');
    // One scan of live, each row looked up in the file's rows: never an index built over live.
    expect(plan(images)).toMatch(/^SCAN l\b.*SEARCH s USING AUTOMATIC COVERING INDEX/);
    conn.exec(images);
    // Both live (1,x) rows and (2,y): the rows the UPDATE touches, under their live rowids.
    expect(conn.prepare('SELECT rowid, a, b, v FROM "bkp.d" ORDER BY rowid').all()).toEqual([
      { rowid: 1, a: 1, b: 'x', v: 'old' },
      { rowid: 2, a: 1, b: 'x', v: 'old2' },
      { rowid: 4, a: 2, b: 'y', v: 'same' },
    ]);
    conn.exec(upsertUpdateSql('stg.t', 'ref.t', keys, ['v']) as string);
    conn.exec(upsertInsertSql('stg.t', 'ref.t', keys, ['a', 'b', 'v'], 'rowid'));
    expect(count(`SELECT COUNT(*) FROM "ref.t" WHERE rowid > ${watermark}`)).toBe(2);
    expect(conn.prepare(countAboveSql('ref.t', 'rowid')).pluck().get(watermark)).toBe(2);
    conn.prepare(deleteAboveSql('ref.t', 'rowid')).run(watermark);
    conn.exec(restorePreImagesSql('bkp.d', 'ref.t', ['a', 'b', 'v'], 'rowid'));
    expect(conn.prepare('SELECT rowid, * FROM "ref.t" ORDER BY rowid').all()).toEqual(before);
  });
});
