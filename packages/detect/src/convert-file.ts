/**
 * convertFile: any delimited text → RFC 4180 CSV through the ingestion parsing path.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { detectFormat } from './detect-format.js';
import { DetectError, DetectErrorCode, isDetectError } from './errors.js';
import { readRecords } from './read-records.js';
import { type DetectLogger, type FormatInfo, type FormatOverrides, UNCLOSED_QUOTE_REASON } from './types.js';

/** Options of {@link convertFile}. */
export interface ConvertOptions {
  /** Rejected rows tolerated before the conversion fails with DETECT_TOO_MANY_REJECTS. @default Infinity */
  readonly maxErrors?: number;
  /** What the user knows about the input (skips the matching detection). */
  readonly overrides?: FormatOverrides;
  /** Largest field accepted, in characters. @default 16_777_216 */
  readonly maxFieldSize?: number;
  readonly signal?: AbortSignal;
  /** Receives the detector's debug line and one info line per conversion. @default a no-op logger */
  readonly logger?: DetectLogger;
}

/** A row of the input that was not written, with why. */
export interface ConvertReject {
  /** One-based physical line where the record starts in the input. */
  readonly line: number;
  readonly reason: string;
  /** The record's text as it appeared (cut to 1,000 characters). */
  readonly raw: string;
}

/** What {@link convertFile} did. */
export interface ConvertResult {
  readonly input: string;
  readonly output: string;
  /** Data rows written (the header line not counted). */
  readonly rowsWritten: number;
  /** Rows not written because they do not fit the detected shape. */
  readonly rowsRejected: number;
  /** The first 1,000 rejected rows. */
  readonly rejects: readonly ConvertReject[];
  /** The detected format the input was read with; null when the input was empty. */
  readonly format: FormatInfo | null;
  /** The detector's warnings. */
  readonly warnings: readonly string[];
}

const MAX_REJECTS_KEPT = 1000;
const NEEDS_QUOTES = /[",\r\n]/;

/** Quotes one cell for RFC 4180 output only where needed. */
function csvCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record; a field written as `""` in the input stays `""` (an empty string, not a missing value). */
function csvLine(fields: readonly string[], quotedEmpty?: readonly number[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i += 1) {
    if (i > 0) line += ',';
    line += quotedEmpty?.includes(i) ? '""' : csvCell(fields[i]!);
  }
  return `${line}\n`;
}

/**
 * Converts one delimited text file into RFC 4180 CSV (comma, `"` quoting only where needed,
 * LF line ends): detects its format with {@link detectFormat}, reads it with
 * {@link readRecords} — the same path as ingestion — and writes the header (when the input has
 * one; a headerless input stays headerless) and every record with the detected number of
 * fields. Cell text is written as it was in the input (unquoted, unescaped, never retyped).
 * Records with another number of fields are rejected, counted and returned, never guessed.
 * The output appears only when the conversion succeeds (written to a temporary file, then
 * renamed).
 *
 * An empty input (no bytes, or only a byte-order mark and whitespace) gives an empty output
 * and `format: null`. Throws a {@link DetectError} when the input cannot be loaded at all
 * (binary, an unclosed quote, invalid encoding, …) or when more than `maxErrors` rows are rejected
 * (`DETECT_TOO_MANY_REJECTS`).
 *
 * @example
 * ```ts
 * const result = await convertFile('in/prices.txt', 'out/prices.csv', { maxErrors: 10 });
 * console.log(result.rowsWritten, result.rowsRejected, result.format.delimiter.reason);
 * ```
 */
export async function convertFile(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const maxErrors = options.maxErrors ?? Number.POSITIVE_INFINITY;
  let format: FormatInfo;
  try {
    format = await detectFormat(input, {
      ...(options.overrides ? { overrides: options.overrides } : {}),
      ...(options.maxFieldSize ? { maxFieldSize: options.maxFieldSize } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (err) {
    if (!isDetectError(err) || err.code !== DetectErrorCode.EmptyFile) throw err;
    // An empty input converts to an empty output: there is no row to lose.
    await writeFile(output, '');
    return { input, output, rowsWritten: 0, rowsRejected: 0, rejects: [], format: null, warnings: [err.message] };
  }
  const width = format.columns.length;
  const temp = `${output}.${process.pid}.${Date.now()}.tmp`;
  const out = createWriteStream(temp);
  const rejects: ConvertReject[] = [];
  let rowsWritten = 0;
  let rowsRejected = 0;
  let buffer = format.headerRows.value > 0 ? csvLine(format.columns.map((c) => c.rawName)) : '';
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const ok = out.write(buffer);
    buffer = '';
    if (!ok) await once(out, 'drain');
  };
  try {
    const source = createReadStream(input, { highWaterMark: 1 << 16 });
    try {
      for await (const record of readRecords(source, format, {
        ...(options.maxFieldSize ? { maxFieldSize: options.maxFieldSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })) {
        if (record.fields.length !== width || record.unclosedQuote === true) {
          rowsRejected += 1;
          if (rejects.length < MAX_REJECTS_KEPT) {
            rejects.push({
              line: record.line,
              reason:
                record.fields.length !== width
                  ? `has ${record.fields.length} fields, expected ${width}`
                  : UNCLOSED_QUOTE_REASON,
              raw: record.raw.length > 1000 ? record.raw.slice(0, 1000) : record.raw,
            });
          }
          if (rowsRejected > maxErrors) {
            throw new DetectError(
              DetectErrorCode.TooManyRejects,
              `${input}: more than ${maxErrors} rows do not fit the ${width} fields of the header (line ${record.line}: ${rejects.at(-1)?.reason ?? 'rejected'}); fix the file or raise maxErrors.`,
              { line: record.line, file: input },
            );
          }
          continue;
        }
        buffer += csvLine(record.fields, record.quotedEmpty);
        rowsWritten += 1;
        if (buffer.length >= 65_536) await flush();
      }
    } finally {
      source.destroy();
    }
    await flush();
    out.end();
    await once(out, 'finish');
    await rename(temp, output);
  } catch (err) {
    out.destroy();
    await rm(temp, { force: true });
    if (isDetectError(err)) throw err;
    throw new DetectError(
      DetectErrorCode.ReadFailed,
      `Converting ${input} to ${output} failed: ${(err as Error).message}`,
      { file: input },
      { cause: err },
    );
  }
  options.logger?.info({ input, output, rowsWritten, rowsRejected }, 'converted');
  return { input, output, rowsWritten, rowsRejected, rejects, format, warnings: format.warnings };
}
