/** The `stability` events: a file first seen, each observation n of N and why it is not ready, stable. */
import { spawn } from 'node:child_process';
import { appendFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ensureStages, type Monitor, type MonitorOptions, type StabilityEvent } from '../src/index.js';
import { makeRoot, monitorFor, sleep, waitFor } from './helpers.js';

/** Writes a file whose mtime lies in the future, so the aged-file rule can never apply to it. */
async function fresh(path: string, content: string): Promise<void> {
  await writeFile(path, content);
  const future = new Date(Date.now() + 3_600_000);
  await utimes(path, future, future);
}

/** Starts a process that holds `path` open for appending until it is killed; resolves with its pid. */
async function holdOpen(path: string): Promise<{ pid: number; kill: () => void }> {
  const child = spawn(
    process.execPath,
    ['-e', `require('fs').openSync(process.argv[1], 'a'); console.log('open'); setInterval(() => {}, 1000);`, path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return { pid: child.pid as number, kill: () => child.kill('SIGKILL') };
}

/** A monitor over `root` that archives everything, and the stability events it emits. */
function observed(
  root: string,
  options: Omit<MonitorOptions, 'root' | 'handler'>,
): { monitor: Monitor; events: StabilityEvent[] } {
  const monitor = monitorFor({ root, ...options, handler: async () => ({ state: 'archived' }) });
  const events: StabilityEvent[] = [];
  monitor.on('stability', (e) => events.push(e));
  return { monitor, events };
}

const summary = (e: StabilityEvent): string =>
  `${e.kind} ${e.rule} ${e.checks}/${e.required}${e.reason === undefined ? '' : ` ${e.reason}`}`;

describe('Monitor stability events', () => {
  it('reports a file first seen, each unchanged observation n of N, and stable once before the claim', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await fresh(join(stages.incoming, 'rates.csv'), 'code\nA\n');
    const monitor = monitorFor({
      root,
      intervalSeconds: 0.05,
      stabilityChecks: 3,
      handler: async () => ({ state: 'archived' }),
    });
    const order: string[] = [];
    const events: StabilityEvent[] = [];
    monitor.on('stability', (e) => {
      events.push(e);
      order.push(`stability:${e.kind}`);
    });
    monitor.on('transition', (e) => order.push(`transition:${e.to}`));
    expect((await monitor.runOnce()).archived).toBe(1);

    expect(events.map(summary)).toEqual([
      'seen polling 0/3',
      'waiting polling 1/3 unchanged',
      'waiting polling 2/3 unchanged',
      'stable polling 3/3',
    ]);
    expect(events.map((e) => e.readyInMs)).toEqual([150, 100, 50, 0]);
    for (const e of events) {
      expect(e).toMatchObject({ name: 'rates.csv', path: join(stages.incoming, 'rates.csv'), size: 7 });
      expect(e.at).toBeInstanceOf(Date);
    }
    expect(order.slice(0, 8)).toEqual([
      'transition:detected',
      'stability:seen',
      'transition:stabilizing',
      'stability:waiting',
      'stability:waiting',
      'stability:stable',
      'transition:ready',
      'transition:claimed',
    ]);
  });

  it('says what changed when a file grows, and counts again from zero', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const path = join(stages.incoming, 'growing.csv');
    await fresh(path, 'code\n');
    const { monitor, events } = observed(root, {
      intervalSeconds: 0.05,
      stabilityChecks: 20,
    });
    await monitor.start();
    await waitFor(() => events.some((e) => e.checks >= 1), 10_000, 'one unchanged observation');
    await appendFile(path, 'A\n');
    await waitFor(() => events.some((e) => e.kind === 'stable'), 10_000, 'stable');
    const changed = events.find((e) => e.reason === 'changed');
    expect(changed).toMatchObject({ kind: 'waiting', checks: 0, required: 20, size: 7, readyInMs: 1_000 });
    expect(changed?.changes).toEqual(expect.arrayContaining(['size', 'mtime']));
    const after = events.slice(events.indexOf(changed as StabilityEvent) + 1);
    expect(after.map(summary)).toEqual([
      ...Array.from({ length: 19 }, (_, i) => `waiting polling ${i + 1}/20 unchanged`),
      'stable polling 20/20',
    ]);
  });

  it.runIf(process.platform === 'linux')(
    'names the process holding a stable file open for writing until it closes it',
    async () => {
      const root = await makeRoot();
      const stages = await ensureStages(root);
      const path = join(stages.incoming, 'held-open.csv');
      await fresh(path, 'code\nA\n');
      const writer = await holdOpen(path);
      const { monitor, events } = observed(root, {
        intervalSeconds: 0.05,
        stabilityChecks: 2,
      });
      await monitor.start();
      await waitFor(() => events.some((e) => e.reason === 'open-for-writing'), 10_000, 'open writer reported');
      const blocked = events.find((e) => e.reason === 'open-for-writing');
      expect(blocked).toMatchObject({ kind: 'waiting', writers: [writer.pid], readyInMs: null });
      expect(events.some((e) => e.kind === 'stable')).toBe(false);
      writer.kill();
      await waitFor(() => events.some((e) => e.kind === 'stable'), 10_000, 'stable once the writer is gone');
    },
  );

  it('with requireMarker, says it waits for the marker, then reports stable under the marker rule', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await fresh(join(stages.incoming, 'm.csv'), 'code\nA\n');
    const { monitor, events } = observed(root, {
      intervalSeconds: 0.05,
      stabilityChecks: 3,
      requireMarker: true,
    });
    await monitor.start();
    await waitFor(() => events.filter((e) => e.reason === 'waiting-for-marker').length >= 3, 10_000, 'marker waits');
    expect(events[0]).toMatchObject({ kind: 'seen', rule: 'marker', checks: 0, required: 1, readyInMs: null });
    expect(events.find((e) => e.reason === 'waiting-for-marker')).toMatchObject({ rule: 'marker', readyInMs: null });
    await writeFile(join(stages.incoming, 'm.csv.done'), '');
    await waitFor(() => events.some((e) => e.kind === 'stable'), 10_000, 'stable after the marker');
    expect(events.find((e) => e.kind === 'stable')).toMatchObject({ rule: 'marker', checks: 1, required: 1 });
  });

  it('reports an aged file under the aged rule: one confirming look', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'old.csv'), 'code\nA\n');
    await sleep(250); // longer than the 2 × 50 ms window: mtime and ctime are both old
    const { monitor, events } = observed(root, {
      intervalSeconds: 0.05,
      stabilityChecks: 2,
    });
    await monitor.runOnce();
    expect(events[0]).toMatchObject({ kind: 'seen', rule: 'aged', checks: 0, required: 1, readyInMs: 50 });
    expect(events.at(-1)).toMatchObject({ kind: 'stable', checks: 1, required: 1, readyInMs: 0 });
  });

  it('in watch mode, reports the file under the watch rule from its first event', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const { monitor, events } = observed(root, {
      intervalSeconds: 60,
      stabilityChecks: 6,
      mode: 'watch',
      watchQuietMs: 300,
    });
    await monitor.start();
    await writeFile(join(stages.incoming, 'w.csv'), 'code\nA\n');
    await waitFor(() => events.some((e) => e.kind === 'stable'), 10_000, 'stable from events');
    expect(events[0]).toMatchObject({ kind: 'seen', rule: 'watch', checks: 0, required: 1 });
    expect(events[0]?.readyInMs).toBeGreaterThanOrEqual(0);
    expect(events[0]?.readyInMs).toBeLessThanOrEqual(300);
    expect(events.at(-1)).toMatchObject({ kind: 'stable', rule: 'watch', checks: 1, required: 1, readyInMs: 0 });
  });
});
