/** Files that are not plain files, vanishing files and folders, odd names, files changed after the claim. */
import { appendFileSync, statSync, unlinkSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureStages, type HandlerResult, type MonitorEvents } from '../src/index.js';
import { list, makeRoot, monitorFor, sleep, waitFor } from './helpers.js';

const FAST = { intervalSeconds: 0.05, stabilityChecks: 3 } as const;
type Problem = Parameters<MonitorEvents['problem']>[0];

describe('Monitor edge cases of the file system', () => {
  it('moves a symlink pointing outside the root to failed/ without reading or touching its target', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const outside = join(dirname(root), 'secret.csv');
    await writeFile(outside, 'do not read');
    const before = await stat(outside);
    await symlink(outside, join(stages.incoming, 'link.csv'));
    let called = 0;
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async () => {
        called++;
        return { state: 'archived' };
      },
    });
    expect(await monitor.runOnce()).toMatchObject({ failed: 1, archived: 0 });
    expect(called).toBe(0);
    const failed = await list(root, 'failed');
    const report = JSON.parse(
      await readFile(join(stages.failed, failed.find((n) => n.endsWith('.error.json'))!), 'utf8'),
    );
    expect(report.code).toBe('MONITOR_SYMLINK_REFUSED');
    expect(report.message).toMatch(/never followed/);
    const after = await stat(outside);
    expect(await readFile(outside, 'utf8')).toBe('do not read');
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.atimeMs).toBe(before.atimeMs);
    expect(await list(root, 'processing')).toEqual([]);
  });

  it('leaves a directory named like a CSV file in incoming/ and reports it once', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await mkdir(join(stages.incoming, 'folder.csv'));
    await writeFile(join(stages.incoming, 'folder.csv', 'inner.csv'), 'x');
    const problems: Problem[] = [];
    const monitor = monitorFor({ root, ...FAST, handler: async () => ({ state: 'archived' }) });
    monitor.on('problem', (p) => problems.push(p));
    expect(await monitor.runOnce()).toEqual({ archived: 0, failed: 0, duplicate: 0, held: 0, pending: 0 });
    expect(problems.filter((p) => p.code === 'MONITOR_NOT_A_FILE')).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/folder\.csv.*not a regular file/);
    expect(await list(root, 'incoming')).toEqual(['folder.csv']);
  });

  it('shrugs off a file that disappears between the scan and the claim and goes on with the next', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'gone.csv'), 'x');
    await writeFile(join(stages.incoming, 'stays.csv'), 'y');
    const handled: string[] = [];
    const problems: Problem[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      concurrency: 1,
      handler: async (file) => {
        handled.push(file.name);
        return { state: 'archived' };
      },
    });
    monitor.on('problem', (p) => problems.push(p));
    monitor.on('transition', (e) => {
      if (e.to === 'ready' && e.name === 'gone.csv') unlinkSync(e.path);
    });
    expect((await monitor.runOnce()).archived).toBe(1);
    expect(handled).toEqual(['stays.csv']);
    expect(problems).toEqual([]);
    expect(await list(root, 'processing')).toEqual([]);
  });

  it('moves a file without read permission (the monitor never reads) and records the handler’s error', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const path = join(stages.incoming, 'locked.csv');
    await writeFile(path, 'x');
    await chmod(path, 0o000);
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        await readFile(file.processingPath);
        return { state: 'archived' };
      },
    });
    const summary = await monitor.runOnce();
    const isRoot = process.getuid?.() === 0;
    // Root reads anything; any other user gets EACCES from the handler, recorded in failed/.
    expect(summary).toMatchObject(isRoot ? { archived: 1 } : { failed: 1 });
    if (!isRoot) {
      const failed = await list(root, 'failed');
      const report = JSON.parse(await readFile(join(stages.failed, failed.find((n) => n.endsWith('.json'))!), 'utf8'));
      expect(report.code).toBe('EACCES');
    }
    const [final] = await list(root, isRoot ? 'archive' : 'failed');
    expect((await stat(join(isRoot ? stages.archive : stages.failed, final!))).mode & 0o777).toBe(0);
  });

  it('reports a file that changes after it was claimed and keeps the handler’s outcome', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'moving.csv'), 'a\n');
    const problems: Problem[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        await appendFile(file.processingPath, 'late bytes from a writer that kept its descriptor\n');
        return { state: 'archived' };
      },
    });
    monitor.on('problem', (p) => problems.push(p));
    expect((await monitor.runOnce()).archived).toBe(1);
    expect(problems.map((p) => p.code)).toEqual(['MONITOR_FILE_CHANGED']);
    expect(problems[0]?.message).toMatch(/changed while it was processed.*drop it again/);
  });

  it('takes a zero-byte file that grows during the window only with its full content', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const path = join(stages.incoming, 'grows.csv');
    await writeFile(path, '');
    const contents: string[] = [];
    const monitor = monitorFor({
      root,
      intervalSeconds: 0.1,
      stabilityChecks: 5,
      handler: async (file) => {
        contents.push(await readFile(file.processingPath, 'utf8'));
        return { state: 'archived' };
      },
    });
    // The writer adds its content after the monitor has seen the file empty and unchanged on
    // three scans (two short of stable), counted by scans rather than slept for: a sleep raced
    // the start-up. The mtime an hour ahead keeps the empty file from looking aged at first sight
    // however long the start-up stalls (an aged file needs one confirming look; see lifecycle).
    const ahead = new Date(Date.now() + 3_600_000);
    await utimes(path, ahead, ahead);
    let scansSinceSeen = -1;
    const sizesBeforeAppend: number[] = [];
    monitor.on('transition', (e) => {
      if (e.name === 'grows.csv' && e.to === 'detected') scansSinceSeen = 0;
    });
    monitor.on('scan', () => {
      if (scansSinceSeen < 0 || ++scansSinceSeen !== 4) return;
      sizesBeforeAppend.push(statSync(path).size);
      appendFileSync(path, 'code\n008\n');
    });
    await monitor.start();
    await waitFor(() => contents.length === 1, 10_000, 'grows.csv taken');
    expect(sizesBeforeAppend).toEqual([0]);
    expect(contents).toEqual(['code\n008\n']);
  });

  it('processes a file replaced under the same name while the first is processed, both exactly once', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'same.csv'), 'v1');
    const seen: string[] = [];
    let secondClaimed = false;
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        const content = await readFile(file.processingPath, 'utf8');
        seen.push(content);
        if (content === 'v1') {
          await writeFile(join(stages.incoming, 'same.csv'), 'v2');
          await waitFor(() => secondClaimed, 10_000, 'second same.csv claimed');
        }
        return { state: 'archived' };
      },
    });
    monitor.on('transition', (e) => {
      if (e.to === 'processing' && e.fileId === 2) secondClaimed = true;
    });
    await monitor.start();
    await waitFor(async () => (await list(root, 'archive')).length === 2, 10_000, 'both archived');
    expect(seen.sort()).toEqual(['v1', 'v2']);
    const archive = await list(root, 'archive');
    const contents = await Promise.all(archive.map((n) => readFile(join(stages.archive, n), 'utf8')));
    expect(contents.sort()).toEqual(['v1', 'v2']);
  });

  it('handles names with spaces, unicode, a leading dash and inner dots, keeping them readable', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const names = [
      'with space.csv',
      'Åland – Côte d’Ivoire.csv',
      '-rf.csv',
      'a..b.csv',
      '--.csv',
      `${'ü'.repeat(120)}.csv`,
    ];
    for (const name of names) await writeFile(join(stages.incoming, name), name);
    const handled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      concurrency: 3,
      handler: async (file) => {
        handled.push(await readFile(file.processingPath, 'utf8'));
        return file.name === '-rf.csv'
          ? { state: 'failed', error: { code: 'X', message: 'nope' } }
          : ({ state: 'archived' } satisfies HandlerResult);
      },
    });
    expect(await monitor.runOnce()).toMatchObject({ archived: 5, failed: 1 });
    expect(handled.sort()).toEqual([...names].sort());
    const archive = await list(root, 'archive');
    expect(archive.some((n) => n.startsWith('with space.') && n.endsWith('.csv'))).toBe(true);
    expect(archive.some((n) => n.startsWith('Åland – Côte d’Ivoire.'))).toBe(true);
    expect(archive.some((n) => n.startsWith('a..b.'))).toBe(true);
    expect((await list(root, 'failed')).filter((n) => n.startsWith('-rf.'))).toHaveLength(2);
    for (const n of archive) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255);
  });

  it('survives the drop folder being removed and recreated while watching', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const problems: Problem[] = [];
    const handled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        handled.push(file.name);
        return { state: 'archived' };
      },
    });
    monitor.on('problem', (p) => problems.push(p));
    await monitor.start();
    await writeFile(join(stages.incoming, 'one.csv'), '1');
    await waitFor(async () => (await list(root, 'archive')).length === 1, 10_000, 'one.csv archived');

    await rm(stages.incoming, { recursive: true });
    await waitFor(() => problems.some((p) => p.code === 'MONITOR_FOLDER_RECREATED'), 10_000, 'incoming/ recreated');
    await writeFile(join(stages.incoming, 'two.csv'), '2');
    await waitFor(async () => (await list(root, 'archive')).length === 2, 10_000, 'two.csv archived');

    await rm(root, { recursive: true, maxRetries: 10 });
    await waitFor(() => problems.some((p) => p.code === 'MONITOR_ROOT_MISSING'), 10_000, 'root reported missing');
    await sleep(200);
    expect(problems.filter((p) => p.code === 'MONITOR_ROOT_MISSING')).toHaveLength(1);
    await mkdir(root);
    await waitFor(async () => (await stat(stages.incoming).catch(() => null)) !== null, 10_000, 'stages recreated');
    await writeFile(join(stages.incoming, 'three.csv'), '3');
    await waitFor(async () => (await list(root, 'archive')).length === 1, 10_000, 'three.csv archived in the new root');
    expect(handled).toEqual(['one.csv', 'two.csv', 'three.csv']);
  });
});
