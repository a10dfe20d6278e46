// The fast staging checks agree with the full per-value checks (property tests).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnDef, DbType, DbValue } from '../../types.js';
import { valueChecker } from '../../values.js';
import { stagingRowCheck, stagingValueChecker } from './sqlite-value-check.js';

const TYPES: DbType[] = [
  { kind: 'boolean' },
  { kind: 'int' },
  { kind: 'bigint' },
  { kind: 'decimal', precision: 5, scale: 2 },
  { kind: 'decimal', precision: 38, scale: 10 },
  { kind: 'decimal', precision: 3, scale: 3 },
  { kind: 'date' },
  { kind: 'time', fractionDigits: 0 },
  { kind: 'time', fractionDigits: 3 },
  { kind: 'datetime', offset: false, fractionDigits: 7 },
  { kind: 'datetime', offset: true, fractionDigits: 2 },
  { kind: 'uuid' },
  { kind: 'text' },
  { kind: 'text', maxLength: 4 },
];

const SAMPLES = [
  '0',
  '-0',
  '00.10',
  '123.45',
  '1234.5',
  '-999.99',
  '0.001',
  '0.100',
  '1.',
  '.5',
  '2024-02-29',
  '2023-02-29',
  '0000-01-01',
  '2024-13-01',
  '2024-04-31',
  '23:59:59',
  '24:00:00',
  '23:59:59.1230',
  '23:59:59.1234',
  '12:00:00.',
  '2024-02-29T23:59:59',
  '2024-02-29T23:59:59.1234567',
  '2024-02-29T23:59:59.12Z',
  '2024-02-29T23:59:59.120+14:00',
  '2024-02-29T23:59:59+14:01',
  '2024-02-29T23:59:59-05:60',
  '2024-02-29T23:59:59z',
  '2024-02-29 23:59:59',
  '123e4567-e89b-12d3-a456-426614174000',
  '123E4567-E89B-12D3-A456-42661417400G',
  '',
  'abcde',
];
const ALPHABET = ['0', '1', '2', '9', '-', '+', '.', ':', 'T', 'Z', ' ', 'a', 'F'];
const values: fc.Arbitrary<DbValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2147483648, -2147483649, 2 ** 53, -0),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.constantFrom(...SAMPLES),
  fc.array(fc.constantFrom(...ALPHABET), { maxLength: 30 }).map((a) => a.join('')),
  fc
    .tuple(fc.constantFrom(...SAMPLES), fc.nat(40), fc.constantFrom(...ALPHABET))
    .map(([s, at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice((at % (s.length + 1)) + 1)),
);

/** The outcome of a check: its answer or the error it throws. */
function outcome(check: (v: DbValue, line: number) => string | undefined, value: DbValue): unknown {
  try {
    return { answer: check(value, 7) };
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

describe('stagingValueChecker', () => {
  it('answers exactly as valueChecker for every column type and value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.boolean(), values, (type, nullable, value) => {
        const column: ColumnDef = { name: 'c', type, nullable };
        expect(outcome(stagingValueChecker(column), value)).toEqual(outcome(valueChecker(column), value));
      }),
      { numRuns: 30_000 },
    );
  });

  it('accepts canonical values that fit without the shared checker', () => {
    const day = stagingValueChecker({ name: 'd', type: { kind: 'date' }, nullable: false });
    expect(day('2024-02-29', 2)).toBeUndefined();
    expect(day('2023-02-29', 3)).toBe('day 29 does not exist in 2023-02');
    expect(day(null, 4)).toBe('is empty but the column is NOT NULL');
  });
});

describe('stagingRowCheck', () => {
  it('passes a row only when valueChecker accepts every value of it', () => {
    const column = fc.record({ type: fc.constantFrom(...TYPES), nullable: fc.boolean() });
    fc.assert(
      fc.property(fc.array(fc.tuple(column, values), { minLength: 1, maxLength: 6 }), (cells) => {
        const columns: ColumnDef[] = cells.map(([c], i) => ({ name: `c${i}`, ...c }));
        const row = cells.map(([, v]) => v);
        const accepted = columns.every((c, i) => {
          const o = outcome(valueChecker(c), row[i] as DbValue) as { answer?: unknown };
          return !('code' in o) && o.answer === undefined;
        });
        if (stagingRowCheck(columns)(row)) expect(accepted).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('passes canonical rows that fit, and fails a NULL in a NOT NULL column', () => {
    const columns: ColumnDef[] = [
      { name: 'id', type: { kind: 'int' }, nullable: false },
      { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 2 }, nullable: true },
      { name: 'at', type: { kind: 'datetime', offset: true, fractionDigits: 0 }, nullable: true },
      { name: 'day', type: { kind: 'date' }, nullable: true },
      { name: 'ok', type: { kind: 'boolean' }, nullable: true },
      { name: 'name', type: { kind: 'text', maxLength: 20 }, nullable: true },
    ];
    const fitsRow = stagingRowCheck(columns);
    expect(fitsRow([1, '123.45', '2024-02-29T23:59:59Z', '2024-02-29', true, 'Zürich'])).toBe(true);
    expect(fitsRow([1, null, null, null, null, null])).toBe(true);
    expect(fitsRow([null, null, null, null, null, null])).toBe(false);
    expect(fitsRow([1, '123.456', null, null, null, null])).toBe(false);
  });
});
