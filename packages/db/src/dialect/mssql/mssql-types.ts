/**
 * Logical ↔ physical types for SQL Server, and the exact text forms values travel in.
 *
 * tedious sends DECIMAL parameters as JavaScript doubles: beyond ~15 significant digits they are
 * corrupted and rounding is binary (1.005 at scale 2 arrives as 1.00). It also builds DATE and
 * DATETIME2 values from JavaScript Dates, which shift with the local zone when built from a
 * zone-less string. So every decimal and temporal value is staged as NVARCHAR text in canonical
 * form and converted on the server with TRY_CONVERT (rows that fail become conversion errors);
 * values are read back through CONVERT(NVARCHAR, …) so no double or Date is ever involved.
 * Text is NVARCHAR: VARCHAR silently turns characters outside the code page into `?`.
 */
import { quoteMssqlIdentifier as q } from '../../identifiers.js';
import type { ColumnDef, DbType, DbValue } from '../../types.js';
import { formatDbType, minimalDecimal } from '../../values.js';
import type { MssqlEngine } from './mssql-client.js';

/**
 * The T-SQL type of a logical type.
 *
 * @example
 * ```ts
 * mssqlType({ kind: 'datetime', offset: true, fractionDigits: 3 }); // 'DATETIMEOFFSET(3)'
 * ```
 */
export function mssqlType(type: DbType): string {
  switch (type.kind) {
    case 'boolean':
      return 'BIT';
    case 'int':
      return 'INT';
    case 'bigint':
      return 'BIGINT';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'date':
      return 'DATE';
    case 'datetime':
      return `${type.offset ? 'DATETIMEOFFSET' : 'DATETIME2'}(${type.fractionDigits})`;
    case 'time':
      return `TIME(${type.fractionDigits})`;
    case 'uuid':
      return 'UNIQUEIDENTIFIER';
    case 'text':
      return type.maxLength === undefined ? 'NVARCHAR(MAX)' : `NVARCHAR(${type.maxLength})`;
  }
}

/** Length of the NVARCHAR staging column of decimal and temporal values (a 38-digit decimal is 40 characters). */
export const STAGED_TEXT_LENGTH = 64;

/** True when the type is staged as text and converted on the server. */
export function stagedAsText(type: DbType): boolean {
  return type.kind !== 'boolean' && type.kind !== 'int' && type.kind !== 'bigint' && type.kind !== 'text';
}

/**
 * The T-SQL type of the staging column of a logical type.
 *
 * @example
 * ```ts
 * mssqlStagingType({ kind: 'decimal', precision: 38, scale: 10 }); // 'NVARCHAR(64)'
 * ```
 */
export function mssqlStagingType(type: DbType): string {
  return stagedAsText(type) ? `NVARCHAR(${STAGED_TEXT_LENGTH})` : mssqlType(type);
}

/** The tedious data type name used for a staging column. */
export type TediousTypeName = 'Bit' | 'Int' | 'BigInt' | 'NVarChar';

/** How a staging column is declared to tedious (bulk load column or parameter). */
export interface TediousColumnSpec {
  readonly type: TediousTypeName;
  /** NVARCHAR length in characters; Infinity for NVARCHAR(MAX) (tedious defaults to 4000 otherwise). */
  readonly length?: number;
}

/**
 * The tedious declaration of a staging column: explicit length always (tedious's defaults are
 * decimal(1,0), datetime2(0) and nvarchar(4000)); `length: Infinity` means NVARCHAR(MAX).
 *
 * @example
 * ```ts
 * tediousStagingColumn({ kind: 'text' }); // { type: 'NVarChar', length: Infinity }
 * ```
 */
export function tediousStagingColumn(type: DbType): TediousColumnSpec {
  switch (type.kind) {
    case 'boolean':
      return { type: 'Bit' };
    case 'int':
      return { type: 'Int' };
    case 'bigint':
      return { type: 'BigInt' };
    case 'text':
      return { type: 'NVarChar', length: type.maxLength ?? Number.POSITIVE_INFINITY };
    default:
      return { type: 'NVarChar', length: STAGED_TEXT_LENGTH };
  }
}

/**
 * The value sent to staging for a canonical value: booleans, numbers and bigints as they are
 * (tedious BIGINT takes a bigint), every other value as its exact canonical text.
 *
 * @example
 * ```ts
 * mssqlStagingValue({ kind: 'decimal', precision: 38, scale: 0 }, '12345678901234567890123456789012345678'); // the same string
 * ```
 */
export function mssqlStagingValue(type: DbType, value: DbValue): DbValue {
  if (value === null) return null;
  if (type.kind === 'bigint' && typeof value === 'number') return BigInt(value);
  if (type.kind === 'int' && typeof value === 'bigint') return Number(value);
  return value;
}

/**
 * The TRY_CONVERT of a staged text column to its logical type (undefined for columns staged with
 * their own type). Styles: 23 = yyyy-mm-dd, 126 = ISO 8601, 127 = ISO 8601 with zone.
 *
 * @example
 * ```ts
 * tryConvertSql({ kind: 'date' }, '[c1]'); // 'TRY_CONVERT(DATE, [c1], 23)'
 * ```
 */
export function tryConvertSql(type: DbType, expr: string, engine: MssqlEngine = 'sqlserver'): string | undefined {
  return convertWith('TRY_CONVERT', type, exactInput(type, expr, engine));
}

/**
 * The condition "the staged value `expr` has a 7th fraction digit other than 0" (Babelfish keeps 6
 * and would round it). Not `LIKE`: Babelfish refuses LIKE on its nondeterministic default collation.
 */
export function seventhDigitSql(expr: string): string {
  const digit = `SUBSTRING(${expr}, CHARINDEX(N'.', ${expr}) + 7, 1)`;
  return `CHARINDEX(N'.', ${expr}) > 0 AND ${digit} IN (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => `N'${d}'`).join(', ')})`;
}

/**
 * Whether `engine` rounds values of `type` (Babelfish stores times and date-times to the
 * microsecond, as PostgreSQL does: `DATETIME2(7)` and `TIME(7)` keep 6 fraction digits).
 */
export function roundsSeventhDigit(type: DbType, engine: MssqlEngine): boolean {
  return engine === 'babelfish' && (type.kind === 'time' || type.kind === 'datetime') && type.fractionDigits === 7;
}

/**
 * Why a staged value of `column` is a conversion error: the engine's rounding of a 7th fraction
 * digit (see {@link roundsSeventhDigit}), or a value the server cannot convert.
 */
export function conversionReason(column: ColumnDef, value: DbValue, engine: MssqlEngine): string {
  const text = String(value ?? '');
  if (roundsSeventhDigit(column.type, engine) && /\.\d{6}[1-9]/.test(text)) {
    return `${JSON.stringify(text.slice(0, 60))} has 7 fraction digits of a second; Babelfish keeps 6 and would round it (SQL Server keeps 7). Round the value to microseconds in the file, or load it into SQL Server`;
  }
  return `the server could not convert ${JSON.stringify(text.slice(0, 60))} to ${formatDbType(column.type)} (TRY_CONVERT failed)`;
}

/**
 * The staged value as the conversion sees it: on an engine that would round it (see
 * {@link roundsSeventhDigit}), a value with a 7th fraction digit becomes text that converts to
 * nothing, so it is a conversion error with its line instead of a silently changed value.
 */
function exactInput(type: DbType, expr: string, engine: MssqlEngine): string {
  return roundsSeventhDigit(type, engine) ? `CASE WHEN ${seventhDigitSql(expr)} THEN N'-' ELSE ${expr} END` : expr;
}

/**
 * {@link tryConvertSql} with `CONVERT`: the same conversion, an error instead of NULL when a value
 * does not convert (the optimistic one-statement fill of typed staging).
 *
 * @example
 * ```ts
 * convertSql({ kind: 'date' }, '[c1]'); // 'CONVERT(DATE, [c1], 23)'
 * ```
 */
export function convertSql(type: DbType, expr: string, engine: MssqlEngine = 'sqlserver'): string | undefined {
  return convertWith('CONVERT', type, exactInput(type, expr, engine));
}

function convertWith(fn: 'CONVERT' | 'TRY_CONVERT', type: DbType, expr: string): string | undefined {
  switch (type.kind) {
    case 'decimal':
      return `${fn}(${mssqlType(type)}, ${expr})`;
    case 'date':
      return `${fn}(DATE, ${expr}, 23)`;
    case 'datetime':
      // DATETIMEOFFSET converts at the default scale, then casts to the column's: Babelfish's
      // TRY_CONVERT(DATETIMEOFFSET(p), …, 127) is NULL for every input (measured on 4.2.0), and the
      // staged text never has more fraction digits than the column, so the cast is exact.
      return type.offset
        ? `CAST(${fn}(DATETIMEOFFSET, ${expr}, 127) AS ${mssqlType(type)})`
        : `${fn}(${mssqlType(type)}, ${expr}, 126)`;
    case 'time':
    case 'uuid':
      return `${fn}(${mssqlType(type)}, ${expr})`;
    default:
      return undefined;
  }
}

/**
 * The SELECT expression that reads a column exactly: decimals and temporal values as text
 * (CONVERT to NVARCHAR), everything else as is.
 *
 * @example
 * ```ts
 * readExpressionSql({ kind: 'decimal', precision: 38, scale: 10 }, '[price]'); // 'CONVERT(NVARCHAR(64), [price])'
 * ```
 */
export function readExpressionSql(type: DbType, expr: string): string {
  switch (type.kind) {
    case 'decimal':
    case 'time':
      return `CONVERT(NVARCHAR(64), ${expr})`;
    case 'date':
      return `CONVERT(NVARCHAR(10), ${expr}, 23)`;
    case 'datetime':
      return `CONVERT(NVARCHAR(64), ${expr}, 126)`;
    case 'uuid':
      return `LOWER(CONVERT(NVARCHAR(36), ${expr}))`;
    default:
      return expr;
  }
}

/** Pads or trims (zeros only) the fraction of `hh:mm:ss[.f]` to exactly `digits` digits. */
function fixFraction(hms: string, digits: number): string {
  const dot = hms.indexOf('.');
  const whole = dot < 0 ? hms : hms.slice(0, dot);
  let fraction = dot < 0 ? '' : hms.slice(dot + 1);
  if (fraction.length > digits) fraction = fraction.slice(0, digits);
  fraction = fraction.padEnd(digits, '0');
  return digits === 0 ? whole : `${whole}.${fraction}`;
}

/**
 * Canonical value of a column read with {@link readExpressionSql}: decimals as the server's exact
 * text, times and date-times with exactly the column's fraction digits, zero offsets as `Z`,
 * BIGINT (which tedious returns as a string) as bigint.
 *
 * @example
 * ```ts
 * mssqlReadValue({ kind: 'time', fractionDigits: 3 }, '23:59:59.9990000'); // '23:59:59.999'
 * ```
 */
export function mssqlReadValue(type: DbType, raw: unknown): DbValue {
  if (raw === null || raw === undefined) return null;
  switch (type.kind) {
    case 'boolean':
      return Boolean(raw);
    case 'int':
      return Number(raw);
    case 'bigint':
      return typeof raw === 'bigint' ? raw : BigInt(String(raw));
    case 'time':
      return fixFraction(String(raw), type.fractionDigits);
    case 'decimal':
      return minimalDecimal(String(raw));
    case 'datetime': {
      const text = String(raw);
      // SQL Server answers style 126 as `2024-03-31T02:30:00.1230000+09:00`; Babelfish ignores the
      // style and answers `2024-03-31 02:30:00.123 +09:00` (trailing fraction zeros dropped).
      const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
      if (m === null) return text;
      const local = `${m[1] as string}T${fixFraction(m[2] as string, type.fractionDigits)}`;
      if (!type.offset) return local;
      const zone = m[3] ?? 'Z';
      return `${local}${zone === '+00:00' || zone === '-00:00' ? 'Z' : zone}`;
    }
    default:
      return typeof raw === 'string' ? raw : String(raw);
  }
}

/**
 * The logical type of a column described by `sys.columns` + `sys.types` (max_length in bytes,
 * -1 for MAX). Unknown types map to text.
 *
 * @example
 * ```ts
 * parseMssqlType('nvarchar', 20, 0, 0); // { kind: 'text', maxLength: 10 }
 * ```
 */
export function parseMssqlType(typeName: string, maxLength: number, precision: number, scale: number): DbType {
  switch (typeName.toLowerCase()) {
    case 'bit':
      return { kind: 'boolean' };
    case 'int':
    case 'smallint':
    case 'tinyint':
      return { kind: 'int' };
    case 'bigint':
      return { kind: 'bigint' };
    case 'decimal':
    case 'numeric':
      return { kind: 'decimal', precision, scale };
    case 'date':
      return { kind: 'date' };
    case 'datetime2':
      return { kind: 'datetime', offset: false, fractionDigits: scale };
    case 'datetimeoffset':
      return { kind: 'datetime', offset: true, fractionDigits: scale };
    case 'time':
      return { kind: 'time', fractionDigits: scale };
    case 'uniqueidentifier':
      return { kind: 'uuid' };
    case 'nvarchar':
    case 'nchar':
      return maxLength < 0 ? { kind: 'text' } : { kind: 'text', maxLength: maxLength / 2 };
    case 'varchar':
    case 'char':
      return maxLength < 0 ? { kind: 'text' } : { kind: 'text', maxLength };
    default:
      return { kind: 'text' };
  }
}

/** Quoted `[schema].[name]`. */
export function qualified(schema: string, name: string): string {
  return `${q(schema)}.${q(name)}`;
}
