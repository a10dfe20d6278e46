/**
 * A real network cut during a load into SQL Server (the live engine in REFDATA_TEST_MSSQL;
 * Babelfish here). The watcher reaches the server through a TCP relay in this test; while its
 * bulk load streams rows (seen on the server), the relay resets every connection, as a failover,
 * a firewall or a broken link does. The load stages the lost segment again on a fresh connection
 * and the file is archived with every row exactly once: nothing lost, nothing doubled, no
 * operator needed.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '@refdata/db';
import { connectMssqlAdmin, type MssqlAdmin } from '@refdata/test-utils/mssql';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listNames, originalName, sleep, startCli, workspace } from './helpers.js';
import { freshMssqlDatabase, MSSQL_URL } from './mssql-helpers.js';

/** Rows of the file: several 10,000-row bulk-load segments, so the kill lands mid-stream. */
const ROWS = 60_000;
const line = (i: number): string => `${String(i).padStart(6, '0')},${i},row ${i} ${'x'.repeat(40)}`;
const digest = (lines: string[]): string => createHash('sha256').update(lines.sort().join('\n')).digest('hex');

/** True while another session on the server runs a bulk load (Babelfish: pg_stat_activity). */
async function bulkLoadRunning(admin: MssqlAdmin): Promise<boolean> {
  const rows = await admin.query<{ q: string }>(
    "SELECT CAST(query AS NVARCHAR(4000)) AS q FROM pg_catalog.pg_stat_activity WHERE state = 'active' AND pid <> @@SPID",
  );
  return rows.some((r) => /insert bulk|Processing Bulk Load Request/i.test(r.q));
}

/** A TCP relay to `url`'s server; `cut()` resets every connection it carries (new ones still pass). */
async function relay(url: string): Promise<{ url: string; cut: () => number }> {
  const target = new URL(url);
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 1433), target.hostname);
    open.add(client);
    open.add(upstream);
    const end = (): void => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  onTestFinished(() => {
    for (const s of open) s.destroy();
  });
  const via = new URL(url);
  via.hostname = '127.0.0.1';
  via.port = String((server.address() as AddressInfo).port);
  return {
    url: via.toString(),
    cut: () => {
      const n = open.size;
      for (const s of [...open]) s.resetAndDestroy();
      return n;
    },
  };
}

describe('a SQL Server connection lost during a load', () => {
  it.skipIf(MSSQL_URL === undefined)(
    'stages the lost segment again and archives the file with every row exactly once',
    async () => {
      const ws = await workspace();
      const url = await freshMssqlDatabase();
      const admin = await connectMssqlAdmin(url);
      onTestFinished(() => admin.close());
      const link = await relay(url);
      const env = ws.env({
        REFDATA_DB: link.url,
        MONITOR_INTERVAL: '0.1',
        STABILITY_CHECKS: '2',
        LOG_LEVEL: 'info',
      });
      const lines = Array.from({ length: ROWS }, (_, i) => line(i + 1));
      await writeFile(join(ws.incoming, '.codes.csv.part'), `code,n,name\n${lines.join('\n')}\n`);
      await rename(join(ws.incoming, '.codes.csv.part'), join(ws.incoming, 'codes.csv'));

      const watcher = startCli(['watch', '--once'], { cwd: ws.dir, env, timeoutMs: 120_000 });
      // Two cuts: the first lands in the first batch's own bulk load, the second (after the
      // retry is under way) in the streamed segments that follow.
      let cuts = 0;
      while (cuts < 2 && watcher.child.exitCode === null) {
        if (await bulkLoadRunning(admin)) {
          if (link.cut() > 0) cuts++;
          await sleep(cuts === 1 ? 1500 : 0);
        } else await sleep(5);
      }
      const result = await watcher.exited;
      expect(cuts, `the bulk load was not seen running twice:\n${result.stderr.slice(-3000)}`).toBe(2);
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(result.stderr).toMatch(/staging the segment again|transient database error; retrying/);

      expect((await listNames(join(ws.root, 'archive'))).map(originalName)).toContain('codes.csv');
      expect(await listNames(join(ws.root, 'failed'))).toEqual([]);
      expect(await listNames(join(ws.root, 'processing'))).toEqual([]);

      const db = await openDatabase(url);
      onTestFinished(() => db.close());
      const loaded: string[] = [];
      for await (const row of db.readTable('codes'))
        loaded.push(`${String(row[0])},${Number(row[1])},${String(row[2])}`);
      expect(loaded).toHaveLength(ROWS);
      expect(digest(loaded)).toBe(digest(lines));
      const [tracked] = await db.files.list({ limit: 10 });
      expect(tracked).toMatchObject({ status: 'archived', rowsLoaded: ROWS, rowsRejected: 0 });
    },
    180_000,
  );
});
