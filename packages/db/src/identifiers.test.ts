import { describe, expect, it } from 'vitest';
import {
  assertColumnNames,
  identifierProblem,
  quoteMssqlIdentifier,
  quoteSqliteIdentifier,
  tableNameFromFileName,
} from './identifiers.js';

describe('identifiers', () => {
  it('quotes for each dialect by doubling the closing quote', () => {
    expect(quoteSqliteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteMssqlIdentifier('a]b[c')).toBe('[a]]b[c]');
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

  it('derives the table name from the file name', () => {
    expect(tableNameFromFileName('currencies.csv')).toBe('currencies');
    expect(tableNameFromFileName('/drop/incoming/Currencies_20250101.csv')).toBe('currencies');
    expect(tableNameFromFileName('units-2025-01-31.CSV')).toBe('units');
    expect(tableNameFromFileName('rates_2025.csv')).toBe('rates_2025');
  });
});
