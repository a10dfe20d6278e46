/**
 * Date, time and date-time formats: compiled from format strings, parsed by components
 * (never through `Date.parse`), validated against the calendar.
 *
 * Format tokens: `YYYY` year (4 digits), `MM`/`M` month, `DD`/`D` day (the single letter
 * accepts 1 or 2 digits), `HH`/`H` hour (0–23), `mm` minutes, `ss` seconds, `[.S]` an optional
 * fraction after the seconds (written with `.` or `,`), `Z` a UTC offset (`Z`, `±HH:MM`,
 * `±HHMM` or `±HH`). Every other character is literal.
 * @internal
 */

/** The components of a parsed temporal value. @internal */
export interface TemporalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction digits as written (may be ''). */
  fraction: string;
  /** Canonical offset (`Z` or `±HH:MM`), or '' when the value has none. */
  offset: string;
}

/** A compiled format: returns the parts, or null when the text does not match or is not a real date/time. @internal */
export type TemporalMatcher = (text: string) => TemporalParts | null;

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

/** True when the year/month/day form a real calendar date (proleptic Gregorian, years 1–9999). @internal */
export function isValidDate(year: number, month: number, day: number): boolean {
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

const cache = new Map<string, TemporalMatcher>();

/**
 * Compiles a format string (see the module comment) into a matcher. Results are cached.
 * @internal
 */
export function compileTemporal(format: string): TemporalMatcher {
  const hit = cache.get(format);
  if (hit) return hit;
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
  cache.set(format, matcher);
  return matcher;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DD` from parts. @internal */
export function canonicalDate(p: TemporalParts): string {
  return `${String(p.year).padStart(4, '0')}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** `HH:MM:SS[.f…]` from parts. @internal */
export function canonicalTime(p: TemporalParts): string {
  const base = `${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
  return p.fraction === '' ? base : `${base}.${p.fraction}`;
}
