export type { ByteSource, ReadRecordsOptions, ValueParser } from './api.js';
export type {
  CanonicalValue,
  ColumnInfo,
  ColumnKind,
  ColumnType,
  ColumnTypeOverrides,
  Decision,
  DetectOptions,
  Encoding,
  FormatInfo,
  FormatOverrides,
  LineTerminator,
  ParsedValue,
  SourceRecord,
} from './types.js';
export { DEFAULT_NULL_TOKENS, ENCODINGS, LINE_TERMINATORS } from './types.js';
