/** The memory claim store's claim, lease and finish rules. */
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createMemoryClaimStore } from './memory-claim-store.js';

const FILE = { path: '/drop/incoming/a.csv', name: 'a.csv', size: 1, mtimeMs: 1 };
const A = { instanceId: 'a', leaseMs: 60_000 };
const B = { instanceId: 'b', leaseMs: 60_000 };

describe('createMemoryClaimStore', () => {
  it('grants one live claim per path and a new one once the first ended', async () => {
    const store = createMemoryClaimStore();
    const first = await store.claimNew(FILE, A);
    expect(first?.fileId).toBe(1);
    expect(await store.claimNew(FILE, B)).toBeNull();
    await store.finish(first!, 'archived', { path: '/drop/archive/a.x.csv' });
    const second = await store.claimNew(FILE, B);
    expect(second?.fileId).toBe(2);
  });

  it('takes over an abandoned claim on the same path instead of adding a second entry, like db.files', async () => {
    const store = createMemoryClaimStore();
    const first = (await store.claimNew(FILE, { instanceId: 'a', leaseMs: 20 }))!;
    await new Promise((r) => setTimeout(r, 30));
    const second = (await store.claimNew(FILE, B))!;
    expect(second.fileId).toBe(first.fileId);
    expect(second.token).not.toBe(first.token);
    expect(store.entries()).toHaveLength(1);
    await store.transition(second, 'processing', { path: '/drop/processing/1--a.csv' });
    // Once recorded under its processing path, the incoming path is free for a new file.
    expect((await store.claimNew(FILE, A))?.fileId).toBe(2);
  });

  it('re-claims only non-terminal entries whose lease expired, with a new token', async () => {
    const store = createMemoryClaimStore();
    // The clock moves only when the test moves it: "not yet expired" must not depend on how fast
    // this machine gets from claimNew() to reclaim() (a 30 ms stall used to expire the lease).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const claim = (await store.claimNew(FILE, { instanceId: 'a', leaseMs: 30 }))!;
    vi.setSystemTime(Date.now() + 29);
    expect(await store.reclaim(claim.fileId, B)).toBeNull();
    vi.setSystemTime(Date.now() + 2);
    const taken = (await store.reclaim(claim.fileId, B))!;
    expect(taken.token).not.toBe(claim.token);
    expect(await store.heartbeat(claim, 1000)).toBe(false);
    expect(await store.heartbeat(taken, 1000)).toBe(true);
    await expect(store.transition(claim, 'processing', { path: 'x' })).rejects.toThrow(
      expect.objectContaining({ code: 'MONITOR_CLAIM_LOST' }),
    );
    await store.finish(taken, 'failed', { path: 'f', error: { code: 'X', message: 'y' } });
    expect(await store.reclaim(claim.fileId, A)).toBeNull();
    expect(await store.lookup(claim.fileId)).toEqual({ state: 'failed', path: 'f' });
    expect(await store.lookup(99)).toBeNull();
    expect(store.entries()[0]).toMatchObject({
      state: 'failed',
      instanceId: 'b',
      leaseUntil: null,
      error: { code: 'X' },
    });
  });

  it('lets a heartbeat with a 1 ms lease release a claim for immediate re-claim', async () => {
    const store = createMemoryClaimStore();
    const claim = (await store.claimNew(FILE, A))!;
    await store.transition(claim, 'ready', { path: '/drop/processing/1--a.csv' });
    expect(await store.heartbeat(claim, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(await store.reclaim(claim.fileId, B)).not.toBeNull();
  });
});
