/**
 * The mapping between detected column types and database types (widened where one file cannot
 * prove the bound), and the value parser each column is read with.
 */
import type { DbType } from '@refdata/db';
import type { ColumnType } from '@refdata/detect';

/** Longest text key kept bounded, so SQL Server can index it (NVARCHAR(450) = 900 bytes). */
export const MAX_KEY_TEXT_LENGTH = 450;

/** Canonical text layouts, used when a live column's kind differs from the file column's. */
export const CANONICAL_DATE_FORMAT = 'YYYY-MM-DD';
export const CANONICAL_TIME_FORMAT = 'HH:mm:ss[.S]';
export const CANONICAL_DATETIME_FORMAT = 'YYYY-MM-DDTHH:mm:ss[.S]';

/**
 * The database type for a detected column of a new (or replaced) table. Types are widened where
 * a sample (or this one file) cannot prove the bound for the files that follow: decimals get
 * precision 38 (the scale stays, so canonical values keep their digits) and text is unbounded,
 * except key text, which stays indexable. @internal
 */
export function dbTypeFor(type: ColumnType, options: { readonly key: boolean }): DbType {
  switch (type.kind) {
    case 'boolean':
    case 'uuid':
      return { kind: type.kind };
    case 'integer':
      return { kind: type.size };
    case 'decimal':
      return { kind: 'decimal', precision: 38, scale: type.scale };
    case 'date':
      return { kind: 'date' };
    case 'datetime':
      return { kind: 'datetime', offset: type.offset, fractionDigits: type.fractionDigits };
    case 'time':
      return { kind: 'time', fractionDigits: type.fractionDigits };
    case 'text':
      return options.key && type.maxLength <= MAX_KEY_TEXT_LENGTH
        ? { kind: 'text', maxLength: MAX_KEY_TEXT_LENGTH }
        : { kind: 'text' };
  }
}

/**
 * The converter type that reads the file's text into `target`. The file column's detected type
 * supplies how values are written (date layout, decimal separators) when it is of the same kind;
 * otherwise values must be written canonically. @internal
 */
export function parseTypeFor(target: DbType, file: ColumnType | undefined): ColumnType {
  switch (target.kind) {
    case 'boolean':
    case 'uuid':
      return { kind: target.kind };
    case 'int':
    case 'bigint':
      return { kind: 'integer', size: target.kind };
    case 'decimal':
      return {
        kind: 'decimal',
        precision: target.precision,
        scale: target.scale,
        decimalSeparator: file?.kind === 'decimal' ? file.decimalSeparator : '.',
        groupSeparator: file?.kind === 'decimal' ? file.groupSeparator : '',
      };
    case 'date':
      return { kind: 'date', format: file?.kind === 'date' ? file.format : CANONICAL_DATE_FORMAT };
    case 'datetime':
      return file?.kind === 'datetime' && file.offset === target.offset
        ? { ...file, fractionDigits: target.fractionDigits }
        : {
            kind: 'datetime',
            format: `${CANONICAL_DATETIME_FORMAT}${target.offset ? 'Z' : ''}`,
            offset: target.offset,
            fractionDigits: target.fractionDigits,
          };
    case 'time':
      return file?.kind === 'time'
        ? { ...file, fractionDigits: target.fractionDigits }
        : { kind: 'time', format: CANONICAL_TIME_FORMAT, fractionDigits: target.fractionDigits };
    case 'text':
      return { kind: 'text', maxLength: target.maxLength ?? Number.MAX_SAFE_INTEGER };
  }
}
