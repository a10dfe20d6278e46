/**
 * @refdata/detect — finds everything needed to load a CSV-like file correctly (encoding,
 * dialect, preamble, header, footer, lossless column types) from a bounded sample, and reads
 * it: {@link detectFormat}, then {@link readRecords} and {@link createValueParser}. No database
 * knowledge.
 *
 * @packageDocumentation
 */
export type {
  ByteSource,
  CreateValueParserFn,
  DetectFormatFn,
  EncodingChange,
  FormatCanonicalFn,
  ReadRecordsFn,
  ReadRecordsOptions,
  SkippedLine,
  ValueParser,
} from './api.js';
export type { ConvertOptions, ConvertReject, ConvertResult, ConvertSink } from './convert-file.js';
export { convertFile } from './convert-file.js';
export { detectFormat } from './detect-format.js';
export type { DetectErrorDetails } from './errors.js';
export { DetectError, DetectErrorCode, isDetectError } from './errors.js';
export { DEFAULT_MAX_FIELD_SIZE, DEFAULT_SAMPLE_BYTES, DEFAULT_SAMPLE_ROWS } from './options.js';
export { readRecordChunks, readRecords } from './read-records.js';
export { cleanColumnName, MAX_COLUMN_NAME_LENGTH, safeColumnNames } from './safe-column-names.js';
export type {
  CanonicalValue,
  ColumnInfo,
  ColumnKind,
  ColumnType,
  ColumnTypeOverrides,
  Decision,
  DetectLogger,
  DetectOptions,
  Encoding,
  FormatInfo,
  FormatOverrides,
  LineTerminator,
  ParsedValue,
  SourceRecord,
} from './types.js';
export { DEFAULT_NULL_TOKENS, ENCODINGS, LINE_TERMINATORS, UNCLOSED_QUOTE_REASON } from './types.js';
export { createValueParser, formatCanonical } from './value-parser.js';
export { widenedType } from './widen-type.js';
