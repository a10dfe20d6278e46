/**
 * The first, regex-based value parsers, kept as the reference the fast paths in
 * src/value-parser.ts and src/temporal.ts are checked against (value-parser.test.ts,
 * temporal.test.ts). Copied from the first release; do not optimise.
 */
import type { ValueParser } from '../src/api.js';
import { canonicalDecimal, hasLeadingZero, integerSize, isIntegerText, parseDecimalParts } from '../src/numbers.js';
import { canonicalDate, canonicalTime, type TemporalMatcher, type TemporalParts } from '../src/temporal.js';
import type { CanonicalValue, ColumnType, ParsedValue } from '../src/types.js';

const TOKENS = ['YYYY', '[.S]', 'MM', 'DD', 'HH', 'mm', 'ss', 'M', 'D', 'H', 'Z'] as const;
type Token = (typeof TOKENS)[number];

const TOKEN_RE: Record<Token, string> = {
  YYYY: '(\\d{4})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  '[.S]': '(?:[.,](\\d{1,9}))?',
  Z: '(Z|z|[+-]\\d{2}(?::?\\d{2})?)?',
};

const FIELD: Record<Token, keyof TemporalParts> = {
  YYYY: 'year',
  MM: 'month',
  M: 'month',
  DD: 'day',
  D: 'day',
  HH: 'hour',
  H: 'hour',
  mm: 'minute',
  ss: 'second',
  '[.S]': 'fraction',
  Z: 'offset',
};

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isValidDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

function canonicalOffset(text: string): string | null {
  if (text === 'Z' || text === 'z') return 'Z';
  const sign = text[0]!;
  const digits = text.slice(1).replace(':', '');
  const hh = Number(digits.slice(0, 2));
  const mm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hh > 14 || mm > 59) return null;
  return `${sign}${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
}

/** The regex-only matcher of the first release. */
export function referenceTemporal(format: string): TemporalMatcher {
  let source = '^';
  const fields: (keyof TemporalParts)[] = [];
  let i = 0;
  let hasDate = false;
  while (i < format.length) {
    const token = TOKENS.find((t) => format.startsWith(t, i));
    if (token) {
      source += TOKEN_RE[token];
      fields.push(FIELD[token]);
      if (token === 'YYYY') hasDate = true;
      i += token.length;
    } else {
      source += escapeRe(format[i]!);
      i += 1;
    }
  }
  source += '$';
  const re = new RegExp(source);
  const matcher: TemporalMatcher = (text) => {
    const m = re.exec(text);
    if (m === null) return null;
    const parts: TemporalParts = { year: 1, month: 1, day: 1, hour: 0, minute: 0, second: 0, fraction: '', offset: '' };
    for (let f = 0; f < fields.length; f += 1) {
      const value = m[f + 1];
      const field = fields[f]!;
      if (field === 'fraction') parts.fraction = value ?? '';
      else if (field === 'offset') {
        const offset = value === undefined ? '' : canonicalOffset(value);
        if (offset === null) return null;
        parts.offset = offset;
      } else parts[field] = Number(value);
    }
    if (hasDate && !isValidDate(parts.year, parts.month, parts.day)) return null;
    if (parts.hour > 23 || parts.minute > 59 || parts.second > 59) return null;
    return parts;
  };
  return matcher;
}

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

function buildReference(type: ColumnType): ValueParser {
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
      const match = referenceTemporal(type.format);
      return (raw) => {
        const p = match(raw.trim());
        if (p === null) return fail(`${quoteForReason(raw)} is not a valid date in the format ${type.format}`);
        return ok(canonicalDate(p));
      };
    }
    case 'time': {
      const match = referenceTemporal(type.format);
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
      const match = referenceTemporal(type.format);
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

/** The reference of createValueParser. */
export function referenceValueParser(type: ColumnType, nullTokens: readonly string[]): ValueParser {
  const convert = buildReference(type);
  const tokens = new Set(nullTokens);
  return (raw) => (tokens.has(raw) ? NULL_VALUE : convert(raw));
}
