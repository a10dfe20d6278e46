import type { DbValue } from '@refdata/db';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackedRowsWriter, transferablesOf, unpackFlat, unpackRows } from './packed-rows.js';

const cell = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.constant(-0),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\u0000', '\ud800', '\udc00', 'é', '漢', '😀'), maxLength: 6 }),
);

describe('PackedRowsWriter / unpackRows', () => {
  it('round-trips every value exactly across a transfer, dropped rows leaving nothing behind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((width) =>
          fc.tuple(
            fc.constant(width),
            fc.array(fc.tuple(fc.array(cell, { minLength: width, maxLength: width }), fc.boolean()), {
              maxLength: 20,
            }),
          ),
        ),
        ([width, rows]) => {
          const writer = new PackedRowsWriter(width, 20);
          const kept: { line: number; values: DbValue[] }[] = [];
          // A bigint within Number's safe range crosses as that number (the same value to the database).
          const crossed = (v: DbValue): DbValue =>
            typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
              ? Number(v)
              : v;
          rows.forEach(([values, drop], i) => {
            writer.beginRow();
            for (const v of values) writer.push(v);
            if (drop) writer.dropRow();
            else {
              writer.endRow(i + 2);
              kept.push({ line: i + 2, values: values.map(crossed) });
            }
          });
          const packed = writer.take();
          const moved = structuredClone(packed, { transfer: transferablesOf(packed) });
          const back = unpackRows(moved);
          expect(back).toHaveLength(kept.length);
          // The flat form holds the same values and lines, row after row.
          const flat = unpackFlat(moved);
          expect(Array.from(flat.lines)).toEqual(kept.map((k) => k.line));
          expect(flat.values).toHaveLength(kept.length * width);
          flat.values.forEach((v, i) => {
            expect(Object.is(v, kept[Math.floor(i / width)]?.values[i % width])).toBe(true);
          });
          back.forEach((row, r) => {
            expect(row.line).toBe(kept[r]?.line);
            row.values.forEach((v, c) => {
              expect(Object.is(v, kept[r]?.values[c])).toBe(true);
            });
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('starts over with fresh buffers after take(), so a transferred batch is never reused', () => {
    const writer = new PackedRowsWriter(2, 2);
    writer.beginRow();
    writer.push('a');
    writer.push(1n);
    writer.endRow(2);
    expect(writer.full).toBe(false);
    const first = writer.take();
    structuredClone(first, { transfer: transferablesOf(first) });
    writer.beginRow();
    writer.push(null);
    writer.push(2n);
    writer.endRow(3);
    expect(unpackRows(writer.take())).toEqual([{ line: 3, values: [null, 2] }]);
  });
});
