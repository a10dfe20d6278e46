/** Recovery of processing/: expired and live leases, roll-forward, lost claims, crash leftovers. */
import { link, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Claim,
  type ClaimStore,
  createMemoryClaimStore,
  ensureStages,
  type MonitorEvents,
  STAGES,
  stagePaths,
} from '../src/index.js';
import { pendingName } from '../src/names.js';
import { list, makeRoot, monitorFor, sleep, waitFor } from './helpers.js';

const FAST = { intervalSeconds: 0.05, stabilityChecks: 3 } as const;
type Problem = Parameters<MonitorEvents['problem']>[0];

/** Puts `name` in processing/ under a claim of a crashed instance whose lease lasts `leaseMs`. */
async function crashedClaim(
  store: ClaimStore,
  root: string,
  name: string,
  content: string,
  leaseMs: number,
): Promise<{ fileId: number; path: string; claim: Claim }> {
  const stages = await ensureStages(root);
  const incoming = join(stages.incoming, name);
  await writeFile(incoming, content);
  const claim = await store.claimNew(
    { path: incoming, name, size: content.length, mtimeMs: Date.now() },
    {
      instanceId: 'crashed',
      leaseMs,
    },
  );
  if (claim === null) throw new Error('claim refused');
  const path = join(stages.processing, `${claim.fileId}--${name}`);
  await rename(incoming, path);
  await store.transition(claim, 'processing', { path });
  return { fileId: claim.fileId, path, claim };
}

describe('Monitor recovery of processing/', () => {
  it('re-claims a file whose lease expired and processes it again from scratch, exactly once', async () => {
    const root = await makeRoot();
    const store = createMemoryClaimStore();
    const { fileId } = await crashedClaim(store, root, 'rates.csv', 'r1', 30);
    await sleep(40);
    const calls: Array<{ id: number; content: string; path: string }> = [];
    const transitions: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      handler: async (file) => {
        calls.push({ id: file.claim.fileId, content: await readFile(file.processingPath, 'utf8'), path: file.path });
        return { state: 'archived' };
      },
    });
    monitor.on('transition', (e) => transitions.push(`${e.from}>${e.to}`));
    expect((await monitor.runOnce()).archived).toBe(1);
    expect(calls).toEqual([{ id: fileId, content: 'r1', path: join(monitor.paths.incoming, 'rates.csv') }]);
    expect(transitions).toEqual(['null>claimed', 'claimed>processing', 'processing>archived']);
    expect(store.entries()).toMatchObject([{ fileId, state: 'archived', instanceId: monitor.instanceId }]);
    expect(await list(root, 'processing')).toEqual([]);
    // A second run finds nothing more to do.
    expect((await monitor.runOnce()).archived).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('leaves a file with a live lease to its holder and takes it over once the lease expires', async () => {
    const root = await makeRoot();
    const inner = createMemoryClaimStore();
    // A lease no test run can outlast, so the refusals below happen while it is surely live
    // (a 600 ms lease and a 300 ms sleep used to race a slow start-up).
    const { fileId, claim } = await crashedClaim(inner, root, 'live.csv', 'x', 600_000);
    let refused = 0;
    const store: ClaimStore = {
      ...inner,
      lookup: inner.lookup,
      reclaim: async (id, lease) => {
        const taken = await inner.reclaim(id, lease);
        if (taken === null && id === fileId) refused++;
        return taken;
      },
    };
    const handled: Array<{ name: string; at: number }> = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      handler: async (file) => {
        handled.push({ name: file.name, at: Date.now() });
        return { state: 'archived' };
      },
    });
    await monitor.start();
    await waitFor(() => refused >= 3, 10_000, 'the live claim refused on three scans');
    expect(handled).toEqual([]);
    expect(await list(root, 'processing')).toEqual([`${fileId}--live.csv`]);
    // The holder's lease now runs out (as if it had last renewed it for 100 ms).
    expect(await inner.heartbeat(claim, 100)).toBe(true);
    const leaseUntil = inner.entries()[0]!.leaseUntil!.getTime();
    await waitFor(() => handled.length === 1, 10_000, 'taken over after expiry');
    expect(handled.map((h) => h.name)).toEqual(['live.csv']);
    expect(handled[0]!.at).toBeGreaterThanOrEqual(leaseUntil);
  });

  it('processes the abandoned file first when the store hands over its claim for a new file of the same name', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const store = createMemoryClaimStore();
    // An instance died after moving same.csv into processing/ but before recording it there.
    const incoming = join(stages.incoming, 'same.csv');
    const claim = (await store.claimNew(
      { path: incoming, name: 'same.csv', size: 3, mtimeMs: 0 },
      { instanceId: 'dead', leaseMs: 30 },
    ))!;
    await writeFile(join(stages.processing, `${claim.fileId}--same.csv`), 'old');
    await sleep(40);
    await writeFile(incoming, 'new');
    // Recovery would normally get there first; a store that never re-claims forces the other path.
    const recovering: ClaimStore = { ...store, lookup: store.lookup, reclaim: async () => null };
    const seen: Array<[number, string]> = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      store: recovering,
      concurrency: 1,
      handler: async (file) => {
        seen.push([file.claim.fileId, await readFile(file.processingPath, 'utf8')]);
        return { state: 'archived' };
      },
    });
    await monitor.start();
    await waitFor(async () => (await list(root, 'archive')).length === 2, 10_000, 'both archived');
    expect(seen).toEqual([
      [claim.fileId, 'old'],
      [claim.fileId + 1, 'new'],
    ]);
    expect(await list(root, 'processing')).toEqual([]);
    expect(store.entries().map((e) => e.state)).toEqual(['archived', 'archived']);
  });

  it('completes a final move that a crash interrupted after finish(), without calling the handler', async () => {
    const root = await makeRoot();
    const store = createMemoryClaimStore();
    const stages = await ensureStages(root);
    const incoming = join(stages.incoming, 'done.csv');
    await writeFile(incoming, 'd');
    const claim = (await store.claimNew(
      { path: incoming, name: 'done.csv', size: 1, mtimeMs: 0 },
      { instanceId: 'x', leaseMs: 60_000 },
    ))!;
    const processing = join(stages.processing, `${claim.fileId}--done.csv`);
    await rename(incoming, processing);
    const finalPath = join(stages.failed, 'done.20250101T000000Z-abcdef.csv');
    await store.finish(claim, 'failed', { path: finalPath, error: { code: 'X', message: 'y' } });
    let called = 0;
    const settled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      handler: async () => {
        called++;
        return { state: 'archived' };
      },
    });
    monitor.on('settled', (e) => settled.push(e.finalPath));
    expect((await monitor.runOnce()).failed).toBe(1);
    expect(called).toBe(0);
    expect(settled).toEqual([finalPath]);
    expect(await readFile(finalPath, 'utf8')).toBe('d');
    expect(await list(root, 'processing')).toEqual([]);
  });

  it('takes back a file without a claim id in processing/ like a new file', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.processing, 'stray.csv'), 's');
    const handled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      handler: async (file) => {
        handled.push(file.name);
        return { state: 'archived' };
      },
    });
    await monitor.start();
    await waitFor(async () => (await list(root, 'archive')).length === 1, 10_000, 'stray.csv archived');
    expect(handled).toEqual(['stray.csv']);
    expect(await list(root, 'processing')).toEqual([]);
  });

  it('leaves a pending move younger than a lease alone (another instance may be claiming it) and takes it back once older', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const pending = `.pending-${Date.now().toString(36)}-00000000--half-claimed.csv`;
    await writeFile(join(stages.processing, pending), 'p');
    const handled: string[] = [];
    const handler = async (file: { name: string }) => {
      handled.push(file.name);
      return { state: 'archived' } as const;
    };
    await monitorFor({ root, ...FAST, leaseMs: 60_000, handler }).runOnce();
    expect(handled).toEqual([]);
    expect(await list(root, 'processing')).toEqual([pending]);

    const quick = monitorFor({ root, ...FAST, leaseMs: 50, handler });
    await sleep(60);
    await quick.start();
    await waitFor(
      async () => (await list(root, 'archive')).length === 1,
      10_000,
      'pending file taken back and archived',
    );
    expect(handled).toEqual(['half-claimed.csv']);
    expect(await list(root, 'processing')).toEqual([]);
  });

  it('without store.lookup, renames before finish() so a failing finish never strands the file', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'a.csv'), 'a');
    const inner = createMemoryClaimStore();
    const store: ClaimStore = {
      claimNew: (f, l) => inner.claimNew(f, l),
      reclaim: (id, l) => inner.reclaim(id, l),
      heartbeat: (c, ms) => inner.heartbeat(c, ms),
      transition: (c, s, d) => inner.transition(c, s, d),
      finish: async () => {
        throw new Error('database unavailable');
      },
    };
    const problems: Problem[] = [];
    const monitor = monitorFor({ root, ...FAST, store, handler: async () => ({ state: 'archived' }) });
    monitor.on('problem', (p) => problems.push(p));
    expect((await monitor.runOnce()).archived).toBe(1);
    expect(await list(root, 'archive')).toHaveLength(1);
    expect(await list(root, 'processing')).toEqual([]);
    expect(problems.map((p) => p.code)).toEqual(['MONITOR_STORE_FAILED']);
  });

  it('with store.lookup, a failing finish() keeps the file in processing/ and it is processed again later', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'b.csv'), 'b');
    const inner = createMemoryClaimStore();
    let failures = 1;
    const store: ClaimStore = {
      claimNew: (f, l) => inner.claimNew(f, l),
      reclaim: (id, l) => inner.reclaim(id, l),
      heartbeat: (c, ms) => inner.heartbeat(c, ms),
      transition: (c, s, d) => inner.transition(c, s, d),
      lookup: (id) => inner.lookup(id),
      finish: async (c, s, d) => {
        if (failures-- > 0) throw new Error('database unavailable');
        return inner.finish(c, s, d);
      },
    };
    let calls = 0;
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      leaseMs: 200,
      handler: async () => {
        calls++;
        return { state: 'failed', error: { code: 'E', message: 'bad' } };
      },
    });
    await monitor.start();
    await waitFor(async () => (await list(root, 'failed')).length === 2, 10_000, 'b.csv failed after retry');
    expect(calls).toBe(2);
    expect(await list(root, 'processing')).toEqual([]);
    // The sidecar of the first attempt was removed with it: one file, one report.
    expect((await list(root, 'failed')).filter((n) => n.endsWith('.error.json'))).toHaveLength(1);
    expect(inner.entries()).toMatchObject([{ state: 'failed' }]);
  });

  it('aborts the handler and leaves the file alone when the claim is lost', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    await writeFile(join(stages.incoming, 'c.csv'), 'c');
    const inner = createMemoryClaimStore();
    const store: ClaimStore = { ...inner, lookup: inner.lookup, heartbeat: async () => false };
    let reason: unknown;
    const problems: Problem[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      store,
      leaseMs: 90,
      handler: async (_file, { signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        reason = signal.reason;
        throw signal.reason;
      },
    });
    monitor.on('problem', (p) => problems.push(p));
    await monitor.runOnce();
    expect(reason).toMatchObject({ code: 'MONITOR_CLAIM_LOST' });
    expect(problems.map((p) => p.code)).toContain('MONITOR_CLAIM_LOST');
    expect((await list(root, 'processing')).filter((n) => n.endsWith('--c.csv'))).toHaveLength(1);
    expect(await list(root, 'failed')).toEqual([]);
  });
});

describe('Monitor recovery of a move interrupted between its link and its unlink', () => {
  it('drops the leftover pending name of a file that had reached processing/ and processes it once', async () => {
    const root = await makeRoot();
    const store = createMemoryClaimStore();
    const { path } = await crashedClaim(store, root, 'half.csv', 'h1', 30);
    // The crashed instance had linked the pending name to processing/<id>--half.csv but not unlinked it.
    const leftover = join(stagePaths(root).processing, pendingName('half.csv', Date.now() - 60_000));
    await link(path, leftover);
    await sleep(60);
    const handled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      leaseMs: 50,
      store,
      handler: async (file) => {
        handled.push(await readFile(file.processingPath, 'utf8'));
        return { state: 'archived' };
      },
    });
    expect((await monitor.runOnce()).archived).toBe(1);
    // A later pass (the pending name is only taken over once it is older than a lease) adds nothing.
    await sleep(60);
    await monitor.runOnce();
    expect(handled).toEqual(['h1']);
    expect(await list(root, 'processing')).toEqual([]);
    expect(await list(root, 'incoming')).toEqual([]);
    expect((await list(root, 'archive')).filter((n) => n.endsWith('.csv'))).toHaveLength(1);
  });

  it('drops the pending name of a file still in incoming/, which is then processed once', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const store = createMemoryClaimStore();
    const incoming = join(stages.incoming, 'early.csv');
    await writeFile(incoming, 'e1');
    await link(incoming, join(stages.processing, pendingName('early.csv', Date.now() - 60_000)));
    await sleep(60);
    const handled: string[] = [];
    const monitor = monitorFor({
      root,
      ...FAST,
      leaseMs: 50,
      store,
      handler: async (file) => {
        handled.push(await readFile(file.processingPath, 'utf8'));
        return { state: 'archived' };
      },
    });
    await monitor.runOnce();
    await sleep(60);
    await monitor.runOnce();
    expect(handled).toEqual(['e1']);
    expect(await list(root, 'processing')).toEqual([]);
    expect((await list(root, 'archive')).filter((n) => n.endsWith('.csv'))).toHaveLength(1);
  });
});

describe('Monitor sweep of its own temporary files', () => {
  it('removes the temporary files a crash left in every stage folder, and never a file that only looks like one', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    // What a process killed while writing a sidecar leaves: `.refdata-tmp-<16 hex>--<name>`.
    const own = '.refdata-tmp-0123456789abcdef--rates.20250101T120000Z-3fa9c2.csv.error.json';
    for (const stage of STAGES) await writeFile(join(stages[stage], own), '{"code":');
    // Names that are not the monitor's own: another tool's temporary files, near misses, a
    // directory and a link under the exact pattern.
    const others = [
      '.rates.csv.error.json.0a1b2c3d.tmp',
      '.refdata-tmp-0123456789abcde--short-hex.csv',
      '.refdata-tmp-0123456789ABCDEF--upper-hex.csv',
      'refdata-tmp-0123456789abcdef--not-hidden.csv.tmp',
      '.refdata-tmp-0123456789abcdef-one-dash.csv',
    ];
    for (const name of others) await writeFile(join(stages.failed, name), 'user');
    await mkdir(join(stages.failed, '.refdata-tmp-fedcba9876543210--a-directory'));
    await symlink(join(stages.archive, 'elsewhere'), join(stages.failed, '.refdata-tmp-fedcba9876543210--a-link'));
    await sleep(80);
    const problems: string[] = [];
    const monitor = monitorFor({ root, ...FAST, leaseMs: 50, handler: async () => ({ state: 'archived' }) });
    monitor.on('problem', (p) => problems.push(p.code));
    await monitor.runOnce();
    for (const stage of STAGES) expect(await list(root, stage), stage).not.toContain(own);
    expect(await list(root, 'failed')).toEqual(
      [...others, '.refdata-tmp-fedcba9876543210--a-directory', '.refdata-tmp-fedcba9876543210--a-link'].sort(),
    );
    expect(problems).toEqual([]);
  });

  it('leaves a temporary file younger than a lease to its writer (another instance may be writing it)', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const young = '.refdata-tmp-0123456789abcdef--x.csv.rejects.csv';
    await writeFile(join(stages.held, young), 'partial');
    const monitor = monitorFor({ root, ...FAST, leaseMs: 600_000, handler: async () => ({ state: 'archived' }) });
    await monitor.runOnce();
    expect(await list(root, 'held')).toEqual([young]);
  });
});
