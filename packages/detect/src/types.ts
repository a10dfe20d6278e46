/**
 * Public types of @refdata/detect. This file is the contract other packages build on
 * (ingest consumes {@link FormatInfo}, {@link ColumnType} and the record reader); change it
 * only together with its users.
 */

/** Text encodings the detector can report and the reader can decode. */
export const ENCODINGS = [
  'utf-8',
  'utf-16le',
  'utf-16be',
  'windows-1252',
  'iso-8859-1',
  'windows-1251',
  'koi8-r',
  'windows-1250',
  'iso-8859-2',
] as const;
/** One of {@link ENCODINGS}. */
export type Encoding = (typeof ENCODINGS)[number];

/** Line terminators; `mixed` when the sample holds more than one kind. */
export const LINE_TERMINATORS = ['\n', '\r\n', '\r', 'mixed'] as const;
/** One of {@link LINE_TERMINATORS}. */
export type LineTerminator = (typeof LINE_TERMINATORS)[number];

/**
 * The reject reason of a row whose quote is never closed (a stray quote read as data), with the
 * way out when the file's quotes are data rather than quoting.
 */
export const UNCLOSED_QUOTE_REASON =
  'a quote in this row is never closed (the row may be cut short); if quotes are data in this file, set the quote override to null';

/** Tokens that mean NULL unless configured otherwise. The empty string is always one of them. */
export const DEFAULT_NULL_TOKENS: readonly string[] = ['', 'NULL', 'null', 'N/A', '#N/A', '\\N'];

/**
 * The logical type of a column, decided losslessly from a sample.
 * Every value of the column can be converted to its canonical form
 * (see {@link CanonicalValue}) without losing information.
 */
export type ColumnType =
  | { readonly kind: 'boolean' }
  /** Whole numbers without leading zeros; `int` fits 32 bits signed, `bigint` 64 bits signed. */
  | { readonly kind: 'integer'; readonly size: 'int' | 'bigint' }
  /**
   * Exact decimals. `precision` ≤ 38 and `scale` ≤ precision; the separators say how the
   * text is written (`1.234,56` is decimalSeparator `,` groupSeparator `.`).
   */
  | {
      readonly kind: 'decimal';
      readonly precision: number;
      readonly scale: number;
      readonly decimalSeparator: '.' | ',';
      readonly groupSeparator: '' | ',' | '.' | ' ' | "'";
    }
  /** A calendar date written as `format` (tokens YYYY, MM, M, DD, D and literal separators). */
  | { readonly kind: 'date'; readonly format: string }
  /** A date and time; `offset` true when values carry `Z` or `±HH:MM`. */
  | { readonly kind: 'datetime'; readonly format: string; readonly offset: boolean; readonly fractionDigits: number }
  /** A time of day. */
  | { readonly kind: 'time'; readonly format: string; readonly fractionDigits: number }
  | { readonly kind: 'uuid' }
  /** Anything else; `maxLength` is the longest value seen in the sample, in UTF-16 code units. */
  | { readonly kind: 'text'; readonly maxLength: number };

/** The `kind` of a column type (`ColumnType` in @refdata/detect). */
export type ColumnKind = ColumnType['kind'];

/**
 * A value converted to its canonical, lossless form:
 * - boolean → `boolean`
 * - integer `int` → `number`; integer `bigint` → `bigint`
 * - decimal → `string` of the form `-?\d+(\.\d+)?` with the scale as written (no exponent, no grouping)
 * - date → `'YYYY-MM-DD'`; time → `'HH:MM:SS[.fffffff]'`
 * - datetime → `'YYYY-MM-DDTHH:MM:SS[.fffffff]'` plus `'Z'` or `'±HH:MM'` when the column has an offset
 * - uuid → lower-case `string`; text → the cell text unchanged
 * - NULL → `null`
 */
export type CanonicalValue = null | boolean | number | bigint | string;

/** The result of converting one cell. */
export type ParsedValue =
  | { readonly ok: true; readonly value: CanonicalValue }
  | { readonly ok: false; readonly reason: string };

/** One decision of the detector, with how sure it is and why. */
export interface Decision<T> {
  readonly value: T;
  /** 0 (a guess) … 1 (certain). */
  readonly confidence: number;
  /** A readable sentence, e.g. `delimiter ';' chosen: 84 of 84 rows have 9 fields; ',' gives 3 different widths`. */
  readonly reason: string;
  /** True when the value came from an override rather than from detection. */
  readonly overridden: boolean;
}

/** One column of the detected table. */
export interface ColumnInfo {
  /** Zero-based position in the record. */
  readonly index: number;
  /** The header text as it appeared (multi-row headers joined with a space); `col_N` when there is no header. */
  readonly rawName: string;
  /** A safe SQL name: trimmed, NFC, no control characters, ≤ 128 characters, unique case-insensitively. */
  readonly name: string;
  readonly type: ColumnType;
  /**
   * True when the sample held a null token in this column, or when the sample did not see every
   * row of the file (so it is not possible to tell).
   */
  readonly nullable: boolean;
  readonly confidence: number;
  readonly reason: string;
}

/** Everything needed to read a file correctly, as detected from a bounded sample. */
export interface FormatInfo {
  readonly encoding: Decision<Encoding>;
  /** True when the file starts with a byte-order mark (which is never part of the first column name). */
  readonly bom: boolean;
  /**
   * True when UTF-8 was chosen because the sample, smaller than the file, held only ASCII: the
   * reader then checks the first non-ASCII bytes past it and reads the rest in a single-byte
   * code page when they are one (see `ReadRecordsOptions.onEncodingChange`).
   */
  readonly asciiSample?: boolean;
  readonly lineTerminator: Decision<LineTerminator>;
  /** The field delimiter; may be more than one character (e.g. `', '`). */
  readonly delimiter: Decision<string>;
  /** The quote character, or null when fields are never quoted. */
  readonly quote: Decision<string | null>;
  /** The escape character inside quoted fields: equal to `quote` for doubled quotes (RFC 4180), `\\`, or null. */
  readonly escape: Decision<string | null>;
  /**
   * True when spaces around fields are padding (`id , name`, `1, "Smith, J"`): the reader drops
   * them at both ends of every field, header and values alike, and a quote after them opens a
   * quoted field. False keeps spaces as data.
   */
  readonly trim: Decision<boolean>;
  /** Physical lines before the header (titles, notes, blank lines), skipped by the reader. */
  readonly preambleLines: Decision<number>;
  /** Records that form the header: 0 (none; names are `col_1…`), 1, or more for multi-row headers. */
  readonly headerRows: Decision<number>;
  /**
   * Lines at the end of the file that are not read — notes, a second table, trailing blank lines —
   * and why (the reason names the first line and quotes the note). A single row of another width
   * at the end is never a footer: it is data of the wrong shape, which the loader rejects.
   */
  readonly footer: Decision<number>;
  /** The same count as `footer.value` (lines the reader stops before). */
  readonly footerLines: number;
  /**
   * Ragged-right files, whose writer leaves out empty trailing fields: rows with at least
   * `value` fields and fewer than the table's width are filled out with empty fields (read as
   * NULL; each such record says how many in `SourceRecord.filledFields`). 0 (the usual
   * case) when every row must have the table's width.
   */
  readonly fillShortRows: Decision<number>;
  readonly columns: readonly ColumnInfo[];
  /** Tokens read as NULL. */
  readonly nullTokens: readonly string[];
  /** Anything the user should know (a second table after a blank line, ambiguous dates read as text, …). */
  readonly warnings: readonly string[];
  /** How much was read to decide. */
  readonly sample: { readonly bytes: number; readonly rows: number; readonly wholeFile: boolean };
}

/** Column type overrides by column name (raw or safe name) or zero-based index. */
export type ColumnTypeOverrides = Readonly<Record<string, ColumnType | ColumnKind>>;

/** What a user who knows can say; every field skips the corresponding detection. */
export interface FormatOverrides {
  readonly encoding?: Encoding;
  readonly delimiter?: string;
  readonly quote?: string | null;
  readonly escape?: string | null;
  /** `true` = spaces around fields are padding (dropped); `false` = they are data. */
  readonly trim?: boolean;
  /** `false` = no header, `true` = one header row, a number = that many header rows. */
  readonly header?: boolean | number;
  /** Physical lines to skip before the header. */
  readonly skipLines?: number;
  readonly columnTypes?: ColumnTypeOverrides;
  readonly nullTokens?: readonly string[];
  /** How to read ambiguous dates such as 03/04/2025; by default they stay text. */
  readonly dateOrder?: 'DMY' | 'MDY' | 'YMD';
}

/**
 * The structural logger @refdata/detect accepts (pino satisfies it). Object first, message
 * second. The default does nothing.
 */
export interface DetectLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): DetectLogger;
}

/** Options for {@link FormatInfo} detection. */
export interface DetectOptions {
  readonly overrides?: FormatOverrides;
  /** Bytes read from the start of the file. @default 1_048_576 */
  readonly sampleBytes?: number;
  /** Data rows used to infer column types (INGEST_TYPE_SAMPLE_ROWS). @default 1000 */
  readonly sampleRows?: number;
  /** Infer column types; when false every column is text (INGEST_TYPE_INFERENCE). @default true */
  readonly inferTypes?: boolean;
  /** Largest field accepted, in characters, before the detector/reader fails with DETECT_FIELD_TOO_LARGE. @default 16_777_216 */
  readonly maxFieldSize?: number;
  readonly signal?: AbortSignal;
  /** Receives one debug line per detection (decisions and timing). @default a no-op logger */
  readonly logger?: DetectLogger;
}

/** One record produced by the reader. */
export interface SourceRecord {
  /** One-based physical line number where the record starts in the file. */
  readonly line: number;
  /** The cells, unquoted and unescaped, as text. */
  readonly fields: readonly string[];
  /** The record's text as it appeared in the file (for reject reports). */
  readonly raw: string;
  /**
   * Indices of the fields written as a quoted empty field (`""`): an empty string, never a
   * NULL, unlike an unquoted empty field. Undefined when the record has none.
   */
  readonly quotedEmpty?: readonly number[] | undefined;
  /**
   * True when a quote in this record is never closed (nothing later in the file closes it) and
   * was read as a literal character: the record may be cut short (a truncated file), so loaders
   * reject it rather than trust it. Absent otherwise.
   */
  readonly unclosedQuote?: true;
  /** How many empty trailing fields the reader added to this record (see {@link FormatInfo.fillShortRows}). Absent otherwise. */
  readonly filledFields?: number;
}
