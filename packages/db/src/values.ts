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
/**
 * A decimal in minimal form: no trailing fraction zeros (`1.50` → `1.5`, `2.00` → `2`, `-0.00` →
 * `0`). Both dialects read decimals back in this form, so the same file exports the same text from
 * SQLite and SQL Server: a DECIMAL column holds a number, not its spelling (SQL Server cannot
 * remember that a file wrote `0.10`), see the db README.
 *
 * @example
 * ```ts
 * minimalDecimal('100.500'); // '100.5'
 * ```
 */
export function minimalDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return /^-0*$/.test(trimmed) ? '0' : trimmed;
}

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

/**
 * Checks one value of a column. Throws `DB_VALUE_INVALID` when the value does not have the
 * canonical JavaScript type and text form of the column type (a bug in the caller); returns a
 * reason when the value is well-formed but does not fit the column (too many digits, too long,
 * not a real date): the row then becomes a conversion error of {@link LoadSession.validate}, as
 * a failed TRY_CONVERT would on SQL Server. Returns undefined when the value fits.
 */
export type ValueChecker = (value: DbValue, line: number) => string | undefined;

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Reason a `YYYY-MM-DD` text is not a real calendar date (years 0001–9999), or undefined. */
export function dateProblem(text: string): string | undefined {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  if (y < 1) return 'year 0000 does not exist';
  if (m < 1 || m > 12) return `month ${text.slice(5, 7)} does not exist`;
  const max = m === 2 && !isLeap(y) ? 28 : (DAYS[m - 1] as number);
  if (d < 1 || d > max) return `day ${text.slice(8, 10)} does not exist in ${text.slice(0, 7)}`;
  return undefined;
}

/** Reason an `HH:MM:SS[.f…]` text is not a time of day with at most `digits` fraction digits, or undefined. */
export function timeProblem(text: string, digits: number): string | undefined {
  const h = Number(text.slice(0, 2));
  const mi = Number(text.slice(3, 5));
  const se = Number(text.slice(6, 8));
  if (h > 23 || mi > 59 || se > 59) return `${text.slice(0, 8)} is not a time of day`;
  const fraction = text.length > 9 ? text.slice(9).replace(/0+$/, '') : '';
  if (fraction.length > digits) return `has ${fraction.length} fraction digits; the column keeps ${digits}`;
  return undefined;
}

/** Reason a canonical decimal text does not fit DECIMAL(precision, scale), or undefined. */
export function decimalProblem(text: string, precision: number, scale: number): string | undefined {
  const unsigned = text.charCodeAt(0) === 45 ? text.slice(1) : text;
  const dot = unsigned.indexOf('.');
  const intPart = (dot < 0 ? unsigned : unsigned.slice(0, dot)).replace(/^0+/, '');
  const fraction = dot < 0 ? '' : unsigned.slice(dot + 1).replace(/0+$/, '');
  if (fraction.length > scale) return `has ${fraction.length} decimal places; the column keeps ${scale}`;
  if (intPart.length > precision - scale) {
    return `has ${intPart.length} digits before the point; decimal(${precision},${scale}) holds ${precision - scale}`;
  }
  return undefined;
}

/**
 * The value check of a column (see {@link ValueChecker}).
 *
 * @example
 * ```ts
 * const check = valueChecker({ name: 'price', type: { kind: 'decimal', precision: 5, scale: 2 }, nullable: true });
 * check('1.50', 2); // undefined: fits
 * check('1.505', 3); // 'has 3 decimal places; the column keeps 2'
 * check(1.5, 4); // throws DB_VALUE_INVALID: decimals must be exact strings
 * ```
 */
export function valueChecker(column: ColumnDef): ValueChecker {
  const fail = (value: DbValue, line: number, expected: string): never => {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : String(value);
    throw new DbError(
      DbErrorCode.VALUE_INVALID,
      `Line ${line}, column ${JSON.stringify(column.name)}: expected ${expected}, got ${typeof value} ${shown}; convert values to their canonical form before writing them.`,
    );
  };
  const nullable = column.nullable;
  const nullProblem = nullable ? undefined : 'is empty but the column is NOT NULL';
  const textOf =
    (re: RegExp, expected: string) =>
    (value: DbValue, line: number): string => {
      if (typeof value !== 'string' || !re.test(value)) return fail(value, line, expected);
      return value;
    };
  const type = column.type;
  let check: (value: Exclude<DbValue, null>, line: number) => string | undefined;
  switch (type.kind) {
    case 'boolean':
      check = (value, line) => (typeof value === 'boolean' ? undefined : fail(value, line, 'a boolean'));
      break;
    case 'int':
      check = (value, line) => {
        if (typeof value === 'number') {
          if (!Number.isInteger(value)) return fail(value, line, 'an integer');
          return value < -2147483648 || value > 2147483647 ? 'is outside the 32-bit integer range' : undefined;
        }
        if (typeof value === 'bigint') {
          return value < -2147483648n || value > 2147483647n ? 'is outside the 32-bit integer range' : undefined;
        }
        return fail(value, line, 'an integer');
      };
      break;
    case 'bigint':
      check = (value, line) => {
        if (typeof value === 'bigint') {
          return value < -9223372036854775808n || value > 9223372036854775807n
            ? 'is outside the 64-bit integer range'
            : undefined;
        }
        if (typeof value === 'number' && Number.isSafeInteger(value)) return undefined;
        return fail(value, line, 'a bigint or safe integer');
      };
      break;
    case 'decimal': {
      const text = textOf(DECIMAL_PATTERN, 'a decimal as an exact string (-?digits[.digits])');
      check = (value, line) => decimalProblem(text(value, line), type.precision, type.scale);
      break;
    }
    case 'date': {
      const text = textOf(DATE_PATTERN, 'a date as YYYY-MM-DD');
      check = (value, line) => dateProblem(text(value, line));
      break;
    }
    case 'time': {
      const text = textOf(TIME_PATTERN, 'a time as HH:MM:SS[.fraction]');
      check = (value, line) => timeProblem(text(value, line), type.fractionDigits);
      break;
    }
    case 'datetime': {
      const text = type.offset
        ? textOf(DATETIME_OFFSET_PATTERN, 'a date-time as YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)')
        : textOf(DATETIME_PATTERN, 'a date-time as YYYY-MM-DDTHH:MM:SS[.fraction]');
      check = (value, line) => {
        const t = text(value, line);
        const tail = t.slice(11);
        const zone = type.offset ? (/(?:Z|[+-]\d{2}:\d{2})$/.exec(tail)?.[0] ?? '') : '';
        if (
          zone.length === 6 &&
          (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)) > 14 * 60 || Number(zone.slice(4, 6)) > 59)
        ) {
          return `offset ${zone} is outside ±14:00`;
        }
        return (
          dateProblem(t.slice(0, 10)) ?? timeProblem(tail.slice(0, tail.length - zone.length), type.fractionDigits)
        );
      };
      break;
    }
    case 'uuid': {
      const text = textOf(UUID_PATTERN, 'a UUID');
      check = (value, line) => {
        text(value, line);
        return undefined;
      };
      break;
    }
    case 'text': {
      const max = type.maxLength;
      check = (value, line) => {
        if (typeof value !== 'string') return fail(value, line, 'a string');
        // NVARCHAR(n) counts UTF-16 code units, as JavaScript's length does.
        return max !== undefined && value.length > max
          ? `is ${value.length} characters long; the column holds ${max}`
          : undefined;
      };
      break;
    }
    default:
      throw new DbError(DbErrorCode.OPTION_INVALID, `Column ${JSON.stringify(column.name)} has an unknown type.`);
  }
  return (value, line) => (value === null ? nullProblem : check(value, line));
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

/**
 * The UTC stamp in snapshot names, e.g. `20250101T120000123Z` (sorts like the time it encodes).
 *
 * @example
 * ```ts
 * snapshotStamp(new Date('2025-01-01T12:00:00.123Z')); // '20250101T120000123Z'
 * ```
 */
export function snapshotStamp(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}
