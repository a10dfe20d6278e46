import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openTempSqlite, readAll } from '../../../test/helpers.js';
import { noopLogger } from '../../logger.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import { loadBetterSqlite3 } from './sqlite-driver.js';

/** Polls `probe` until it is true or `ms` pass. */
async function eventually(probe: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > until) return false;
    await sleep(20);
  }
  return true;
}

describe('BackgroundCheckpointer', () => {
  it('copies committed WAL pages into the database file from its own thread, and stops when released', async () => {
    const { path } = await openTempSqlite();
    const Driver = await loadBetterSqlite3();
    const conn = new Driver(path);
    onTestFinished(() => {
      conn.close();
    });
    // This connection never checkpoints: only the background thread can fill the database file.
    conn.pragma('wal_autocheckpoint = 0');
    conn.pragma('wal_checkpoint(TRUNCATE)');
    const before = statSync(path).size;
    const checkpointer = new BackgroundCheckpointer(path, noopLogger);
    checkpointer.acquire();
    expect(checkpointer.running).toBe(true);
    conn.exec('CREATE TABLE t (v TEXT)');
    const insert = conn.prepare('INSERT INTO t VALUES (?)');
    conn.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(`row ${i} ${'x'.repeat(40)}`);
    })();
    expect(await eventually(() => statSync(path).size > before + 500_000)).toBe(true);
    checkpointer.release();
    expect(checkpointer.running).toBe(false);
    await checkpointer.close();
    expect(conn.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(20_000);
  });

  it('keeps running while any holder remains', async () => {
    const { path } = await openTempSqlite();
    const checkpointer = new BackgroundCheckpointer(path, noopLogger);
    checkpointer.acquire();
    checkpointer.acquire();
    checkpointer.release();
    expect(checkpointer.running).toBe(true);
    await checkpointer.close();
    expect(checkpointer.running).toBe(false);
    checkpointer.release();
  });
});

describe('SQLite load with background checkpoints', () => {
  it('checkpoints a large load while it writes, and loads every row exactly', async () => {
    const { db, path } = await openTempSqlite();
    const columns = [
      { name: 'id', type: { kind: 'int' }, nullable: false },
      { name: 'label', type: { kind: 'text' }, nullable: true },
    ] as const;
    const session = await db.beginLoad({ table: 'big', columns });
    const before = statSync(path).size;
    for (let start = 0; start < 60_000; start += 1000) {
      await session.write(
        Array.from({ length: 1000 }, (_, i) => ({
          line: start + i + 2,
          values: [start + i, `label ${start + i} ${'y'.repeat(60)}`],
        })),
      );
    }
    // 60,000 rows (~5 MB) stay under the writer's automatic checkpoint (10,000 pages), so only
    // the background thread can have copied them into the database file before the commit.
    expect(await eventually(() => statSync(path).size > before + 2_000_000)).toBe(true);
    await session.commit();
    const rows = await readAll(db, 'big');
    expect(rows).toHaveLength(60_000);
    expect(rows[59_999]).toEqual([59_999, `label 59999 ${'y'.repeat(60)}`]);
  });
});
