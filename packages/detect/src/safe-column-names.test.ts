import { describe, expect, it } from 'vitest';
import { cleanColumnName, safeColumnNames } from './safe-column-names.js';

describe('safeColumnNames', () => {
  it('makes duplicate names unique case-insensitively and names empty ones col_N', () => {
    expect(safeColumnNames(['code', 'Code', '', 'name', 'NAME', 'code_2'])).toEqual([
      'code',
      'Code_3',
      'col_3',
      'name',
      'NAME_2',
      'code_2',
    ]);
  });

  it('trims, normalises to NFC and removes control characters', () => {
    expect(cleanColumnName('  Unit\tprice\n(EUR) ')).toBe('Unit price (EUR)');
    expect(cleanColumnName('Co\u0302te')).toBe('Côte');
    expect(cleanColumnName('\ufeffid')).toBe('id');
    expect(cleanColumnName('a\u0000b')).toBe('a b');
  });

  it('cuts names to 128 characters, keeping room for the suffix', () => {
    const long = 'x'.repeat(300);
    const [a, b] = safeColumnNames([long, long]);
    expect(a).toHaveLength(128);
    expect(b).toHaveLength(128);
    expect(b?.endsWith('_2')).toBe(true);
  });

  it('never splits a surrogate pair when cutting', () => {
    const name = `${'a'.repeat(127)}😀`;
    const cleaned = cleanColumnName(name);
    expect(cleaned).toBe('a'.repeat(127));
  });

  it('keeps the name the database layer reserves for itself away', () => {
    expect(safeColumnNames(['__refdata_line'])).toEqual(['__refdata_line_2']);
  });
});
