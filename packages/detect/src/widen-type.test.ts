import { describe, expect, it } from 'vitest';
import type { ColumnType } from './types.js';
import { widenedType } from './widen-type.js';

const int: ColumnType = { kind: 'integer', size: 'int' };
const bigint: ColumnType = { kind: 'integer', size: 'bigint' };
const dec = (scale: number, decimalSeparator: '.' | ',' = '.', groupSeparator: '' | ',' | '.' = ''): ColumnType => ({
  kind: 'decimal',
  precision: 38,
  scale,
  decimalSeparator,
  groupSeparator,
});

describe('widenedType', () => {
  it('widens a 32-bit column to 64 bits for an integer past 2^31, and to a decimal past 2^63', () => {
    expect(widenedType(int, '12345678901')).toEqual(bigint);
    expect(widenedType(int, '-2147483649')).toEqual(bigint);
    expect(widenedType(bigint, '92233720368547758070')).toEqual(dec(0));
    expect(widenedType(int, '92233720368547758070')).toEqual(dec(0));
  });

  it('widens an integer column to a decimal for a fraction, in the file notation', () => {
    expect(widenedType(int, '12.5')).toEqual(dec(1));
    expect(widenedType(bigint, ' -0.125 ')).toEqual(dec(3));
    expect(widenedType(int, '12,5', { decimalSeparator: ',' })).toEqual(dec(1, ','));
    // With '.' as the separator, '12,5' is no number.
    expect(widenedType(int, '12,5')).toBeUndefined();
  });

  it('gives a decimal the scale a value needs, keeping its separators', () => {
    expect(widenedType(dec(2), '1.12345')).toEqual(dec(5));
    expect(widenedType(dec(2, ',', '.'), '1.234,567')).toEqual(dec(3, ',', '.'));
    // Excel writes small rates with an exponent: 1.5E-05 needs 6 decimals.
    expect(widenedType(dec(4), '1.5E-05')).toEqual(dec(6));
    expect(widenedType(int, '1.1406e+06')).toEqual(dec(0));
  });

  it('leaves values that fit, and anything a number type cannot hold exactly', () => {
    expect(widenedType(int, '42')).toBeUndefined();
    expect(widenedType(dec(2), '1.5')).toBeUndefined();
    expect(widenedType(int, 'n/a')).toBeUndefined();
    expect(widenedType(int, '007')).toBeUndefined(); // leading zeros: only text keeps them
    expect(widenedType(dec(2), '01.5')).toBeUndefined();
    expect(widenedType(int, '1e5')).toBeUndefined();
    expect(widenedType(int, '1.5.2')).toBeUndefined();
    expect(widenedType({ kind: 'text', maxLength: 10 }, '12345678901')).toBeUndefined();
    expect(widenedType({ kind: 'date', format: 'YYYY-MM-DD' }, '2024-13-01')).toBeUndefined();
  });

  it('stops at 38 digits: integer digits the column needs plus the scale', () => {
    // 36 integer digits at scale 2 fit; at scale 3 they would not.
    expect(widenedType(dec(2), `${'9'.repeat(35)}.123`)).toEqual(dec(3));
    expect(widenedType(dec(2), `${'9'.repeat(36)}.123`)).toBeUndefined();
    // More integer digits than 38 − scale: no decimal holds it at this scale.
    expect(widenedType(dec(2), `${'9'.repeat(37)}.1`)).toBeUndefined();
    // A 64-bit column keeps room for its 19 digits: at most 19 decimals.
    expect(widenedType(bigint, `1.${'1'.repeat(19)}`)).toEqual(dec(19));
    expect(widenedType(bigint, `1.${'1'.repeat(20)}`)).toBeUndefined();
    expect(widenedType(int, `1.${'1'.repeat(28)}`)).toEqual(dec(28));
    expect(widenedType(int, `1.${'1'.repeat(29)}`)).toBeUndefined();
  });
});
