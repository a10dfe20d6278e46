import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceValueParser } from '../test/reference-value-parser.js';
import { type ColumnType, DEFAULT_NULL_TOKENS } from './types.js';
import { createValueParser, formatCanonical } from './value-parser.js';

const NULLS = DEFAULT_NULL_TOKENS;

describe('createValueParser', () => {
  it('maps null tokens to null but keeps the code NA as text', () => {
    const parse = createValueParser({ kind: 'text', maxLength: 2 }, NULLS);
    expect(parse('')).toEqual({ ok: true, value: null });
    expect(parse('NULL')).toEqual({ ok: true, value: null });
    expect(parse('\\N')).toEqual({ ok: true, value: null });
    expect(parse('NA')).toEqual({ ok: true, value: 'NA' });
    expect(parse(' x ')).toEqual({ ok: true, value: ' x ' });
  });

  it('reads int within 32 bits as numbers and rejects leading zeros and overflow', () => {
    const parse = createValueParser({ kind: 'integer', size: 'int' }, ['']);
    expect(parse('42')).toEqual({ ok: true, value: 42 });
    expect(parse('-2147483648')).toEqual({ ok: true, value: -2147483648 });
    expect(parse('+7')).toEqual({ ok: true, value: 7 });
    expect(parse('008')).toMatchObject({ ok: false, reason: expect.stringContaining('leading zeros') });
    expect(parse('2147483648')).toMatchObject({ ok: false, reason: expect.stringContaining('bigint') });
    expect(parse('1e5')).toMatchObject({ ok: false });
    expect(parse('12.0')).toMatchObject({ ok: false });
  });

  it('reads a decimal written with a signed exponent (Excel, R, Python) as the exact decimal it stands for', () => {
    const dec = (scale: number, decimalSeparator: '.' | ',' = '.'): ColumnType => ({
      kind: 'decimal',
      precision: 38,
      scale,
      decimalSeparator,
      groupSeparator: '',
    });
    const parse = createValueParser(dec(6), ['']);
    expect(parse('1.5E-05')).toEqual({ ok: true, value: '0.000015' });
    expect(parse('1.1406e+06')).toEqual({ ok: true, value: '1140600' });
    expect(parse('-2.5e-1')).toEqual({ ok: true, value: '-0.25' });
    expect(parse('1e+05')).toEqual({ ok: true, value: '100000' });
    expect(parse('0.00120E+03')).toEqual({ ok: true, value: '1.20' });
    expect(parse('0e+00')).toEqual({ ok: true, value: '0' });
    expect(createValueParser(dec(6, ','), [''])('1,5E-05')).toEqual({ ok: true, value: '0.000015' });
    // More decimals than the column's scale: does not fit, as any other decimal.
    expect(parse('1.5E-07')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not fit DECIMAL(38,6)'),
    });
    // No sign (a code such as 12E3), no digits, or an exponent past 40: no number.
    for (const text of ['12E3', '1.5e', '1.5E+', 'E+05', '1.5E+041', '1.5E+41', '1,000E+03', '1.5E-05x']) {
      expect(parse(text), text).toMatchObject({ ok: false });
    }
  });

  it('reads bigint exactly beyond 2^53', () => {
    const parse = createValueParser({ kind: 'integer', size: 'bigint' }, ['']);
    expect(parse('9007199254740993')).toEqual({ ok: true, value: 9007199254740993n });
    expect(parse('-9223372036854775808')).toEqual({ ok: true, value: -9223372036854775808n });
    expect(parse('9223372036854775808')).toMatchObject({ ok: false, reason: expect.stringContaining('decimal') });
  });

  it('keeps decimals exact as strings with the scale as written', () => {
    const parse = createValueParser(
      { kind: 'decimal', precision: 20, scale: 4, decimalSeparator: '.', groupSeparator: ',' },
      [''],
    );
    expect(parse('0.1')).toEqual({ ok: true, value: '0.1' });
    expect(parse('1,234,567.8900')).toEqual({ ok: true, value: '1234567.8900' });
    expect(parse('-0.00')).toEqual({ ok: true, value: '0.00' });
    expect(parse('.5')).toEqual({ ok: true, value: '0.5' });
    expect(parse('1234567890123456.7891')).toEqual({ ok: true, value: '1234567890123456.7891' });
    expect(parse('1,23,4')).toMatchObject({ ok: false });
    expect(parse('0.12345')).toMatchObject({ ok: false, reason: expect.stringContaining('DECIMAL(20,4)') });
    expect(parse('1e5')).toMatchObject({ ok: false });
  });

  it('reads decimal commas with dots between thousands', () => {
    const parse = createValueParser(
      { kind: 'decimal', precision: 9, scale: 2, decimalSeparator: ',', groupSeparator: '.' },
      [''],
    );
    expect(parse('1.234,56')).toEqual({ ok: true, value: '1234.56' });
    expect(parse('-45,9')).toEqual({ ok: true, value: '-45.9' });
    expect(parse('1.234.56')).toMatchObject({ ok: false });
  });

  it('builds dates from their components and rejects impossible ones', () => {
    const dmy = createValueParser({ kind: 'date', format: 'DD/MM/YYYY' }, ['']);
    expect(dmy('28/01/2018')).toEqual({ ok: true, value: '2018-01-28' });
    expect(dmy('29/02/2024')).toEqual({ ok: true, value: '2024-02-29' });
    expect(dmy('29/02/2023')).toMatchObject({ ok: false });
    expect(dmy('31/04/2023')).toMatchObject({ ok: false });
    const loose = createValueParser({ kind: 'date', format: 'M/D/YYYY' }, ['']);
    expect(loose('1/9/2025')).toEqual({ ok: true, value: '2025-01-09' });
  });

  it('reads times and date-times with offsets and fractions', () => {
    const time = createValueParser({ kind: 'time', format: 'HH:mm', fractionDigits: 0 }, ['']);
    expect(time('00:15')).toEqual({ ok: true, value: '00:15:00' });
    expect(time('24:00')).toMatchObject({ ok: false });
    const dt = createValueParser(
      { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ss[.S]Z', offset: true, fractionDigits: 3 },
      [''],
    );
    expect(dt('2025-01-31T23:59:59.123+0100')).toEqual({ ok: true, value: '2025-01-31T23:59:59.123+01:00' });
    expect(dt('2025-01-31T23:59:59Z')).toEqual({ ok: true, value: '2025-01-31T23:59:59Z' });
    expect(dt('2025-01-31T23:59:59')).toMatchObject({ ok: false, reason: expect.stringContaining('offset') });
    expect(dt('2025-01-31T23:59:59.1234Z')).toMatchObject({ ok: false });
  });

  it('reads booleans and lower-cases UUIDs', () => {
    const bool = createValueParser({ kind: 'boolean' }, ['']);
    expect(bool('TRUE')).toEqual({ ok: true, value: true });
    expect(bool('no')).toEqual({ ok: true, value: false });
    expect(bool('maybe')).toMatchObject({ ok: false });
    const uuid = createValueParser({ kind: 'uuid' }, ['']);
    expect(uuid('123E4567-E89B-12D3-A456-426614174000')).toEqual({
      ok: true,
      value: '123e4567-e89b-12d3-a456-426614174000',
    });
  });
});

describe('formatCanonical', () => {
  it('writes canonical values as export text without exponents', () => {
    expect(formatCanonical(null)).toBe('');
    expect(formatCanonical(true)).toBe('true');
    expect(formatCanonical(42)).toBe('42');
    expect(formatCanonical(1e21)).toBe('1000000000000000000000');
    expect(formatCanonical(12345678901234567890n)).toBe('12345678901234567890');
    expect(formatCanonical('0.10')).toBe('0.10');
    expect(formatCanonical('2025-01-31')).toBe('2025-01-31');
    expect(formatCanonical(1.5e-7)).toBe('0.00000015');
  });
});

describe('createValueParser fast paths', () => {
  const TYPES: ColumnType[] = [
    { kind: 'integer', size: 'int' },
    { kind: 'integer', size: 'bigint' },
    { kind: 'decimal', precision: 18, scale: 2, decimalSeparator: '.', groupSeparator: '' },
    { kind: 'decimal', precision: 6, scale: 6, decimalSeparator: '.', groupSeparator: ',' },
    { kind: 'decimal', precision: 38, scale: 10, decimalSeparator: '.', groupSeparator: ' ' },
    { kind: 'decimal', precision: 9, scale: 2, decimalSeparator: ',', groupSeparator: '.' },
    { kind: 'decimal', precision: 5, scale: 0, decimalSeparator: '.', groupSeparator: '.' },
    { kind: 'boolean' },
    { kind: 'date', format: 'YYYY-MM-DD' },
    { kind: 'date', format: 'DD/MM/YYYY' },
    { kind: 'time', format: 'HH:mm:ss[.S]', fractionDigits: 3 },
    { kind: 'time', format: 'HH:mm:ss', fractionDigits: 0 },
    { kind: 'time', format: 'H:mm', fractionDigits: 0 },
    { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ss[.S]Z', offset: true, fractionDigits: 7 },
    { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ss[.S]', offset: false, fractionDigits: 2 },
    { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ssZ', offset: true, fractionDigits: 0 },
    { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ss[.S]Z', offset: false, fractionDigits: 3 },
    { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ss', offset: true, fractionDigits: 0 },
    { kind: 'datetime', format: 'YYYY-MM-DD HH:mm:ss', offset: false, fractionDigits: 0 },
    { kind: 'uuid' },
    { kind: 'text', maxLength: 4 },
  ];
  const ALPHABET = ['0', '0', '1', '2', '5', '9', '-', '+', '.', ',', ':', ' ', 'T', 'Z', 'z', '/', 'e', 'a', 'F'];
  const SAMPLES = [
    '0',
    '-0',
    '+0',
    '007',
    '2147483647',
    '2147483648',
    '-2147483648',
    '-2147483649',
    '123456789',
    '1234567890',
    '999999999999999999',
    '9223372036854775807',
    '9223372036854775808',
    '-9223372036854775808',
    '0.5',
    '-0.5',
    '-0.00',
    '.5',
    '5.',
    '00.5',
    '1,234.50',
    '1.234,50',
    '1 234.5',
    '1234567890123456.78',
    '12345678901234567.8',
    '0.123456',
    '0.1234567',
    ' 12.5 ',
    'true',
    'false',
    'TRUE',
    ' yes ',
    'maybe',
    '2024-02-29',
    '2023-02-29',
    '29/02/2024',
    '2024-02-29T23:59:59Z',
    '2024-02-29T23:59:59.1234567+05:30',
    '2024-02-29T23:59:59,5+0530',
    '2024-02-29T23:59:59.12345678Z',
    '2024-02-29T23:59:59z',
    '2024-02-29T23:59:59+01',
    '2024-02-29T23:59:59',
    '2024-02-29T23:59:59+14:59',
    '2024-02-29T23:59:59+15:00',
    '2024-02-29T23:59:59-00:60',
    '2024-02-29T23:59:59.1234567890Z',
    '2024-02-29T23:59:59.Z',
    '2024-02-29T24:00:00Z',
    '0000-01-01T00:00:00Z',
    '2024-02-29 23:59:59',
    '23:59:59.999',
    '23:59:59,999',
    '9:05',
    '123E4567-E89B-12D3-A456-426614174000',
    '',
    'NULL',
  ];
  const texts = fc.oneof(
    fc.constantFrom(...SAMPLES),
    fc.array(fc.constantFrom(...ALPHABET), { maxLength: 24 }).map((a) => a.join('')),
    fc
      .tuple(fc.constantFrom(...SAMPLES), fc.nat(30), fc.constantFrom(...ALPHABET))
      .map(([s, at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1))),
  );

  it('converts every cell exactly as the reference parser does, value and reason', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.constantFrom<readonly string[]>([''], NULLS, []),
        texts,
        (type, nulls, raw) => {
          expect(createValueParser(type, nulls)(raw)).toEqual(referenceValueParser(type, nulls)(raw));
        },
      ),
      { numRuns: 30_000 },
    );
  });

  it('returns a canonical cell as the same text, without rebuilding it', () => {
    const dt = createValueParser(TYPES[13] as ColumnType, NULLS);
    const cell = ['2024-02-29T23:59:59.5+05:30'].join('');
    expect((dt(cell) as { value: unknown }).value).toBe(cell);
    expect(createValueParser(TYPES[2] as ColumnType, NULLS)('-12.50')).toEqual({ ok: true, value: '-12.50' });
    expect(createValueParser(TYPES[0] as ColumnType, NULLS)('-0')).toEqual({ ok: true, value: -0 });
  });
});
