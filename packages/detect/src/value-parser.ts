/**
 * Exact conversions from cell text to canonical values, shared by detection and ingestion.
 */
import type { ValueParser } from './api.js';
import { canonicalDecimal, hasLeadingZero, integerSize, isIntegerText, parseDecimalParts } from './numbers.js';
import { canonicalDate, canonicalTime, compileTemporal } from './temporal.js';
import type { CanonicalValue, ColumnType, ParsedValue } from './types.js';

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', 'y', 't', '1', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'no', 'n', 'f', '0', 'off']);
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const fail = (reason: string): ParsedValue => ({ ok: false, reason });
const ok = (value: CanonicalValue): ParsedValue => ({ ok: true, value });
const NULL_VALUE: ParsedValue = Object.freeze({ ok: true, value: null });
const TRUE_VALUE: ParsedValue = Object.freeze({ ok: true, value: true });
const FALSE_VALUE: ParsedValue = Object.freeze({ ok: true, value: false });

function quoteForReason(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function buildParser(type: ColumnType): ValueParser {
  switch (type.kind) {
    case 'text':
      return (raw) => ok(raw);
    case 'boolean':
      return (raw) => {
        const word = raw.trim().toLowerCase();
        if (TRUE_WORDS.has(word)) return TRUE_VALUE;
        if (FALSE_WORDS.has(word)) return FALSE_VALUE;
        return fail(`${quoteForReason(raw)} is not a boolean (expected true/false, yes/no or 1/0)`);
      };
    case 'integer': {
      const size = type.size;
      return (raw) => {
        const text = raw.trim();
        if (!isIntegerText(text)) return fail(`${quoteForReason(raw)} is not a whole number`);
        if (hasLeadingZero(text)) {
          return fail(`${quoteForReason(raw)} has leading zeros that a number would lose; declare the column as text`);
        }
        const fits = integerSize(text);
        if (fits === null || (size === 'int' && fits === 'bigint')) {
          return fail(
            `${quoteForReason(raw)} is out of range for a ${size === 'int' ? '32' : '64'}-bit integer; declare the column as ${size === 'int' ? 'bigint' : 'decimal'}`,
          );
        }
        if (size === 'int') return ok(Number(text));
        return ok(BigInt(text));
      };
    }
    case 'decimal': {
      const { precision, scale, decimalSeparator, groupSeparator } = type;
      const maxInt = precision - scale;
      return (raw) => {
        const text = raw.trim();
        const parts = parseDecimalParts(text, decimalSeparator, groupSeparator);
        if (parts === null) {
          return fail(
            `${quoteForReason(raw)} is not a decimal number written with '${decimalSeparator}' as the decimal separator`,
          );
        }
        if (parts.leadingZeros) {
          return fail(`${quoteForReason(raw)} has leading zeros that a number would lose; declare the column as text`);
        }
        if (parts.integer.length > maxInt || parts.fraction.length > scale) {
          return fail(
            `${quoteForReason(raw)} does not fit DECIMAL(${precision},${scale}); declare a larger precision or scale`,
          );
        }
        return ok(canonicalDecimal(parts));
      };
    }
    case 'date': {
      const match = compileTemporal(type.format);
      return (raw) => {
        const p = match(raw.trim());
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid date in the format ${type.format}`);
        return ok(canonicalDate(p));
      };
    }
    case 'time': {
      const match = compileTemporal(type.format);
      const digits = type.fractionDigits;
      return (raw) => {
        const p = match(raw.trim());
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid time in the format ${type.format}`);
        if (p.fraction.length > digits) {
          return fail(`${quoteForReason(raw)} has more than ${digits} fraction digits; they would be lost`);
        }
        return ok(canonicalTime(p));
      };
    }
    case 'datetime': {
      const match = compileTemporal(type.format);
      const { offset, fractionDigits } = type;
      return (raw) => {
        const p = match(raw.trim());
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid date-time in the format ${type.format}`);
        if (p.fraction.length > fractionDigits) {
          return fail(`${quoteForReason(raw)} has more than ${fractionDigits} fraction digits; they would be lost`);
        }
        if (offset && p.offset === '')
          return fail(`${quoteForReason(raw)} has no UTC offset, unlike the rest of the column`);
        if (!offset && p.offset !== '')
          return fail(`${quoteForReason(raw)} has a UTC offset, unlike the rest of the column`);
        return ok(`${canonicalDate(p)}T${canonicalTime(p)}${p.offset}`);
      };
    }
    case 'uuid':
      return (raw) => {
        const text = raw.trim();
        if (!UUID_RE.test(text)) return fail(`${quoteForReason(raw)} is not a UUID (8-4-4-4-12 hexadecimal digits)`);
        return ok(text.toLowerCase());
      };
    default: {
      const never: never = type;
      throw new TypeError(`unknown column type ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Builds a converter from cell text to the canonical value of one column type (see
 * {@link CanonicalValue}). A cell equal to one of `nullTokens` becomes `null`; any other cell is
 * converted exactly (decimals as strings, dates from their components) or rejected with a reason
 * that says what to do. Text is returned unchanged; numbers, dates, times, booleans and UUIDs
 * ignore surrounding spaces.
 *
 * @example
 * ```ts
 * const parse = createValueParser({ kind: 'decimal', precision: 9, scale: 2, decimalSeparator: ',', groupSeparator: '.' }, ['']);
 * parse('1.234,50'); // { ok: true, value: '1234.50' }
 * parse('');         // { ok: true, value: null }
 * parse('abc');      // { ok: false, reason: '"abc" is not a decimal number …' }
 * ```
 */
export function createValueParser(type: ColumnType, nullTokens: readonly string[]): ValueParser {
  const convert = buildParser(type);
  const tokens = new Set(nullTokens);
  if (tokens.size === 0) return convert;
  if (tokens.size === 1 && tokens.has('')) return (raw) => (raw === '' ? NULL_VALUE : convert(raw));
  return (raw) => (tokens.has(raw) ? NULL_VALUE : convert(raw));
}

/**
 * Writes a canonical value as text for RFC 4180 export: `null` → `''`, booleans → `true`/`false`,
 * integers as plain digits (never an exponent), strings (decimals, dates, times, UUIDs, text)
 * unchanged. Quoting is the writer's job.
 *
 * @example
 * ```ts
 * formatCanonical(12345678901234567890n); // '12345678901234567890'
 * formatCanonical('0.10');               // '0.10'
 * ```
 */
export function formatCanonical(value: CanonicalValue): string {
  if (value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
      return Number.isFinite(value) ? plainNumber(value) : String(value);
    default:
      return String(value);
  }
}

function plainNumber(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // Expand the exponent of the shortest round-trip representation without going through arithmetic.
  const [mantissa = '', expText = '0'] = text.toLowerCase().split('e');
  const negative = mantissa.startsWith('-');
  const [intPart = '', fracPart = ''] = mantissa.replace('-', '').split('.');
  const digits = intPart + fracPart;
  const point = intPart.length + Number(expText);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
