/** The `operation` events (access trail): every operation on a file, with instance, OS user, from/to and time. */

import { rename, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ClaimStore,
  createMemoryClaimStore,
  ensureStages,
  type FileOperationEvent,
  type Monitor,
  type MonitorOptions,
} from '../src/index.js';
import { list, makeRoot, monitorFor, sleep, waitFor } from './helpers.js';

const FAST = { intervalSeconds: 0.05, stabilityChecks: 2 } as const;
const USER = userInfo().username;

/** A monitor over `root` and the operations it reports. */
function trailed(root: string, options: Omit<MonitorOptions, 'root'>): { monitor: Monitor; ops: FileOperationEvent[] } {
  const monitor = monitorFor({ root, ...FAST, ...options });
  const ops: FileOperationEvent[] = [];
  monitor.on('operation', (op) => ops.push(op));
  return { monitor, ops };
}

/** `operation[/reason] from → to` with paths relative to the root, for readable expectations. */
function brief(root: string, ops: readonly FileOperationEvent[]): string[] {
  const rel = (p: string | null): string => (p === null ? '∅' : p.slice(root.length + 1));
  return ops.map(
    (op) =>
      `${op.operation}${op.reason === undefined ? '' : `/${op.reason}`} ${rel(op.from)} → ${rel(op.to)} [${op.stage}]`,
  );
}

describe('Monitor operation events', () => {
  it('reports seen, moved to processing/, claimed, marker removed and moved to archive/, each with who and when', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'rates.csv'), 'code\nA\n');
    await writeFile(join(stages.incoming, 'rates.csv.done'), '');
    const { monitor, ops } = trailed(root, {
      requireMarker: true,
      instanceId: 'test-instance',
      handler: async () => ({ state: 'archived' }),
    });
    const before = Date.now();
    expect((await monitor.runOnce()).archived).toBe(1);
    const [archived] = await list(root, 'archive');
    const pending = ops[1]?.to?.slice(root.length + 1) as string;
    expect(pending).toMatch(/^processing\/\.pending-[0-9a-z]+-[0-9a-f]+--rates\.csv$/);
    const id = ops[2]?.fileId as number;
    expect(brief(root, ops)).toEqual([
      'seen incoming/rates.csv → incoming/rates.csv [incoming]',
      `moved/claim incoming/rates.csv → ${pending} [processing]`,
      `claimed ${pending} → ${pending} [processing]`,
      `moved/claim ${pending} → processing/${id}--rates.csv [processing]`,
      'removed/marker incoming/rates.csv.done → ∅ [incoming]',
      `moved/settle processing/${id}--rates.csv → archive/${archived} [archive]`,
    ]);
    for (const op of ops) {
      expect(op).toMatchObject({ name: 'rates.csv', instanceId: 'test-instance', user: USER });
      expect(op.at.getTime()).toBeGreaterThanOrEqual(before);
    }
    expect(ops.map((op) => op.fileId)).toEqual([undefined, undefined, id, id, undefined, id]);
  });

  it('reports each sidecar written beside a failed file before its move to failed/', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'bad.csv'), 'x');
    const { monitor, ops } = trailed(root, {
      handler: async () => ({
        state: 'failed',
        error: { code: 'TEST_BAD', message: 'bad' },
        sidecars: [{ suffix: '.rejects.csv', content: 'line,reason\n' }],
      }),
    });
    await monitor.runOnce();
    const final = (await list(root, 'failed')).find((n) => n.endsWith('.csv') && !n.includes('rejects')) as string;
    expect(brief(root, ops).slice(-3)).toEqual([
      `written failed/${final}.rejects.csv → failed/${final}.rejects.csv [failed]`,
      `written failed/${final}.error.json → failed/${final}.error.json [failed]`,
      `moved/settle processing/${ops.at(-1)?.fileId}--bad.csv → failed/${final} [failed]`,
    ]);
  });

  it('reports a file moved back to incoming/ when the store refuses the claim', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'busy.csv'), 'b');
    const inner = createMemoryClaimStore();
    let refusals = 1;
    const store: ClaimStore = {
      ...inner,
      claimNew: async (file, lease) => (refusals-- > 0 ? null : inner.claimNew(file, lease)),
    };
    const { monitor, ops } = trailed(root, { store, handler: async () => ({ state: 'archived' }) });
    await monitor.start();
    await waitFor(async () => (await list(root, 'archive')).length === 1, 10_000, 'busy.csv archived');
    const back = ops.find((op) => op.reason === 'claim-refused');
    expect(back).toMatchObject({
      operation: 'moved',
      name: 'busy.csv',
      to: join(stages.incoming, 'busy.csv'),
      stage: 'incoming',
    });
    expect(back?.from).toMatch(/\/processing\/\.pending-.*--busy\.csv$/);
    expect(back?.fileId).toBeUndefined();
  });

  it('reports a re-claim after an expired lease, a file without a claim id moved back, and a crash leftover removed', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const store = createMemoryClaimStore();
    const incoming = join(stages.incoming, 'left.csv');
    await writeFile(incoming, 'l');
    const claim = await store.claimNew(
      { path: incoming, name: 'left.csv', size: 1, mtimeMs: 0 },
      { instanceId: 'dead', leaseMs: 30 },
    );
    const processing = join(stages.processing, `${claim?.fileId}--left.csv`);
    await rename(incoming, processing);
    await writeFile(join(stages.processing, 'stray.csv'), 's');
    const temp = join(stages.held, '.refdata-tmp-0123456789abcdef--x.held.json');
    await writeFile(temp, '{');
    await sleep(60);
    const { monitor, ops } = trailed(root, { store, leaseMs: 50, handler: async () => ({ state: 'archived' }) });
    await monitor.runOnce();
    expect(ops).toContainEqual(
      expect.objectContaining({
        operation: 'reclaimed',
        name: 'left.csv',
        fileId: claim?.fileId,
        from: processing,
        to: processing,
        stage: 'processing',
      }),
    );
    expect(ops).toContainEqual(
      expect.objectContaining({
        operation: 'moved',
        reason: 'no-claim-id',
        name: 'stray.csv',
        from: join(stages.processing, 'stray.csv'),
        to: join(stages.incoming, 'stray.csv'),
      }),
    );
    expect(ops).toContainEqual(
      expect.objectContaining({
        operation: 'removed',
        reason: 'temporary-file',
        name: '.refdata-tmp-0123456789abcdef--x.held.json',
        from: temp,
        to: null,
        stage: 'held',
      }),
    );
  });

  it('reports the claim of an abandoned file of the same name at its processing/ path, and the new file moved back', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const store = createMemoryClaimStore();
    const incoming = join(stages.incoming, 'same.csv');
    const claim = await store.claimNew(
      { path: incoming, name: 'same.csv', size: 3, mtimeMs: 0 },
      { instanceId: 'dead', leaseMs: 30 },
    );
    const abandoned = join(stages.processing, `${claim?.fileId}--same.csv`);
    await writeFile(abandoned, 'old');
    await sleep(40);
    await writeFile(incoming, 'new');
    // A store that never re-claims, so the claim of the new file is what finds the abandoned one.
    const { monitor, ops } = trailed(root, {
      store: { ...store, lookup: store.lookup, reclaim: async () => null },
      concurrency: 1,
      handler: async () => ({ state: 'archived' }),
    });
    await monitor.start();
    await waitFor(async () => (await list(root, 'archive')).length === 2, 10_000, 'both archived');
    const first = ops.findIndex((op) => op.reason === 'abandoned-first');
    expect(ops[first]).toMatchObject({ operation: 'moved', to: incoming, stage: 'incoming' });
    expect(ops[first + 1]).toMatchObject({
      operation: 'claimed',
      fileId: claim?.fileId,
      from: abandoned,
      to: abandoned,
    });
  });

  it('reports the claim released when stop cancels a file', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'slow.csv'), 's');
    let started = false;
    const { monitor, ops } = trailed(root, {
      gracePeriodMs: 50,
      handler: (_file, { signal }) =>
        new Promise((_resolve, reject) => {
          started = true;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    await monitor.start();
    await waitFor(() => started, 10_000, 'handler started');
    await monitor.stop();
    const released = ops.at(-1);
    expect(released).toMatchObject({
      operation: 'released',
      reason: 'cancelled',
      name: 'slow.csv',
      stage: 'processing',
    });
    expect(released?.from).toBe(join(stages.processing, `${released?.fileId}--slow.csv`));
    expect(released?.to).toBe(released?.from);
  });
});
