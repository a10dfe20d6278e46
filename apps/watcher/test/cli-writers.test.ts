/**
 * Issue 2 acceptance 3 and issue 5 acceptance 1 with real writer processes against a real
 * watcher: no file is taken before its writer is done, and each is loaded exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listNames, openTestDb, originalName, startCli, type Workspace, waitFor, workspace } from './helpers.js';

const WRITER = fileURLToPath(new URL('./writers/writer.mjs', import.meta.url));
// Stability window in these tests: 0.5 s × 4 = 2 s.
const WINDOW_ENV = { MONITOR_INTERVAL: '0.5', STABILITY_CHECKS: '4', MONITOR_LEASE: '10' };

function writer(mode: string, path: string, rows: number, steps: number, pauseMs: number): Promise<number | null> {
  const child: ChildProcess = spawn(
    process.execPath,
    [WRITER, mode, path, String(rows), String(steps), String(pauseMs)],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

function expectedSha(rows: number): string {
  const lines = ['id,name,amount'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},item ${i},${(i * 1.25).toFixed(2)}`);
  return createHash('sha256')
    .update(`${lines.join('\n')}\n`)
    .digest('hex');
}

async function expectLoadedOnce(ws: Workspace, expected: Readonly<Record<string, number>>): Promise<void> {
  const db = await openTestDb(ws);
  const files = await db.files.list();
  for (const [table, rows] of Object.entries(expected)) {
    const mine = files.filter((f) => f.name === `${table}.csv`);
    expect(mine, `tracking rows of ${table}.csv`).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'archived', rowsLoaded: rows, sha256: expectedSha(rows) });
    expect((await db.describeTable(table))?.rowCount, `rows of ref.${table}`).toBe(rows);
  }
  const archived = (await listNames(join(ws.root, 'archive'))).map(originalName).sort();
  expect(archived).toEqual(
    Object.keys(expected)
      .map((t) => `${t}.csv`)
      .sort(),
  );
  expect(await listNames(join(ws.root, 'failed'))).toEqual([]);
}

describe('the watcher and real writer processes', () => {
  it('takes appended, preallocated, tmp-renamed and marked files only when complete, each exactly once', async () => {
    const polled = await workspace();
    const marked = await workspace();
    await mkdir(marked.incoming, { recursive: true });
    const watcher = startCli(['watch'], { cwd: polled.dir, env: polled.env(WINDOW_ENV), timeoutMs: 90_000 });
    const markerWatcher = startCli(['watch'], {
      cwd: marked.dir,
      env: marked.env({ ...WINDOW_ENV, MONITOR_REQUIRE_MARKER: 'true' }),
      timeoutMs: 90_000,
    });
    await watcher.waitForOutput(/watcher started/);
    await markerWatcher.waitForOutput(/watcher started/);

    const codes = await Promise.all([
      // 20 s of appends, each pause (1 s) shorter than the 2 s window.
      writer('append', join(polled.incoming, 'appended.csv'), 4000, 20, 1000),
      // Final size first, then filled in place with the file held open; pauses longer than the window.
      writer('preallocate', join(polled.incoming, 'preallocated.csv'), 3000, 4, 2500),
      // Written as .tmp with pauses longer than the window, then renamed.
      writer('tmp-rename', join(polled.incoming, 'renamed.csv'), 2000, 3, 2500),
      // Marker mode: pauses longer than the window; only the marker makes it ready.
      writer('marker', join(marked.incoming, 'marked.csv'), 2500, 3, 2500),
    ]);
    expect(codes).toEqual([0, 0, 0, 0]);

    await waitFor(
      async () => (await listNames(join(polled.root, 'archive'))).length >= 3,
      30_000,
      'three archived files',
    );
    await waitFor(async () => (await listNames(join(marked.root, 'archive'))).length >= 1, 30_000, 'the marked file');
    watcher.child.kill('SIGTERM');
    markerWatcher.child.kill('SIGTERM');
    expect((await watcher.exited).code).toBe(0);
    expect((await markerWatcher.exited).code).toBe(0);

    await expectLoadedOnce(polled, { appended: 4000, preallocated: 3000, renamed: 2000 });
    await expectLoadedOnce(marked, { marked: 2500 });
  });
});
