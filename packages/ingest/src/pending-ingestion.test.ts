import { describe, expect, it } from 'vitest';
import { PendingIngestion } from './pending-ingestion.js';
import type { IngestProgress, IngestResult } from './types.js';

const progress = (rowsRead: number, done = false): IngestProgress => ({
  file: 'f.csv',
  table: 'f',
  rowsRead,
  rowsLoaded: rowsRead,
  rowsRejected: 0,
  bytesRead: rowsRead * 10,
  bytesTotal: 100,
  rowsPerSecond: 1,
  etaSeconds: done ? 0 : null,
  elapsedMs: 1,
  done,
});

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('PendingIngestion', () => {
  it('is awaitable for the result and iterable for every progress event, in order', async () => {
    const gate = deferred<IngestResult>();
    let emit!: (p: IngestProgress) => void;
    const job = new PendingIngestion(
      'f.csv',
      'f',
      (e) => {
        emit = e;
        return gate.promise;
      },
      () => {},
    );
    const seen: number[] = [];
    const iterating = (async () => {
      for await (const p of job) seen.push(p.rowsRead);
    })();
    emit(progress(1));
    await Promise.resolve();
    emit(progress(2));
    emit(progress(3, true));
    const result = { status: 'loaded' } as IngestResult;
    gate.resolve(result);
    await iterating;
    expect(seen).toEqual([1, 2, 3]);
    expect(await job).toBe(result);
  });

  it('replays past events to an iterator that starts after the end', async () => {
    const job = new PendingIngestion(
      'f.csv',
      'f',
      async (emit) => {
        emit(progress(5));
        emit(progress(9, true));
        return { status: 'loaded' } as IngestResult;
      },
      () => {},
    );
    await job;
    const seen: boolean[] = [];
    for await (const p of job) seen.push(p.done);
    expect(seen).toEqual([false, true]);
  });

  it('throws the failure from iteration and from await, without an unhandled rejection', async () => {
    const boom = Object.assign(new Error('boom'), { code: 'INGEST_FILE_MALFORMED' });
    const job = new PendingIngestion(
      'f.csv',
      'f',
      async (emit) => {
        emit(progress(1));
        throw boom;
      },
      () => {},
    );
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const p of job) seen.push(p.rowsRead);
      })(),
    ).rejects.toBe(boom);
    expect(seen).toEqual([1]);
    await expect(job).rejects.toBe(boom);
    await expect(job.catch((e: unknown) => (e as Error).message)).resolves.toBe('boom');
  });

  it('forwards cancel() only while running', async () => {
    const reasons: (string | undefined)[] = [];
    const gate = deferred<IngestResult>();
    const job = new PendingIngestion(
      'f.csv',
      'f',
      () => gate.promise,
      (r) => reasons.push(r),
    );
    job.cancel('stop');
    gate.resolve({ status: 'loaded' } as IngestResult);
    await job;
    job.cancel('late');
    expect(reasons).toEqual(['stop']);
  });
});
