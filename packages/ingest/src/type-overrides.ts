/**
 * Checks that every column a type override names (`format.columnTypes`) is a column of the file:
 * an override for a column that does not exist would otherwise be ignored without a word.
 */
import type { ColumnTypeOverrides, FormatInfo } from '@refdata/detect';
import { closestMatch } from 'leven';
import { IngestError, IngestErrorCode } from './errors.js';

/** A type override whose column the file does not have, with the nearest real column. */
export interface UnknownTypeOverride {
  /** The key as given (a column name, or a zero-based index). */
  readonly key: string;
  /** The file's column nearest to the key (by edit distance, ignoring case), if any. */
  readonly closest: string | undefined;
}

/**
 * The keys of `columnTypes` that name no column of the detected file. A key matches a column by
 * its header text (`rawName`), its safe name (`name`) or its zero-based index, as detection
 * applies overrides.
 *
 * @example
 * ```ts
 * const format = await detectFormat('currencies.csv');
 * findUnknownTypeOverrides(format, { nosuch: 'integer' });
 * // [{ key: 'nosuch', closest: 'code' }]
 * ```
 */
export function findUnknownTypeOverrides(
  format: FormatInfo,
  columnTypes: ColumnTypeOverrides | undefined,
): readonly UnknownTypeOverride[] {
  if (columnTypes === undefined) return [];
  const known = new Set<string>();
  for (const c of format.columns) {
    known.add(c.rawName);
    known.add(c.name);
    known.add(String(c.index));
  }
  const names = format.columns.map((c) => c.name);
  const lowered = names.map((n) => n.toLowerCase());
  const unknown: UnknownTypeOverride[] = [];
  for (const key of Object.keys(columnTypes)) {
    if (known.has(key)) continue;
    const match = closestMatch(key.toLowerCase(), lowered);
    unknown.push({ key, closest: match === undefined ? undefined : names[lowered.indexOf(match)] });
  }
  return unknown;
}

/**
 * Throws `INGEST_OPTIONS_INVALID` when a type override names a column the file does not have,
 * naming the column, the closest real one and the file's columns. @internal
 */
export function assertTypeOverridesKnown(
  format: FormatInfo,
  columnTypes: ColumnTypeOverrides | undefined,
  where: { readonly file: string; readonly name: string; readonly table?: string },
): void {
  const unknown = findUnknownTypeOverrides(format, columnTypes);
  const first = unknown[0];
  if (first === undefined) return;
  const columns = format.columns.map((c) => c.name);
  const list = unknown.map((u) => JSON.stringify(u.key)).join(', ');
  const hint = first.closest === undefined ? '' : ` Did you mean ${JSON.stringify(first.closest)}?`;
  throw new IngestError(
    IngestErrorCode.OPTIONS_INVALID,
    `format.columnTypes names ${unknown.length === 1 ? 'a column' : 'columns'} ${list} that ${where.name} does not have.${hint} Its columns: ${columns.join(', ')}.`,
    {
      file: where.file,
      ...(where.table === undefined ? {} : { table: where.table }),
      details: { option: 'format.columnTypes', unknownColumns: unknown, columns },
    },
  );
}
