/**
 * Exact conversions from cell text to canonical values, shared by detection and ingestion.
 */
import type { ValueParser } from './api.js';
import {
  canonicalDecimal,
  canonicalDecimalText,
  hasLeadingZero,
  integerSize,
  isIntegerText,
  isSmallBigintText,
  parseDecimalParts,
  smallIntegerValue,
} from './numbers.js';
import {
  canonicalDate,
  canonicalOffsetLength,
  canonicalTime,
  canonicalTimeLength,
  compileTemporal,
  isCanonicalDateAt,
  type TemporalParts,
} from './temporal.js';
import type { CanonicalValue, ColumnType, ParsedValue } from './types.js';

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', 'y', 't', '1', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'no', 'n', 'f', '0', 'off']);
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const fail = (reason: string): ParsedValue => ({ ok: false, reason });
const ok = (value: CanonicalValue): ParsedValue => ({ ok: true, value });
const NULL_VALUE: ParsedValue = Object.freeze({ ok: true, value: null });
const TRUE_VALUE: ParsedValue = Object.freeze({ ok: true, value: true });
const FALSE_VALUE: ParsedValue = Object.freeze({ ok: true, value: false });

/** Time formats whose fixed-width fields are written in canonical order and separators. */
const VERBATIM_TIME_FORMATS: ReadonlySet<string> = new Set(['HH:mm:ss', 'HH:mm:ss[.S]']);
/** Date-time formats whose fixed-width fields are written in canonical order and separators. */
const VERBATIM_DATETIME_FORMATS: ReadonlySet<string> = new Set([
  'YYYY-MM-DDTHH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss[.S]',
  'YYYY-MM-DDTHH:mm:ssZ',
  'YYYY-MM-DDTHH:mm:ss[.S]Z',
]);

/**
 * True when `text`, matched by a verbatim format (`base` characters up to the seconds), is
 * already its canonical text: a fraction written after '.', an offset written as its canonical
 * form ('Z' or '±HH:MM'). Then the value is the text itself, with nothing rebuilt.
 */
function writtenCanonically(text: string, p: TemporalParts, base: number): boolean {
  const fraction = p.fraction.length;
  if (text.length !== base + (fraction === 0 ? 0 : fraction + 1) + p.offset.length) return false;
  if (fraction > 0 && text.charCodeAt(base) !== 46) return false;
  return p.offset.length === 0 || text.endsWith(p.offset);
}

function quoteForReason(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function buildParser(type: ColumnType): ValueParser {
  switch (type.kind) {
    case 'text':
      return (raw) => ok(raw);
    case 'boolean':
      return (raw) => {
        if (raw === 'true') return TRUE_VALUE;
        if (raw === 'false') return FALSE_VALUE;
        const word = raw.trim().toLowerCase();
        if (TRUE_WORDS.has(word)) return TRUE_VALUE;
        if (FALSE_WORDS.has(word)) return FALSE_VALUE;
        return fail(`${quoteForReason(raw)} is not a boolean (expected true/false, yes/no or 1/0)`);
      };
    case 'integer': {
      const size = type.size;
      return (raw) => {
        const text = raw.trim();
        // Fast paths: up to 9 digits always fit 32 bits, up to 18 digits always fit 64 bits.
        if (size === 'int') {
          const small = smallIntegerValue(text);
          if (small !== undefined) return ok(small);
        } else if (isSmallBigintText(text)) return ok(BigInt(text));
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
        const canonical = canonicalDecimalText(text, decimalSeparator, groupSeparator, maxInt, scale);
        if (canonical !== undefined) return ok(canonical);
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
      // In the canonical format a valid date is written exactly as its canonical text.
      const verbatim = type.format === 'YYYY-MM-DD';
      return (raw) => {
        const text = raw.trim();
        if (verbatim && text.length === 10 && isCanonicalDateAt(text, 0)) return ok(text);
        const p = match(text);
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid date in the format ${type.format}`);
        return ok(verbatim ? text : canonicalDate(p));
      };
    }
    case 'time': {
      const match = compileTemporal(type.format);
      const digits = type.fractionDigits;
      const verbatim = VERBATIM_TIME_FORMATS.has(type.format);
      const fraction = type.format.endsWith('[.S]');
      const maxFraction = Math.min(9, digits);
      return (raw) => {
        const text = raw.trim();
        // Fast path: a canonical time that fits is its own value.
        if (verbatim && canonicalTimeLength(text, 0, fraction, maxFraction) === text.length) return ok(text);
        const p = match(text);
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid time in the format ${type.format}`);
        if (p.fraction.length > digits) {
          return fail(`${quoteForReason(raw)} has more than ${digits} fraction digits; they would be lost`);
        }
        return ok(verbatim && writtenCanonically(text, p, 8) ? text : canonicalTime(p));
      };
    }
    case 'datetime': {
      const match = compileTemporal(type.format);
      const { offset, fractionDigits } = type;
      const verbatim = VERBATIM_DATETIME_FORMATS.has(type.format);
      const fraction = type.format.includes('[.S]');
      const zone = type.format.endsWith('Z');
      const maxFraction = Math.min(9, fractionDigits);
      return (raw) => {
        const text = raw.trim();
        // Fast path: a canonical date-time that fits (fraction digits, offset as the column has it) is its own value.
        if (verbatim && text.charCodeAt(10) === 84 && isCanonicalDateAt(text, 0)) {
          const time = canonicalTimeLength(text, 11, fraction, maxFraction);
          if (time > 0) {
            const rest = text.length - 11 - time;
            if (rest === 0 ? !offset : zone && offset && canonicalOffsetLength(text, 11 + time) === rest)
              return ok(text);
          }
        }
        const p = match(text);
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid date-time in the format ${type.format}`);
        if (p.fraction.length > fractionDigits) {
          return fail(`${quoteForReason(raw)} has more than ${fractionDigits} fraction digits; they would be lost`);
        }
        if (offset && p.offset === '')
          return fail(`${quoteForReason(raw)} has no UTC offset, unlike the rest of the column`);
        if (!offset && p.offset !== '')
          return fail(`${quoteForReason(raw)} has a UTC offset, unlike the rest of the column`);
        if (verbatim && writtenCanonically(text, p, 19)) return ok(text);
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
  // Cells longer than every token skip the set lookup (which would hash the whole cell).
  let longest = 0;
  for (const t of tokens) longest = Math.max(longest, t.length);
  return (raw) => (raw.length <= longest && tokens.has(raw) ? NULL_VALUE : convert(raw));
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
