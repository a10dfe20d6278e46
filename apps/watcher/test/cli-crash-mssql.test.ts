/**
 * Issue 11 item 4: SIGKILL the watcher 10 times during loads into SQL Server (a fresh database on
 * the live engine in REFDATA_TEST_MSSQL; Babelfish here). Each kill is aimed at a phase of the
 * load — staging (bulk load), validation (server-side conversion into typed staging), commit
 * (snapshot + in-place replace in one transaction) or just after the commit (before the tracking
 * row is finished) — chosen by watching the statement the watcher's connection runs on the
 * server. After each kill the live table holds exactly one complete version (row count and a
 * checksum of every row), the one before the kill or the one being loaded; the next runs recover
 * the killed file from processing/ once its lease expires; at the end every file is archived
 * exactly once, no tracking row is left active and the last version is live.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Database, openDatabase, TERMINAL_FILE_STATUSES } from '@refdata/db';
import { connectMssqlAdmin, type MssqlAdmin } from '@refdata/test-utils/mssql';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listNames, originalName, runCli, sleep, startCli, workspace } from './helpers.js';
import { freshMssqlDatabase, MSSQL_URL, SERVER_PHASES, serverActivity } from './mssql-helpers.js';

/** Rows per version: enough for each phase to last a few hundred milliseconds on Babelfish here. */
const ROWS = 6000;
const ENV = {
  MONITOR_INTERVAL: '0.1',
  STABILITY_CHECKS: '2',
  MONITOR_LEASE: '30',
  MONITOR_CONCURRENCY: '1',
  LOG_LEVEL: 'info',
};

const PHASES = SERVER_PHASES;
type Phase = keyof typeof PHASES | 'committed';
/** The phase each kill aims at: 3 during staging, 3 during validation, 3 during commit, 1 after it. */
const PLAN: readonly Phase[] = [
  'staging',
  'validate',
  'commit',
  'staging',
  'committed',
  'validate',
  'commit',
  'staging',
  'validate',
  'commit',
];

const versionOf = (name: string): number => Number(name.slice(6, 8));
const code = (i: number): string => String(i).padStart(6, '0');
const nameOf = (v: number, i: number): string => `row ${i} of version ${v} ${'x'.repeat(30)}`;

function csvOf(v: number): string {
  const lines = ['code,v,name'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${code(i)},${v},${nameOf(v, i)}`);
  return `${lines.join('\n')}\n`;
}

function checksum(lines: string[]): string {
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

function expectedChecksum(v: number): string {
  const lines: string[] = [];
  for (let i = 1; i <= ROWS; i++) lines.push(`${code(i)}|${v}|${nameOf(v, i)}`);
  return checksum(lines);
}

/** The version the live table holds, after checking it holds exactly that version's rows. */
async function liveVersion(db: Database): Promise<number> {
  const lines: string[] = [];
  const versions = new Set<number>();
  for await (const row of db.readTable('crash')) {
    versions.add(Number(row[1]));
    lines.push(`${String(row[0])}|${Number(row[1])}|${String(row[2])}`);
  }
  expect([...versions], 'rows of one version only').toHaveLength(1);
  const v = [...versions][0] as number;
  expect(lines, `row count of version ${v}`).toHaveLength(ROWS);
  expect(checksum(lines), `checksum of version ${v}`).toBe(expectedChecksum(v));
  return v;
}

/**
 * Moves the clock past the leases of the killed run (MONITOR_LEASE is 30 s, so that a heartbeat
 * delayed on a busy engine never loses a live claim): the next run recovers its file at once
 * instead of 30 s later, through the same expired-lease path.
 */
async function expireLeases(admin: MssqlAdmin): Promise<void> {
  await admin.query(
    `UPDATE [refdata].[files] SET lease_until = DATEADD(SECOND, -1, SYSUTCDATETIME()) WHERE status NOT IN (${TERMINAL_FILE_STATUSES.map((s) => `N'${s}'`).join(', ')});`,
  );
}

describe('the watcher SIGKILLed during loads into SQL Server', () => {
  it.skipIf(MSSQL_URL === undefined)(
    'leaves the old or the new table and consistent tracking across 10 kills aimed at staging, validation and commit',
    async () => {
      const ws = await workspace();
      const url = await freshMssqlDatabase();
      const env = ws.env({ ...ENV, REFDATA_DB: url });
      await writeFile(
        join(ws.dir, 'refdata.config.json'),
        JSON.stringify({ datasets: { crash: { files: ['crash_*.csv'], mode: 'replace' } } }),
      );
      const drop = async (v: number): Promise<string> => {
        const name = `crash_${String(v).padStart(2, '0')}.csv`;
        await writeFile(join(ws.incoming, `.${name}.part`), csvOf(v));
        await rename(join(ws.incoming, `.${name}.part`), join(ws.incoming, name));
        return name;
      };
      const names = [await drop(0)];
      const first = await runCli(['watch', '--once'], { cwd: ws.dir, env });
      expect(first.code, first.stderr).toBe(0);

      const admin = await connectMssqlAdmin(url);
      onTestFinished(() => admin.close());
      const db = await openDatabase(url);
      onTestFinished(() => db.close());
      let live = await liveVersion(db);
      expect(live).toBe(0);

      const hits: { aim: Phase; seen: string; before: number; after: number; ms: number }[] = [];
      for (let k = 0; k < PLAN.length; k++) {
        const aim = PLAN[k] as Phase;
        const started = Date.now();
        // Files dropped and not yet archived: the versions a run may be loading. A new version is
        // dropped only when none pending differs from the live one, so the backlog stays short
        // and every kill has an old and a new version to tell apart.
        const archived = new Set((await listNames(join(ws.root, 'archive'))).map(originalName));
        let pending = names.filter((n) => !archived.has(n)).map(versionOf);
        if (pending.every((p) => p === live)) {
          names.push(await drop(k + 1));
          pending = [...pending, k + 1];
        }
        const watcher = startCli(['watch', '--once'], { cwd: ws.dir, env, timeoutMs: 90_000 });
        let seen = 'finished';
        for (;;) {
          if (watcher.child.exitCode !== null) break;
          if (aim === 'committed') {
            if (/"msg":"load committed"/.test(watcher.stderr())) {
              seen = 'committed';
              break;
            }
            await sleep(5);
            continue;
          }
          const running = await serverActivity(admin);
          const phase = (Object.keys(PHASES) as (keyof typeof PHASES)[]).find((p) => PHASES[p].test(running));
          if (phase === aim) {
            seen = phase;
            break;
          }
        }
        watcher.child.kill('SIGKILL');
        await watcher.exited;
        const before = live;
        live = await liveVersion(db);
        hits.push({ aim, seen, before, after: live, ms: Date.now() - started });
        expect([before, ...pending], JSON.stringify(hits)).toContain(live);
        // At most one active tracking row per file, and none for a file already archived.
        const tracked = await db.files.list({ limit: 1000 });
        const active = tracked.filter((f) => !TERMINAL_FILE_STATUSES.includes(f.status));
        expect(new Set(active.map((f) => f.name)).size, JSON.stringify(active)).toBe(active.length);
        await expireLeases(admin);
      }
      const context = JSON.stringify(hits);
      // Every phase was hit at least once (a kill whose load had already finished counts for none).
      for (const phase of ['staging', 'validate', 'commit', 'committed'] as const)
        expect(
          hits.some((h) => h.seen === phase),
          `${phase}: ${context}`,
        ).toBe(true);

      // Recovery: normal runs take every killed file again; then nothing is left in flight.
      for (let attempt = 0; attempt < 4; attempt++) {
        const r = await runCli(['watch', '--once'], { cwd: ws.dir, env, timeoutMs: 90_000 });
        expect(r.code, r.stderr).toBe(0);
        if ((await listNames(join(ws.root, 'processing'))).length === 0 && (await listNames(ws.incoming)).length === 0)
          break;
        await expireLeases(admin);
      }
      expect(await listNames(join(ws.root, 'processing')), context).toEqual([]);
      expect(await listNames(ws.incoming), context).toEqual([]);
      expect(await listNames(join(ws.root, 'failed')), context).toEqual([]);
      const archivedNames = (await listNames(join(ws.root, 'archive')))
        .filter((n) => n.endsWith('.csv'))
        .map(originalName)
        .sort();
      expect(archivedNames, context).toEqual([...names].sort());

      const tracked = await db.files.list({ limit: 1000 });
      expect(
        tracked.filter((f) => !TERMINAL_FILE_STATUSES.includes(f.status)),
        context,
      ).toEqual([]);
      for (const name of names)
        expect(
          tracked.filter((f) => f.name === name && f.status === 'archived'),
          `${name}: ${context}`,
        ).toHaveLength(1);
      // The last file processed is live, complete; the snapshots the kills interrupted were not catalogued half-made.
      const last = await liveVersion(db);
      expect(names.map((n) => versionOf(n))).toContain(last);
      for (const b of await db.listBackups('crash')) expect(b.rows, b.snapshot).toBe(ROWS);

      // Staging left by killed loads does not break a normal load: one more file loads cleanly.
      names.push(await drop(99));
      const final = await runCli(['watch', '--once'], { cwd: ws.dir, env, timeoutMs: 90_000 });
      expect(final.code, final.stderr).toBe(0);
      expect(await liveVersion(db)).toBe(99);
      // What killed loads left in stg is at most their two staging tables each (migrate() drops
      // staging older than a day: another instance's load may still be using a younger one).
      const leftover = await admin.query<{ name: string }>(
        "SELECT name FROM sys.tables WHERE schema_id = SCHEMA_ID(N'stg')",
      );
      expect(leftover.every((t) => t.name.startsWith('crash.'))).toBe(true);
      expect(leftover.length).toBeLessThanOrEqual(2 * hits.filter((h) => h.seen !== 'committed').length);
    },
    300_000,
  );
});
