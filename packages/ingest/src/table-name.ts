import { basename } from 'node:path';
import { IngestError, IngestErrorCode } from './errors.js';

/** Longest table name the db layer accepts (snapshot and staging names must still fit in 128). */
const MAX_TABLE_NAME_LENGTH = 96;
const EXTENSION = /\.[a-z0-9]{1,8}$/i;
const DATE_SUFFIX = /[_-](\d{4})(-?)(\d{2})\2(\d{2})$/;

/**
 * The target table for a file: the lower-cased file stem, without a trailing date stamp
 * (`_YYYYMMDD`, `-YYYYMMDD`, `_YYYY-MM-DD` or `-YYYY-MM-DD`), as a plain identifier: letters,
 * digits and `_` only (every other character becomes `_`), never starting with a digit, at most
 * 96 characters. Accepts a bare name or a path.
 *
 * @throws {@link IngestError} `INGEST_OPTIONS_INVALID` when no letter or digit is left; pass
 * `options.table` instead.
 *
 * @example
 * ```ts
 * tableNameFromFile('currencies.csv'); // 'currencies'
 * tableNameFromFile('/drop/incoming/Currencies_2025-01-31.csv'); // 'currencies'
 * tableNameFromFile('units of measure.txt'); // 'units_of_measure'
 * ```
 */
export function tableNameFromFile(name: string): string {
  let stem = basename(name).replace(EXTENSION, '').normalize('NFC').toLowerCase();
  const date = DATE_SUFFIX.exec(stem);
  if (date !== null && isCalendarDate(Number(date[1]), Number(date[3]), Number(date[4]))) {
    stem = stem.slice(0, date.index);
  }
  let table = stem
    .replace(/[^\p{L}\p{N}_]+/gu, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (table.length === 0) {
    throw new IngestError(
      IngestErrorCode.OPTIONS_INVALID,
      `Cannot derive a table name from the file name ${JSON.stringify(basename(name))}: it has no letters or digits. Pass options.table.`,
    );
  }
  if (/^\p{N}/u.test(table)) table = `t_${table}`;
  return table.slice(0, MAX_TABLE_NAME_LENGTH).replace(/_+$/, '');
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  return day <= (days[month - 1] ?? 0);
}
