/**
 * RFC 4180 output exactly as issue 2 specifies: comma, `"` quoting (doubled inside), header
 * first, LF line ends; NULL is an empty unquoted field and the empty string is `""`.
 */
import type { RejectedRow } from '@refdata/db';

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One field: `null` → empty and unquoted; `''` → `""`; quoted when it holds `,`, `"`, CR or LF.
 *
 * @example
 * ```ts
 * csvField(null); // ''
 * csvField(''); // '""'
 * csvField('Korea, Republic of'); // '"Korea, Republic of"'
 * ```
 */
export function csvField(text: string | null): string {
  if (text === null) return '';
  if (text === '') return '""';
  if (NEEDS_QUOTES.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

/**
 * One record with its LF terminator.
 *
 * @example
 * ```ts
 * csvRecord(['008', null, '']); // '008,,""\n'
 * ```
 */
export function csvRecord(fields: readonly (string | null)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

/**
 * Rejected rows as `line,column,value,reason,raw` CSV (the `NAME.rejects.csv` sidecar),
 * or null when there are none.
 *
 * @example
 * ```ts
 * rejectsCsv([{ line: 3, raw: 'x,y', reason: 'expected 3 fields, found 2' }]);
 * ```
 */
export function rejectsCsv(rows: readonly RejectedRow[]): string | null {
  if (rows.length === 0) return null;
  let out = csvRecord(['line', 'column', 'value', 'reason', 'raw']);
  for (const r of rows) out += csvRecord([String(r.line), r.column ?? null, r.value ?? null, r.reason, r.raw]);
  return out;
}
