// Canonical value checks, type formatting and CSV rendering.
import { describe, expect, it } from 'vitest';
import type { ColumnDef, DbType } from './types.js';
import { assertDbType, decimalProblem, renderCsvLine, snapshotStamp, toJson, valueChecker } from './values.js';

const col = (type: DbType, nullable = true): ColumnDef => ({ name: 'c', type, nullable });

describe('valueChecker', () => {
  it('accepts canonical values that fit', () => {
    expect(
      valueChecker(col({ kind: 'decimal', precision: 38, scale: 0 }))('-99999999999999999999999999999999999999', 2),
    ).toBeUndefined();
    expect(valueChecker(col({ kind: 'decimal', precision: 5, scale: 2 }))('1.500', 2)).toBeUndefined();
    expect(valueChecker(col({ kind: 'date' }))('2000-02-29', 2)).toBeUndefined();
    expect(valueChecker(col({ kind: 'time', fractionDigits: 3 }))('23:59:59.999', 2)).toBeUndefined();
    expect(
      valueChecker(col({ kind: 'datetime', offset: true, fractionDigits: 0 }))('2024-01-01T00:00:00-14:00', 2),
    ).toBeUndefined();
    expect(valueChecker(col({ kind: 'bigint' }))(9223372036854775807n, 2)).toBeUndefined();
    expect(valueChecker(col({ kind: 'text', maxLength: 2 }))('😀', 2)).toBeUndefined();
    expect(valueChecker(col({ kind: 'uuid' }))(null, 2)).toBeUndefined();
  });

  it('returns a reason for values that do not fit the column', () => {
    expect(valueChecker(col({ kind: 'decimal', precision: 5, scale: 2 }))('1.005', 2)).toMatch(/3 decimal places/);
    expect(decimalProblem('1000', 5, 2)).toMatch(/4 digits before the point/);
    expect(valueChecker(col({ kind: 'date' }))('1900-02-29', 2)).toMatch(/does not exist/);
    expect(valueChecker(col({ kind: 'date' }))('2024-13-01', 2)).toMatch(/month 13/);
    expect(valueChecker(col({ kind: 'time', fractionDigits: 3 }))('23:59:59.9999', 2)).toMatch(/4 fraction digits/);
    expect(valueChecker(col({ kind: 'time', fractionDigits: 3 }))('24:00:00', 2)).toMatch(/not a time of day/);
    expect(
      valueChecker(col({ kind: 'datetime', offset: true, fractionDigits: 0 }))('2024-01-01T00:00:00+15:00', 2),
    ).toMatch(/outside ±14:00/);
    expect(valueChecker(col({ kind: 'int' }))(2147483648, 2)).toMatch(/32-bit/);
    expect(valueChecker(col({ kind: 'bigint' }))(9223372036854775808n, 2)).toMatch(/64-bit/);
    expect(valueChecker(col({ kind: 'text', maxLength: 1 }))('😀', 2)).toMatch(/2 characters long/);
    expect(valueChecker(col({ kind: 'text' }, false))(null, 2)).toMatch(/NOT NULL/);
  });

  it('throws DB_VALUE_INVALID for values not in canonical form', () => {
    const bad: [DbType, unknown][] = [
      [{ kind: 'decimal', precision: 5, scale: 2 }, 1.5],
      [{ kind: 'decimal', precision: 5, scale: 2 }, '1e3'],
      [{ kind: 'decimal', precision: 5, scale: 2 }, '1,5'],
      [{ kind: 'date' }, '01/02/2024'],
      [{ kind: 'int' }, 1.5],
      [{ kind: 'int' }, '1'],
      [{ kind: 'bigint' }, 2 ** 60],
      [{ kind: 'boolean' }, 1],
      [{ kind: 'text' }, 5],
      [{ kind: 'uuid' }, 'not-a-uuid'],
    ];
    for (const [type, value] of bad) {
      expect(() => valueChecker(col(type))(value as never, 7), `${type.kind} ${String(value)}`).toThrow(
        expect.objectContaining({ code: 'DB_VALUE_INVALID', message: expect.stringContaining('Line 7') }),
      );
    }
  });
});

describe('value helpers', () => {
  it('validates logical type parameters', () => {
    expect(() => assertDbType({ kind: 'decimal', precision: 39, scale: 0 }, 'x')).toThrow(
      expect.objectContaining({ code: 'DB_OPTION_INVALID' }),
    );
    expect(() => assertDbType({ kind: 'time', fractionDigits: 8 }, 'x')).toThrow(
      expect.objectContaining({ code: 'DB_OPTION_INVALID' }),
    );
    expect(() => assertDbType({ kind: 'text', maxLength: 0 }, 'x')).toThrow(
      expect.objectContaining({ code: 'DB_OPTION_INVALID' }),
    );
    expect(() => assertDbType({ kind: 'decimal', precision: 38, scale: 38 }, 'x')).not.toThrow();
  });

  it('renders CSV lines, JSON with bigints and snapshot stamps', () => {
    expect(renderCsvLine(['a,b', null, 1n, '', 'say "hi"', true])).toBe('"a,b",,1,"","say ""hi""",true');
    expect(toJson({ n: 12345678901234567890n })).toBe('{"n":"12345678901234567890"}');
    expect(snapshotStamp(new Date('2025-01-01T12:00:00.123Z'))).toBe('20250101T120000123Z');
  });
});
