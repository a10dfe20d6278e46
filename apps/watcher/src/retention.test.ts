import type { Database, HistoryPruneResult } from '@refdata/db';
import { describe, expect, it, vi } from 'vitest';
import { tempDb } from '../test/temp-db.js';
import { startRetention } from './retention.js';

async function tempDatabase(): Promise<Database> {
  return (await tempDb('refdata-retention-')).db;
}

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const DAY = 86_400_000;

describe('startRetention', () => {
  it('prunes finished files older than the age at start, and keeps held and in-flight files', async () => {
    const db = await tempDatabase();
    const lease = { instanceId: 't', leaseMs: 60_000 };
    const done = await db.files.claimNew({ path: '/in/a.csv', name: 'a.csv', size: 1 }, lease);
    const held = await db.files.claimNew({ path: '/in/b.csv', name: 'b.csv', size: 1 }, lease);
    const inFlight = await db.files.claimNew({ path: '/in/c.csv', name: 'c.csv', size: 1 }, lease);
    if (done === null || held === null || inFlight === null) throw new Error('no claim');
    await db.files.finish(done, { status: 'archived' });
    await db.files.finish(held, { status: 'held' });
    await db.recordRejects(done.fileId, [{ line: 2, raw: 'x', reason: 'r' }]);
    const info = vi.fn();
    // Ten days from now, with a seven-day age: everything finished so far is old enough.
    const retention = startRetention({
      db,
      maxAgeMs: 7 * DAY,
      intervalMs: 60_000,
      logger: { ...silent, info },
      now: () => Date.now() + 10 * DAY,
    });
    await retention.stop();
    expect(await db.files.get(done.fileId)).toBeUndefined();
    expect(await db.listRejects(done.fileId)).toEqual([]);
    expect(await db.files.get(held.fileId)).toMatchObject({ status: 'held' });
    expect(await db.files.get(inFlight.fileId)).toMatchObject({ status: 'claimed' });
    expect(info).toHaveBeenCalledWith(
      expect.objectContaining({ files: 1, rejects: 1, auditEvents: 0 }),
      'history pruned (RETENTION_DAYS)',
    );
  });

  it('keeps files younger than the age', async () => {
    const db = await tempDatabase();
    const claim = await db.files.claimNew(
      { path: '/in/a.csv', name: 'a.csv', size: 1 },
      { instanceId: 't', leaseMs: 60_000 },
    );
    if (claim === null) throw new Error('no claim');
    await db.files.finish(claim, { status: 'failed', errorCode: 'X' });
    const retention = startRetention({ db, maxAgeMs: DAY, intervalMs: 60_000, logger: silent });
    expect(await retention.pass()).toEqual({ files: 0, auditEvents: 0, rejects: 0 });
    await retention.stop();
    expect(await db.files.get(claim.fileId)).toBeDefined();
  });

  it('runs a pass every interval, never two at once, and logs a failed pass without stopping', async () => {
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const pruneHistory = async (): Promise<HistoryPruneResult> => {
      calls++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setTimeout(r, 30));
      concurrent--;
      if (calls === 1) throw Object.assign(new Error('locked'), { code: 'DB_BUSY' });
      return { files: 0, auditEvents: 0, rejects: 0 };
    };
    const warn = vi.fn();
    const retention = startRetention({
      db: { pruneHistory },
      maxAgeMs: DAY,
      intervalMs: 10,
      logger: { ...silent, warn },
    });
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    await retention.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(after);
    expect(maxConcurrent).toBe(1);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'DB_BUSY' }),
      'history retention failed; it is tried again at the next interval',
    );
  });
});
