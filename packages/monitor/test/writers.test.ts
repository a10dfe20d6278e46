/** Real writer processes (appending, preallocating, tmp-then-rename, markers, watch mode): never a half-written file. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureStages, type FileHandler, type Logger, type MonitorOptions } from '../src/index.js';
import { list, makeRoot, monitorFor, runWriter, waitFor } from './helpers.js';
import { doneAt, expectedContent, WRITER_SCRIPT } from './writer-script.js';

interface Taken {
  readonly name: string;
  readonly content: string;
  readonly readyAt: number;
}

/** A monitor whose handler records what it read and when the file became ready. */
async function watchWith(options: Omit<MonitorOptions, 'root' | 'handler'>, root: string) {
  const taken: Taken[] = [];
  const readyAt = new Map<string, number>();
  const handler: FileHandler = async (file) => {
    taken.push({
      name: file.name,
      content: await readFile(file.processingPath, 'utf8'),
      readyAt: readyAt.get(file.name) ?? Number.NaN,
    });
    return { state: 'archived' };
  };
  const monitor = monitorFor({ root, handler, ...options });
  monitor.on('transition', (e) => {
    if (e.to === 'ready') readyAt.set(e.name, e.at.getTime());
  });
  let scans = 0;
  monitor.on('scan', () => scans++);
  await monitor.start();
  return { monitor, taken, scans: () => scans };
}

function recordingLogger(messages: string[]): Logger {
  const logger: Logger = {
    debug: (_obj, msg) => void messages.push(msg ?? ''),
    info: (_obj, msg) => void messages.push(msg ?? ''),
    warn: (_obj, msg) => void messages.push(msg ?? ''),
    error: (_obj, msg) => void messages.push(msg ?? ''),
    child: () => logger,
  };
  return logger;
}

// Window: 8 × 0.125 s = 1 s; the writers pause 50–200 ms, five times shorter.
const POLL = { intervalSeconds: 0.125, stabilityChecks: 8 } as const;

describe('Monitor with real writer processes', () => {
  it('does not take a file appended for seconds with pauses shorter than the window, and takes it once complete', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const { taken } = await watchWith(POLL, root);
    const writers = ['a.csv', 'b.csv'].map((name) =>
      runWriter(WRITER_SCRIPT, ['append', join(stages.incoming, name), '16', '200']),
    );
    const results = await Promise.all(writers.map((w) => w.done));
    await waitFor(() => taken.length === 2, 20_000, 'both files taken');
    for (const [i, name] of ['a.csv', 'b.csv'].entries()) {
      const t = taken.find((x) => x.name === name);
      expect(t?.content).toBe(expectedContent(16));
      expect(t?.readyAt).toBeGreaterThanOrEqual(doneAt(results[i]?.stdout ?? ''));
    }
    // The move to archive/ follows the handler's return: wait for it instead of racing it.
    await waitFor(async () => (await list(root, 'archive')).length === 2, 10_000, 'both archived');
    expect(taken).toHaveLength(2);
  });

  it.runIf(process.platform === 'linux')(
    'does not take a preallocated file while its writer holds it open, even through a pause longer than the window',
    async () => {
      const root = await makeRoot();
      const stages = await ensureStages(root);
      const messages: string[] = [];
      const { taken } = await watchWith({ ...POLL, logger: recordingLogger(messages) }, root);
      const writer = runWriter(WRITER_SCRIPT, ['prealloc', join(stages.incoming, 'pre.csv'), '10', '50', '2500']);
      const { stdout } = await writer.done;
      await waitFor(() => taken.length === 1, 20_000, 'pre.csv taken');
      expect(taken[0]?.content).toBe(expectedContent(10));
      expect(taken[0]?.readyAt).toBeGreaterThanOrEqual(doneAt(stdout));
      // The size and mtime were stable for 2.5 s; only the open descriptor kept it back.
      expect(messages).toContain('stable but still open for writing; waiting');
    },
  );

  it('ignores NAME.tmp however slowly it is written and takes NAME after the rename', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const { taken } = await watchWith(POLL, root);
    // Pauses of up to 1.5 s: longer than the window, harmless because .tmp is never taken.
    const { stdout } = await runWriter(WRITER_SCRIPT, ['tmp', join(stages.incoming, 'rates.csv'), '3', '1500']).done;
    await waitFor(() => taken.length === 1, 20_000, 'rates.csv taken');
    expect(taken.map((t) => t.name)).toEqual(['rates.csv']);
    expect(taken[0]?.content).toBe(expectedContent(3));
    expect(taken[0]?.readyAt).toBeGreaterThanOrEqual(doneAt(stdout));
  });

  it('with requireMarker, waits for NAME.done however long the writer pauses, then removes the marker', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const { taken, monitor } = await watchWith({ ...POLL, requireMarker: true }, root);
    const { stdout } = await runWriter(WRITER_SCRIPT, [
      'marker',
      join(stages.incoming, 'units.csv'),
      '3',
      '1500',
      '.done',
    ]).done;
    await waitFor(() => taken.length === 1, 20_000, 'units.csv taken');
    expect(taken[0]?.content).toBe(expectedContent(3));
    expect(taken[0]?.readyAt).toBeGreaterThanOrEqual(doneAt(stdout));
    await waitFor(async () => (await list(root, 'archive')).length === 1, 5_000, 'archived');
    expect(await list(root, 'incoming')).toEqual([]);
    expect(monitor.stats().pending).toBe(0);
  });

  it('in watch mode, takes a file from fs.watch events after the quiet period, without waiting for a poll', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    // Polling every 60 s: only fs.watch events can get the file taken within the test.
    const { taken, scans } = await watchWith(
      { intervalSeconds: 60, stabilityChecks: 6, mode: 'watch', watchQuietMs: 600 },
      root,
    );
    const { stdout } = await runWriter(WRITER_SCRIPT, ['append', join(stages.incoming, 'live.csv'), '12', '120']).done;
    await waitFor(() => taken.length === 1, 15_000, 'live.csv taken');
    expect(taken[0]?.content).toBe(expectedContent(12));
    expect(taken[0]?.readyAt).toBeGreaterThanOrEqual(doneAt(stdout));
    expect(scans()).toBe(1);
  });

  it('in watch mode, still takes marker files and recovers when incoming/ is replaced', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const { taken } = await watchWith(
      { intervalSeconds: 0.2, stabilityChecks: 50, mode: 'watch', watchQuietMs: 300, requireMarker: true },
      root,
    );
    await runWriter(WRITER_SCRIPT, ['marker', join(stages.incoming, 'm.csv'), '3', '50', '.ok']).done;
    await waitFor(() => taken.length === 1, 15_000, 'm.csv taken');
    const { rm, mkdir } = await import('node:fs/promises');
    await rm(stages.incoming, { recursive: true });
    await mkdir(stages.incoming);
    await new Promise((r) => setTimeout(r, 500));
    await runWriter(WRITER_SCRIPT, ['marker', join(stages.incoming, 'n.csv'), '3', '50', '.ok']).done;
    await waitFor(() => taken.length === 2, 15_000, 'n.csv taken after incoming/ was replaced');
    expect(taken[1]?.content).toBe(expectedContent(3));
  });
});
