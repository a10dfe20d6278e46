/**
 * A real network cut during a load into SQL Server (the live engine in REFDATA_TEST_MSSQL;
 * Babelfish here). The watcher reaches the server through a TCP relay in this test; while its
 * load runs a chosen phase (seen on the server), the relay resets every connection, as a failover,
 * a firewall or a broken link does: twice while rows stream in (the first batch's own bulk load,
 * then the streamed segments), once during validation, once inside the commit. Each time the
 * load finishes on fresh connections and the file is archived with the new version complete,
 * every row exactly once: nothing lost, nothing doubled, no operator needed.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '@refdata/db';
import { connectMssqlAdmin } from '@refdata/test-utils/mssql';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listNames, originalName, sleep, startCli, workspace } from './helpers.js';
import { freshMssqlDatabase, MSSQL_URL, SERVER_PHASES, serverActivity } from './mssql-helpers.js';

/** Rows of the file: several 10,000-row bulk-load segments, so the kill lands mid-stream. */
const ROWS = 60_000;
const line = (v: number, i: number): string => `${String(i).padStart(6, '0')},${v},row ${i} of ${v} ${'x'.repeat(40)}`;
const digest = (lines: string[]): string => createHash('sha256').update(lines.sort().join('\n')).digest('hex');

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

/** Where the cuts land: the phase watched for, how many cuts, and the pause after each. */
const SCENARIOS = [
  { phase: 'staging', cuts: 2, pauseMs: 1500 },
  { phase: 'validate', cuts: 1, pauseMs: 0 },
  { phase: 'commit', cuts: 1, pauseMs: 0 },
] as const;

describe('a SQL Server connection lost during a load', () => {
  it.skipIf(MSSQL_URL === undefined).each(SCENARIOS)(
    'finishes the load on fresh connections after cuts during $phase: the new version, every row once',
    async ({ phase, cuts: wanted, pauseMs }) => {
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
      const versions = [1, 2].map((v) => Array.from({ length: ROWS }, (_, i) => line(v, i + 1)));
      const drop = async (v: number): Promise<void> => {
        await writeFile(
          join(ws.incoming, '.codes.csv.part'),
          `code,v,name\n${(versions[v - 1] as string[]).join('\n')}\n`,
        );
        await rename(join(ws.incoming, '.codes.csv.part'), join(ws.incoming, 'codes.csv'));
      };
      // Version 1 loads undisturbed, so the cut load replaces a live table (snapshot and swap).
      await drop(1);
      const first = startCli(['watch', '--once'], { cwd: ws.dir, env, timeoutMs: 120_000 });
      expect((await first.exited).code).toBe(0);
      await drop(2);

      const watcher = startCli(['watch', '--once'], { cwd: ws.dir, env, timeoutMs: 120_000 });
      let cuts = 0;
      while (cuts < wanted && watcher.child.exitCode === null) {
        if (SERVER_PHASES[phase].test(await serverActivity(admin))) {
          if (link.cut() > 0) cuts++;
          await sleep(pauseMs);
        } else await sleep(2);
      }
      const result = await watcher.exited;
      expect(cuts, `${phase} was not seen ${wanted} time(s):\n${result.stderr.slice(-3000)}`).toBe(wanted);
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      expect(result.stderr).toMatch(/staging the segment again|transient database error; retrying/);

      const archived = (await listNames(join(ws.root, 'archive'))).filter((n) => n.endsWith('.csv'));
      expect(archived.map(originalName)).toEqual(['codes.csv', 'codes.csv']);
      expect(await listNames(join(ws.root, 'failed'))).toEqual([]);
      expect(await listNames(join(ws.root, 'processing'))).toEqual([]);

      const db = await openDatabase(url);
      onTestFinished(() => db.close());
      const loaded: string[] = [];
      for await (const row of db.readTable('codes'))
        loaded.push(`${String(row[0])},${Number(row[1])},${String(row[2])}`);
      expect(loaded).toHaveLength(ROWS);
      expect(digest(loaded)).toBe(digest(versions[1] as string[]));
      const tracked = await db.files.list({ limit: 10 });
      expect(tracked.map((f) => [f.status, f.rowsLoaded, f.rowsRejected])).toEqual([
        ['archived', ROWS, 0],
        ['archived', ROWS, 0],
      ]);
    },
    180_000,
  );
});
