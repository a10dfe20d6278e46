// Identifier rules, quoting, and the table a file names.
import { describe, expect, it } from 'vitest';
import {
  assertColumnNames,
  identifierProblem,
  MAX_TABLE_NAME_LENGTH,
  quoteMssqlIdentifier,
  quoteSqliteIdentifier,
  tableNameFromFileName,
} from './identifiers.js';

describe('identifiers', () => {
  it('quotes for each dialect by doubling the closing quote', () => {
    expect(quoteSqliteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteMssqlIdentifier('a]b[c')).toBe('"a]b[c"');
    expect(quoteMssqlIdentifier('x"y]')).toBe('"x""y]"');
    expect(quoteMssqlIdentifier('x"y[')).toBe('[x"y[]');
  });

  it('names what is wrong with an unusable identifier', () => {
    expect(identifierProblem('price; DROP TABLE x')).toBeUndefined();
    expect(identifierProblem('')).toBe('is empty');
    expect(identifierProblem('x'.repeat(129))).toMatch(/129 characters/);
    expect(identifierProblem('x'.repeat(97), 'table')).toMatch(/at most 96/);
    expect(identifierProblem('a\u0000b')).toBe('contains a control character');
    expect(identifierProblem('a\ud800')).toBe('contains an unpaired UTF-16 surrogate');
    expect(identifierProblem('😀')).toBeUndefined();
    expect(identifierProblem('a ')).toBe('has leading or trailing whitespace');
  });

  it('rejects column sets with names equal but for case, reserved names, or no names', () => {
    expect(() => assertColumnNames(['Code', 'code'])).toThrow(
      expect.objectContaining({ code: 'DB_IDENTIFIER_INVALID' }),
    );
    expect(() => assertColumnNames(['__REFDATA_LINE'])).toThrow(
      expect.objectContaining({ code: 'DB_IDENTIFIER_INVALID' }),
    );
    expect(() => assertColumnNames([])).toThrow(expect.objectContaining({ code: 'DB_IDENTIFIER_INVALID' }));
    expect(() => assertColumnNames(['a', 'b'])).not.toThrow();
  });

  describe('tableNameFromFileName', () => {
    it('uses the lower-cased stem of the file name, from a bare name or a path', () => {
      expect(tableNameFromFileName('currencies.csv')).toBe('currencies');
      expect(tableNameFromFileName('Countries.CSV')).toBe('countries');
      expect(tableNameFromFileName('/drop/incoming/units.txt')).toBe('units');
      expect(tableNameFromFileName('rates_2025.csv')).toBe('rates_2025');
    });

    it('drops a trailing date stamp in each accepted form', () => {
      for (const name of [
        'currencies_20250101.csv',
        'currencies-20250101.csv',
        'currencies_2025-01-01.csv',
        '/drop/incoming/Currencies-2025-01-01.CSV',
      ]) {
        expect(tableNameFromFileName(name)).toBe('currencies');
      }
    });

    it('keeps digits that are not a calendar date', () => {
      expect(tableNameFromFileName('codes_12345678.csv')).toBe('codes_12345678');
      expect(tableNameFromFileName('codes_2025-02-30.csv')).toBe('codes_2025_02_30');
      expect(tableNameFromFileName('codes_2024-02-29.csv')).toBe('codes');
    });

    it('turns other characters into single underscores and keeps letters of any script', () => {
      expect(tableNameFromFileName('units of measure (v2).csv')).toBe('units_of_measure_v2');
      expect(tableNameFromFileName('pays-Côte.csv')).toBe('pays_côte');
      expect(tableNameFromFileName('a.b.c.csv')).toBe('a_b_c');
    });

    it('never starts with a digit and stays within the table name limit, so the name is always a valid table', () => {
      expect(tableNameFromFileName('2025_rates.csv')).toBe('t_2025_rates');
      const long = tableNameFromFileName(`${'x'.repeat(200)}.csv`);
      expect(long).toHaveLength(MAX_TABLE_NAME_LENGTH);
      for (const name of ['2025_rates.csv', `${'é'.repeat(300)}.csv`, 'a;DROP TABLE x.csv', ' spaced .csv'])
        expect(identifierProblem(tableNameFromFileName(name) as string, 'table')).toBeUndefined();
    });

    it('is undefined when no letter or digit is left', () => {
      expect(tableNameFromFileName('---.csv')).toBeUndefined();
    });
  });
});
