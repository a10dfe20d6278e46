import type { RejectedRow } from '@refdata/db';

const NEEDS_QUOTES = /[",\r\n]/;

function field(text: string | number | undefined): string {
  if (text === undefined) return '';
  const s = String(text);
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The header line of a rejects report. */
export const REJECTS_CSV_HEADER = 'line,column,value,reason,raw';

/**
 * Writes rejected rows as RFC 4180 CSV (`line,column,value,reason,raw`, comma, `"` quoting,
 * header first, LF line ends), or null when there are none.
 *
 * @example
 * ```ts
 * rejectsToCsv([{ line: 3, raw: 'x,y', column: 'amount', value: 'y', reason: 'not a decimal' }]);
 * // 'line,column,value,reason,raw\n3,amount,y,not a decimal,"x,y"\n'
 * ```
 */
export function rejectsToCsv(rows: readonly RejectedRow[]): string | null {
  if (rows.length === 0) return null;
  let out = `${REJECTS_CSV_HEADER}\n`;
  for (const r of rows) {
    out += `${field(r.line)},${field(r.column)},${field(r.value)},${field(r.reason)},${field(r.raw)}\n`;
  }
  return out;
}
