/**
 * Canonical value checks shared by both dialects, and logical type helpers.
 */
import { DbError, DbErrorCode } from './errors.js';
import type { ColumnDef, DbType, DbValue } from './types.js';

/** `-?digits[.digits]`: the canonical decimal form. */
export const DECIMAL_PATTERN: RegExp = /^-?\d+(?:\.\d+)?$/;
/** `YYYY-MM-DD`. */
export const DATE_PATTERN: RegExp = /^\d{4}-\d{2}-\d{2}$/;
/** `HH:MM:SS[.f…]`. */
export const TIME_PATTERN: RegExp = /^\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
/** `YYYY-MM-DDTHH:MM:SS[.f…]` without offset. */
export const DATETIME_PATTERN: RegExp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?$/;
/** `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM)`. */
export const DATETIME_OFFSET_PATTERN: RegExp =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
/** Lower- or upper-case hyphenated UUID. */
export const UUID_PATTERN: RegExp = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * True when two logical types are the same.
 *
 * @example
 * ```ts
 * sameDbType({ kind: 'int' }, { kind: 'int' }); // true
 * ```
 */
export function sameDbType(a: DbType, b: DbType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'decimal':
      return b.kind === 'decimal' && a.precision === b.precision && a.scale === b.scale;
    case 'datetime':
      return b.kind === 'datetime' && a.offset === b.offset && a.fractionDigits === b.fractionDigits;
    case 'time':
      return b.kind === 'time' && a.fractionDigits === b.fractionDigits;
    case 'text':
      return b.kind === 'text' && a.maxLength === b.maxLength;
    default:
      return true;
  }
}

/**
 * Validates a logical type's parameters (precision 1–38, scale 0–precision, fraction digits 0–7,
 * text length 1–4000 or unbounded). Throws `DB_OPTION_INVALID`.
 *
 * @example
 * ```ts
 * assertDbType({ kind: 'decimal', precision: 38, scale: 10 }, 'price');
 * ```
 */
export function assertDbType(type: DbType, column: string): void {
  const bad = (what: string): never => {
    throw new DbError(DbErrorCode.OPTION_INVALID, `Column ${JSON.stringify(column)}: ${what}.`);
  };
  switch (type.kind) {
    case 'boolean':
    case 'int':
    case 'bigint':
    case 'date':
    case 'uuid':
      return;
    case 'decimal':
      if (!Number.isInteger(type.precision) || type.precision < 1 || type.precision > 38) {
        bad(`decimal precision ${type.precision} is outside 1–38`);
      }
      if (!Number.isInteger(type.scale) || type.scale < 0 || type.scale > type.precision) {
        bad(`decimal scale ${type.scale} is outside 0–${type.precision}`);
      }
      return;
    case 'datetime':
    case 'time':
      if (!Number.isInteger(type.fractionDigits) || type.fractionDigits < 0 || type.fractionDigits > 7) {
        bad(`${type.kind} fraction digits ${type.fractionDigits} are outside 0–7`);
      }
      return;
    case 'text':
      if (
        type.maxLength !== undefined &&
        (!Number.isInteger(type.maxLength) || type.maxLength < 1 || type.maxLength > 4000)
      ) {
        bad(`text length ${type.maxLength} is outside 1–4000 (leave it undefined for unbounded text)`);
      }
      return;
    default:
      bad(`unknown type ${JSON.stringify((type as { kind: unknown }).kind)}`);
  }
}

/**
 * A short human form of a logical type, e.g. `decimal(38,10)`, used in messages.
 *
 * @example
 * ```ts
 * formatDbType({ kind: 'datetime', offset: true, fractionDigits: 3 }); // 'datetimeoffset(3)'
 * ```
 */
export function formatDbType(type: DbType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'datetime':
      return `${type.offset ? 'datetimeoffset' : 'datetime'}(${type.fractionDigits})`;
    case 'time':
      return `time(${type.fractionDigits})`;
    case 'text':
      return type.maxLength === undefined ? 'text' : `text(${type.maxLength})`;
    default:
      return type.kind;
  }
}

/** Converts one canonical value for a column, throwing `DB_VALUE_INVALID` on the wrong form. */
export type ValueConverter<T> = (value: DbValue, line: number) => T;

/**
 * The canonical-form check for a column: returns a function that throws `DB_VALUE_INVALID` (naming
 * the line, column and expected form) when a value has the wrong JavaScript type or text shape.
 *
 * @example
 * ```ts
 * const check = canonicalCheck({ name: 'price', type: { kind: 'decimal', precision: 9, scale: 2 }, nullable: true });
 * check('1.50', 2); // ok
 * check(1.5, 3); // throws: decimals must be exact strings
 * ```
 */
export function canonicalCheck(column: ColumnDef): (value: DbValue, line: number) => void {
  const fail = (value: DbValue, line: number, expected: string): never => {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : String(value);
    throw new DbError(
      DbErrorCode.VALUE_INVALID,
      `Line ${line}, column ${JSON.stringify(column.name)}: expected ${expected}, got ${typeof value} ${shown}; convert values to their canonical form before writing them.`,
    );
  };
  const nullable = column.nullable;
  const nullCheck = (value: DbValue, line: number): boolean => {
    if (value !== null) return false;
    if (!nullable) fail(value, line, 'a value (the column is NOT NULL)');
    return true;
  };
  const pattern = (re: RegExp, expected: string) => (value: DbValue, line: number) => {
    if (nullCheck(value, line)) return;
    if (typeof value !== 'string' || !re.test(value)) fail(value, line, expected);
  };
  const type = column.type;
  switch (type.kind) {
    case 'boolean':
      return (value, line) => {
        if (nullCheck(value, line)) return;
        if (typeof value !== 'boolean') fail(value, line, 'a boolean');
      };
    case 'int':
      return (value, line) => {
        if (nullCheck(value, line)) return;
        if (typeof value === 'bigint' ? value < -2147483648n || value > 2147483647n : !Number.isInteger(value)) {
          fail(value, line, 'an integer');
        }
        if (typeof value === 'number' && (value < -2147483648 || value > 2147483647))
          fail(value, line, 'a 32-bit integer');
      };
    case 'bigint':
      return (value, line) => {
        if (nullCheck(value, line)) return;
        if (typeof value === 'bigint') {
          if (value < -9223372036854775808n || value > 9223372036854775807n) fail(value, line, 'a 64-bit integer');
        } else if (!Number.isSafeInteger(value)) fail(value, line, 'a bigint or safe integer');
      };
    case 'decimal':
      return pattern(DECIMAL_PATTERN, 'a decimal as an exact string (-?digits[.digits])');
    case 'date':
      return pattern(DATE_PATTERN, 'a date as YYYY-MM-DD');
    case 'time':
      return pattern(TIME_PATTERN, 'a time as HH:MM:SS[.fraction]');
    case 'datetime':
      return type.offset
        ? pattern(DATETIME_OFFSET_PATTERN, 'a date-time as YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)')
        : pattern(DATETIME_PATTERN, 'a date-time as YYYY-MM-DDTHH:MM:SS[.fraction]');
    case 'uuid':
      return pattern(UUID_PATTERN, 'a UUID');
    case 'text':
      return (value, line) => {
        if (nullCheck(value, line)) return;
        if (typeof value !== 'string') fail(value, line, 'a string');
      };
  }
}

/**
 * Renders values as one CSV line (RFC 4180 quoting; NULL as an empty field), used for the `raw`
 * text of rows the database rejects after staging.
 *
 * @example
 * ```ts
 * renderCsvLine(['a,b', null, 1n]); // '"a,b",,1'
 * ```
 */
export function renderCsvLine(values: readonly DbValue[]): string {
  return values
    .map((v) => {
      if (v === null) return '';
      const s = String(v);
      return /[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
    })
    .join(',');
}

/**
 * JSON.stringify that writes bigints as strings (audit details may carry bigint values).
 *
 * @example
 * ```ts
 * toJson({ n: 1n }); // '{"n":"1"}'
 * ```
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
