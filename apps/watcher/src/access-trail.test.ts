import type { AuditEvent, CallerAuditStep, Database } from '@refdata/db';
import type { FileOperationEvent } from '@refdata/monitor';
import { describe, expect, it, vi } from 'vitest';
import { tempDb } from '../test/temp-db.js';
import {
  type AccessDetails,
  AccessTrail,
  accessDetailsOf,
  accessEventsOf,
  commandInstanceId,
  osUser,
} from './access-trail.js';

async function tempDatabase(): Promise<Database> {
  return (await tempDb('refdata-access-')).db;
}

const AT = new Date('2026-12-05T07:00:00.000Z');
function op(facts: Omit<FileOperationEvent, 'instanceId' | 'user' | 'at'>): FileOperationEvent {
  return { ...facts, instanceId: 'host:1:abc', user: 'svc', at: AT };
}

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** The operations of one file, as the monitor reports a normal claim and settle. */
function lifeOf(fileId: number, name: string): FileOperationEvent[] {
  const src = `/drop/incoming/${name}`;
  const pending = `/drop/processing/.pending-1--${name}`;
  const processing = `/drop/processing/${fileId}--${name}`;
  return [
    op({ operation: 'seen', name, from: src, to: src, stage: 'incoming' }),
    op({ operation: 'moved', reason: 'claim', name, from: src, to: pending, stage: 'processing' }),
    op({ operation: 'claimed', name, fileId, from: pending, to: pending, stage: 'processing' }),
    op({ operation: 'moved', reason: 'claim', name, fileId, from: pending, to: processing, stage: 'processing' }),
    op({
      operation: 'moved',
      reason: 'settle',
      name,
      fileId,
      from: processing,
      to: `/drop/archive/${name}`,
      stage: 'archive',
    }),
  ];
}

describe('AccessTrail', () => {
  it('records operations before the claim under the id the claim brings, in order', async () => {
    const db = await tempDatabase();
    const trail = new AccessTrail({ db, logger: silent });
    for (const e of lifeOf(7, 'a.csv')) trail.record(e);
    await trail.close();
    const access = accessEventsOf(await db.listAudit(7));
    expect(access.map((a) => `${a.operation}${a.reason === undefined ? '' : `:${a.reason}`}`)).toEqual([
      'seen',
      'moved:claim',
      'claimed',
      'moved:claim',
      'moved:settle',
    ]);
    expect(access[0]).toEqual({
      operation: 'seen',
      name: 'a.csv',
      from: '/drop/incoming/a.csv',
      to: '/drop/incoming/a.csv',
      stage: 'incoming',
      instanceId: 'host:1:abc',
      user: 'svc',
      at: '2026-12-05T07:00:00.000Z',
    } satisfies AccessDetails);
    expect(access.at(-1)?.to).toBe('/drop/archive/a.csv');
    expect(trail.failed).toBe(0);
  });

  it('keeps two files apart and records a put-back file without an id', async () => {
    const written: AuditEvent<CallerAuditStep>[] = [];
    const trail = new AccessTrail({ db: { recordAudit: async (e) => void written.push(e) }, logger: silent });
    const [seenA, moveA] = lifeOf(1, 'a.csv');
    const b = lifeOf(2, 'b.csv');
    trail.record(seenA as FileOperationEvent);
    for (const e of b) trail.record(e);
    trail.record(moveA as FileOperationEvent);
    trail.record(
      op({
        operation: 'moved',
        reason: 'claim-refused',
        name: 'a.csv',
        from: '/drop/processing/.pending-1--a.csv',
        to: '/drop/incoming/a.csv',
        stage: 'incoming',
      }),
    );
    await trail.close();
    expect(written.filter((e) => e.fileId === 2)).toHaveLength(5);
    const orphan = written
      .filter((e) => e.fileId === null)
      .map((e) => (e.details as unknown as AccessDetails).operation);
    expect(orphan).toEqual(['seen', 'moved', 'moved']);
    expect(written.every((e) => e.step === 'access' && e.outcome === 'info')).toBe(true);
  });

  it('records held operations without an id beyond maxPendingFiles and at close, dropping none', async () => {
    const written: AuditEvent<CallerAuditStep>[] = [];
    const trail = new AccessTrail({
      db: { recordAudit: async (e) => void written.push(e) },
      logger: silent,
      maxPendingFiles: 2,
    });
    for (const name of ['a', 'b', 'c']) {
      trail.record(op({ operation: 'seen', name, from: `/in/${name}`, to: `/in/${name}`, stage: 'incoming' }));
    }
    await Promise.resolve();
    expect(written).toHaveLength(1);
    expect(written.map((e) => (e.details as unknown as AccessDetails).name)).toEqual(['a']);
    expect(written.length).toBe(1);
    await trail.close();
    expect(written.map((e) => (e.details as unknown as AccessDetails).name)).toEqual(['a', 'b', 'c']);
  });

  it('logs a write that fails with the operation, and keeps recording the next ones', async () => {
    const warn = vi.fn();
    const logger = { ...silent, warn };
    let calls = 0;
    const trail = new AccessTrail({
      db: {
        recordAudit: async () => {
          calls++;
          if (calls === 1) throw Object.assign(new Error('disk full'), { code: 'DB_WRITE' });
        },
      },
      logger,
    });
    trail.record(
      op({ operation: 'removed', reason: 'temporary-file', name: 'x', from: '/p/x', to: null, stage: 'processing' }),
    );
    trail.record(op({ operation: 'written', name: 'y', fileId: 3, from: '/f/y', to: '/f/y', stage: 'failed' }));
    await trail.close();
    expect(calls).toBe(2);
    expect(trail.failed).toBe(1);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'DB_WRITE', access: expect.objectContaining({ name: 'x', to: null }) }),
      'could not record a file operation in the access trail',
    );
  });

  it('maps an event without a reason to details without one, and names the process', () => {
    const details = accessDetailsOf(op({ operation: 'seen', name: 'n', from: '/a', to: '/a', stage: 'incoming' }));
    expect('reason' in details).toBe(false);
    expect(osUser()).not.toBe('');
    expect(commandInstanceId()).toMatch(new RegExp(`:${process.pid}:cli$`));
  });
});
