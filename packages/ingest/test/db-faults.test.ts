import type { Database, LoadSession } from '@refdata/db';
import { describe, expect, it } from 'vitest';
import { createIngestor, type IngestProgress } from '../src/index.js';
import { csv, readAll, rows, setup } from './helpers.js';

/** Wraps a real database so that load sessions behave differently (slow writes, failures). */
function wrap(
  db: Database,
  session: (real: LoadSession) => Partial<LoadSession>,
  beginLoad?: () => Promise<never>,
): Database {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'beginLoad') {
        return async (spec: Parameters<Database['beginLoad']>[0]) => {
          if (beginLoad) return beginLoad();
          const real = await target.beginLoad(spec);
          const overrides = session(real);
          return new Proxy(real, {
            get: (t, p) => {
              if (p in overrides) return overrides[p as keyof LoadSession];
              const v = Reflect.get(t, p, t);
              return typeof v === 'function' ? v.bind(t) : v;
            },
          });
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Overrides of both write paths (`write`, and `writeRows` where the dialect has it) with one fault. */
function writes(real: LoadSession, fault: (write: () => Promise<void>) => Promise<void>): Partial<LoadSession> {
  const overrides: Partial<LoadSession> = { write: (batch) => fault(() => real.write(batch)) };
  const writeRows = real.writeRows?.bind(real);
  if (writeRows !== undefined) overrides.writeRows = (rows) => fault(() => writeRows(rows));
  return overrides;
}

const HEADER = 'code,name,amount\n';

describe('Ingestor against a slow or failing database', () => {
  it('emits progress at the configured interval while the database applies backpressure', async () => {
    const { db, dir } = await setup();
    const slow = wrap(db, (real) =>
      writes(real, async (write) => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        return write();
      }),
    );
    const ingestor = createIngestor({ db: slow, batchSize: 20, progressIntervalSeconds: 0.01 });
    const job = ingestor.ingest(await csv(dir, 'slow.csv', `${HEADER}${rows(200)}`));
    const events: IngestProgress[] = [];
    for await (const p of job) events.push(p);
    await job;
    const running = events.filter((e) => !e.done && e.rowsRead > 0);
    expect(running.length).toBeGreaterThan(3);
    expect(running.some((e) => e.rowsLoaded < 200 && e.etaSeconds !== null)).toBe(true);
    const loaded = running.map((e) => e.rowsLoaded);
    expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
    expect(events.at(-1)).toMatchObject({ done: true, rowsLoaded: 200 });
    await ingestor.close();
  });

  it('maps an unreachable database to INGEST_DB_UNAVAILABLE with the db code as causeCode', async () => {
    const { db, dir } = await setup();
    const down = wrap(
      db,
      () => ({}),
      async () => {
        throw Object.assign(new Error('connection refused'), { name: 'DbError', code: 'DB_UNAVAILABLE' });
      },
    );
    const ingestor = createIngestor({ db: down });
    const failed: string[] = [];
    ingestor.on('failed', ({ error }) => failed.push(error.code));
    await expect(ingestor.ingest(await csv(dir, 'x.csv', `${HEADER}${rows(2)}`))).rejects.toMatchObject({
      code: 'INGEST_DB_UNAVAILABLE',
      causeCode: 'DB_UNAVAILABLE',
    });
    expect(failed).toEqual(['INGEST_DB_UNAVAILABLE']);
    await ingestor.close();
  });

  it('aborts the load when a write fails part-way, leaving the table unchanged', async () => {
    const { db, dir } = await setup();
    const plain = createIngestor({ db });
    await plain.ingest(await csv(dir, 'w.csv', `${HEADER}${rows(3)}`));
    let writesSeen = 0;
    let aborted = 0;
    const flaky = wrap(db, (real) => ({
      ...writes(real, async (write) => {
        if (++writesSeen === 3) throw Object.assign(new Error('disk I/O error'), { code: 'DB_QUERY_FAILED' });
        return write();
      }),
      abort: async () => {
        aborted++;
        return real.abort();
      },
    }));
    const ingestor = createIngestor({ db: flaky, batchSize: 10 });
    await expect(
      ingestor.ingest(await csv(dir, 'w.csv', `${HEADER}${rows(100)}`), { mode: 'append' }),
    ).rejects.toMatchObject({
      code: 'INGEST_DB_FAILED',
      causeCode: 'DB_QUERY_FAILED',
    });
    expect(aborted).toBeGreaterThan(0);
    expect(await readAll(db, 'w')).toHaveLength(3);
    expect((await db.listTables()).map((t) => t.name)).toEqual(['w']);
    await ingestor.close();
    await plain.close();
  });
});
