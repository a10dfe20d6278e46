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

const DAYS_IN_MONTH: readonly number[] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True when the year/month/day form a real calendar date (proleptic Gregorian, years 1–9999). @internal */
export function isValidDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  if (day <= 28) return true;
  if (month === 2) return day === 29 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] as number);
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

/** Operations of a compiled format, three integers each: op, a, b. */
const OP_LITERAL = 0; // a: the character code
const OP_DIGITS = 1; // a: minimum digits, b: maximum digits (the field follows as a fourth integer)
const OP_FRACTION = 2;
const OP_OFFSET = 3;

/** Numeric fields, by index in the program. */
const NUMERIC_FIELDS = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;

/** Returned by the scanner when the text does not follow the greedy path: the regex decides. */
const UNDECIDED = 0;

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;

function setNumeric(parts: TemporalParts, field: number, value: number): void {
  switch (field) {
    case 0:
      parts.year = value;
      break;
    case 1:
      parts.month = value;
      break;
    case 2:
      parts.day = value;
      break;
    case 3:
      parts.hour = value;
      break;
    case 4:
      parts.minute = value;
      break;
    default:
      parts.second = value;
  }
}

/**
 * A scanner equivalent to the format's regular expression without its allocations: it walks the
 * text once, making at every choice the regex's first choice (greedy digit counts, optional
 * parts taken when they match, `Z` before `z` before a signed offset, `:` taken when two digits
 * follow). When that path reaches the end of the text, it is the match the regex finds first,
 * so the parts are the same; when it does not, it returns {@link UNDECIDED} and the regex
 * (which can backtrack) decides. `program` holds four integers per step.
 */
function compileScanner(program: Int32Array): (text: string, parts: TemporalParts) => boolean | typeof UNDECIDED {
  return (text, parts) => {
    const len = text.length;
    let i = 0;
    // A signed offset is checked once the whole text matched, as the regex path does.
    let offsetStart = -1;
    let offsetEnd = -1;
    let badOffset = false;
    for (let s = 0; s < program.length; s += 4) {
      const op = program[s] as number;
      if (op === OP_LITERAL) {
        if (i >= len || text.charCodeAt(i) !== program[s + 1]) return UNDECIDED;
        i += 1;
      } else if (op === OP_DIGITS) {
        const max = program[s + 2] as number;
        let value = 0;
        let n = 0;
        while (n < max && i < len) {
          const c = text.charCodeAt(i);
          if (!isDigitCode(c)) break;
          value = value * 10 + (c - 48);
          i += 1;
          n += 1;
        }
        if (n < (program[s + 1] as number)) return UNDECIDED;
        setNumeric(parts, program[s + 3] as number, value);
      } else if (op === OP_FRACTION) {
        // (?:[.,](\d{1,9}))? — taken only when a digit follows the separator.
        const c = i < len ? text.charCodeAt(i) : -1;
        if ((c === 46 || c === 44) && i + 1 < len && isDigitCode(text.charCodeAt(i + 1))) {
          const start = i + 1;
          let end = start;
          while (end < len && end - start < 9 && isDigitCode(text.charCodeAt(end))) end += 1;
          parts.fraction = text.slice(start, end);
          i = end;
        } else parts.fraction = '';
      } else {
        // (Z|z|[+-]\d{2}(?::?\d{2})?)?
        if (offsetStart >= 0 && canonicalOffset(text.slice(offsetStart, offsetEnd)) === null) badOffset = true;
        offsetStart = -1;
        const c = i < len ? text.charCodeAt(i) : -1;
        if (c === 90 || c === 122) {
          parts.offset = 'Z';
          i += 1;
        } else if (
          (c === 43 || c === 45) &&
          i + 2 < len &&
          isDigitCode(text.charCodeAt(i + 1)) &&
          isDigitCode(text.charCodeAt(i + 2))
        ) {
          let end = i + 3;
          if (end + 2 < len && text.charCodeAt(end) === 58) {
            if (isDigitCode(text.charCodeAt(end + 1)) && isDigitCode(text.charCodeAt(end + 2))) end += 3;
          } else if (end + 1 < len && isDigitCode(text.charCodeAt(end)) && isDigitCode(text.charCodeAt(end + 1))) {
            end += 2;
          }
          offsetStart = i;
          offsetEnd = end;
          i = end;
        } else parts.offset = '';
      }
    }
    if (i !== len) return UNDECIDED;
    if (badOffset) return false;
    if (offsetStart >= 0) {
      const offset = canonicalOffset(text.slice(offsetStart, offsetEnd));
      if (offset === null) return false;
      parts.offset = offset;
    }
    return true;
  };
}

/**
 * Compiles a format string (see the module comment) into a matcher. Results are cached.
 * @internal
 */
export function compileTemporal(format: string): TemporalMatcher {
  const hit = cache.get(format);
  if (hit) return hit;
  let source = '^';
  const fields: (keyof TemporalParts)[] = [];
  const program: number[] = [];
  let i = 0;
  let hasDate = false;
  while (i < format.length) {
    const token = TOKENS.find((t) => format.startsWith(t, i));
    if (token) {
      source += TOKEN_RE[token];
      const field = FIELD[token];
      fields.push(field);
      if (token === '[.S]') program.push(OP_FRACTION, 0, 0, 0);
      else if (token === 'Z') program.push(OP_OFFSET, 0, 0, 0);
      else {
        const width = token === 'YYYY' ? 4 : token.length === 1 ? 1 : 2;
        const index = NUMERIC_FIELDS.indexOf(field as (typeof NUMERIC_FIELDS)[number]);
        program.push(OP_DIGITS, width, width === 1 ? 2 : width, index);
      }
      if (token === 'YYYY') hasDate = true;
      i += token.length;
    } else {
      source += escapeRe(format[i]!);
      program.push(OP_LITERAL, format.charCodeAt(i), 0, 0);
      i += 1;
    }
  }
  source += '$';
  const re = new RegExp(source);
  const scan = compileScanner(Int32Array.from(program));
  const viaRegex = (text: string): TemporalParts | null => {
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
    return parts;
  };
  const matcher: TemporalMatcher = (text) => {
    let parts: TemporalParts | null = {
      year: 1,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      fraction: '',
      offset: '',
    };
    const scanned = scan(text, parts);
    if (scanned === false) return null;
    if (scanned === UNDECIDED) parts = viaRegex(text);
    if (parts === null) return null;
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

/** Two ASCII digits at `at` as a number, or -1. */
function twoDigitsAt(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * True when `text` holds a real calendar date written canonically (`YYYY-MM-DD`, year 0001–9999)
 * at `at`: what the matcher of `YYYY-MM-DD` accepts there, without building parts.
 * @internal
 */
export function isCanonicalDateAt(text: string, at: number): boolean {
  if (text.charCodeAt(at + 4) !== 45 || text.charCodeAt(at + 7) !== 45) return false;
  const hi = twoDigitsAt(text, at);
  const lo = twoDigitsAt(text, at + 2);
  if (hi < 0 || lo < 0) return false;
  return isValidDate(hi * 100 + lo, twoDigitsAt(text, at + 5), twoDigitsAt(text, at + 8));
}

/**
 * The length of a time of day written canonically at `at` — `HH:mm:ss`, then, when `fraction`
 * is allowed, an optional `.` and 1 to `maxFraction` digits — or -1 when the text there is
 * anything else (another form, an hour above 23, more fraction digits).
 * @internal
 */
export function canonicalTimeLength(text: string, at: number, fraction: boolean, maxFraction: number): number {
  if (text.charCodeAt(at + 2) !== 58 || text.charCodeAt(at + 5) !== 58) return -1;
  const h = twoDigitsAt(text, at);
  const m = twoDigitsAt(text, at + 3);
  const s = twoDigitsAt(text, at + 6);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return -1;
  if (!fraction || text.charCodeAt(at + 8) !== 46) return 8;
  let end = at + 9;
  while (end < text.length && end - at - 9 < maxFraction) {
    const c = text.charCodeAt(end);
    if (c < 48 || c > 57) break;
    end += 1;
  }
  const digits = end - at - 9;
  if (digits === 0) return -1;
  // A further digit means more than maxFraction digits: not canonical here.
  const next = text.charCodeAt(end);
  return next >= 48 && next <= 57 ? -1 : end - at;
}

/**
 * The length of a UTC offset written canonically at `at` — `Z` (1) or `±HH:MM` (6) within the
 * range the matcher accepts (hours ≤ 14, minutes ≤ 59) — or -1.
 * @internal
 */
export function canonicalOffsetLength(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === 90) return 1;
  if ((c !== 43 && c !== 45) || text.charCodeAt(at + 3) !== 58) return -1;
  const hh = twoDigitsAt(text, at + 1);
  const mm = twoDigitsAt(text, at + 4);
  return hh < 0 || hh > 14 || mm < 0 || mm > 59 ? -1 : 6;
}
