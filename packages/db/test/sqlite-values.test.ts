// Exact round trip of canonical values through SQLite, in several time zones.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  convertSql,
  mssqlReadValue,
  mssqlStagingValue,
  readExpressionSql,
  tryConvertSql,
} from '../src/dialect/mssql/mssql-types.js';
import type { ColumnDef, DbValue } from '../src/index.js';
import { load, openTempSqlite, readAll } from './helpers.js';

const columns: ColumnDef[] = [
  { name: 'dec38', type: { kind: 'decimal', precision: 38, scale: 0 }, nullable: true },
  { name: 'dec38s', type: { kind: 'decimal', precision: 38, scale: 18 }, nullable: true },
  { name: 'time3', type: { kind: 'time', fractionDigits: 3 }, nullable: true },
  { name: 'day', type: { kind: 'date' }, nullable: true },
  { name: 'at', type: { kind: 'datetime', offset: false, fractionDigits: 3 }, nullable: true },
  { name: 'atz', type: { kind: 'datetime', offset: true, fractionDigits: 7 }, nullable: true },
  { name: 'label', type: { kind: 'text' }, nullable: true },
  { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: true },
  { name: 'flag', type: { kind: 'boolean' }, nullable: true },
  { name: 'n', type: { kind: 'int' }, nullable: true },
  { name: 'big', type: { kind: 'bigint' }, nullable: true },
  { name: 'id', type: { kind: 'uuid' }, nullable: true },
];

const rows: DbValue[][] = [
  [
    '99999999999999999999999999999999999999',
    '12345678901234567890.123456789012345678',
    '23:59:59.999',
    '2024-02-29',
    '1999-12-31T23:59:59.999',
    '2024-03-31T02:30:00.1234567+09:00',
    'Zürich € 漢字 😀',
    '008',
    true,
    -2147483648,
    9223372036854775807n,
    '0f8fad5b-d9cb-469f-a165-70867728950e',
  ],
  [
    '-99999999999999999999999999999999999999',
    '-0.000000000000000001',
    '00:00:00',
    '0001-01-01',
    '2024-03-10T02:30:00.000',
    '1970-01-01T00:00:00Z',
    '',
    '036',
    false,
    2147483647,
    -9223372036854775808n,
    null,
  ],
  [null, null, null, null, null, null, null, null, null, null, null, null],
];

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe('exact round trip through the SQLite dialect', () => {
  for (const tz of ['Asia/Tokyo', 'America/New_York', 'UTC']) {
    it(`returns every value exactly as written under TZ=${tz}`, async () => {
      process.env.TZ = tz;
      expect(new Date(2024, 0, 1).getTimezoneOffset()).toBe(
        tz === 'Asia/Tokyo' ? -540 : tz === 'America/New_York' ? 300 : 0,
      );
      const { db, path } = await openTempSqlite();
      const outcome = await load(db, 'exact', columns, rows);
      expect(outcome).toMatchObject({ status: 'applied', rowsLoaded: 3 });
      expect(await readAll(db, 'exact')).toEqual(rows);
      expect((await db.describeTable('exact'))?.columns).toEqual(columns);
      // Stored physically as TEXT (decimals, temporals), INTEGER (booleans, ints): nothing became REAL.
      const raw = new Database(path, { readonly: true });
      try {
        const types = raw
          .prepare(
            'SELECT typeof(dec38) AS a, typeof(dec38s) AS b, typeof(time3) AS c, typeof(at) AS d, typeof(flag) AS e, typeof(big) AS f, typeof(label) AS g FROM "ref.exact" ORDER BY rowid LIMIT 1',
          )
          .get();
        expect(types).toEqual({ a: 'text', b: 'text', c: 'text', d: 'text', e: 'integer', f: 'integer', g: 'text' });
        expect(
          raw
            .prepare('SELECT label IS NULL AS is_null, label = \'\' AS is_empty FROM "ref.exact" ORDER BY rowid')
            .all(),
        ).toEqual([
          { is_null: 0, is_empty: 0 },
          { is_null: 0, is_empty: 1 },
          { is_null: 1, is_empty: null },
        ]);
      } finally {
        raw.close();
      }
    });
  }
});

describe('SQL Server conversion code with the same values', () => {
  it('stages every value as its exact canonical text or integer, independent of TZ', () => {
    for (const tz of ['Asia/Tokyo', 'America/New_York']) {
      process.env.TZ = tz;
      for (const row of rows) {
        const staged = row.map((v, i) => mssqlStagingValue((columns[i] as ColumnDef).type, v));
        expect(staged).toEqual(row);
      }
    }
  });

  it('reads server text back into the canonical forms', () => {
    const read = (i: number, raw: unknown): DbValue => mssqlReadValue((columns[i] as ColumnDef).type, raw);
    expect(read(0, '99999999999999999999999999999999999999')).toBe('99999999999999999999999999999999999999');
    expect(read(1, '-0.000000000000000001')).toBe('-0.000000000000000001');
    expect(read(2, '23:59:59.9990000')).toBe('23:59:59.999');
    expect(read(2, '00:00:00')).toBe('00:00:00.000');
    expect(read(3, '2024-02-29')).toBe('2024-02-29');
    expect(read(4, '1999-12-31T23:59:59.999')).toBe('1999-12-31T23:59:59.999');
    expect(read(4, '2024-03-10T02:30:00')).toBe('2024-03-10T02:30:00.000');
    expect(read(5, '2024-03-31T02:30:00.1234567+09:00')).toBe('2024-03-31T02:30:00.1234567+09:00');
    expect(read(5, '1970-01-01T00:00:00Z')).toBe('1970-01-01T00:00:00.0000000Z');
    expect(read(5, '1970-01-01T00:00:00.0000000+00:00')).toBe('1970-01-01T00:00:00.0000000Z');
    // Babelfish ignores style 126 and answers in its own form, trailing fraction zeros dropped.
    expect(read(4, '2024-03-10 02:30:00')).toBe('2024-03-10T02:30:00.000');
    expect(read(5, '2024-03-31 02:30:00.123 +09:00')).toBe('2024-03-31T02:30:00.1230000+09:00');
    expect(read(5, '1970-01-01 00:00:00 +00:00')).toBe('1970-01-01T00:00:00.0000000Z');
    expect(read(6, 'Zürich € 漢字 😀')).toBe('Zürich € 漢字 😀');
    expect(read(6, '')).toBe('');
    expect(read(6, null)).toBeNull();
    expect(read(8, true)).toBe(true);
    expect(read(10, '9223372036854775807')).toBe(9223372036854775807n);
    expect(read(11, '0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('converts on the server with styles that do not depend on language or zone settings', () => {
    expect(tryConvertSql({ kind: 'decimal', precision: 38, scale: 18 }, '[c1]')).toBe(
      'TRY_CONVERT(DECIMAL(38,18), [c1])',
    );
    expect(tryConvertSql({ kind: 'date' }, '[c3]')).toBe('TRY_CONVERT(DATE, [c3], 23)');
    expect(tryConvertSql({ kind: 'datetime', offset: false, fractionDigits: 3 }, '[c4]')).toBe(
      'TRY_CONVERT(DATETIME2(3), [c4], 126)',
    );
    expect(tryConvertSql({ kind: 'datetime', offset: true, fractionDigits: 7 }, '[c5]')).toBe(
      'CAST(TRY_CONVERT(DATETIMEOFFSET, [c5], 127) AS DATETIMEOFFSET(7))',
    );
    expect(tryConvertSql({ kind: 'text' }, '[c6]')).toBeUndefined();
    // The optimistic fill uses the same conversions with CONVERT (an error instead of NULL).
    expect(convertSql({ kind: 'datetime', offset: true, fractionDigits: 7 }, '[c5]')).toBe(
      'CAST(CONVERT(DATETIMEOFFSET, [c5], 127) AS DATETIMEOFFSET(7))',
    );
    expect(convertSql({ kind: 'time', fractionDigits: 3 }, '[c7]')).toBe('CONVERT(TIME(3), [c7])');
    expect(convertSql({ kind: 'bigint' }, '[c8]')).toBeUndefined();
    expect(readExpressionSql({ kind: 'datetime', offset: true, fractionDigits: 7 }, '[atz]')).toBe(
      'CONVERT(NVARCHAR(64), [atz], 126)',
    );
    expect(readExpressionSql({ kind: 'uuid' }, '[id]')).toBe('LOWER(CONVERT(NVARCHAR(36), [id]))');
  });
});
