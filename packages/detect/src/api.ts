/**
 * Signatures of the functions @refdata/detect exports (the contract). Implementations live in
 * their own files and must satisfy these types; `index.ts` re-exports them.
 */
import type {
  CanonicalValue,
  ColumnType,
  DetectOptions,
  Encoding,
  FormatInfo,
  ParsedValue,
  SourceRecord,
} from './types.js';

/** Input bytes for the reader: a Node readable stream or any async iterable of chunks. */
export type ByteSource = AsyncIterable<Uint8Array>;

/** Options for reading records with a detected format. */
export interface ReadRecordsOptions {
  /** Largest field accepted, in characters. @default 16_777_216 */
  readonly maxFieldSize?: number;
  readonly signal?: AbortSignal;
  /**
   * Called once when a file detected as UTF-8 from an ASCII-only sample turns out, at its first
   * non-ASCII bytes past the sample, to be in a single-byte code page (`Café` in Windows-1252
   * after a megabyte of ASCII): the rest is read in that code page — the ASCII before it reads
   * the same in both — instead of failing. Not called for an `encoding` override or a BOM.
   */
  readonly onEncodingChange?: (change: EncodingChange) => void;
  /**
   * Called for each line the reader leaves out of the table on its way, with why: an exact copy
   * of a one-row header after it (files joined together with `cat`), or a row of only
   * delimiters (a spreadsheet's empty row, `,,,`), neither of which holds data. Such lines are
   * not yielded; without this callback they are still skipped. Footer lines are not reported.
   */
  readonly onSkippedLine?: (skipped: SkippedLine) => void;
}

/** What {@link ReadRecordsOptions.onSkippedLine} reports. */
export interface SkippedLine {
  /** One-based physical line. */
  readonly line: number;
  readonly reason: string;
}

/** What {@link ReadRecordsOptions.onEncodingChange} reports. */
export interface EncodingChange {
  /** The encoding the rest of the file is read in. */
  readonly encoding: Encoding;
  /** One-based physical line of the first non-ASCII byte. */
  readonly line: number;
  /** Why, for the load's record. */
  readonly reason: string;
  /** The format the rest was read with: this encoding, and the reason among its warnings. */
  readonly format: FormatInfo;
}

/**
 * Detects the format of a file (by path) or of bytes in memory, reading at most the sample.
 * Throws a `DetectError` (`DETECT_…` code) when the input cannot be a delimited text table.
 */
export type DetectFormatFn = (input: string | Uint8Array, options?: DetectOptions) => Promise<FormatInfo>;

/**
 * Streams the data records of `source` (after preamble and header, before footer lines),
 * decoding with `format.encoding` and splitting with its dialect. Records whose field count
 * differs from `format.columns.length` are yielded as they are; the caller decides.
 * Throws a `DetectError` for unreadable input (e.g. `DETECT_INVALID_ENCODING` with the line).
 */
export type ReadRecordsFn = (
  source: ByteSource,
  format: FormatInfo,
  options?: ReadRecordsOptions,
) => AsyncIterable<SourceRecord>;

/** Converts one cell to its canonical value (see `CanonicalValue`), or says why it cannot. */
export type ValueParser = (raw: string) => ParsedValue;

/** Builds a fast converter for one column type; null tokens map to null. */
export type CreateValueParserFn = (type: ColumnType, nullTokens: readonly string[]) => ValueParser;

/** Writes a canonical value as text for RFC 4180 export (integers as digits, decimals as stored, ISO dates). */
export type FormatCanonicalFn = (value: CanonicalValue) => string;
