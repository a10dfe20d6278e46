import { LOAD_MODES } from '@refdata/db';
import { IngestError, IngestErrorCode } from './errors.js';
import type { ResolvedSettings } from './ingestion.js';
import { type IngestOptions, type IngestorOptions, SCHEMA_DRIFT_POLICIES } from './types.js';

/** INGEST_BATCH_SIZE default: rows per database batch. */
export const DEFAULT_BATCH_SIZE = 990;
/** INGEST_PROGRESS_INTERVAL default, in seconds. */
export const DEFAULT_PROGRESS_INTERVAL_SECONDS = 5;
/** INGEST_TYPE_SAMPLE_ROWS default. */
export const DEFAULT_TYPE_SAMPLE_ROWS = 1000;
/** Files ingested at once by default. */
export const DEFAULT_CONCURRENCY = 2;
/** Largest batch accepted (larger batches only cost memory). */
export const MAX_BATCH_SIZE = 100_000;

function invalid(name: string, expected: string, value: unknown): IngestError {
  return new IngestError(
    IngestErrorCode.OPTIONS_INVALID,
    `Option ${name} must be ${expected}; got ${JSON.stringify(value) ?? String(value)}. Fix the option (or its environment variable).`,
  );
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function seconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw invalid(name, 'a number of seconds above 0 (at most 86400)', value);
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
    batchSize: integer('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
    progressIntervalSeconds: seconds(
      'progressIntervalSeconds',
      options.progressIntervalSeconds ?? DEFAULT_PROGRESS_INTERVAL_SECONDS,
    ),
    typeInference: bool('typeInference', options.typeInference ?? true),
    typeSampleRows: integer('typeSampleRows', options.typeSampleRows ?? DEFAULT_TYPE_SAMPLE_ROWS, 1, 10_000_000),
    concurrency: integer('concurrency', options.concurrency ?? DEFAULT_CONCURRENCY, 1, 64),
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
      options.batchSize === undefined ? base.batchSize : integer('batchSize', options.batchSize, 1, MAX_BATCH_SIZE),
    progressIntervalSeconds:
      options.progressIntervalSeconds === undefined
        ? base.progressIntervalSeconds
        : seconds('progressIntervalSeconds', options.progressIntervalSeconds),
    typeInference:
      options.typeInference === undefined ? base.typeInference : bool('typeInference', options.typeInference),
    typeSampleRows:
      options.typeSampleRows === undefined
        ? base.typeSampleRows
        : integer('typeSampleRows', options.typeSampleRows, 1, 10_000_000),
  });
}

/**
 * Reads the ingest settings from environment variables with the seed's names:
 * `INGEST_BATCH_SIZE`, `INGEST_PROGRESS_INTERVAL` (seconds), `INGEST_TYPE_INFERENCE`
 * (`true`/`false`/`1`/`0`) and `INGEST_TYPE_SAMPLE_ROWS`. Unset variables are left out, so the
 * defaults apply; malformed ones throw `INGEST_OPTIONS_INVALID` naming the variable.
 *
 * @example
 * ```ts
 * const ingestor = createIngestor({ db, ...ingestSettingsFromEnv(process.env) });
 * ```
 */
export function ingestSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<IngestorOptions, 'batchSize' | 'progressIntervalSeconds' | 'typeInference' | 'typeSampleRows'> {
  const out: {
    batchSize?: number;
    progressIntervalSeconds?: number;
    typeInference?: boolean;
    typeSampleRows?: number;
  } = {};
  const num = (name: string): number | undefined => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw invalid(name, 'a number', raw);
    return n;
  };
  const batchSize = num('INGEST_BATCH_SIZE');
  if (batchSize !== undefined) out.batchSize = integer('INGEST_BATCH_SIZE', batchSize, 1, MAX_BATCH_SIZE);
  const interval = num('INGEST_PROGRESS_INTERVAL');
  if (interval !== undefined) out.progressIntervalSeconds = seconds('INGEST_PROGRESS_INTERVAL', interval);
  const sample = num('INGEST_TYPE_SAMPLE_ROWS');
  if (sample !== undefined) out.typeSampleRows = integer('INGEST_TYPE_SAMPLE_ROWS', sample, 1, 10_000_000);
  const inference = env.INGEST_TYPE_INFERENCE?.trim().toLowerCase();
  if (inference !== undefined && inference !== '') {
    if (['true', '1', 'yes', 'on'].includes(inference)) out.typeInference = true;
    else if (['false', '0', 'no', 'off'].includes(inference)) out.typeInference = false;
    else throw invalid('INGEST_TYPE_INFERENCE', 'true or false', env.INGEST_TYPE_INFERENCE);
  }
  return out;
}
