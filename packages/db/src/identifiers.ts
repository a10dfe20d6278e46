/**
 * Identifier validation and quoting. Every table and column name reaches SQL only through
 * {@link quoteSqliteIdentifier} or {@link quoteMssqlIdentifier}, after {@link assertIdentifier}.
 */
import { basename } from 'node:path';
import { DbError, DbErrorCode } from './errors.js';

/**
 * Longest identifier SQL Server accepts (sysname is NVARCHAR(128)); applied to both dialects so a
 * table that loads into SQLite also loads into SQL Server.
 */
export const MAX_IDENTIFIER_LENGTH = 128;

/**
 * Longest logical table name: the snapshot name `<table>.<UTC timestamp>` and the staging name
 * `<table>.<id>` must still fit in {@link MAX_IDENTIFIER_LENGTH}.
 */
export const MAX_TABLE_NAME_LENGTH = 96;

/** Names the db layer uses itself inside staging tables; no data column may take them. */
export const RESERVED_COLUMN_NAMES: readonly string[] = ['__refdata_line'];

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
function hasControlCharacter(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}
// Unpaired UTF-16 surrogates cannot be encoded as UTF-8 or UCS-2 catalog names.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What kind of identifier is checked, for error messages. */
export type IdentifierKind = 'table' | 'column';

/**
 * The reason `name` cannot be used as an identifier, or undefined when it can.
 *
 * Rules: not empty, at most 128 characters (96 for tables), no control characters, no lone
 * surrogates, no leading or trailing whitespace (SQL Server ignores trailing spaces in names, so
 * `a ` and `a` would collide).
 *
 * @example
 * ```ts
 * identifierProblem('price;DROP TABLE x'); // undefined: quoting makes it safe
 * identifierProblem(''); // 'is empty'
 * ```
 */
export function identifierProblem(name: string, kind: IdentifierKind = 'column'): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name.length === 0) return 'is empty';
  const max = kind === 'table' ? MAX_TABLE_NAME_LENGTH : MAX_IDENTIFIER_LENGTH;
  if (name.length > max) return `is ${name.length} characters long (at most ${max} are allowed)`;
  if (hasControlCharacter(name)) return 'contains a control character';
  if (LONE_SURROGATE.test(name)) return 'contains an unpaired UTF-16 surrogate';
  if (name.trim() !== name) return 'has leading or trailing whitespace';
  return undefined;
}

/**
 * Throws `DB_IDENTIFIER_INVALID` unless `name` is a usable identifier (see {@link identifierProblem}).
 *
 * @example
 * ```ts
 * assertIdentifier('currencies', 'table');
 * ```
 */
export function assertIdentifier(name: string, kind: IdentifierKind = 'column'): void {
  const problem = identifierProblem(name, kind);
  if (problem !== undefined) {
    throw new DbError(
      DbErrorCode.IDENTIFIER_INVALID,
      `The ${kind} name ${JSON.stringify(String(name).slice(0, 140))} ${problem}; rename the ${kind === 'table' ? 'file' : 'header'} and try again.`,
    );
  }
}

/**
 * Checks a set of column names: each must be a valid identifier, not reserved, and unique
 * ignoring case (both dialects compare names case-insensitively). Throws `DB_IDENTIFIER_INVALID`.
 *
 * @example
 * ```ts
 * assertColumnNames(['code', 'Code']); // throws: equal but for case
 * ```
 */
export function assertColumnNames(names: readonly string[]): void {
  if (names.length === 0) {
    throw new DbError(
      DbErrorCode.IDENTIFIER_INVALID,
      'A table needs at least one column; the file has no header names.',
    );
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    assertIdentifier(name, 'column');
    const folded = foldIdentifier(name);
    if (RESERVED_COLUMN_NAMES.some((r) => foldIdentifier(r) === folded)) {
      throw new DbError(
        DbErrorCode.IDENTIFIER_INVALID,
        `The column name ${JSON.stringify(name)} is reserved by @refdata/db; rename the header.`,
      );
    }
    const earlier = seen.get(folded);
    if (earlier !== undefined) {
      throw new DbError(
        DbErrorCode.IDENTIFIER_INVALID,
        `The column names ${JSON.stringify(earlier)} and ${JSON.stringify(name)} differ only in case, which the database cannot tell apart; rename one of the headers.`,
      );
    }
    seen.set(folded, name);
  }
}

/**
 * The case-folded form under which two identifiers are considered the same.
 *
 * @example
 * ```ts
 * foldIdentifier('Code') === foldIdentifier('CODE'); // true
 * ```
 */
export function foldIdentifier(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/**
 * Quotes an identifier for SQLite: wrapped in `"` with every `"` doubled.
 *
 * @example
 * ```ts
 * quoteSqliteIdentifier('ref.a"b'); // '"ref.a""b"'
 * ```
 */
export function quoteSqliteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Quotes an identifier for SQL Server: wrapped in `[` … `]`, or, when the name holds a `]`, in
 * `"` with every `"` doubled — Babelfish does not read the doubled `]]` of `[a]]b]`, and both
 * read `"a]b"` (tedious opens every connection with QUOTED_IDENTIFIER ON).
 *
 * @example
 * ```ts
 * quoteMssqlIdentifier('code'); // '[code]'
 * quoteMssqlIdentifier('a]b'); // '"a]b"'
 * ```
 */
export function quoteMssqlIdentifier(name: string): string {
  return name.includes(']') ? `"${name.replaceAll('"', '""')}"` : `[${name}]`;
}

const EXTENSION = /\.[a-z0-9]{1,8}$/i;
const DATE_SUFFIX = /[_-](\d{4})(-?)(\d{2})\2(\d{2})$/;

/**
 * The target table a file names: the lower-cased file stem, without a trailing date stamp
 * (`_YYYYMMDD`, `-YYYYMMDD`, `_YYYY-MM-DD` or `-YYYY-MM-DD`, when it is a calendar date), as a
 * plain identifier: letters of any script, digits and `_` only (every other run of characters
 * becomes one `_`), never starting with a digit (`t_` is put before), at most
 * 96 characters (`MAX_TABLE_NAME_LENGTH`). Accepts a bare name or a path. Undefined when no
 * letter or digit is left (the caller must then name the table).
 *
 * @example
 * ```ts
 * tableNameFromFileName('/drop/incoming/Currencies_2025-01-31.csv'); // 'currencies'
 * tableNameFromFileName('units of measure.txt'); // 'units_of_measure'
 * tableNameFromFileName('2025_rates.csv'); // 't_2025_rates'
 * tableNameFromFileName('---.csv'); // undefined
 * ```
 */
export function tableNameFromFileName(fileName: string): string | undefined {
  let stem = basename(fileName).replace(EXTENSION, '').normalize('NFC').toLowerCase();
  const date = DATE_SUFFIX.exec(stem);
  if (date !== null && isCalendarDate(Number(date[1]), Number(date[3]), Number(date[4]))) {
    stem = stem.slice(0, date.index);
  }
  let table = stem
    .replace(/[^\p{L}\p{N}_]+/gu, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (table.length === 0) return undefined;
  if (/^\p{N}/u.test(table)) table = `t_${table}`;
  return table.slice(0, MAX_TABLE_NAME_LENGTH).replace(/_+$/, '');
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= (days[month - 1] ?? 0);
}
