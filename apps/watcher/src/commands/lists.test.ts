import { describe, expect, it } from 'vitest';
import { columnSummary } from './lists.js';

describe('columnSummary', () => {
  it('lists every column of a narrow table', () => {
    expect(columnSummary(['code', 'name', 'minor_unit'])).toBe('code, name, minor_unit');
  });

  it('cuts a wide table after the columns that fit and says how many there are', () => {
    const names = Array.from({ length: 56 }, (_, i) => `column_${i + 1}`);
    const text = columnSummary(names, 40);
    expect(text).toBe('column_1, column_2, column_3, column_4, … (56 columns)');
  });

  it('always shows the first column, however long', () => {
    expect(columnSummary(['x'.repeat(100), 'y'], 10)).toBe(`${'x'.repeat(100)}, … (2 columns)`);
  });
});
