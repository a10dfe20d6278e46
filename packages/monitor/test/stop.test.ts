/** stop(): grace period, cancel, handlers that ignore the abort, restart. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryClaimStore, ensureStages, type FileHandler } from '../src/index.js';
import { list, makeRoot, monitorFor, sleep, waitFor } from './helpers.js';

const FAST = { intervalSeconds: 0.05, stabilityChecks: 3 } as const;

/** A handler that waits `ms` (or until aborted, when `honour`) and records what happened. */
function slowHandler(ms: number, honour: boolean, log: string[]): FileHandler {
  return async (file, { signal }) => {
    log.push(`start ${file.name}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      if (honour) {
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(signal.reason);
          },
          { once: true },
        );
      }
    });
    log.push(`end ${file.name}`);
    return { state: 'archived' };
  };
}

describe('Monitor.stop', () => {
  it('lets an in-flight file finish within the grace period and claims nothing new', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const log: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      concurrency: 1,
      gracePeriodMs: 5_000,
      handler: slowHandler(300, true, log),
    });
    await writeFile(join(stages.incoming, 'a.csv'), 'a');
    await monitor.start();
    await waitFor(() => log.length === 1, 10_000, 'a.csv started');
    await writeFile(join(stages.incoming, 'b.csv'), 'b');
    await monitor.stop();
    expect(log).toEqual(['start a.csv', 'end a.csv']);
    expect(await list(root, 'archive')).toHaveLength(1);
    expect(await list(root, 'incoming')).toEqual(['b.csv']);
    expect(await list(root, 'processing')).toEqual([]);
    expect(monitor.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('cancels a file that outlasts the grace period; it stays in processing/ with its lease released and the next start processes it from scratch', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const store = createMemoryClaimStore();
    const log: string[] = [];
    let reason: unknown;
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      gracePeriodMs: 150,
      handler: async (file, ctx) => {
        ctx.signal.addEventListener('abort', () => {
          reason = ctx.signal.reason;
        });
        return slowHandler(30_000, true, log)(file, ctx);
      },
    });
    await writeFile(join(stages.incoming, 'big.csv'), 'big');
    await monitor.start();
    await waitFor(() => log.length === 1, 10_000, 'big.csv started');
    const states: string[] = [];
    monitor.on('transition', (e) => states.push(`${e.from}>${e.to}`));
    await monitor.stop();
    expect(reason).toMatchObject({ code: 'MONITOR_STOPPED' });
    expect(states).toEqual(['processing>ready']);
    const processing = await list(root, 'processing');
    expect(processing).toEqual(['1--big.csv']);
    expect(store.entries()).toMatchObject([{ fileId: 1, state: 'ready' }]);
    // The lease is cut to one millisecond (heartbeat(claim, 1)), so it has expired a moment later.
    await sleep(5);
    expect(store.entries()[0]!.leaseUntil!.getTime()).toBeLessThanOrEqual(Date.now());

    const handled: string[] = [];
    const next = monitorFor({
      root,
      ...FAST,
      store,
      handler: async (file) => {
        handled.push(await readFile(file.processingPath, 'utf8'));
        return { state: 'archived' };
      },
    });
    expect((await next.runOnce()).archived).toBe(1);
    expect(handled).toEqual(['big']);
    expect(await list(root, 'processing')).toEqual([]);
    expect(store.entries()).toMatchObject([{ fileId: 1, state: 'archived' }]);
  });

  it('resolves even when a handler ignores the abort, and then leaves its file to lease expiry', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const store = createMemoryClaimStore();
    const log: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      leaseMs: 300,
      gracePeriodMs: 100,
      handler: slowHandler(2_500, false, log),
    });
    await writeFile(join(stages.incoming, 'stubborn.csv'), 's');
    await monitor.start();
    await waitFor(() => log.length === 1, 10_000, 'started');
    await monitor.stop();
    expect(log).toEqual(['start stubborn.csv']);
    // The handler finishes later: the monitor has let go and moves nothing.
    await waitFor(() => log.length === 2, 10_000, 'handler finished');
    await sleep(50);
    expect(await list(root, 'processing')).toEqual(['1--stubborn.csv']);
    expect(await list(root, 'archive')).toEqual([]);
    // The lease is cut to one millisecond (heartbeat(claim, 1)), so it has expired a moment later.
    await sleep(5);
    expect(store.entries()[0]!.leaseUntil!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('can be called twice and the monitor can start again afterwards', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const monitor = monitorFor({ root, ...FAST, handler: async () => ({ state: 'archived' }) });
    await monitor.stop();
    await monitor.start();
    await Promise.all([monitor.stop(), monitor.stop()]);
    await writeFile(join(stages.incoming, 'again.csv'), 'x');
    await monitor.start();
    await waitFor(async () => (await list(root, 'archive')).length === 1, 10_000, 'archived after restart');
    await monitor.stop();
  });
});
