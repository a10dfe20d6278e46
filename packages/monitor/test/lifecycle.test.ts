/** The life of a file through the stages: readiness rules, claims, handler outcomes, sidecars, events. */
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createMemoryClaimStore,
  ensureStages,
  type HandlerResult,
  type MonitorEvents,
  type TransitionEvent,
} from '../src/index.js';
import { list, makeRoot, monitorFor, waitFor } from './helpers.js';

const FAST = { intervalSeconds: 0.05, stabilityChecks: 3 } as const;

/** Sets mtime (and thereby nothing else) far in the past; ctime stays now. */
async function age(path: string): Promise<void> {
  const old = new Date(Date.now() - 3_600_000);
  await utimes(path, old, old);
}

describe('Monitor lifecycle', () => {
  it('moves a stable file through processing/ to archive/ and reports every transition', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'currencies.csv'), 'code\n008\n');
    const seen: Array<{ path: string; processingPath: string; content: string; id: number }> = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        seen.push({
          path: file.path,
          processingPath: file.processingPath,
          content: await readFile(file.processingPath, 'utf8'),
          id: file.claim.fileId,
        });
        return { state: 'archived' };
      },
    });
    const transitions: TransitionEvent[] = [];
    const settled: Parameters<MonitorEvents['settled']>[0][] = [];
    monitor.on('transition', (e) => transitions.push(e));
    monitor.on('settled', (e) => settled.push(e));
    const summary = await monitor.runOnce();

    expect(summary).toEqual({ archived: 1, failed: 0, duplicate: 0, held: 0, pending: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe(join(stages.incoming, 'currencies.csv'));
    expect(seen[0]?.processingPath).toBe(join(stages.processing, `${seen[0]?.id}--currencies.csv`));
    expect(seen[0]?.content).toBe('code\n008\n');
    expect(transitions.map((t) => t.to)).toEqual([
      'detected',
      'stabilizing',
      'ready',
      'claimed',
      'processing',
      'archived',
    ]);
    const archived = await list(root, 'archive');
    expect(archived).toHaveLength(1);
    expect(archived[0]).toMatch(/^currencies\.\d{8}T\d{6}Z-[0-9a-f]{6}\.csv$/);
    expect(settled[0]?.finalPath).toBe(join(stages.archive, archived[0] as string));
    expect(await list(root, 'incoming')).toEqual([]);
    expect(await list(root, 'processing')).toEqual([]);
    expect(monitor.stats().lastSuccessAt).toBeInstanceOf(Date);
  });

  it('sends each outcome to its folder and writes NAME.error.json and handler sidecars beside the file', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const outcomes: Record<string, HandlerResult> = {
      'a.csv': { state: 'archived', sidecars: [{ suffix: '.rejects.csv', content: 'line,reason\n3,bad\n' }] },
      'b.csv': { state: 'duplicate' },
      'c.csv': { state: 'held' },
      'd.csv': { state: 'failed', error: { code: 'INGEST_UNCLOSED_QUOTE', message: 'Unclosed quote on line 2.' } },
    };
    for (const name of Object.keys(outcomes)) await writeFile(join(stages.incoming, name), 'x\n1\n');
    const store = createMemoryClaimStore();
    const monitor = monitorFor({ root, ...FAST, store, handler: async (file) => outcomes[file.name] as HandlerResult });
    expect(await monitor.runOnce()).toEqual({ archived: 1, failed: 1, duplicate: 1, held: 1, pending: 0 });

    const archive = await list(root, 'archive');
    expect(archive.filter((n) => n.startsWith('a.'))).toHaveLength(2);
    const rejects = archive.find((n) => n.endsWith('.csv.rejects.csv')) as string;
    expect(await readFile(join(stages.archive, rejects), 'utf8')).toBe('line,reason\n3,bad\n');
    expect(archive.filter((n) => n.startsWith('b.'))).toHaveLength(1);
    expect((await list(root, 'held')).filter((n) => n.startsWith('c.'))).toHaveLength(1);
    const failed = await list(root, 'failed');
    expect(failed).toHaveLength(2);
    const errorFile = failed.find((n) => n.endsWith('.error.json')) as string;
    const dataFile = failed.find((n) => !n.endsWith('.error.json')) as string;
    expect(errorFile).toBe(`${dataFile}.error.json`);
    const report = JSON.parse(await readFile(join(stages.failed, errorFile), 'utf8'));
    expect(report).toMatchObject({
      code: 'INGEST_UNCLOSED_QUOTE',
      message: 'Unclosed quote on line 2.',
      file: 'd.csv',
    });
    expect(new Date(report.time).toISOString()).toBe(report.time);
    expect(
      store
        .entries()
        .map((e) => e.state)
        .sort(),
    ).toEqual(['archived', 'duplicate', 'failed', 'held']);
    const failedEntry = store.entries().find((e) => e.name === 'd.csv');
    expect(failedEntry?.path).toBe(join(stages.failed, dataFile));
    expect(failedEntry?.error?.code).toBe('INGEST_UNCLOSED_QUOTE');
    const mode = (await stat(join(stages.failed, errorFile))).mode & 0o777;
    expect(mode & 0o002).toBe(0);
  });

  it('records a thrown error by its code, or MONITOR_HANDLER_FAILED, and an invalid result as MONITOR_HANDLER_RESULT_INVALID', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    for (const name of ['coded.csv', 'plain.csv', 'invalid.csv']) await writeFile(join(stages.incoming, name), 'x');
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        if (file.name === 'coded.csv') throw Object.assign(new Error('disk says no'), { code: 'INGEST_IO' });
        if (file.name === 'plain.csv') throw new Error('boom');
        return { state: 'weird' } as unknown as HandlerResult;
      },
    });
    expect((await monitor.runOnce()).failed).toBe(3);
    const reports = await Promise.all(
      (await list(root, 'failed'))
        .filter((n) => n.endsWith('.error.json'))
        .map(async (n) => JSON.parse(await readFile(join(stages.failed, n), 'utf8'))),
    );
    const byFile = Object.fromEntries(reports.map((r) => [r.file, r.code]));
    expect(byFile).toEqual({
      'coded.csv': 'INGEST_IO',
      'plain.csv': 'MONITOR_HANDLER_FAILED',
      'invalid.csv': 'MONITOR_HANDLER_RESULT_INVALID',
    });
  });

  it('ignores hidden and temporary files and applies include and exclude globs case-insensitively', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const names = [
      '.hidden.csv',
      'x.csv.tmp',
      'y.csv.part',
      'z.csv.filepart',
      '~lock.csv',
      'notes.txt',
      'RATES.CSV',
      'skip_me.csv',
      'ok.csv',
    ];
    for (const name of names) await writeFile(join(stages.incoming, name), 'x');
    const handled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      include: ['*.csv'],
      exclude: ['skip_*'],
      handler: async (file) => {
        handled.push(file.name);
        return { state: 'archived' };
      },
    });
    await monitor.runOnce();
    expect(handled.sort()).toEqual(['RATES.CSV', 'ok.csv']);
    expect(await list(root, 'incoming')).toEqual([
      '.hidden.csv',
      'notes.txt',
      'skip_me.csv',
      'x.csv.tmp',
      'y.csv.part',
      'z.csv.filepart',
      '~lock.csv',
    ]);
  });

  it('never lets final names collide when the same name arrives again and again', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const monitor = monitorFor({ root, ...FAST, handler: async () => ({ state: 'archived' }) });
    for (let i = 0; i < 5; i++) {
      await writeFile(join(stages.incoming, 'rates.csv'), `v${i}`);
      await monitor.runOnce();
    }
    const archive = await list(root, 'archive');
    expect(new Set(archive).size).toBe(5);
    const contents = await Promise.all(archive.map((n) => readFile(join(stages.archive, n), 'utf8')));
    expect(contents.sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('takes a file unchanged for longer than the whole window after one confirming look, without waiting the window', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const path = join(stages.incoming, 'old.csv');
    await writeFile(path, 'x\n');
    // mtime is old but ctime is now: not aged, so the full window applies (counted below).
    await age(path);
    let scans = 0;
    const young = monitorFor({
      root,
      intervalSeconds: 0.1,
      stabilityChecks: 4,
      handler: async () => ({ state: 'archived' }),
    });
    young.on('scan', () => scans++);
    await young.runOnce();
    expect(scans).toBeGreaterThanOrEqual(5);

    // With a window of 1 s and a file whose mtime and ctime are older than that, one look is enough.
    await writeFile(join(stages.incoming, 'aged.csv'), 'x\n');
    await new Promise((r) => setTimeout(r, 1_100));
    scans = 0;
    const aged = monitorFor({
      root,
      intervalSeconds: 0.25,
      stabilityChecks: 4,
      handler: async () => ({ state: 'archived' }),
    });
    aged.on('scan', () => scans++);
    expect((await aged.runOnce()).archived).toBe(1);
    expect(scans).toBeLessThan(4);
  });

  it('leaves files that keep changing in incoming/ and counts them as pending in runOnce', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const path = join(stages.incoming, 'busy.csv');
    await writeFile(path, 'x');
    let n = 0;
    const timer = setInterval(() => void writeFile(path, `x${n++}`), 20);
    try {
      const monitor = monitorFor({
        root,
        intervalSeconds: 0.05,
        stabilityChecks: 4,
        handler: async () => ({ state: 'archived' }),
      });
      expect(await monitor.runOnce()).toEqual({ archived: 0, failed: 0, duplicate: 0, held: 0, pending: 1 });
    } finally {
      clearInterval(timer);
    }
    expect(await list(root, 'incoming')).toEqual(['busy.csv']);
  });

  it('keeps watching after start() and picks up files dropped later', async () => {
    const root = await makeRoot();
    const monitor = monitorFor({ root, ...FAST, handler: async () => ({ state: 'archived' }) });
    await monitor.start();
    const stages = monitor.paths;
    await writeFile(join(stages.incoming, 'late.csv'), 'x');
    await waitFor(async () => (await list(root, 'archive')).length === 1, 10_000, 'late.csv archived');
    await expect(monitor.start()).rejects.toThrow(expect.objectContaining({ code: 'MONITOR_ALREADY_RUNNING' }));
    await monitor.stop();
    expect(monitor.stats()).toMatchObject({ archived: 1, inFlight: 0, queued: 0 });
  });

  it('processes at most `concurrency` files at once', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    for (let i = 0; i < 6; i++) await writeFile(join(stages.incoming, `f${i}.csv`), 'x');
    let running = 0;
    let peak = 0;
    const monitor = monitorFor({
      root,
      ...FAST,
      concurrency: 3,
      handler: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 100));
        running--;
        return { state: 'archived' };
      },
    });
    expect((await monitor.runOnce()).archived).toBe(6);
    expect(peak).toBe(3);
  });

  it('keeps running when an event listener throws', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'a.csv'), 'x');
    const monitor = monitorFor({ root, ...FAST, handler: async () => ({ state: 'archived' }) });
    monitor.on('transition', () => {
      throw new Error('listener bug');
    });
    expect((await monitor.runOnce()).archived).toBe(1);
  });

  it('reports a world-writable stage folder once and keeps working', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const { chmod } = await import('node:fs/promises');
    await chmod(stages.incoming, 0o777);
    await writeFile(join(stages.incoming, 'a.csv'), 'x');
    const problems: string[] = [];
    const monitor = monitorFor({ root, ...FAST, handler: async () => ({ state: 'archived' }) });
    monitor.on('problem', (p) => problems.push(`${p.code} ${p.message}`));
    expect((await monitor.runOnce()).archived).toBe(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^MONITOR_FOLDER_INSECURE .*incoming.*chmod o-w/);
  });

  it('writes stage folders that are not world-writable and refuses a stage that is a symlink', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    for (const dir of [stages.incoming, stages.processing, stages.archive, stages.failed, stages.held]) {
      expect((await stat(dir)).mode & 0o002).toBe(0);
    }
    const other = await makeRoot();
    await mkdir(other, { recursive: true });
    const { symlink } = await import('node:fs/promises');
    const root2 = await makeRoot();
    await mkdir(root2, { recursive: true });
    await symlink(other, join(root2, 'archive'));
    await expect(ensureStages(root2)).rejects.toThrow(expect.objectContaining({ code: 'MONITOR_STAGE_INVALID' }));
    const monitor = monitorFor({ root: root2, ...FAST, handler: async () => ({ state: 'archived' }) });
    await expect(monitor.runOnce()).rejects.toThrow(expect.objectContaining({ code: 'MONITOR_STAGE_INVALID' }));
  });
});
