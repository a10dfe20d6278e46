// How a SQL Server load session stages rows: the first batch by its own bulk load, later batches
// streamed through one bulk load per segment, re-staged when that bulk load fails (fake server).
import { describe, expect, it } from 'vitest';
import { SEGMENT_ROWS, STREAM_HIGH_WATER } from '../src/dialect/mssql/mssql-load-session.js';
import type { ColumnDef, DbValue } from '../src/index.js';
import { readAll, staged } from './helpers.js';
import { openOnFakeServer } from './mssql-fake-server.js';
import type { fakeTedious } from './mssql-fakes.js';

function open(poolSize?: number): ReturnType<typeof openOnFakeServer> {
  return openOnFakeServer('babelfish', poolSize === undefined ? {} : { poolSize });
}

const cols: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 10 }, nullable: false },
  { name: 'rate', type: { kind: 'decimal', precision: 9, scale: 2 }, nullable: true },
];
const rows = (n: number, from: number): DbValue[][] =>
  Array.from({ length: n }, (_v, i) => [`C${from + i}`, `${(from + i) % 100}.5`]);
const stagingBulks = (fake: ReturnType<typeof fakeTedious>) => fake.bulks.filter((b) => b.table.startsWith('[stg].'));

/**
 * Loads 60 rows in three batches while the streamed bulk load of the last two fails on a dropped
 * connection after applying `applied` of its rows (none by default); the load must still apply.
 */
async function loadThroughACut(applied?: number): ReturnType<typeof open> {
  const opened = await open();
  const session = await opened.db.beginLoad({ table: 'cur', columns: cols });
  await session.write(staged(rows(10, 0), 2));
  opened.fake.partialBulk.next = applied;
  opened.fake.failBulk.next = Object.assign(new Error('Connection lost - read ECONNRESET'), {
    code: 'ESOCKET',
    name: 'ConnectionError',
  });
  await session.write(staged(rows(20, 10), 12));
  await session.write(staged(rows(30, 30), 32));
  expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 60 });
  return opened;
}

describe('SQL Server staging by streamed bulk loads (fake server)', () => {
  it('bulk-loads the first batch alone, then streams later batches through one bulk load per segment', async () => {
    const { db, fake } = await open();
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(staged(rows(10, 0), 2));
    await session.write(staged(rows(20, 10), 12));
    await session.write(staged(rows(30, 30), 32));
    const outcome = await session.commit();
    expect(outcome).toMatchObject({ status: 'applied', rowsLoaded: 60 });
    expect(stagingBulks(fake).map((b) => b.rows.length)).toEqual([10, 50]);
    const loaded = await readAll(db, 'cur');
    expect(loaded.map((r) => r[0])).toEqual(rows(60, 0).map((r) => r[0]));
  });

  it(`starts a new bulk load after ${SEGMENT_ROWS.toLocaleString('en')} streamed rows`, async () => {
    const { db, fake } = await open();
    const session = await db.beginLoad({ table: 'big', columns: cols });
    await session.write(staged(rows(5, 0), 2));
    const per = SEGMENT_ROWS / 5;
    for (let done = 5; done < 5 + SEGMENT_ROWS + per; done += per)
      await session.write(staged(rows(per, done), done + 2));
    const report = await session.validate();
    expect(report.stagedRows).toBe(5 + SEGMENT_ROWS + per);
    expect(stagingBulks(fake).map((b) => b.rows.length)).toEqual([5, SEGMENT_ROWS, per]);
    await session.abort();
  });

  it('stages a segment again, exactly once, when its streamed bulk load fails on a dropped connection', async () => {
    const { db, fake } = await loadThroughACut();
    // The first batch, the failed stream (nothing staged), the segment re-staged in a unit.
    expect(stagingBulks(fake).map((b) => b.rows.length)).toEqual([10, 50, 50]);
    expect(fake.statements.filter((s) => s.sql.includes('BETWEEN @first AND @last'))).toHaveLength(1);
    expect((await readAll(db, 'cur')).length).toBe(60);
  });

  it('removes what a cut bulk load left partly staged, then stages the segment again: every row once', async () => {
    // Babelfish commits a bulk load's rows in groups: a cut connection can leave some behind.
    const { db, fake } = await loadThroughACut(35);
    expect(
      fake.statements.filter((s) => s.sql.startsWith('DELETE FROM [stg]') && s.sql.includes('BETWEEN')),
    ).toHaveLength(1);
    const loaded = await readAll(db, 'cur');
    expect(loaded.map((r) => r[0])).toEqual(rows(60, 0).map((r) => r[0]));
  });

  it('keeps the rows in flight bounded while the server is slower than the writer', async () => {
    const { db, fake } = await open();
    const session = await db.beginLoad({ table: 'slow', columns: cols });
    await session.write(staged(rows(10, 0), 2));
    // A slow server: each row the bulk load takes waits for a macrotask.
    let consumed = 0;
    let written = 0;
    let maxInFlight = 0;
    fake.bulkPace.each = () => {
      consumed++;
      maxInFlight = Math.max(maxInFlight, written - consumed);
      return new Promise((resolve) => setImmediate(resolve));
    };
    const per = 990;
    for (let done = 10; done < 10 + 30 * per; done += per) {
      written += per;
      await session.write(staged(rows(per, done), done + 2));
    }
    const report = await session.validate();
    expect(report.stagedRows).toBe(10 + 30 * per);
    // Never more than the queue's high-water mark and the batch being written: not a segment, not the file.
    expect(maxInFlight).toBeLessThanOrEqual(STREAM_HIGH_WATER + per);
    expect(STREAM_HIGH_WATER).toBeLessThan(per);
    await session.abort();
  });

  it('fails the load when the streamed bulk load fails for good', async () => {
    const { db, fake } = await open();
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(staged(rows(10, 0), 2));
    fake.failBulk.next = Object.assign(new Error('String or binary data would be truncated.'), { number: 8152 });
    await session.write(staged(rows(20, 10), 12));
    await expect(session.validate()).rejects.toMatchObject({ code: 'DB_QUERY_FAILED' });
    await session.abort();
    expect(await db.describeTable('cur')).toBeUndefined();
  });

  it('takes rows as one flat array (writeRows) with the same checks as write', async () => {
    const { db } = await open();
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    if (session.writeRows === undefined) throw new Error('the SQL Server session offers writeRows');
    await session.writeRows({ lines: [2, 3, 4], values: ['A', '1.5', 'B', '123456789.5', 'C', null] });
    await session.writeRows({ lines: [5], values: ['D', '2'] });
    await expect(session.writeRows({ lines: [6], values: ['E'] })).rejects.toMatchObject({ code: 'DB_VALUE_INVALID' });
    await expect(session.writeRows({ lines: [6.5], values: ['E', '1'] })).rejects.toMatchObject({
      code: 'DB_VALUE_INVALID',
    });
    const report = await session.validate();
    expect(report.conversionErrors).toMatchObject([{ line: 3, column: 'rate', value: '123456789.5' }]);
    expect(report.stagedRows).toBe(3);
    await session.commit();
    expect(await readAll(db, 'cur')).toEqual([
      ['A', '1.5'],
      ['C', null],
      ['D', '2'],
    ]);
  });

  it('abort ends an open segment and drops staging', async () => {
    const { db, server } = await open();
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(staged(rows(10, 0), 2));
    await session.write(staged(rows(20, 10), 12));
    await session.abort();
    expect([...server.tables.values()].filter((t) => t.schema === 'stg')).toEqual([]);
  });

  it('with a pool of one connection, bulk-loads every batch on its own (no connection held between writes)', async () => {
    const { db, fake } = await open(1);
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(staged(rows(10, 0), 2));
    await session.write(staged(rows(20, 10), 12));
    await session.write(staged(rows(30, 30), 32));
    expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 60 });
    expect(stagingBulks(fake).map((b) => b.rows.length)).toEqual([10, 20, 30]);
  });
});
