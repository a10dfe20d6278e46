/**
 * The rejects report (`NAME.rejects.csv`): rejected rows as RFC 4180 CSV, written by the one CSV
 * writer of @refdata/db (`renderCsvLine`), so every report and export quotes alike.
 */
import { type RejectedRow, renderCsvLine } from '@refdata/db';

/** The header line of a rejects report. */
export const REJECTS_CSV_HEADER = 'line,column,value,reason,raw';

/**
 * Writes rejected rows as RFC 4180 CSV (`line,column,value,reason,raw`, comma, `"` quoting,
 * header first, LF line ends), or null when there are none. A missing column or value (a row
 * with the wrong number of fields) is an empty unquoted field; an empty value is `""`.
 *
 * @example
 * ```ts
 * rejectsToCsv([{ line: 3, raw: 'x,', column: 'amount', value: '', reason: 'empty value in a NOT NULL column' }]);
 * // 'line,column,value,reason,raw\n3,amount,"",empty value in a NOT NULL column,"x,"\n'
 * ```
 */
export function rejectsToCsv(rows: readonly RejectedRow[]): string | null {
  if (rows.length === 0) return null;
  let out = `${REJECTS_CSV_HEADER}\n`;
  for (const r of rows) out += `${renderCsvLine([r.line, r.column ?? null, r.value ?? null, r.reason, r.raw])}\n`;
  return out;
}
