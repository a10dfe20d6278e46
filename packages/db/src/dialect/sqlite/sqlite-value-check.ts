/**
 * Value checks of the SQLite staging write, fast for the common case: a value already in
 * canonical form that fits its column is accepted with a few character comparisons (no regex,
 * no substrings). Anything else — NULL in a NOT NULL column, a value that does not fit, a value
 * of the wrong form — goes to the shared {@link valueChecker}, so reasons and errors are exactly
 * its own.
 */
import type { ColumnDef } from '../../types.js';
import { type ValueChecker, valueChecker } from '../../values.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Two digits at `at` as a number, or -1. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at);
  const b = text.charCodeAt(at + 1);
  return isDigit(a) && isDigit(b) ? (a - 48) * 10 + (b - 48) : -1;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD` at `at` is a real date (years 0001–9999). */
function isDateAt(text: string, at: number): boolean {
  if (text.charCodeAt(at + 4) !== 45 || text.charCodeAt(at + 7) !== 45) return false;
  const hi = twoDigits(text, at);
  const lo = twoDigits(text, at + 2);
  const month = twoDigits(text, at + 5);
  const day = twoDigits(text, at + 8);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) return false;
  const year = hi * 100 + lo;
  if (year < 1) return false;
  if (day <= 28) return true;
  if (month === 2) return day === 29 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] as number);
}

/**
 * `HH:MM:SS[.f{1,9}]` from `at` to `end` is a time of day whose fraction, without trailing
 * zeros, has at most `digits` digits.
 */
function isTimeAt(text: string, at: number, end: number, digits: number): boolean {
  if (end - at < 8 || text.charCodeAt(at + 2) !== 58 || text.charCodeAt(at + 5) !== 58) return false;
  const h = twoDigits(text, at);
  const m = twoDigits(text, at + 3);
  const s = twoDigits(text, at + 6);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return false;
  if (end === at + 8) return true;
  if (text.charCodeAt(at + 8) !== 46) return false;
  const from = at + 9;
  if (end - from < 1 || end - from > 9) return false;
  let significant = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return false;
    if (c !== 48) significant = i - from + 1;
  }
  return significant <= digits;
}

/** `-?\d+(\.\d+)?` whose digits (without leading/trailing zeros) fit DECIMAL(precision, scale). */
function isFittingDecimal(text: string, precision: number, scale: number): boolean {
  const len = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  const start = i;
  let firstNonZero = -1;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) break;
    if (firstNonZero < 0 && c !== 48) firstNonZero = i;
    i++;
  }
  if (i === start) return false;
  const intDigits = firstNonZero < 0 ? 0 : i - firstNonZero;
  if (intDigits > precision - scale) return false;
  if (i === len) return true;
  if (text.charCodeAt(i) !== 46) return false;
  const from = ++i;
  let significant = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return false;
    i++;
    if (c !== 48) significant = i - from;
  }
  return i > from && significant <= scale;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!isHex(c)) return false;
  }
  return true;
}

/** Kinds of the fast check, one per column. */
const K_BOOLEAN = 0;
const K_INT = 1;
const K_BIGINT = 2;
const K_DECIMAL = 3;
const K_DATE = 4;
const K_TIME = 5;
const K_DATETIME = 6;
const K_DATETIME_OFFSET = 7;
const K_UUID = 8;
const K_TEXT = 9;
const K_NONE = 10;

/** A date-time with a `Z` or `±HH:MM` offset (at most ±14:00) whose time keeps `digits` fraction digits. */
function isDatetimeOffset(v: string, digits: number): boolean {
  if (v.length < 20 || v.charCodeAt(10) !== 84 || !isDateAt(v, 0)) return false;
  const len = v.length;
  let end: number;
  if (v.charCodeAt(len - 1) === 90) end = len - 1;
  else {
    const sign = v.charCodeAt(len - 6);
    if ((sign !== 43 && sign !== 45) || v.charCodeAt(len - 3) !== 58) return false;
    const hh = twoDigits(v, len - 5);
    const mm = twoDigits(v, len - 2);
    if (hh < 0 || mm < 0 || mm > 59 || hh * 60 + mm > 14 * 60) return false;
    end = len - 6;
  }
  return isTimeAt(v, 11, end, digits);
}

/** The fast check's view of one column: its kind and two numeric parameters. */
function kindOf(column: ColumnDef): [kind: number, a: number, b: number] {
  const type = column.type;
  switch (type.kind) {
    case 'boolean':
      return [K_BOOLEAN, 0, 0];
    case 'int':
      return [K_INT, 0, 0];
    case 'bigint':
      return [K_BIGINT, 0, 0];
    case 'decimal':
      return [K_DECIMAL, type.precision, type.scale];
    case 'date':
      return [K_DATE, 0, 0];
    case 'time':
      return [K_TIME, type.fractionDigits, 0];
    case 'datetime':
      return [type.offset ? K_DATETIME_OFFSET : K_DATETIME, type.fractionDigits, 0];
    case 'uuid':
      return [K_UUID, 0, 0];
    case 'text':
      return [K_TEXT, type.maxLength ?? -1, 0];
    default:
      return [K_NONE, 0, 0];
  }
}

/** True when a non-null `v` is canonical for the kind and fits its parameters. */
function fits(kind: number, a: number, b: number, v: unknown): boolean {
  switch (kind) {
    case K_BOOLEAN:
      return typeof v === 'boolean';
    case K_INT:
      return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
    case K_BIGINT:
      return typeof v === 'bigint'
        ? v >= INT64_MIN && v <= INT64_MAX
        : typeof v === 'number' && Number.isSafeInteger(v);
    case K_DECIMAL:
      return typeof v === 'string' && isFittingDecimal(v, a, b);
    case K_DATE:
      return typeof v === 'string' && v.length === 10 && isDateAt(v, 0);
    case K_TIME:
      return typeof v === 'string' && isTimeAt(v, 0, v.length, a);
    case K_DATETIME:
      return typeof v === 'string' && v.charCodeAt(10) === 84 && isDateAt(v, 0) && isTimeAt(v, 11, v.length, a);
    case K_DATETIME_OFFSET:
      return typeof v === 'string' && isDatetimeOffset(v, a);
    case K_UUID:
      return typeof v === 'string' && isUuid(v);
    case K_TEXT:
      return typeof v === 'string' && (a < 0 || v.length <= a);
    default:
      return false;
  }
}

/**
 * The check of one column for the staging write: the same answers as {@link valueChecker}
 * (reasons, `DB_VALUE_INVALID` errors), with canonical values that fit decided without it.
 *
 * @example
 * ```ts
 * const check = stagingValueChecker({ name: 'day', type: { kind: 'date' }, nullable: true });
 * check('2024-02-29', 2); // undefined
 * check('2023-02-29', 3); // 'day 29 does not exist in 2023-02'
 * ```
 */
export function stagingValueChecker(column: ColumnDef): ValueChecker {
  const full = valueChecker(column);
  const [kind, a, b] = kindOf(column);
  return (value, line) => (value !== null && fits(kind, a, b, value) ? undefined : full(value, line));
}

/**
 * The fast check of whole rows for the staging write: true when every value of the row at
 * `offset` of `values` (the whole array by default) is
 * non-null (or NULL in a nullable column), canonical and fits its column, so that every
 * {@link valueChecker} of the row would answer undefined. False means "check each value with
 * {@link stagingValueChecker}", which finds the problem, if there is one.
 *
 * @example
 * ```ts
 * const fitsRow = stagingRowCheck([{ name: 'day', type: { kind: 'date' }, nullable: false }]);
 * fitsRow(['2024-02-29']); // true
 * fitsRow([null]); // false: the column is NOT NULL
 * fitsRow(['x', '2024-02-29'], 1); // true: the row starting at index 1 of a flat array
 * ```
 */
export function stagingRowCheck(
  columns: readonly ColumnDef[],
): (values: readonly unknown[], offset?: number) => boolean {
  const width = columns.length;
  const kinds = new Int32Array(width);
  const as = new Float64Array(width);
  const bs = new Float64Array(width);
  const nullable = new Uint8Array(width);
  columns.forEach((column, i) => {
    const [kind, a, b] = kindOf(column);
    kinds[i] = kind;
    as[i] = a;
    bs[i] = b;
    nullable[i] = column.nullable ? 1 : 0;
  });
  return (values, offset = 0) => {
    for (let i = 0; i < width; i++) {
      const v = values[offset + i];
      if (v === null) {
        if (nullable[i] === 0) return false;
      } else if (!fits(kinds[i] as number, as[i] as number, bs[i] as number, v)) return false;
    }
    return true;
  };
}
