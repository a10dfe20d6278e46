import { describe, expect, it } from 'vitest';
import { SegmentCopy } from './segment-copy.js';

describe('SegmentCopy', () => {
  it('gives back every kind of staged value exactly, row after row, across appends', () => {
    const copy = new SegmentCopy();
    const first = [
      [2, 'Zürich € 漢字 😀', null, 5n, true, false, 1.5, -0, ''],
      [3, '\ud800 lone', 'x'.repeat(70_000), -(2n ** 63n), 2n ** 63n - 1n, 2n ** 70n, -(2n ** 64n), 0, 'end'],
    ];
    const second = [[4, null, null, null, null, null, null, null, null], [5]];
    copy.append(first);
    copy.append(second);
    expect(copy.rows).toBe(4);
    const back = copy.toRows();
    expect(back).toEqual([...first, ...second]);
    expect(Object.is(back[0]?.[7], -0)).toBe(true);
    expect(copy.bytes).toBeGreaterThan(140_000);
  });

  it('is empty after reset and reuses its buffers for the next segment', () => {
    const copy = new SegmentCopy();
    const batch = Array.from({ length: 990 }, (_v, i) => [i + 2, `C${i}`, `Name, number ${i}`, BigInt(i), i % 2 === 0]);
    for (let i = 0; i < 10; i++) copy.append(batch);
    const capacity = copy.capacity;
    const bytes = copy.bytes;
    copy.reset();
    expect(copy.rows).toBe(0);
    expect(copy.bytes).toBe(0);
    expect(copy.toRows()).toEqual([]);
    for (let i = 0; i < 10; i++) copy.append(batch);
    expect(copy.capacity).toBe(capacity);
    expect(copy.bytes).toBe(bytes);
    expect(copy.toRows().slice(-1)).toEqual([batch.at(-1)]);
  });

  it('refuses a value it cannot copy', () => {
    expect(() => new SegmentCopy().append([[1, { a: 1 }]])).toThrow(/cannot copy a value of type object/);
  });
});
