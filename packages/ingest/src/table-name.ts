/**
 * The target table of a file when none is given: @refdata/db owns the rule; a file that names no
 * table is an ingestion error (pass `options.table`).
 */
import { basename } from 'node:path';
import { tableNameFromFileName } from '@refdata/db';
import { IngestError, IngestErrorCode } from './errors.js';

/**
 * The target table for a file, by the rule of `tableNameFromFileName` in @refdata/db: the
 * lower-cased file stem, without a trailing date stamp (`_YYYYMMDD`, `-YYYYMMDD`, `_YYYY-MM-DD`
 * or `-YYYY-MM-DD`), as a plain identifier: letters, digits and `_` only (every other character
 * becomes `_`), never starting with a digit, at most 96 characters. Accepts a bare name or a path.
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
  const table = tableNameFromFileName(name);
  if (table === undefined) {
    throw new IngestError(
      IngestErrorCode.OPTIONS_INVALID,
      `Cannot derive a table name from the file name ${JSON.stringify(basename(name))}: it has no letters or digits. Pass options.table.`,
    );
  }
  return table;
}
