import { createHash } from 'node:crypto';
import { detectFormat, readRecordChunks } from '@refdata/detect';
import { describe, expect, it } from 'vitest';
import { csv, setup } from '../test/helpers.js';
import { FileChunks, readBatches } from './batch-reader.js';
import type { ConversionPlan } from './column-plan.js';
import { type PackedRows, unpackRows } from './packed-rows.js';

const intColumn = { kind: 'integer', size: 'int' } as const;

async function drain(gen: ReturnType<typeof readBatches>) {
  const batches = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { batches, end: r.value };
    batches.push(r.value);
  }
}

describe('readBatches', () => {
  it('hashes and counts every byte, footer included, and batches good rows by batchSize', async () => {
    const { dir } = await setup();
    const text = `n\n${Array.from({ length: 25 }, (_, i) => String(i)).join('\n')}\n`;
    const path = await csv(dir, 'n.csv', text);
    const format = await detectFormat(path);
    const plan: ConversionPlan = {
      fieldCount: 1,
      nullTokens: [''],
      columns: [{ name: 'n', source: 0, type: intColumn, nullable: true }],
    };
    const { batches, end } = await drain(readBatches({ path, format, plan, batchSize: 10, chunkBytes: 7 }));
    expect(batches.map((b) => b.rows.rows)).toEqual([10, 10, 5]);
    expect(unpackRows(batches[2]?.rows as PackedRows).map((r) => r.values[0])).toEqual([20, 21, 22, 23, 24]);
    expect(Array.from(batches[0]?.rows.lines ?? [])).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(end).toEqual({
      sha256: createHash('sha256').update(text).digest('hex'),
      bytes: Buffer.byteLength(text),
      rowsRead: 25,
    });
  });

  it('flushes bad rows by batchSize too, so a file of bad rows does not pile up', async () => {
    const { dir } = await setup();
    const path = await csv(dir, 'bad.csv', `n\n${Array.from({ length: 25 }, (_, i) => `x${i}`).join('\n')}\n`);
    const format = await detectFormat(path);
    const plan: ConversionPlan = {
      fieldCount: 1,
      nullTokens: [''],
      columns: [{ name: 'n', source: 0, type: intColumn, nullable: true }],
    };
    const { batches } = await drain(readBatches({ path, format, plan, batchSize: 10 }));
    expect(batches.map((b) => [b.rows.rows, b.rejects.length])).toEqual([
      [0, 10],
      [0, 10],
      [0, 5],
    ]);
    expect(batches[0]?.rejects[0]).toMatchObject({ line: 2, raw: 'x0', column: 'n', value: 'x0' });
  });

  it('widens a widenable column at the first number that needs it, in a batch of its own, and rejects text', async () => {
    const { dir } = await setup();
    // Lines 2–4 fit 32 bits; line 5 needs 64; line 6 needs a decimal; line 8 is no number.
    const path = await csv(dir, 'w.csv', 'n,t\n1,a\n2,b\n3,c\n12345678901,d\n2.25,e\n4,f\nn/a,g\n5,h\n');
    const format = await detectFormat(path);
    const plan: ConversionPlan = {
      fieldCount: 2,
      nullTokens: [''],
      columns: [
        { name: 'n', source: 0, type: intColumn, nullable: true, widenable: true },
        { name: 't', source: 1, type: { kind: 'text', maxLength: 100 }, nullable: true },
      ],
    };
    const { batches, end } = await drain(readBatches({ path, format, plan, batchSize: 100 }));
    expect(batches.map((b) => [b.rows.rows, b.rejects.length, b.rowsRead])).toEqual([
      [3, 0, 3],
      [1, 0, 4],
      [3, 1, 8],
    ]);
    expect(batches[0]?.widened).toBeUndefined();
    expect(batches[1]?.widened).toEqual([
      { kind: 'widen', index: 0, type: { kind: 'integer', size: 'bigint' }, line: 5, value: '12345678901' },
    ]);
    expect(batches[2]?.widened).toEqual([
      {
        kind: 'widen',
        index: 0,
        type: { kind: 'decimal', precision: 38, scale: 2, decimalSeparator: '.', groupSeparator: '' },
        line: 6,
        value: '2.25',
      },
    ]);
    expect(unpackRows(batches[1]?.rows as PackedRows).map((r) => r.values[0])).toEqual([12345678901]); // safe-range bigints cross as numbers
    expect(unpackRows(batches[2]?.rows as PackedRows).map((r) => r.values[0])).toEqual(['2.25', '4', '5']);
    expect(batches[2]?.rejects[0]).toMatchObject({ line: 8, column: 'n', value: 'n/a' });
    expect(end.rowsRead).toBe(8);
  });

  it('never widens a column whose type is fixed (a live table or a declared type)', async () => {
    const { dir } = await setup();
    const path = await csv(dir, 'f.csv', 'n\n1\n12345678901\n2.5\n');
    const format = await detectFormat(path);
    const plan: ConversionPlan = {
      fieldCount: 1,
      nullTokens: [''],
      columns: [{ name: 'n', source: 0, type: intColumn, nullable: true }],
    };
    const { batches } = await drain(readBatches({ path, format, plan, batchSize: 100 }));
    expect(batches.map((b) => [b.rows.rows, b.rejects.length, b.widened])).toEqual([[1, 2, undefined]]);
  });

  it('stops between batches when the signal aborts', async () => {
    const { dir } = await setup();
    const path = await csv(dir, 'n.csv', `n\n${Array.from({ length: 100 }, (_, i) => String(i)).join('\n')}\n`);
    const format = await detectFormat(path);
    const plan: ConversionPlan = {
      fieldCount: 1,
      nullTokens: [''],
      columns: [{ name: 'n', source: 0, type: intColumn, nullable: true }],
    };
    const controller = new AbortController();
    const gen = readBatches({ path, format, plan, batchSize: 10 }, controller.signal);
    await gen.next();
    controller.abort(new Error('stop'));
    await expect(gen.next()).rejects.toThrow('stop');
  });
});

describe('FileChunks', () => {
  it('reads a file in chunks of at most chunkBytes into one reused buffer, then reports its end', async () => {
    const { dir } = await setup();
    const path = await csv(dir, 'c.txt', 'abcdefghij');
    const chunks = new FileChunks(path, 4);
    const seen: string[] = [];
    let buffer: ArrayBufferLike | undefined;
    for (let c = chunks.next(); c !== undefined; c = chunks.next()) {
      seen.push(c.toString('latin1'));
      if (buffer !== undefined) expect(c.buffer).toBe(buffer);
      buffer = c.buffer;
    }
    expect(seen).toEqual(['abcd', 'efgh', 'ij']);
    expect(chunks.next()).toBeUndefined();
    chunks.close();
    chunks.close();
    expect(chunks.next()).toBeUndefined();
  });

  it('keeps multi-byte characters split across its reused buffer intact through the decoder', async () => {
    const { dir } = await setup();
    const names = ['Zürich', 'São Paulo', 'Kraków', '東京', 'Åland'];
    const path = await csv(dir, 'u.csv', `name\n${names.join('\n')}\n`);
    const format = await detectFormat(path);
    // 3-byte chunks split every non-ASCII character at some point, and each overwrites the last.
    const chunks = new FileChunks(path, 3);
    const source = {
      async *[Symbol.asyncIterator]() {
        for (let c = chunks.next(); c !== undefined; c = chunks.next()) yield c;
      },
    };
    const seen: string[] = [];
    for await (const records of readRecordChunks(source, format)) for (const r of records) seen.push(...r.fields);
    chunks.close();
    expect(seen).toEqual(names);
  });
});
