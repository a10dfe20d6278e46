import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { DbValue } from '@refdata/db';
import { formatCanonical } from '@refdata/detect';
import { describe, expect, it } from 'vitest';
import { type IngestProgress, type IngestResult, isIngestError } from '../src/index.js';
import { csv, readAll, rows, setup, track } from './helpers.js';

const HEADER = 'code,name,amount\n';

describe('Ingestor (facade on SQLite)', () => {
  it('loads a new table named after the file, keeping leading zeros, and reports progress once done', async () => {
    const { db, ingestor, dir } = await setup();
    const text = 'code,name,minor_unit\n008,Albanian lek,2\n036,Australian dollar,2\n978,Euro,2\n';
    const file = await csv(dir, 'currencies_20250101.csv', text);
    const job = ingestor.ingest(file);
    expect(job.table).toBe('currencies');
    const events: IngestProgress[] = [];
    for await (const p of job) events.push(p);
    const result = await job;
    expect(result).toMatchObject({
      status: 'loaded',
      table: 'currencies',
      mode: 'replace',
      rowsRead: 3,
      rowsLoaded: 3,
      rowsRejected: 0,
      rejectsCsv: null,
    });
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.bytes).toBe(Buffer.byteLength(text));
    expect(events.filter((e) => e.done)).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({
      done: true,
      rowsRead: 3,
      rowsLoaded: 3,
      bytesRead: result.bytes,
      bytesTotal: result.bytes,
      etaSeconds: 0,
    });
    expect(await readAll(db, 'currencies')).toEqual([
      ['008', 'Albanian lek', 2],
      ['036', 'Australian dollar', 2],
      ['978', 'Euro', 2],
    ]);
  });

  it('replaces the table atomically and keeps the previous contents as a snapshot', async () => {
    const { db, ingestor, dir } = await setup();
    await ingestor.ingest(await csv(dir, 'units.csv', `${HEADER}${rows(4)}`));
    const second = await ingestor.ingest(await csv(dir, 'units.csv', `${HEADER}${rows(3, 10)}`), { table: 'units' });
    expect(second.status).toBe('loaded');
    expect(second.snapshot).not.toBeNull();
    expect((await readAll(db, 'units')).map((r) => r[0])).toEqual(['000010', '000011', '000012']);
    const backups = await db.listBackups('units');
    expect(backups.map((b) => b.snapshot)).toContain(second.snapshot);
    expect(backups.find((b) => b.snapshot === second.snapshot)?.rows).toBe(4);
  });

  it('appends rows to the live table, converting to its column types', async () => {
    const { db, ingestor, dir } = await setup();
    await ingestor.ingest(await csv(dir, 'units.csv', `${HEADER}${rows(2)}`));
    // In the second file every amount is a whole number: detection alone would say integer.
    const result = await ingestor.ingest(await csv(dir, 'units2.csv', `${HEADER}000100,x,5\n000101,y,7\n`), {
      table: 'units',
      mode: 'append',
    });
    expect(result).toMatchObject({ status: 'loaded', mode: 'append', rowsLoaded: 2 });
    expect(await readAll(db, 'units')).toEqual([
      ['000001', 'name 1', '1.01'],
      ['000002', 'name 2', '2.02'],
      ['000100', 'x', '5'],
      ['000101', 'y', '7'],
    ]);
  });

  it('upserts by key columns: changed rows are updated, new rows inserted, others kept', async () => {
    const { db, ingestor, dir } = await setup();
    await ingestor.ingest(await csv(dir, 'rates.csv', 'code,rate\nEUR,1.10\nUSD,1.00\nGBP,0.85\n'), {
      keyColumns: ['code'],
    });
    const result = await ingestor.ingest(await csv(dir, 'rates_2025-02-01.csv', 'code,rate\nUSD,1.01\nJPY,0.01\n'), {
      mode: 'upsert',
      keyColumns: ['code'],
    });
    expect(result).toMatchObject({
      status: 'loaded',
      mode: 'upsert',
      table: 'rates',
      changes: { added: 1, changed: 1, removed: 0 },
    });
    const table = new Map((await readAll(db, 'rates')).map((r) => [r[0], r[1]]));
    expect(Object.fromEntries(table)).toEqual({ EUR: '1.1', USD: '1.01', GBP: '0.85', JPY: '0.01' });
    // A value that does not fit the live column type is a bad row, never a rounded one.
    const finer = ingestor.ingest(await csv(dir, 'rates.csv', 'code,rate\nCHF,0.0067\n'), {
      mode: 'upsert',
      keyColumns: ['code'],
    });
    await expect(finer).rejects.toMatchObject({
      code: 'INGEST_TOO_MANY_REJECTS',
      rejects: [{ line: 2, column: 'rate', value: '0.0067' }],
    });
  });

  it('fails the file with maxErrors 0 on one bad row and leaves the table unchanged', async () => {
    const { db, ingestor, dir } = await setup();
    await ingestor.ingest(await csv(dir, 'units.csv', `${HEADER}${rows(3)}`));
    const before = await readAll(db, 'units');
    const bad = `${HEADER}${rows(3, 20)}000099,bad,not-a-number\n${rows(2, 30)}`;
    const error = await ingestor.ingest(await csv(dir, 'units.csv', bad), { table: 'units', mode: 'append' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isIngestError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INGEST_TOO_MANY_REJECTS', table: 'units' });
    if (!isIngestError(error)) return;
    expect(error.rejects).toEqual([
      { line: 5, raw: '000099,bad,not-a-number', column: 'amount', value: 'not-a-number', reason: expect.any(String) },
    ]);
    expect(error.rejectsCsv).toContain('5,amount,not-a-number,');
    expect(await readAll(db, 'units')).toEqual(before);
  });

  it('loads the good rows with maxErrors 10 and records exactly the bad ones with line numbers and raw text', async () => {
    const { db, ingestor, dir } = await setup();
    const text = `${HEADER}000001,a,1.00\n000002,b,oops\n000003,c,3.00\n000004,d\n000005,"e, quoted",5.00\n000006,f,6.00,extra\n000007,g,7.00\n`;
    const path = await csv(dir, 'units.csv', text);
    const { fileId } = await track(db, path, 'units.csv');
    const rejected: number[] = [];
    ingestor.on('rejected', ({ row }) => rejected.push(row.line));
    // Detection alone would make `amount` text (it sees 'oops'); the caller knows better.
    const amount = { kind: 'decimal', precision: 9, scale: 2, decimalSeparator: '.', groupSeparator: '' } as const;
    const result = await ingestor.ingest(path, { maxErrors: 10, fileId, format: { columnTypes: { amount } } });
    expect(result).toMatchObject({ status: 'loaded', rowsRead: 7, rowsLoaded: 4, rowsRejected: 3 });
    expect(result.rejects.map((r) => [r.line, r.raw, r.column])).toEqual([
      [3, '000002,b,oops', 'amount'],
      [5, '000004,d', undefined],
      [7, '000006,f,6.00,extra', undefined],
    ]);
    expect(result.rejects[1]?.reason).toBe('expected 3 fields, found 2');
    expect(rejected).toEqual([3, 5, 7]);
    expect(result.rejectsCsv?.split('\n')[0]).toBe('line,column,value,reason,raw');
    expect((await db.listRejects(fileId)).map((r) => [r.line, r.raw])).toEqual([
      [3, '000002,b,oops'],
      [5, '000004,d'],
      [7, '000006,f,6.00,extra'],
    ]);
    expect(await readAll(db, 'units')).toEqual([
      ['000001', 'a', '1'],
      ['000003', 'c', '3'],
      ['000005', 'e, quoted', '5'],
      ['000007', 'g', '7'],
    ]);
    const steps = (await db.listAudit(fileId)).map((a) => a.step);
    expect(steps).toEqual(expect.arrayContaining(['detect', 'stage', 'validate', 'apply']));
  });

  it('rejects a ragged last row (one field too many or too few) instead of dropping it as a footer, counted against maxErrors', async () => {
    const head = 'code,amount,day\nA,1,2024-01-01\nB,2,2024-01-02\n';
    const many = Array.from({ length: 5000 }, (_, i) => `K${i},${i},2024-01-03\n`).join('');
    const cases = [
      { body: `${head}C,3,2024-01-02,extra\n`, line: 4, raw: 'C,3,2024-01-02,extra', found: 4, good: 2 },
      { body: `${head}C,3\n`, line: 4, raw: 'C,3', found: 2, good: 2 },
      { body: `${head}${many}C,3,2024-01-02,extra\n`, line: 5004, raw: 'C,3,2024-01-02,extra', found: 4, good: 5002 },
    ];
    for (const [i, c] of cases.entries()) {
      const { db, ingestor, dir } = await setup();
      const path = await csv(dir, `ragged${i}.csv`, c.body);
      const { fileId } = await track(db, path, `ragged${i}.csv`);
      const result = await ingestor.ingest(path, { maxErrors: 5, fileId });
      expect(result, c.raw).toMatchObject({ status: 'loaded', rowsLoaded: c.good, rowsRejected: 1 });
      expect(result.format.footer.value).toBe(0);
      expect(result.rejects).toEqual([{ line: c.line, raw: c.raw, reason: `expected 3 fields, found ${c.found}` }]);
      expect((await db.listRejects(fileId)).map((r) => [r.line, r.raw])).toEqual([[c.line, c.raw]]);
      // With the default maxErrors of 0 the file fails rather than losing the row.
      const error = await ingestor.ingest(path, { table: `ragged${i}_strict` }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'INGEST_TOO_MANY_REJECTS' });
    }
  });

  it('loads a row with one extra empty field at the end (a stray final delimiter) instead of rejecting it', async () => {
    const { db, ingestor, dir } = await setup();
    const body = Array.from({ length: 8 }, (_, i) => `K${i},name ${i},${i}`).join('\n');
    const path = await csv(dir, 'stray.csv', `code,name,n\n${body}\nX,with stray,9,\nY,"quoted",10,""\n`);
    const result = await ingestor.ingest(path);
    expect(result).toMatchObject({ status: 'loaded', rowsLoaded: 10, rowsRejected: 0 });
    expect((await readAll(db, 'stray')).slice(-2)).toEqual([
      ['X', 'with stray', 9],
      ['Y', 'quoted', 10],
    ]);
  });

  it('records the notes it leaves out at the end of a file in the detect audit step', async () => {
    const { db, ingestor, dir } = await setup();
    const path = await csv(dir, 'noted.csv', 'code,name\nA,x\nB,y\n\nSource: a survey of 2024\n');
    const { fileId } = await track(db, path, 'noted.csv');
    const result = await ingestor.ingest(path, { fileId });
    expect(result).toMatchObject({ status: 'loaded', rowsLoaded: 2, rowsRejected: 0 });
    expect(result.format.footer).toMatchObject({ value: 2 });
    const detect = (await db.listAudit(fileId)).find((a) => a.step === 'detect');
    expect(detect?.details).toMatchObject({
      footerLines: 2,
      footer: 'lines from 4 on are notes ("Source: a survey of 2024") after the table',
    });
  });

  it('counts duplicate keys as rejects', async () => {
    const { ingestor, dir } = await setup();
    const path = await csv(dir, 'keys.csv', 'code,name\nA,1\nB,2\nA,3\n');
    await expect(ingestor.ingest(path, { keyColumns: ['code'] })).rejects.toMatchObject({
      code: 'INGEST_TOO_MANY_REJECTS',
    });
    const result = await ingestor.ingest(path, { keyColumns: ['code'], maxErrors: 1 });
    expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 1 });
    expect(result.rejects[0]).toMatchObject({ line: 4, column: 'code' });
  });

  it('cancels mid-file through the handle: rejects INGEST_CANCELLED and leaves the table unchanged', async () => {
    const { db, ingestor, dir } = await setup({ batchSize: 100 });
    await ingestor.ingest(await csv(dir, 'big.csv', `${HEADER}${rows(5)}`));
    const before = await readAll(db, 'big');
    const job = ingestor.ingest(await csv(dir, 'big.csv', `${HEADER}${rows(20_000)}`), { mode: 'append' });
    let batches = 0;
    ingestor.on('batch', () => {
      if (++batches === 3) job.cancel('operator said stop');
    });
    const cancelled: string[] = [];
    ingestor.on('cancelled', ({ table }) => cancelled.push(table));
    await expect(job).rejects.toMatchObject({ code: 'INGEST_CANCELLED' });
    expect(batches).toBeLessThan(200);
    expect(cancelled).toEqual(['big']);
    expect(await readAll(db, 'big')).toEqual(before);
    expect((await db.listTables()).map((t) => t.name)).toEqual(['big']);
  });

  it('cancels through an AbortSignal, also while queued behind another file for the same table', async () => {
    const { db, ingestor, dir } = await setup({ batchSize: 100 });
    const first = ingestor.ingest(await csv(dir, 't1.csv', `${HEADER}${rows(2000)}`), { table: 't' });
    const controller = new AbortController();
    const second = ingestor.ingest(await csv(dir, 't2.csv', `${HEADER}${rows(10)}`), {
      table: 't',
      signal: controller.signal,
    });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'INGEST_CANCELLED' });
    await expect(first).resolves.toMatchObject({ status: 'loaded', rowsLoaded: 2000 });
    expect(await readAll(db, 't')).toHaveLength(2000);
  });

  it('keeps the live column types on a replace: a value that does not fit is a bad row, an explicit type retypes', async () => {
    const { db, ingestor, dir } = await setup();
    await ingestor.ingest(await csv(dir, 'units.csv', 'code,factor\nm,1\nkm,1000\n'));
    expect((await db.describeTable('units'))?.columns.map((c) => c.type.kind)).toEqual(['text', 'int']);
    const retyped = await csv(dir, 'units.csv', 'code,factor\nm,1\nkm,1000\nmm,0.001\n');
    await expect(ingestor.ingest(retyped)).rejects.toMatchObject({
      code: 'INGEST_TOO_MANY_REJECTS',
      rejects: [{ line: 4, column: 'factor', value: '0.001' }],
    });
    expect(await readAll(db, 'units')).toEqual([
      ['m', 1],
      ['km', 1000],
    ]);
    await ingestor.ingest(retyped, { format: { columnTypes: { factor: 'decimal' } } });
    expect((await db.describeTable('units'))?.columns.map((c) => c.type.kind)).toEqual(['text', 'decimal']);
    expect((await readAll(db, 'units')).map((r) => r[1])).toEqual(['1', '1000', '0.001']);
  });

  it('loads every row of files joined together, skipping each copy of the header (past the sample too) and recording it', async () => {
    const { db, ingestor, dir } = await setup({ typeSampleRows: 2 });
    const part = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `K${from + i},name ${from + i}\n`).join('');
    const text = `code,name\n${part(0, 3)}code,name\n${part(3, 2)}${part(5, 60_000)}\ufeffcode,name\n${part(60_005, 2)}`;
    const result = await ingestor.ingest(await csv(dir, 'joined.csv', text), { fileId: 9 });
    expect(result.rowsLoaded).toBe(60_007);
    expect(result.rowsRejected).toBe(0);
    expect(result.format.warnings.join('\n')).toContain(
      '2 lines skipped, an exact copy of the header (files joined together): line 5, 60008',
    );
    const stage = (await db.listAudit(9)).find((a) => a.step === 'stage');
    expect(stage?.details).toMatchObject({
      skipped: [{ reason: 'an exact copy of the header (files joined together)', count: 2, lines: [5, 60008] }],
    });
    const all = await readAll(db, 'joined');
    expect(all.some((r) => r[0] === 'code')).toBe(false);
    expect(all.at(-1)).toEqual(['K60006', 'name 60006']);
  });

  it('skips the empty rows a spreadsheet leaves (only delimiters, any width) instead of loading NULL rows or failing on their keys', async () => {
    const { db, ingestor, dir } = await setup();
    const text = 'code,name,n\r\nA,x,1\r\n,,\r\nB,y,2\r\n,,,,,,\r\nC,"",3\r\n,,\r\n';
    const result = await ingestor.ingest(await csv(dir, 'sheet.csv', text), { keyColumns: ['code'], fileId: 11 });
    expect(result.rowsLoaded).toBe(3);
    expect(result.rowsRejected).toBe(0);
    expect(result.format.warnings.join('\n')).toContain(
      '2 lines skipped, a row with no values (only delimiters): line 3, 5',
    );
    expect(await readAll(db, 'sheet')).toEqual([
      ['A', 'x', 1],
      ['B', 'y', 2],
      ['C', '', 3],
    ]);
  });

  describe('numbers past the type sample', () => {
    // 2 sampled rows: the types are a guess for the rest of the file.
    const ids = 'id,rate,qty\n1,1.25,3\n2,0.5,4\n';

    it("widens a new table's column at the first number that needs it (an integer column to a decimal, more decimals) and records it", async () => {
      const { db, ingestor, dir } = await setup({ typeSampleRows: 2 });
      const path = await csv(dir, 'fx.csv', `${ids}12345678901,0.123456,5\n4,2,6.5\n5,-1.1,7\n`);
      const result = await ingestor.ingest(path, { fileId: 5 });
      expect(result.rowsLoaded).toBe(5);
      expect(result.rowsRejected).toBe(0);
      expect((await db.describeTable('fx'))?.columns.map((c) => c.type)).toEqual([
        { kind: 'bigint' },
        { kind: 'decimal', precision: 38, scale: 6 },
        { kind: 'decimal', precision: 38, scale: 1 },
      ]);
      expect(await readAll(db, 'fx')).toEqual([
        [1n, '1.25', '3'],
        [2n, '0.5', '4'],
        [12345678901n, '0.123456', '5'],
        [4n, '2', '6.5'],
        [5n, '-1.1', '7'],
      ]);
      expect(result.format.columns.map((c) => c.type.kind)).toEqual(['integer', 'decimal', 'decimal']);
      expect(result.format.warnings.join('\n')).toMatch(
        /column rate widened from decimal\(38,2\) to decimal\(38,6\) at line 4/,
      );
      // Integer columns typed from a sample are 64-bit from the start (detection widens them).
      expect(result.format.warnings.join('\n')).toMatch(/column qty widened from bigint to decimal\(38,1\) at line 5/);
      expect(result.format.warnings.join('\n')).not.toMatch(/column id/);
      const stage = (await db.listAudit(5)).find((a) => a.step === 'stage');
      expect(stage?.details).toMatchObject({
        widened: [
          { column: 'rate', from: 'decimal(38,2)', to: 'decimal(38,6)', line: 4 },
          { column: 'qty', from: 'bigint', to: 'decimal(38,1)', line: 5 },
        ],
      });
    });

    it('keeps rejecting what no number type holds, and never widens a live table or a declared type', async () => {
      const { db, ingestor, dir } = await setup({ typeSampleRows: 2 });
      const bad = await csv(dir, 'bad.csv', `${ids}3,n/a,5\n`);
      await expect(ingestor.ingest(bad)).rejects.toMatchObject({
        code: 'INGEST_TOO_MANY_REJECTS',
        rejects: [{ line: 4, column: 'rate', value: 'n/a' }],
      });
      await ingestor.ingest(await csv(dir, 'fx.csv', ids));
      // The live table's types are the contract of every later load into it.
      const wider = await csv(dir, 'fx.csv', `${ids}3,0.125,5\n`);
      await expect(ingestor.ingest(wider)).rejects.toMatchObject({
        code: 'INGEST_TOO_MANY_REJECTS',
        rejects: [{ line: 4, column: 'rate', value: '0.125' }],
      });
      // A declared type is the contract too.
      const declared = await csv(dir, 'declared.csv', `${ids}3,0.125,5\n`);
      await expect(
        ingestor.ingest(declared, {
          format: {
            columnTypes: {
              rate: { kind: 'decimal', precision: 10, scale: 2, decimalSeparator: '.', groupSeparator: '' },
            },
          },
        }),
      ).rejects.toMatchObject({ code: 'INGEST_TOO_MANY_REJECTS', rejects: [{ line: 4, column: 'rate' }] });
      expect(await db.describeTable('declared')).toBeUndefined();
    });
  });

  it("takes the mode and keys from the dataset's configuration", async () => {
    const { db, ingestor, dir } = await setup();
    await db.setDataset({ table: 'rates', mode: 'upsert', keyColumns: ['code'], typeOverrides: {} });
    await ingestor.ingest(await csv(dir, 'rates.csv', 'code,rate\nEUR,1.10\nUSD,1.00\n'));
    const result = await ingestor.ingest(await csv(dir, 'rates.csv', 'code,rate\nUSD,1.02\n'));
    expect(result).toMatchObject({ mode: 'upsert', changes: { added: 0, changed: 1, removed: 0 } });
    expect(await readAll(db, 'rates')).toEqual([
      ['EUR', '1.1'],
      ['USD', '1.02'],
    ]);
  });

  describe('schema drift', () => {
    const live = 'code,name\nA,alpha\nB,beta\n';
    const drifted = 'code,name,extra\nC,gamma,x\n';

    it("fails with INGEST_SCHEMA_DRIFT under 'fail' (the default), naming the columns", async () => {
      const { db, ingestor, dir } = await setup();
      await ingestor.ingest(await csv(dir, 'd.csv', live));
      const err = ingestor.ingest(await csv(dir, 'd.csv', drifted), { mode: 'append' });
      await expect(err).rejects.toMatchObject({
        code: 'INGEST_SCHEMA_DRIFT',
        details: { added: ['extra'], missing: [] },
      });
      expect(await readAll(db, 'd')).toHaveLength(2);
    });

    it("adds the new columns under 'add'", async () => {
      const { db, ingestor, dir } = await setup();
      await ingestor.ingest(await csv(dir, 'd.csv', live));
      await ingestor.ingest(await csv(dir, 'd.csv', drifted), { mode: 'append', schemaDrift: 'add' });
      expect((await db.describeTable('d'))?.columns.map((c) => c.name)).toEqual(['code', 'name', 'extra']);
      expect(await readAll(db, 'd')).toEqual([
        ['A', 'alpha', null],
        ['B', 'beta', null],
        ['C', 'gamma', 'x'],
      ]);
    });

    it("ignores the extra columns under 'ignore' and loads missing ones as NULL", async () => {
      const { db, ingestor, dir } = await setup();
      await ingestor.ingest(await csv(dir, 'd.csv', live));
      await ingestor.ingest(await csv(dir, 'd.csv', drifted), { mode: 'append', schemaDrift: 'ignore' });
      await ingestor.ingest(await csv(dir, 'd.csv', 'code\nD\n'), { mode: 'append', schemaDrift: 'ignore' });
      expect((await db.describeTable('d'))?.columns.map((c) => c.name)).toEqual(['code', 'name']);
      expect(await readAll(db, 'd')).toEqual([
        ['A', 'alpha'],
        ['B', 'beta'],
        ['C', 'gamma'],
        ['D', null],
      ]);
    });
  });

  it('round-trips exact values: 38-digit decimals (precision 38, scale 10; read in minimal form), codes, dates, times, booleans, unicode, empty versus NULL', async () => {
    const previousTz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    try {
      const { db, ingestor, dir } = await setup();
      const text =
        'code,amount,day,at,stamp,flag,label,note\n' +
        '007,1234567890123456789012345678.0123456789,2024-02-29,23:59:59.1234567,2024-12-31T23:30:00+14:00,true,Åland 🇦🇽,""\n' +
        '010,-0.0000000001,1900-01-01,00:00:00.0000000,1999-12-31T00:00:00Z,false,Côte d’Ivoire,NULL\n' +
        '000,0.10,9999-12-31,12:00:00.5000000,2000-01-01T12:00:00-05:30,true,"日本, ""quoted""",\n';
      const result = await ingestor.ingest(await csv(dir, 'exact.csv', text), { format: { nullTokens: ['NULL'] } });
      expect(result.status).toBe('loaded');
      const kinds = Object.fromEntries(result.format.columns.map((c) => [c.name, c.type.kind]));
      expect(kinds).toMatchObject({
        code: 'text',
        amount: 'decimal',
        day: 'date',
        at: 'time',
        stamp: 'datetime',
        flag: 'boolean',
        label: 'text',
      });
      expect(await readAll(db, 'exact')).toEqual([
        [
          '007',
          '1234567890123456789012345678.0123456789',
          '2024-02-29',
          '23:59:59.1234567',
          '2024-12-31T23:30:00+14:00',
          true,
          'Åland 🇦🇽',
          '',
        ],
        [
          '010',
          '-0.0000000001',
          '1900-01-01',
          '00:00:00.0000000',
          '1999-12-31T00:00:00Z',
          false,
          'Côte d’Ivoire',
          null,
        ],
        ['000', '0.1', '9999-12-31', '12:00:00.5000000', '2000-01-01T12:00:00-05:30', true, '日本, "quoted"', ''],
      ]);
    } finally {
      if (previousTz === undefined) delete process.env.TZ;
      else process.env.TZ = previousTz;
    }
  });

  it('keeps a quoted empty field as an empty string and an unquoted one as NULL: export → ingest → export is byte-identical', async () => {
    const { db, ingestor, dir } = await setup();
    // What `refdata export` writes: NULL as an empty unquoted field, '' as "", quotes only where needed.
    const text =
      'code,name,note,amount\n' + 'A,"",,1.5\n' + 'B,,"",\n' + 'C,"x, ""y""","",2.25\n' + 'D,plain,NULL text,-3\n';
    const result = await ingestor.ingest(await csv(dir, 'blanks.csv', text));
    expect(result).toMatchObject({ status: 'loaded', rowsLoaded: 4, rowsRejected: 0 });
    const rows = await readAll(db, 'blanks');
    expect(rows).toEqual([
      ['A', '', null, '1.5'],
      ['B', null, '', null],
      ['C', 'x, "y"', '', '2.25'],
      ['D', 'plain', 'NULL text', '-3'],
    ]);
    const field = (v: DbValue): string => {
      if (v === null) return '';
      const s = formatCanonical(v);
      return s === '' ? '""' : /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    };
    const names = (await db.describeTable('blanks'))?.columns.map((c) => c.name) ?? [];
    const exported = [names, ...rows].map((r) => `${r.map((v) => field(v)).join(',')}\n`).join('');
    expect(exported).toBe(text);
  });

  it('decodes UTF-16 with a BOM and Windows-1252 bytes, hashing the bytes as they are on disk', async () => {
    const { db, ingestor, dir } = await setup();
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('code,name\r\nAX,Åland\r\nCI,Côte d’Ivoire\r\n', 'utf16le'),
    ]);
    const r16 = await ingestor.ingest(await csv(dir, 'names16.csv', utf16));
    expect(r16.format.encoding.value).toBe('utf-16le');
    expect(r16.sha256).toBe(createHash('sha256').update(utf16).digest('hex'));
    expect(await readAll(db, 'names16')).toEqual([
      ['AX', 'Åland'],
      ['CI', 'Côte d’Ivoire'],
    ]);
    // 0xF4 is ô and 0x92 the right single quote in Windows-1252 (both invalid as UTF-8).
    const cp1252 = Buffer.from([
      ...Buffer.from('code;name\r\nCI;C', 'latin1'),
      0xf4,
      ...Buffer.from('te d', 'latin1'),
      0x92,
      ...Buffer.from('Ivoire\r\nFR;France\r\n', 'latin1'),
    ]);
    const r1252 = await ingestor.ingest(await csv(dir, 'names1252.csv', cp1252));
    expect(r1252.format.encoding.value).toBe('windows-1252');
    expect(r1252.bytes).toBe(cp1252.length);
    expect(await readAll(db, 'names1252')).toEqual([
      ['CI', 'Côte d’Ivoire'],
      ['FR', 'France'],
    ]);
  });

  it('reads on in Windows-1252 when a file whose first megabyte is ASCII turns out to be in it, and records where', async () => {
    const { db, ingestor, dir } = await setup();
    const rows = Array.from({ length: 60_000 }, (_, i) => `C${i},name number ${i}\n`).join('');
    const bytes = Buffer.concat([Buffer.from(`code,name\n${rows}`), Buffer.from('CX,Caf\xe9 \x80\n', 'latin1')]);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    const result = await ingestor.ingest(await csv(dir, 'late_1252.csv', bytes), { fileId: 77 });
    expect(result.rowsLoaded).toBe(60_001);
    expect(result.format.encoding.value).toBe('windows-1252');
    expect(result.format.warnings.join('\n')).toMatch(/sample was ASCII only .* from line 60002 on are not UTF-8/);
    const all = await readAll(db, 'late_1252');
    expect(all.at(-1)).toEqual(['CX', 'Café €']);
    const stage = (await db.listAudit(77)).find((a) => a.step === 'stage');
    expect(stage?.details).toMatchObject({ encoding: 'windows-1252' });
  });

  it('applies two files for the same table one after the other, in call order, even with free slots', async () => {
    const { db, ingestor, dir } = await setup({ concurrency: 4, batchSize: 50 });
    const order: string[] = [];
    ingestor.on('started', ({ file }) => order.push(`start ${basename(file)}`));
    ingestor.on('completed', (r: IngestResult) => order.push(`done ${basename(r.file)}`));
    const a = ingestor.ingest(await csv(dir, 'q_a.csv', `${HEADER}${rows(3000)}`), { table: 'q', mode: 'append' });
    const b = ingestor.ingest(await csv(dir, 'q_b.csv', `${HEADER}${rows(10, 5000)}`), { table: 'q', mode: 'append' });
    const other = ingestor.ingest(await csv(dir, 'other.csv', `${HEADER}${rows(10)}`));
    await Promise.all([a, b, other]);
    expect(order.indexOf('done q_a.csv')).toBeLessThan(order.indexOf('start q_b.csv'));
    const codes = (await readAll(db, 'q')).map((r) => Number(r[0]));
    expect(codes).toHaveLength(3010);
    expect(codes.slice(-10)).toEqual(Array.from({ length: 10 }, (_, i) => 5000 + i));
  });

  it('skips a file whose content was already archived into the same table', async () => {
    const { db, ingestor, dir } = await setup();
    const path = await csv(dir, 'units.csv', `${HEADER}${rows(3)}`);
    const first = await track(db, path, 'units.csv');
    const loaded = await ingestor.ingest(path, { fileId: first.fileId });
    await first.finish(loaded.sha256, loaded.table);
    const again = await csv(dir, 'units_20250102.csv', `${HEADER}${rows(3)}`);
    const second = await track(db, again, 'units_20250102.csv');
    const result = await ingestor.ingest(again, { fileId: second.fileId });
    expect(result).toMatchObject({ status: 'duplicate', rowsLoaded: 0, sha256: loaded.sha256 });
    expect(result.message).toContain('units.csv');
    expect((await db.listBackups('units')).length).toBe(0);
    await expect(ingestor.ingest(again, { skipDuplicates: false })).resolves.toMatchObject({ status: 'loaded' });
  });

  it('holds a replace that would remove most rows, and applies it with force', async () => {
    const { db, ingestor, dir } = await setup();
    await ingestor.ingest(await csv(dir, 'big.csv', `${HEADER}${rows(10)}`));
    const small = await csv(dir, 'big.csv', `${HEADER}${rows(2)}`);
    const held = await ingestor.ingest(small);
    expect(held).toMatchObject({ status: 'held', rowsLoaded: 0 });
    expect(held.message).toMatch(/force/);
    expect(await readAll(db, 'big')).toHaveLength(10);
    await expect(ingestor.ingest(small, { force: true })).resolves.toMatchObject({ status: 'loaded', rowsLoaded: 2 });
    expect(await readAll(db, 'big')).toHaveLength(2);
  });

  it('names the file by its sourceName (as it arrived) in the table name, messages and the backup catalogue', async () => {
    const { db, ingestor, dir } = await setup();
    const first = await ingestor.ingest(await csv(dir, '7--rates_20250101.csv', `${HEADER}${rows(3)}`), {
      sourceName: 'rates_20250101.csv',
    });
    expect(first.table).toBe('rates');
    const second = await ingestor.ingest(await csv(dir, '8--rates_20250102.csv', `${HEADER}${rows(3, 5)}`), {
      sourceName: 'rates_20250102.csv',
    });
    expect((await db.listBackups('rates')).find((b) => b.snapshot === second.snapshot)?.sourceFile).toBe(
      'rates_20250102.csv',
    );
    const bad = await ingestor
      .ingest(await csv(dir, '9--rates_20250103.csv', `${HEADER}${rows(3, 5)}000009,name 9,not a number\n`), {
        sourceName: 'rates_20250103.csv',
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(bad).toMatchObject({ code: 'INGEST_TOO_MANY_REJECTS' });
    expect((bad as Error).message).toContain('rates_20250103.csv');
    expect((bad as Error).message).not.toContain('9--');
  });

  it('reports unreadable and malformed files with codes, keeping the cause code visible', async () => {
    const { db, ingestor, dir } = await setup();
    await expect(ingestor.ingest(`${dir}/missing.csv`)).rejects.toMatchObject({
      code: 'INGEST_FILE_UNREADABLE',
      causeCode: 'ENOENT',
    });
    // UTF-8 with one byte that is not (a damaged file): refused with the line, never garbled.
    const damaged = Buffer.concat([
      Buffer.from(`${HEADER}000001,Zürich Genève,1.00\n000002,Köln Malmö,2.00\n000003,Århus Évry,3.00\n000004,bad `),
      Buffer.from([0xff]),
      Buffer.from(' byte,4.00\n'),
    ]);
    const err = await ingestor.ingest(await csv(dir, 'broken.csv', damaged)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'INGEST_FILE_MALFORMED',
      causeCode: 'DETECT_INVALID_ENCODING',
      table: 'broken',
      details: { line: 5 },
    });
    // A quote that nothing closes no longer fails the whole file: its row is a reject (it may be
    // cut short), the others load, and detection names the line.
    const stray = await ingestor.ingest(
      await csv(dir, 'stray.csv', `${HEADER}${rows(3)}000009,"never closed,1.00\n${rows(3, 10)}`),
      { maxErrors: 1 },
    );
    expect(stray).toMatchObject({ status: 'loaded', rowsLoaded: 6, rowsRejected: 1 });
    expect(stray.rejects).toEqual([
      {
        line: 5,
        raw: '000009,"never closed,1.00',
        reason:
          'a quote in this row is never closed (the row may be cut short); if quotes are data in this file, set the quote override to null',
      },
    ]);
    expect(stray.format.warnings).toContain(
      'the " on line 5 is never closed; it is read as a literal character (check that line)',
    );
    const binary = await csv(dir, 'blob.csv', new Uint8Array([0, 1, 2, 3, 0, 0, 255, 254, 0, 7]));
    await expect(ingestor.ingest(binary)).rejects.toMatchObject({
      code: 'INGEST_FORMAT_UNDETECTABLE',
      causeCode: 'DETECT_BINARY_FILE',
    });
    expect(await db.describeTable('broken')).toBeUndefined();
  });

  it('emits typed events for a load: started, progress, batch, completed', async () => {
    const { ingestor, dir } = await setup({ batchSize: 2 });
    const seen: string[] = [];
    for (const name of ['started', 'progress', 'batch', 'completed', 'failed'] as const)
      ingestor.on(name, () => seen.push(name));
    let detectMs: number | undefined;
    ingestor.on('started', (info) => {
      detectMs = info.detectMs;
    });
    await ingestor.ingest(await csv(dir, 'ev.csv', `${HEADER}${rows(5)}`));
    expect(seen[0]).toBe('started');
    // The started event says how long detection took (for a detection-latency metric).
    expect(detectMs).toBeGreaterThan(0);
    expect(seen.filter((s) => s === 'batch')).toHaveLength(3);
    expect(seen.at(-1)).toBe('completed');
    expect(seen).not.toContain('failed');
  });

  it('validates options and refuses work after close()', async () => {
    const { ingestor, dir } = await setup();
    const path = await csv(dir, 'o.csv', `${HEADER}${rows(1)}`);
    await expect(ingestor.ingest(path, { mode: 'merge' as never })).rejects.toMatchObject({
      code: 'INGEST_OPTIONS_INVALID',
    });
    await expect(ingestor.ingest(path, { maxErrors: -1 })).rejects.toMatchObject({ code: 'INGEST_OPTIONS_INVALID' });
    await expect(ingestor.ingest(path, { mode: 'upsert' })).rejects.toMatchObject({ code: 'INGEST_KEY_INVALID' });
    await expect(ingestor.ingest(path, { keyColumns: ['nope'] })).rejects.toMatchObject({ code: 'INGEST_KEY_INVALID' });
    await ingestor.close();
    await expect(ingestor.ingest(path)).rejects.toMatchObject({ code: 'INGEST_CLOSED' });
  });

  it('refuses a type override for a column the file does not have, naming it and the closest real column', async () => {
    const { db, ingestor, dir } = await setup();
    const path = await csv(dir, 'units.csv', `${HEADER}${rows(2)}`);
    const error = await ingestor.ingest(path, { format: { columnTypes: { amuont: 'integer', code: 'text' } } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({
      code: 'INGEST_OPTIONS_INVALID',
      details: { option: 'format.columnTypes', unknownColumns: [{ key: 'amuont', closest: 'amount' }] },
    });
    expect((error as Error).message).toContain(
      'format.columnTypes names a column "amuont" that units.csv does not have.',
    );
    expect((error as Error).message).toContain('Did you mean "amount"?');
    expect(await db.describeTable('units')).toBeUndefined();
    // By header text, safe name or zero-based index: all real columns; case matters as in detection.
    await expect(ingestor.detect(path, { columnTypes: { 2: 'decimal', name: 'text' } })).resolves.toBeDefined();
    await expect(ingestor.detect(path, { columnTypes: { 3: 'text' } })).rejects.toMatchObject({
      code: 'INGEST_OPTIONS_INVALID',
    });
    await expect(ingestor.detect(path, { columnTypes: { CODE: 'text' } })).rejects.toMatchObject({
      details: { unknownColumns: [{ key: 'CODE', closest: 'code' }] },
    });
  });

  it('tells the progress now from the reader position between progress events', async () => {
    const { ingestor, dir } = await setup({ batchSize: 500, progressIntervalSeconds: 3600 });
    const path = await csv(dir, 'units.csv', `${HEADER}${rows(60_000)}`);
    const job = ingestor.ingest(path);
    const seen = new Set<number>();
    const poll = setInterval(() => {
      const p = job.progress();
      if (p !== undefined && !p.done) seen.add(p.bytesRead);
    }, 2);
    const events: IngestProgress[] = [];
    for await (const p of job) events.push(p);
    clearInterval(poll);
    const result = await job;
    // One event at the start and one at the end (the interval is an hour)…
    expect(events.map((e) => e.done)).toEqual([false, true]);
    // …while progress() moved with the reader, and ends at the final event.
    expect(seen.size).toBeGreaterThan(3);
    expect(Math.max(...seen)).toBeLessThanOrEqual(result.bytes);
    expect(job.progress()).toMatchObject({ done: true, bytesRead: result.bytes, rowsRead: 60_000 });
  });

  it('detects a format with overrides through the facade', async () => {
    const { ingestor, dir } = await setup();
    const format = await ingestor.detect(await csv(dir, 'semi.csv', 'code;name\n008;lek\n'), { delimiter: ';' });
    expect(format.delimiter).toMatchObject({ value: ';', overridden: true });
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'name']);
  });
});
