import { describe, expect, it } from 'vitest';
import { tableNameFromFile } from './table-name.js';

// The naming rule itself is @refdata/db's (tableNameFromFileName, tested there).
describe('tableNameFromFile', () => {
  it('names the table as @refdata/db does', () => {
    expect(tableNameFromFile('/drop/incoming/Currencies_2025-01-31.csv')).toBe('currencies');
    expect(tableNameFromFile('units of measure (v2).csv')).toBe('units_of_measure_v2');
    expect(tableNameFromFile(`${'x'.repeat(200)}.csv`)).toHaveLength(96);
  });

  it('throws INGEST_OPTIONS_INVALID, naming the file, when nothing usable is left', () => {
    expect(() => tableNameFromFile('/drop/---.csv')).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID', message: expect.stringContaining('"---.csv"') }),
    );
  });
});
