import type { DbValue } from '@refdata/db';
import { createValueParser } from '@refdata/detect';
import { describe, expect, it } from 'vitest';
import type { ConversionPlan } from './column-plan.js';
import { PackedRowsWriter, unpackRows } from './packed-rows.js';
import { NUL_REASON, RowConverter } from './row-converter.js';

/** The values of every row packed so far, flattened. */
const valuesOf = (out: PackedRowsWriter): DbValue[] => unpackRows(out.take()).flatMap((r) => [...r.values]);

const record = (line: number, fields: string[]) => ({ line, fields, raw: fields.join(',') });

describe('RowConverter', () => {
  it('converts text exactly as createValueParser does, null tokens included', () => {
    const nullTokens = ['', 'NULL', 'N/A'];
    const plan: ConversionPlan = {
      fieldCount: 1,
      nullTokens,
      columns: [{ name: 't', source: 0, type: { kind: 'text', maxLength: 5 }, nullable: true }],
    };
    const converter = new RowConverter(plan);
    const parse = createValueParser({ kind: 'text', maxLength: 5 }, nullTokens);
    for (const cell of ['', 'NULL', 'N/A', 'null', ' x ', 'Åland 🇦🇽', '""', '0']) {
      const out = new PackedRowsWriter(1, 4);
      expect(converter.convert(record(2, [cell]), out)).toBeUndefined();
      expect(valuesOf(out)).toEqual([(parse(cell) as { value: DbValue }).value]);
    }
  });

  it('keeps a quoted empty field as an empty string in a text column; an unquoted one and a typed column give NULL', () => {
    const plan: ConversionPlan = {
      fieldCount: 2,
      nullTokens: ['', 'NULL'],
      columns: [
        { name: 't', source: 0, type: { kind: 'text', maxLength: 5 }, nullable: true },
        { name: 'n', source: 1, type: { kind: 'integer', size: 'int' }, nullable: true },
      ],
    };
    const converter = new RowConverter(plan);
    const out = new PackedRowsWriter(2, 4);
    expect(converter.convert({ ...record(2, ['', '']), quotedEmpty: [0, 1] }, out)).toBeUndefined();
    expect(converter.convert(record(3, ['', '']), out)).toBeUndefined();
    expect(converter.convert({ ...record(4, ['', '7']), quotedEmpty: [1] }, out)).toBeUndefined();
    expect(valuesOf(out)).toEqual(['', null, null, null, null, 7]);
  });

  it('rejects a text value holding a NUL character, naming its column, and keeps the rows around it', () => {
    const plan: ConversionPlan = {
      fieldCount: 2,
      nullTokens: [''],
      columns: [
        { name: 'code', source: 0, type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'name', source: 1, type: { kind: 'text', maxLength: 20 }, nullable: true },
      ],
    };
    const converter = new RowConverter(plan);
    const out = new PackedRowsWriter(2, 4);
    expect(converter.convert(record(2, ['A', 'Alpha']), out)).toBeUndefined();
    expect(converter.convert(record(3, ['B', 'bad\u0000value']), out)).toMatchObject({
      line: 3,
      column: 'name',
      value: 'bad\u0000value',
      reason: NUL_REASON,
    });
    expect(converter.convert(record(4, ['C', 'Gamma']), out)).toBeUndefined();
    expect(valuesOf(out)).toEqual(['A', 'Alpha', 'C', 'Gamma']);
  });

  it('maps columns by source, fills missing ones with NULL and rejects with the first failing column', () => {
    const plan: ConversionPlan = {
      fieldCount: 2,
      nullTokens: [''],
      columns: [
        { name: 'n', source: 1, type: { kind: 'integer', size: 'int' }, nullable: false },
        { name: 'gone', source: -1, type: { kind: 'text', maxLength: 0 }, nullable: true },
        { name: 'code', source: 0, type: { kind: 'text', maxLength: 3 }, nullable: true, maxLength: 3 },
      ],
    };
    const converter = new RowConverter(plan);
    const out = new PackedRowsWriter(3, 8);
    expect(converter.convert(record(2, ['abc', '42']), out)).toBeUndefined();
    expect(converter.convert(record(3, ['abc', 'x']), out)).toMatchObject({
      line: 3,
      raw: 'abc,x',
      column: 'n',
      value: 'x',
    });
    expect(converter.convert(record(4, ['abc', '']), out)).toMatchObject({
      column: 'n',
      reason: expect.stringContaining('must have one'),
    });
    expect(converter.convert(record(5, ['abcd', '1']), out)).toMatchObject({
      column: 'code',
      reason: expect.stringContaining('longer'),
    });
    expect(converter.convert(record(6, ['abc']), out)).toEqual({
      line: 6,
      raw: 'abc',
      reason: 'expected 2 fields, found 1',
    });
    expect(out.rows).toBe(1);
    expect(unpackRows(out.take())).toEqual([{ line: 2, values: [42, null, 'abc'] }]);
  });
});
