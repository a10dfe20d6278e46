/**
 * Detection defaults, the checks on {@link DetectOptions}, and how column type overrides are
 * matched to columns and completed into full types.
 * @internal
 */
import { DetectError, DetectErrorCode } from './errors.js';
import type { InferredColumn } from './infer-types.js';
import type { ColumnKind, ColumnType, DetectOptions, FormatOverrides } from './types.js';

/** Default bytes read for detection. */
export const DEFAULT_SAMPLE_BYTES = 1_048_576;
/** Default data rows used for type inference (INGEST_TYPE_SAMPLE_ROWS). */
export const DEFAULT_SAMPLE_ROWS = 1000;
/** Default maximum field size in characters. */
export const DEFAULT_MAX_FIELD_SIZE = 16_777_216;

/** Throws `DETECT_INVALID_OPTION` for an option or override that cannot work. @internal */
export function validateOptions(options: DetectOptions): void {
  const o = options.overrides ?? {};
  if (o.delimiter !== undefined && (o.delimiter.length === 0 || /[\r\n]/.test(o.delimiter))) {
    throw new DetectError(
      DetectErrorCode.InvalidOption,
      `The delimiter override ${JSON.stringify(o.delimiter)} is empty or contains a line break; give characters such as ',' or '; '.`,
    );
  }
  if (o.quote !== undefined && o.quote !== null && o.quote.length !== 1) {
    throw new DetectError(
      DetectErrorCode.InvalidOption,
      `The quote override ${JSON.stringify(o.quote)} must be a single character or null.`,
    );
  }
  if (o.escape !== undefined && o.escape !== null && o.escape.length !== 1) {
    throw new DetectError(
      DetectErrorCode.InvalidOption,
      `The escape override ${JSON.stringify(o.escape)} must be a single character or null.`,
    );
  }
  for (const [key, value] of [
    ['sampleBytes', options.sampleBytes],
    ['sampleRows', options.sampleRows],
    ['maxFieldSize', options.maxFieldSize],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new DetectError(
        DetectErrorCode.InvalidOption,
        `${key} must be a positive whole number, got ${String(value)}.`,
      );
    }
  }
  if (o.trim !== undefined && typeof o.trim !== 'boolean') {
    throw new DetectError(DetectErrorCode.InvalidOption, `trim must be true or false, got ${String(o.trim)}.`);
  }
  if (o.skipLines !== undefined && !(Number.isInteger(o.skipLines) && o.skipLines >= 0)) {
    throw new DetectError(
      DetectErrorCode.InvalidOption,
      `skipLines must be a whole number ≥ 0, got ${String(o.skipLines)}.`,
    );
  }
  if (typeof o.header === 'number' && !(Number.isInteger(o.header) && o.header >= 0)) {
    throw new DetectError(
      DetectErrorCode.InvalidOption,
      `header must be true, false or a whole number ≥ 0, got ${String(o.header)}.`,
    );
  }
}

/** The override for a column, by raw name, safe name or zero-based index. @internal */
export function resolveTypeOverride(
  overrides: FormatOverrides['columnTypes'],
  index: number,
  rawName: string,
  name: string,
): ColumnType | ColumnKind | undefined {
  if (!overrides) return undefined;
  return overrides[rawName] ?? overrides[name] ?? overrides[String(index)];
}

/** A full column type from an override that may name only a kind (the inferred type when the kinds agree). @internal */
export function typeFromKind(kind: ColumnType | ColumnKind, inferred: InferredColumn): ColumnType {
  if (typeof kind !== 'string') return kind;
  if (kind === inferred.type.kind) return inferred.type;
  switch (kind) {
    case 'text':
      return { kind: 'text', maxLength: 0 };
    case 'boolean':
      return { kind: 'boolean' };
    case 'integer':
      return { kind: 'integer', size: 'bigint' };
    case 'decimal':
      return { kind: 'decimal', precision: 38, scale: 10, decimalSeparator: '.', groupSeparator: '' };
    case 'date':
      return { kind: 'date', format: 'YYYY-MM-DD' };
    case 'datetime':
      return { kind: 'datetime', format: 'YYYY-MM-DDTHH:mm:ss[.S]', offset: false, fractionDigits: 7 };
    case 'time':
      return { kind: 'time', format: 'HH:mm:ss[.S]', fractionDigits: 7 };
    case 'uuid':
      return { kind: 'uuid' };
    default:
      throw new DetectError(
        DetectErrorCode.InvalidOption,
        `Unknown column type '${String(kind)}'; use one of text, boolean, integer, decimal, date, datetime, time, uuid.`,
      );
  }
}
