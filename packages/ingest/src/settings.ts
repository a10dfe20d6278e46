/**
 * The ingestor's settings: their limits and defaults (exported, so an application validates its
 * own configuration against the same numbers), and the validation of ingestor and per-call options.
 */
import { LOAD_MODES } from '@refdata/db';
import { IngestError, IngestErrorCode } from './errors.js';
import type { ResolvedSettings } from './file-load.js';
import { type IngestOptions, type IngestorOptions, SCHEMA_DRIFT_POLICIES } from './types.js';

/**
 * The range and default of each numeric ingestor setting. The ingestor enforces them; an
 * application that reads the settings from its own configuration (the `refdata` app:
 * `INGEST_BATCH_SIZE`, `INGEST_PROGRESS_INTERVAL`, `INGEST_TYPE_SAMPLE_ROWS`) validates against
 * these same numbers, so a value it accepts is never refused at start-up.
 *
 * @example
 * ```ts
 * const { min, max } = INGEST_LIMITS.batchSize; // 1 … 100000
 * ```
 */
export const INGEST_LIMITS = {
  /** Rows per database batch (larger batches only cost memory). */
  batchSize: { min: 1, max: 100_000, default: 990 },
  /** Seconds between progress events: above 0, at most a day. */
  progressIntervalSeconds: { above: 0, max: 86_400, default: 5 },
  /** Rows sampled for type inference. */
  typeSampleRows: { min: 1, max: 10_000_000, default: 1000 },
  /** Files ingested at once. */
  concurrency: { min: 1, max: 64, default: 2 },
} as const;

/** INGEST_BATCH_SIZE default: rows per database batch. */
export const DEFAULT_BATCH_SIZE: 990 = INGEST_LIMITS.batchSize.default;
/** INGEST_PROGRESS_INTERVAL default, in seconds. */
export const DEFAULT_PROGRESS_INTERVAL_SECONDS: 5 = INGEST_LIMITS.progressIntervalSeconds.default;
/** INGEST_TYPE_SAMPLE_ROWS default. */
export const DEFAULT_TYPE_SAMPLE_ROWS: 1000 = INGEST_LIMITS.typeSampleRows.default;
/** Files ingested at once by default. */
export const DEFAULT_CONCURRENCY: 2 = INGEST_LIMITS.concurrency.default;
/** Largest batch accepted (larger batches only cost memory). */
export const MAX_BATCH_SIZE: 100_000 = INGEST_LIMITS.batchSize.max;

const {
  batchSize: BATCH,
  progressIntervalSeconds: INTERVAL,
  typeSampleRows: SAMPLE,
  concurrency: CONCURRENCY,
} = INGEST_LIMITS;

function invalid(name: string, expected: string, value: unknown): IngestError {
  return new IngestError(
    IngestErrorCode.OPTIONS_INVALID,
    `Option ${name} must be ${expected}; got ${JSON.stringify(value) ?? String(value)}. Fix the option.`,
  );
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function seconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= INTERVAL.above || value > INTERVAL.max) {
    throw invalid(name, `a number of seconds above ${INTERVAL.above} (at most ${INTERVAL.max})`, value);
  }
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(name, 'true or false', value);
  return value;
}

/** Validates the ingestor-wide options and fills in defaults. @internal */
export function resolveIngestorSettings(options: IngestorOptions): ResolvedSettings & { readonly concurrency: number } {
  return Object.freeze({
    batchSize: integer('batchSize', options.batchSize ?? BATCH.default, BATCH.min, BATCH.max),
    progressIntervalSeconds: seconds('progressIntervalSeconds', options.progressIntervalSeconds ?? INTERVAL.default),
    typeInference: bool('typeInference', options.typeInference ?? true),
    typeSampleRows: integer('typeSampleRows', options.typeSampleRows ?? SAMPLE.default, SAMPLE.min, SAMPLE.max),
    concurrency: integer('concurrency', options.concurrency ?? CONCURRENCY.default, CONCURRENCY.min, CONCURRENCY.max),
  });
}

/** Validates one call's options and merges per-call overrides into the ingestor's settings. @internal */
export function resolveCallSettings(base: ResolvedSettings, options: IngestOptions): ResolvedSettings {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  if (options.mode !== undefined && !(LOAD_MODES as readonly string[]).includes(options.mode)) {
    throw invalid('mode', `one of ${LOAD_MODES.join(', ')}`, options.mode);
  }
  if (
    options.schemaDrift !== undefined &&
    !(SCHEMA_DRIFT_POLICIES as readonly string[]).includes(options.schemaDrift)
  ) {
    throw invalid('schemaDrift', `one of ${SCHEMA_DRIFT_POLICIES.join(', ')}`, options.schemaDrift);
  }
  if (options.maxErrors !== undefined) integer('maxErrors', options.maxErrors, 0, Number.MAX_SAFE_INTEGER);
  if (options.fileId !== undefined) integer('fileId', options.fileId, 0, Number.MAX_SAFE_INTEGER);
  if (
    options.keyColumns !== undefined &&
    (!Array.isArray(options.keyColumns) || options.keyColumns.some((k) => typeof k !== 'string' || k === ''))
  ) {
    throw invalid('keyColumns', 'an array of column names', options.keyColumns);
  }
  if (options.table !== undefined && (typeof options.table !== 'string' || options.table.trim() === '')) {
    throw invalid('table', 'a non-empty table name', options.table);
  }
  for (const name of ['force', 'skipDuplicates'] as const) {
    if (options[name] !== undefined) bool(name, options[name]);
  }
  return Object.freeze({
    batchSize:
      options.batchSize === undefined ? base.batchSize : integer('batchSize', options.batchSize, BATCH.min, BATCH.max),
    progressIntervalSeconds:
      options.progressIntervalSeconds === undefined
        ? base.progressIntervalSeconds
        : seconds('progressIntervalSeconds', options.progressIntervalSeconds),
    typeInference:
      options.typeInference === undefined ? base.typeInference : bool('typeInference', options.typeInference),
    typeSampleRows:
      options.typeSampleRows === undefined
        ? base.typeSampleRows
        : integer('typeSampleRows', options.typeSampleRows, SAMPLE.min, SAMPLE.max),
  });
}
