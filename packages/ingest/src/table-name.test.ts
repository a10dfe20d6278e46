import { describe, expect, it } from 'vitest';
import { tableNameFromFile } from './table-name.js';

describe('tableNameFromFile', () => {
  it('uses the lower-cased stem of the file name', () => {
    expect(tableNameFromFile('currencies.csv')).toBe('currencies');
    expect(tableNameFromFile('Countries.CSV')).toBe('countries');
    expect(tableNameFromFile('/drop/incoming/units.txt')).toBe('units');
  });

  it('drops a trailing date stamp in each accepted form', () => {
    for (const name of [
      'currencies_20250101.csv',
      'currencies-20250101.csv',
      'currencies_2025-01-01.csv',
      'currencies-2025-01-01.csv',
    ]) {
      expect(tableNameFromFile(name)).toBe('currencies');
    }
  });

  it('keeps digits that are not a calendar date', () => {
    expect(tableNameFromFile('codes_12345678.csv')).toBe('codes_12345678');
    expect(tableNameFromFile('codes_2025-02-30.csv')).toBe('codes_2025_02_30');
    expect(tableNameFromFile('codes_2024-02-29.csv')).toBe('codes');
  });

  it('turns other characters into single underscores and keeps letters of any script', () => {
    expect(tableNameFromFile('units of measure (v2).csv')).toBe('units_of_measure_v2');
    expect(tableNameFromFile('pays-Côte.csv')).toBe('pays_côte');
    expect(tableNameFromFile('a.b.c.csv')).toBe('a_b_c');
  });

  it('never starts with a digit and stays within 96 characters', () => {
    expect(tableNameFromFile('2025_rates.csv')).toBe('t_2025_rates');
    expect(tableNameFromFile(`${'x'.repeat(200)}.csv`)).toHaveLength(96);
  });

  it('throws INGEST_OPTIONS_INVALID when nothing usable is left', () => {
    expect(() => tableNameFromFile('---.csv')).toThrow(expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID' }));
  });
});
