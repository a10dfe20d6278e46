// SQLite across real processes: racing claims, SIGKILL during replace/restore/prune, a long-held lock.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../src/index.js';
import { staged } from './helpers.js';
import { bundlePackage, startChild } from './process-helpers.js';

let bundle: { file: string; cleanup: () => void };
beforeAll(async () => {
  bundle = await bundlePackage();
});
afterAll(() => bundle.cleanup());

async function tempDbPath(): Promise<string> {
  const { dir, cleanup } = await makeTempDir('refdata-proc-');
  onTestFinished(cleanup);
  return join(dir, 'refdata.db');
}

const size = (v: number): number => 3000 + ((v * 7919) % 2000);

/** Every row of a table belongs to one version v and the table holds exactly size(v) rows 0..n-1. */
function assertCompleteVersion(conn: Database.Database, physical: string): number {
  const stats = conn
    .prepare(
      `SELECT COUNT(*) AS n, MIN(v) AS vmin, MAX(v) AS vmax, COUNT(DISTINCT i) AS di, MIN(i) AS imin, MAX(i) AS imax FROM "${physical.replaceAll('"', '""')}"`,
    )
    .get() as { n: number; vmin: number; vmax: number; di: number; imin: number; imax: number };
  expect(stats.vmin, physical).toBe(stats.vmax);
  expect(stats.n, physical).toBe(size(stats.vmin));
  expect([stats.di, stats.imin, stats.imax], physical).toEqual([stats.n, 0, stats.n - 1]);
  return stats.vmin;
}

/** The catalogue lists exactly the snapshot tables present, with their row counts. */
function assertCatalogueMatches(conn: Database.Database): void {
  const catalogued = conn.prepare('SELECT snapshot, rows FROM "bkp.catalogue" ORDER BY snapshot').all() as {
    snapshot: string;
    rows: number;
  }[];
  const present = (
    conn
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'bkp.%' AND name <> 'bkp.catalogue'")
      .pluck()
      .all() as string[]
  )
    .map((n) => n.slice(4))
    .sort();
  expect(catalogued.map((c) => c.snapshot)).toEqual(present);
  for (const c of catalogued) {
    const n = conn
      .prepare(`SELECT COUNT(*) FROM "bkp.${c.snapshot.replaceAll('"', '""')}"`)
      .pluck()
      .get();
    expect(n).toBe(c.rows);
    assertCompleteVersion(conn, `bkp.${c.snapshot}`);
  }
}

describe('SQLite across processes', () => {
  it('two processes racing over 500 claims claim every file exactly once', async () => {
    const path = await tempDbPath();
    const db = await openDatabase(`sqlite:${path}`);
    await db.migrate();
    await db.close();
    const go = `${path}.go`;
    const a = startChild('claim-racer.mjs', bundle.file, [path, 'racer-a', '500'], { GO_FILE: go });
    const b = startChild('claim-racer.mjs', bundle.file, [path, 'racer-b', '500'], { GO_FILE: go });
    await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);
    writeFileSync(go, '');
    const [ra, rb] = await Promise.all([a.exit, b.exit]);
    expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0]);
    const lastLine = (s: string): string => s.trim().split('\n').at(-1) ?? '';
    type Race = { claimed: string[]; refused: number; startedAt: number; endedAt: number };
    const raceA = JSON.parse(lastLine(ra.stdout)) as Race;
    const raceB = JSON.parse(lastLine(rb.stdout)) as Race;
    const claimedA = raceA.claimed;
    const claimedB = raceB.claimed;
    const all = [...claimedA, ...claimedB];
    expect(all).toHaveLength(500);
    expect(new Set(all).size).toBe(500);
    const check = new Database(path, { readonly: true });
    onTestFinished(() => {
      check.close();
    });
    const rows = check
      .prepare('SELECT path, instance_id AS instance, COUNT(*) OVER (PARTITION BY path) AS n FROM "refdata.files"')
      .all() as {
      path: string;
      instance: string;
      n: number;
    }[];
    expect(rows).toHaveLength(500);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    // Both really raced: each tried all 500 files, and their runs overlapped in time (one may
    // still win most or all of them when the other waits on the write lock; SQLite does not
    // queue waiters fairly). Every refusal is a claim the other process held.
    expect(claimedA.length + raceA.refused).toBe(500);
    expect(claimedB.length + raceB.refused).toBe(500);
    expect(raceA.refused + raceB.refused).toBe(500);
    const overlap = Math.min(raceA.endedAt, raceB.endedAt) - Math.max(raceA.startedAt, raceB.startedAt);
    expect(
      overlap,
      JSON.stringify({ a: { ...raceA, claimed: claimedA.length }, b: { ...raceB, claimed: claimedB.length } }),
    ).toBeGreaterThan(0);
  });

  for (const op of ['replace', 'restore', 'prune'] as const) {
    it(`leaves the old or the new contents and a matching catalogue when SIGKILLed during ${op}, 20 times`, async () => {
      const path = await tempDbPath();
      let startVersion = 1;
      const seen = new Set<number>();
      for (let round = 0; round < 20; round++) {
        const child = startChild('crash-worker.mjs', bundle.file, [path, op], { START_VERSION: String(startVersion) });
        await child.waitFor('ready');
        await new Promise((r) => setTimeout(r, 30 + Math.floor(Math.random() * 400)));
        child.proc.kill('SIGKILL');
        const exit = await child.exit;
        expect(exit.signal, exit.stderr).toBe('SIGKILL');
        startVersion += 1000;

        const conn = new Database(path);
        try {
          expect(conn.pragma('integrity_check', { simple: true })).toBe('ok');
          seen.add(assertCompleteVersion(conn, 'ref.crash'));
          assertCatalogueMatches(conn);
        } finally {
          conn.close();
        }
        // The next open + migrate removes the staging table the killed process left behind.
        const db = await openDatabase(`sqlite:${path}`);
        await db.migrate();
        await db.close();
        const after = new Database(path, { readonly: true });
        try {
          expect(after.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'stg.%'").pluck().all()).toEqual([]);
        } finally {
          after.close();
        }
      }
      expect(seen.size).toBeGreaterThan(0);
    }, 240_000);
  }

  it('waits out a database locked by another process for 30 s during a load, keeping the event loop free', async () => {
    const path = await tempDbPath();
    const db = await openDatabase(`sqlite:${path}`, { busyTimeoutMs: 20_000, retryBackoffSeconds: 0.5 });
    onTestFinished(() => db.close());
    await db.migrate();
    const columns = [{ name: 'n', type: { kind: 'int' as const }, nullable: false }];
    const session = await db.beginLoad({ table: 'locked', columns });
    await session.write(staged([[1], [2]]));
    const holder = startChild('lock-holder.mjs', bundle.file, [path, '30000']);
    await holder.waitFor('locked');
    const lockedAt = Date.now();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 100);
    try {
      await session.write(staged([[3], [4]], 4));
      const outcome = await session.commit();
      expect(outcome).toMatchObject({ status: 'applied', rowsLoaded: 4 });
    } finally {
      clearInterval(timer);
    }
    const waited = Date.now() - lockedAt;
    const exit = await holder.exit;
    expect(exit.code, exit.stderr).toBe(0);
    expect(waited).toBeGreaterThanOrEqual(29_000);
    // The event loop kept running while the database was locked (no 30 s synchronous wait).
    expect(ticks).toBeGreaterThan(100);
    const rows: unknown[] = [];
    for await (const row of db.readTable('locked')) rows.push(row[0]);
    expect(rows).toEqual([1, 2, 3, 4]);
  }, 120_000);
});
