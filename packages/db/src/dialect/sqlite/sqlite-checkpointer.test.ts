// The background WAL checkpointer: its own thread, large loads, and SIGKILL at random points.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openTempSqlite, readAll } from '../../../test/helpers.js';
import { bundlePackage } from '../../../test/process-helpers.js';
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

describe('SQLite load with background checkpoints, killed', () => {
  it('leaves the old or the new contents, and an intact file, when SIGKILLed at random points, 6 times', async () => {
    const bundle = await bundlePackage();
    onTestFinished(() => bundle.cleanup());
    const { dir, cleanup } = await makeTempDir('refdata-ckpt-');
    onTestFinished(cleanup);
    const path = join(dir, 'refdata.db');
    // Each run replaces ref.big with 120,000 rows of one version in batches of 2,000; the parent
    // kills it when it reports a random batch from the 12th (background checkpoints run from
    // 20,000 rows) to the 60th (just before the commit): while it writes, checkpoints or commits.
    const child = `
      const { openDatabase } = await import(process.env.BUNDLE);
      const version = Number(process.env.VERSION);
      const db = await openDatabase('sqlite:' + process.env.DB);
      await db.migrate();
      const columns = [{ name: 'v', type: { kind: 'int' }, nullable: false }, { name: 'i', type: { kind: 'int' }, nullable: false }, { name: 'pad', type: { kind: 'text' }, nullable: true }];
      const session = await db.beginLoad({ table: 'big', columns, force: true });
      for (let start = 0; start < 120000; start += 2000) {
        process.stdout.write('batch ' + start / 2000 + '\\n');
        await session.write(Array.from({ length: 2000 }, (_, k) => ({ line: start + k + 2, values: [version, start + k, 'p'.repeat(40)] })));
      }
      process.stdout.write('batch 60\\n');
      await session.commit();
      await db.close();
      process.stdout.write('done\\n');
    `;
    const run = (version: number, killAt: number | undefined) =>
      new Promise<{ killed: boolean }>((resolve, reject) => {
        const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
          env: { ...process.env, BUNDLE: bundle.file, VERSION: String(version), DB: path },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        proc.stderr.on('data', (d) => {
          err += d;
        });
        let out = '';
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (killAt !== undefined && out.includes(`batch ${killAt}\n`)) proc.kill('SIGKILL');
        });
        proc.on('exit', (code, signal) => {
          if (signal === 'SIGKILL') resolve({ killed: true });
          else if (code === 0) resolve({ killed: false });
          else reject(new Error(`child exited ${code}: ${err}`));
        });
      });
    await run(1, undefined);
    let expected = new Set([1]);
    let kills = 0;
    for (let round = 2; round <= 7; round++) {
      const { killed } = await run(round, 12 + Math.floor(Math.random() * 49));
      if (killed) kills++;
      const Driver = await loadBetterSqlite3();
      const conn = new Driver(path);
      try {
        expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
        const stats = conn
          .prepare('SELECT COUNT(*) AS n, MIN(v) AS lo, MAX(v) AS hi, COUNT(DISTINCT i) AS di FROM "ref.big"')
          .get() as { n: number; lo: number; hi: number; di: number };
        expect(stats.lo).toBe(stats.hi);
        expect([stats.n, stats.di]).toEqual([120_000, 120_000]);
        expect(killed ? [...expected, round] : [round]).toContain(stats.lo);
        expected = new Set([stats.lo]);
      } finally {
        conn.close();
      }
    }
    // The runs were killed part way, not after the end.
    expect(kills).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
