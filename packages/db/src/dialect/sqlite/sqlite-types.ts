/**
 * Logical ↔ physical types for SQLite.
 *
 * SQLite picks a column's affinity from its declared type name: a name containing `INT` gets
 * INTEGER affinity, one containing `TEXT` (without `INT`) gets TEXT affinity, and names such as
 * `DECIMAL(38,10)` get NUMERIC affinity, which silently turns the text `'0.1000000000000000000001'`
 * into a REAL and loses digits (https://www.sqlite.org/datatype3.html#determination_of_column_affinity).
 * So every exact type is declared with a name that carries TEXT affinity and encodes the logical
 * type: the declared type survives `ALTER TABLE … RENAME`, so describeTable() reads the logical
 * type back from `PRAGMA table_info` with no side table to keep in step.
 */
import type { DbType, DbValue } from '../../types.js';
import { minimalDecimal } from '../../values.js';

/**
 * The declared SQLite type of a logical type.
 *
 * @example
 * ```ts
 * sqliteDeclaredType({ kind: 'decimal', precision: 38, scale: 10 }); // 'TEXT_DECIMAL(38,10)'
 * ```
 */
export function sqliteDeclaredType(type: DbType): string {
  switch (type.kind) {
    case 'boolean':
      return 'INTEGER_BOOLEAN';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'decimal':
      return `TEXT_DECIMAL(${type.precision},${type.scale})`;
    case 'date':
      return 'TEXT_DATE';
    case 'datetime':
      return `${type.offset ? 'TEXT_DATETIMEOFFSET' : 'TEXT_DATETIME'}(${type.fractionDigits})`;
    case 'time':
      return `TEXT_TIME(${type.fractionDigits})`;
    case 'uuid':
      return 'TEXT_UUID';
    case 'text':
      return type.maxLength === undefined ? 'TEXT' : `TEXT(${type.maxLength})`;
  }
}

/**
 * The logical type of a declared SQLite type; tables not created by @refdata/db map by affinity
 * (INTEGER-like → bigint, anything else → text).
 *
 * @example
 * ```ts
 * parseSqliteDeclaredType('TEXT_TIME(3)'); // { kind: 'time', fractionDigits: 3 }
 * ```
 */
export function parseSqliteDeclaredType(declared: string): DbType {
  const m = /^\s*([A-Za-z_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/.exec(declared);
  const name = m?.[1]?.toUpperCase() ?? '';
  const a = m?.[2] === undefined ? undefined : Number(m[2]);
  const b = m?.[3] === undefined ? undefined : Number(m[3]);
  switch (name) {
    case 'INTEGER_BOOLEAN':
      return { kind: 'boolean' };
    case 'INTEGER':
      return { kind: 'int' };
    case 'BIGINT':
      return { kind: 'bigint' };
    case 'TEXT_DECIMAL':
      return { kind: 'decimal', precision: a ?? 38, scale: b ?? 0 };
    case 'TEXT_DATE':
      return { kind: 'date' };
    case 'TEXT_DATETIME':
      return { kind: 'datetime', offset: false, fractionDigits: a ?? 7 };
    case 'TEXT_DATETIMEOFFSET':
      return { kind: 'datetime', offset: true, fractionDigits: a ?? 7 };
    case 'TEXT_TIME':
      return { kind: 'time', fractionDigits: a ?? 7 };
    case 'TEXT_UUID':
      return { kind: 'uuid' };
    case 'TEXT':
      return a === undefined ? { kind: 'text' } : { kind: 'text', maxLength: a };
    default:
      return name.includes('INT') ? { kind: 'bigint' } : { kind: 'text' };
  }
}

/** A value as better-sqlite3 binds it. */
export type SqliteBindValue = null | number | bigint | string;

/**
 * The bind converter of a column for values that passed the value check: booleans as 0/1,
 * UUIDs lower-cased, everything else unchanged (decimals and temporal values stay exact text).
 *
 * @example
 * ```ts
 * sqliteBinder({ kind: 'boolean' })(true); // 1
 * ```
 */
export function sqliteBinder(type: DbType): ((value: DbValue) => SqliteBindValue) | undefined {
  switch (type.kind) {
    case 'boolean':
      return (value) => (value === null ? null : value ? 1 : 0);
    case 'uuid':
      return (value) => (value === null ? null : (value as string).toLowerCase());
    default:
      return undefined;
  }
}

/**
 * The read converter of a column for statements run with `safeIntegers(true)`: booleans from
 * 0/1, `int` as number, `bigint` as bigint, decimals in minimal form ({@link minimalDecimal}),
 * everything else as the stored text.
 *
 * @example
 * ```ts
 * sqliteReader({ kind: 'int' })(8n); // 8
 * ```
 */
export function sqliteReader(type: DbType): (raw: unknown) => DbValue {
  switch (type.kind) {
    case 'boolean':
      return (raw) => (raw === null || raw === undefined ? null : Number(raw) !== 0);
    case 'int':
      return (raw) => (raw === null || raw === undefined ? null : Number(raw));
    case 'bigint':
      return (raw) =>
        raw === null || raw === undefined ? null : typeof raw === 'bigint' ? raw : BigInt(Math.trunc(Number(raw)));
    case 'decimal':
      return (raw) => (raw === null || raw === undefined ? null : minimalDecimal(String(raw)));
    default:
      return (raw) =>
        raw === null || raw === undefined
          ? null
          : typeof raw === 'string'
            ? raw
            : Buffer.isBuffer(raw)
              ? raw.toString('utf8')
              : String(raw);
  }
}
