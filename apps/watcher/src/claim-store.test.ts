import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { tempDb } from '../test/temp-db.js';
import { createDbClaimStore } from './claim-store.js';

const LEASE = { instanceId: 'test:1', leaseMs: 60_000 };

describe('createDbClaimStore', () => {
  it('claims a file once, records transitions and finishes it in db.files', async () => {
    const { db, dir } = await tempDb();
    const store = createDbClaimStore(db.files);
    const seen = { path: join(dir, 'incoming', 'a.csv'), name: 'a.csv', size: 12, mtimeMs: 1_700_000_000_000 };
    const claim = await store.claimNew(seen, LEASE);
    expect(claim).not.toBeNull();
    if (claim === null) return;
    expect(await store.claimNew(seen, { instanceId: 'test:2', leaseMs: 60_000 })).toBeNull();

    const processing = join(dir, 'processing', `${claim.fileId}--a.csv`);
    await store.transition(claim, 'processing', { path: processing });
    expect(await db.files.get(claim.fileId)).toMatchObject({ status: 'processing', path: processing, size: 12 });
    expect(await store.heartbeat(claim, 60_000)).toBe(true);

    const archived = join(dir, 'archive', 'a.20250101T000000Z-abcdef.csv');
    await store.finish(claim, 'archived', { path: archived });
    expect(await db.files.get(claim.fileId)).toMatchObject({ status: 'archived', path: archived, errorCode: null });
    expect(await store.heartbeat(claim, 60_000)).toBe(false);
  });

  it('stores the error of a failed file, scrubbed', async () => {
    const { db, dir } = await tempDb();
    const store = createDbClaimStore(db.files, { scrub: (t) => t.replaceAll('hunter22', '[REDACTED]') });
    const claim = await store.claimNew({ path: join(dir, 'b.csv'), name: 'b.csv', size: 1, mtimeMs: 1 }, LEASE);
    if (claim === null) throw new Error('not claimed');
    await store.finish(claim, 'failed', {
      path: join(dir, 'failed', 'b.csv'),
      error: { code: 'DB_UNAVAILABLE', message: 'login failed with hunter22' },
    });
    expect(await db.files.get(claim.fileId)).toMatchObject({
      status: 'failed',
      errorCode: 'DB_UNAVAILABLE',
      errorMessage: 'login failed with [REDACTED]',
    });
  });

  it('looks a file up by id (state and path), so the monitor records the end before the move', async () => {
    const { db, dir } = await tempDb();
    const store = createDbClaimStore(db.files);
    expect(store.lookup).toBeTypeOf('function');
    const claim = await store.claimNew({ path: join(dir, 'd.csv'), name: 'd.csv', size: 1, mtimeMs: 1 }, LEASE);
    if (claim === null) throw new Error('not claimed');
    const final = join(dir, 'held', 'd.20250101T000000Z-abcdef.csv');
    await store.finish(claim, 'held', { path: final });
    expect(await store.lookup?.(claim.fileId)).toEqual({ state: 'held', path: final });
    expect(await store.lookup?.(claim.fileId + 1)).toBeNull();
  });

  it('re-claims a file whose lease expired, and only then', async () => {
    const { db, dir } = await tempDb();
    const store = createDbClaimStore(db.files);
    // The clock stands still until the test moves it: "not yet expired" must not depend on how
    // fast this machine gets from claimNew() to reclaim() (a 50 ms stall used to expire it).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const claim = await store.claimNew(
      { path: join(dir, 'c.csv'), name: 'c.csv', size: 1, mtimeMs: 1 },
      { instanceId: 'dead', leaseMs: 50 },
    );
    if (claim === null) throw new Error('not claimed');
    vi.setSystemTime(Date.now() + 49);
    expect(await store.reclaim(claim.fileId, LEASE)).toBeNull();
    vi.setSystemTime(Date.now() + 2);
    const again = await store.reclaim(claim.fileId, LEASE);
    expect(again?.fileId).toBe(claim.fileId);
    expect(again?.token).not.toBe(claim.token);
  });
});
