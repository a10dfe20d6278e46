/**
 * Widening a numeric column type for a value that does not fit it: types inferred from a sample
 * are a guess for the rows the sample did not see, and a number that needs more room (an 11-digit
 * id in a 32-bit column, a rate with more decimals than the sample showed) should widen its
 * column, not lose its row.
 */
import { hasLeadingZero, integerSize, isIntegerText, parseDecimalParts } from './numbers.js';
import type { ColumnType } from './types.js';

/** Digits a decimal holds at most (SQL Server's DECIMAL(38, s) and every engine's common bound). */
export const MAX_DECIMAL_PRECISION = 38;

/**
 * A numeric type at least as wide as `type` that holds `raw`, along the order `int` → `bigint` →
 * `decimal`, or undefined when `type` is not numeric, `raw` already fits, or `raw` is no number a
 * wider numeric type could hold exactly: text, a number with leading zeros (`007`, which only
 * text keeps), or one needing more than 38 digits. A decimal result has precision 38 (the scale
 * the value needs, and every other digit for the integer part), the bound every engine shares;
 * the caller checks that values typed before still fit when the scale grows into their integer
 * digits. A decimal keeps its separators; an integer column becoming a decimal reads
 * `decimalSeparator` (the file's, default `.`) and no grouping, as its integers were read.
 *
 * @example
 * ```ts
 * widenedType({ kind: 'integer', size: 'int' }, '12345678901'); // { kind: 'integer', size: 'bigint' }
 * widenedType({ kind: 'integer', size: 'int' }, '12.5');        // { kind: 'decimal', precision: 38, scale: 1, … }
 * widenedType({ kind: 'decimal', precision: 38, scale: 2, decimalSeparator: '.', groupSeparator: '' }, '1.12345');
 * // { kind: 'decimal', precision: 38, scale: 5, … }
 * widenedType({ kind: 'integer', size: 'int' }, 'n/a');         // undefined
 * ```
 */
export function widenedType(
  type: ColumnType,
  raw: string,
  options: { readonly decimalSeparator?: '.' | ',' } = {},
): ColumnType | undefined {
  const text = raw.trim();
  if (type.kind === 'integer') {
    if (isIntegerText(text)) {
      if (hasLeadingZero(text)) return undefined;
      const size = integerSize(text);
      if (size === 'bigint' && type.size === 'int') return { kind: 'integer', size: 'bigint' };
      if (size !== null) return undefined; // it fits
    }
    // The integers typed before must still fit: 10 digits for 32 bits, 19 for 64.
    return decimalFor(text, type.size === 'int' ? 10 : 19, 0, options.decimalSeparator ?? '.', '');
  }
  if (type.kind === 'decimal') {
    const widened = decimalFor(text, 0, type.scale, type.decimalSeparator, type.groupSeparator);
    // The same scale at the widest precision: no decimal holds more integer digits.
    if (widened?.kind === 'decimal' && widened.scale === type.scale && type.precision === MAX_DECIMAL_PRECISION) {
      return undefined;
    }
    return widened;
  }
  return undefined;
}

function decimalFor(
  text: string,
  integerFloor: number,
  scale: number,
  decimalSeparator: '.' | ',',
  groupSeparator: '' | ',' | '.' | ' ' | "'",
): ColumnType | undefined {
  const parts = parseDecimalParts(text, decimalSeparator, groupSeparator);
  if (parts === null || parts.leadingZeros) return undefined;
  const needScale = Math.max(scale, parts.fraction.length);
  if (Math.max(integerFloor, parts.integer.length) + needScale > MAX_DECIMAL_PRECISION) return undefined;
  return { kind: 'decimal', precision: MAX_DECIMAL_PRECISION, scale: needScale, decimalSeparator, groupSeparator };
}
