/**
 * Retention and log files through the CLI: a running watcher with RETENTION_DAYS prunes the
 * history of old finished files in the SQLite file on disk (never a held file's), and with
 * LOG_FILE its log lines go to a 0640 file that rotates by size, not to stderr.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTestDb, runCli, sleep, startCli, waitFor, workspace, writeCsv } from './helpers.js';

describe('retention and the log file', () => {
  it('keeps everything by default; with RETENTION_DAYS the service prunes old history but keeps held files; logs rotate in LOG_FILE', async () => {
    const ws = await workspace();
    const rows = Array.from({ length: 10 }, (_, i) => `C${i},${i}`);
    await writeCsv(join(ws.incoming, 'codes.csv'), 'code,n', rows);
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    await writeCsv(join(ws.incoming, 'codes.csv'), 'code,n', rows.slice(0, 2));
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).stdout).toContain('refdata release 2');
    // Default: no retention, however old.
    await sleep(1200);
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    expect((await runCli(['show', '1'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);

    // 0.00001 days = 0.864 s: files 1 (archived) and 2 (held) are older than that.
    const logs = join(ws.dir, 'logs');
    const watcher = startCli(['watch'], {
      cwd: ws.dir,
      env: ws.env({
        RETENTION_DAYS: '0.00001',
        RETENTION_INTERVAL: '0.3',
        LOG_FILE: join(logs, 'refdata.log'),
        LOG_FILE_SIZE: '2k',
        LOG_LEVEL: 'debug',
      }),
    });
    await writeCsv(join(ws.incoming, 'other.csv'), 'code,n', ['A,1', 'B,2']);
    const db = await openTestDb(ws);
    await waitFor(async () => (await db.files.get(1)) === undefined, 30_000, 'file 1 pruned');
    await waitFor(
      async () => (await db.files.list()).some((f) => f.name === 'other.csv' && f.status === 'archived'),
      30_000,
      'other.csv archived',
    );
    // other.csv finished (its finish was not refused by a pruned row), then its history goes too.
    await waitFor(async () => !(await db.files.list()).some((f) => f.name === 'other.csv'), 30_000, 'other.csv pruned');
    watcher.child.kill('SIGTERM');
    const exited = await watcher.exited;
    expect(exited.code, exited.stderr).toBe(0);

    expect(await db.listAudit(1)).toEqual([]);
    const held = await db.files.get(2);
    expect(held?.status).toBe('held');
    expect((await db.listAudit(2)).length).toBeGreaterThan(0);
    const show = await runCli(['show', '1'], { cwd: ws.dir, env: ws.env() });
    expect(show.code).toBe(5);

    // Log lines went to rotated files, none to stderr.
    expect(exited.stderr).not.toMatch(/"level":/);
    const files = (await readdir(logs)).filter((f) => /^refdata\.\d+\.log$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    let all = '';
    for (const f of files) {
      expect((await stat(join(logs, f))).mode & 0o777).toBe(0o640);
      all += await readFile(join(logs, f), 'utf8');
    }
    const lines = all
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg: string; files?: number });
    expect(lines.some((l) => l.msg === 'history pruned (RETENTION_DAYS)' && (l.files ?? 0) >= 1)).toBe(true);
    expect(lines.some((l) => l.msg === 'watcher stopped')).toBe(true);
  });
});
