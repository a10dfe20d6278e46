/**
 * @refdata/ingest — streaming, exact, validated, observable and cancellable loading of CSV files
 * into reference-data tables: the facade services import. Start with {@link createIngestor}; it
 * builds on @refdata/detect (format, reader, value conversion) and @refdata/db (staging, atomic
 * apply, snapshots, tracking, audit).
 *
 * @packageDocumentation
 */

export { IngestError, IngestErrorCode, type IngestErrorOptions, isIngestError } from './errors.js';
export { MAX_REJECTS_IN_MEMORY } from './file-load.js';
export { createIngestor, Ingestor } from './ingestor.js';
export { REJECTS_CSV_HEADER, rejectsToCsv } from './rejects-csv.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CONCURRENCY,
  DEFAULT_PROGRESS_INTERVAL_SECONDS,
  DEFAULT_TYPE_SAMPLE_ROWS,
  INGEST_LIMITS,
  MAX_BATCH_SIZE,
} from './settings.js';
export { tableNameFromFile } from './table-name.js';
export { findUnknownTypeOverrides, type UnknownTypeOverride } from './type-overrides.js';
export type {
  ColumnKind,
  ColumnTypeOverrides,
  Database,
  FormatInfo,
  FormatOverrides,
  IngestHandle,
  IngestOptions,
  IngestorEvents,
  IngestorOptions,
  IngestProgress,
  IngestResult,
  LoadMode,
  Logger,
  RejectedRow,
  SchemaDriftPolicy,
} from './types.js';
export { LOAD_MODES, SCHEMA_DRIFT_POLICIES } from './types.js';
