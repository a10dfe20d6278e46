/**
 * Exact number recognition shared by type inference and value parsing. Nothing here goes
 * through a JavaScript float.
 * @internal
 */

/** An exact decimal split into its parts. @internal */
export interface DecimalParts {
  readonly negative: boolean;
  /** Integer digits without grouping, without leading zeros ('' for zero). */
  readonly integer: string;
  /** Fraction digits as written ('' when none). */
  readonly fraction: string;
  /** True when the integer part was written with a leading zero before other digits ('007', '01.5'). */
  readonly leadingZeros: boolean;
  /** True when a group separator was used. */
  readonly grouped: boolean;
  /** True when a decimal separator was written. */
  readonly hasPoint: boolean;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Largest exponent read (`1e+40`): past it a value has more digits than any decimal column holds. */
const MAX_EXPONENT = 40;

/**
 * Parses `text` as a decimal written with the given separators, or returns null.
 * Grouping must be regular (1–3 leading digits, then groups of exactly 3). An exponent with an
 * explicit sign (`1.5E-05`, `1.1406e+06`: how Excel, R and Python write very small and large
 * numbers) gives the exact decimal it stands for (`0.000015`, `1140600`); one without a sign
 * (`12E3`) is no number, as product or room codes are written so.
 * @internal
 */
export function parseDecimalParts(text: string, decimalSeparator: string, groupSeparator: string): DecimalParts | null {
  const len = text.length;
  if (len === 0) return null;
  let i = 0;
  let negative = false;
  const c0 = text.charCodeAt(0);
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    negative = c0 === 45;
    i = 1;
  }
  let intRaw = '';
  let grouped = false;
  let groupLen = -1; // digits in the current group since the last separator; -1 = before any separator
  let firstGroup = 0;
  const start = i;
  for (; i < len; i += 1) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      if (groupLen >= 0) groupLen += 1;
      else firstGroup += 1;
      continue;
    }
    if (groupSeparator !== '' && text[i] === groupSeparator) {
      if (groupLen >= 0 && groupLen !== 3) return null;
      if (groupLen < 0 && (firstGroup === 0 || firstGroup > 3)) return null;
      grouped = true;
      groupLen = 0;
      continue;
    }
    break;
  }
  if (grouped && groupLen !== 3) return null;
  intRaw = text.slice(start, i);
  if (grouped) intRaw = intRaw.split(groupSeparator).join('');
  let fraction = '';
  let hasPoint = false;
  if (i < len && text[i] === decimalSeparator) {
    hasPoint = true;
    i += 1;
    const fracStart = i;
    while (i < len && isDigit(text.charCodeAt(i))) i += 1;
    fraction = text.slice(fracStart, i);
  }
  let exponent: number | undefined;
  if (i < len) {
    exponent = signedExponent(text, i);
    if (exponent === undefined || grouped) return null;
  }
  if (intRaw === '' && fraction === '') return null;
  let z = 0;
  while (z < intRaw.length - 1 && intRaw.charCodeAt(z) === 48) z += 1;
  const leadingZeros = z > 0;
  let integer = intRaw.slice(z);
  if (integer === '0') integer = '';
  if (exponent !== undefined) {
    // Move the point: the digits as written, `exponent` places to the right (left when negative).
    const digits = integer + fraction;
    const point = integer.length + exponent;
    if (point <= 0) {
      fraction = '0'.repeat(-point) + digits;
      integer = '';
    } else if (point >= digits.length) {
      integer = digits + '0'.repeat(point - digits.length);
      fraction = '';
    } else {
      integer = digits.slice(0, point);
      fraction = digits.slice(point);
    }
    integer = integer.replace(/^0+/, '');
    hasPoint = fraction !== '';
  }
  return { negative, integer, fraction, leadingZeros, grouped, hasPoint };
}

/** The exponent of `e+06` / `E-05` at `text[i]` to the end, or undefined (no sign, no digits, or too large). */
function signedExponent(text: string, i: number): number | undefined {
  const e = text.charCodeAt(i);
  const sign = text.charCodeAt(i + 1);
  if ((e !== 101 && e !== 69) || (sign !== 43 && sign !== 45)) return undefined;
  const from = i + 2;
  let j = from;
  while (j < text.length && isDigit(text.charCodeAt(j))) j += 1;
  if (j !== text.length || j === from || j - from > 3) return undefined;
  const value = Number(text.slice(from));
  return value > MAX_EXPONENT ? undefined : sign === 45 ? -value : value;
}

/** The canonical text of decimal parts: `-?\d+(\.\d+)?`, scale as written, no negative zero. @internal */
export function canonicalDecimal(p: DecimalParts): string {
  const int = p.integer === '' ? '0' : p.integer;
  const body = p.fraction === '' ? int : `${int}.${p.fraction}`;
  const zero = p.integer === '' && /^0*$/.test(p.fraction);
  return p.negative && !zero ? `-${body}` : body;
}

const INT_RE = /^[+-]?\d+$/;

/** Plain integer text: optional sign and digits only. @internal */
export function isIntegerText(text: string): boolean {
  return INT_RE.test(text);
}

/** True when `text` (a plain integer) has a leading zero before other digits ('007', '-01'). @internal */
export function hasLeadingZero(text: string): boolean {
  const s = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
  return text.length - s > 1 && text.charCodeAt(s) === 48;
}

/** Digits of a plain integer without sign. @internal */
function digitsOf(text: string): string {
  const c = text.charCodeAt(0);
  return c === 45 || c === 43 ? text.slice(1) : text;
}

const INT32_MAX = '2147483647';
const INT32_MIN_ABS = '2147483648';
const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

function fitsAbs(digits: string, max: string): boolean {
  if (digits.length !== max.length) return digits.length < max.length;
  return digits <= max;
}

/** The smallest integer size that holds a plain integer text, or null when it exceeds 64 bits. @internal */
export function integerSize(text: string): 'int' | 'bigint' | null {
  const negative = text.charCodeAt(0) === 45;
  let digits = digitsOf(text).replace(/^0+(?=\d)/, '');
  if (digits === '') digits = '0';
  if (fitsAbs(digits, negative ? INT32_MIN_ABS : INT32_MAX)) return 'int';
  if (fitsAbs(digits, negative ? INT64_MIN_ABS : INT64_MAX)) return 'bigint';
  return null;
}

/**
 * The fast path of decimal conversion: returns `text` itself when it is already the canonical
 * form (`-?(0|[1-9]\d*)(\.\d+)?`, written with '.' as the decimal separator, not a negative
 * zero) and fits `maxInt` integer and `scale` fraction digits; otherwise undefined, and the
 * caller takes the full path ({@link parseDecimalParts}), which also explains failures.
 * @internal
 */
export function canonicalDecimalText(
  text: string,
  decimalSeparator: string,
  groupSeparator: string,
  maxInt: number,
  scale: number,
): string | undefined {
  if (decimalSeparator !== '.' || groupSeparator === '.') return undefined;
  const len = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  const intStart = i;
  let nonZero = false;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (c !== 48) nonZero = true;
    i += 1;
  }
  const intLen = i - intStart;
  if (intLen === 0 || (intLen > 1 && text.charCodeAt(intStart) === 48)) return undefined;
  // "0" before the point counts as no integer digit, as in parseDecimalParts.
  if ((nonZero ? intLen : 0) > maxInt) return undefined;
  if (i < len) {
    if (text.charCodeAt(i) !== 46) return undefined;
    i += 1;
    const fracStart = i;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      if (c !== 48) nonZero = true;
      i += 1;
    }
    const fracLen = i - fracStart;
    if (fracLen === 0 || fracLen > scale) return undefined;
  }
  if (intStart === 1 && !nonZero) return undefined;
  return text;
}

/**
 * The fast path of 32-bit integer conversion: the value of a plain integer text of at most 9
 * digits without leading zeros (so it always fits), or undefined for anything else, which the
 * caller checks on the full path.
 * @internal
 */
export function smallIntegerValue(text: string): number | undefined {
  const len = text.length;
  const c0 = text.charCodeAt(0);
  const negative = c0 === 45;
  const start = negative || c0 === 43 ? 1 : 0;
  const digits = len - start;
  if (digits < 1 || digits > 9 || (digits > 1 && text.charCodeAt(start) === 48)) return undefined;
  let value = 0;
  for (let i = start; i < len; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + (c - 48);
  }
  return negative ? -value : value;
}

/**
 * True when `text` is a plain integer of at most 18 digits without leading zeros: it fits a
 * signed 64-bit integer, so `BigInt(text)` is exact and in range.
 * @internal
 */
export function isSmallBigintText(text: string): boolean {
  const len = text.length;
  const c0 = text.charCodeAt(0);
  const start = c0 === 45 || c0 === 43 ? 1 : 0;
  const digits = len - start;
  if (digits < 1 || digits > 18 || (digits > 1 && text.charCodeAt(start) === 48)) return false;
  for (let i = start; i < len; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
