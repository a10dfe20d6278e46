/**
 * convertFile: any delimited text → RFC 4180 CSV through the ingestion parsing path.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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

/**
 * A stream {@link convertFile} can write to instead of a path — a Node `Writable` such as
 * `process.stdout` fits. It is written to (waiting for `drain` when `write` returns false) and
 * never ended.
 */
export interface ConvertSink {
  write(chunk: string): boolean;
  once(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Resolves at the sink's next `drain`, rejects at its next `error`. */
function drained(out: ConvertSink): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      out.removeListener('error', onError);
      resolve();
    };
    const onError = (err: unknown): void => {
      out.removeListener('drain', onDrain);
      reject(err);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
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
  /** The output path, or `-` when the output was a stream. */
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
 * A file output appears only when the conversion succeeds (written to a temporary file, then
 * renamed). An output that exists and is not a regular file (`/dev/stdout`, a named pipe) is
 * written in place, and a {@link ConvertSink} (a `Writable`) is written to and left open for the caller to end.
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
export async function convertFile(
  input: string,
  output: string | ConvertSink,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const maxErrors = options.maxErrors ?? Number.POSITIVE_INFINITY;
  const outputName = typeof output === 'string' ? output : '-';
  const target = typeof output === 'string' ? await outputTarget(output) : { path: '-', inPlace: true };
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
    if (!target.inPlace) await writeFile(target.path, '');
    return {
      input,
      output: outputName,
      rowsWritten: 0,
      rowsRejected: 0,
      rejects: [],
      format: null,
      warnings: [err.message],
    };
  }
  const width = format.columns.length;
  const temp = target.inPlace ? undefined : `${target.path}.${process.pid}.${Date.now()}.tmp`;
  const file =
    typeof output === 'string'
      ? createWriteStream(temp ?? target.path, { flags: temp === undefined ? 'a' : 'w' })
      : undefined;
  const out: ConvertSink = file ?? (output as ConvertSink);
  const rejects: ConvertReject[] = [];
  let rowsWritten = 0;
  let rowsRejected = 0;
  const skippedLines = new Map<string, number[]>();
  let buffer = format.headerRows.value > 0 ? csvLine(format.columns.map((c) => c.rawName)) : '';
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const ok = out.write(buffer);
    buffer = '';
    if (!ok) await drained(out);
  };
  try {
    const source = createReadStream(input, { highWaterMark: 1 << 16 });
    try {
      for await (const record of readRecords(source, format, {
        ...(options.maxFieldSize ? { maxFieldSize: options.maxFieldSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onEncodingChange: (change) => {
          format = change.format;
        },
        onSkippedLine: (skipped) => {
          const lines = skippedLines.get(skipped.reason) ?? [];
          lines.push(skipped.line);
          skippedLines.set(skipped.reason, lines);
        },
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
    if (file !== undefined) {
      file.end();
      await once(file, 'finish');
    }
    if (temp !== undefined) await rename(temp, target.path);
  } catch (err) {
    file?.destroy();
    if (temp !== undefined) await rm(temp, { force: true });
    if (isDetectError(err)) throw err;
    throw new DetectError(
      DetectErrorCode.ReadFailed,
      `Converting ${input} to ${outputName} failed: ${(err as Error).message}`,
      { file: input },
      { cause: err },
    );
  }
  options.logger?.info({ input, output: outputName, rowsWritten, rowsRejected }, 'converted');
  const warnings = [
    ...format.warnings,
    ...[...skippedLines].map(([reason, lines]) => skippedLinesNote(reason, lines.length, lines)),
  ];
  return { input, output: outputName, rowsWritten, rowsRejected, rejects, format, warnings };
}

/**
 * Where to write `path` and how: a new or regular file through a temporary file renamed onto its
 * real path (a symbolic link stays a link); a device, pipe or `/dev/stdout`-style path in place,
 * since renaming over it would replace it with a regular file (appended to: `/dev/stdout`
 * redirected to a file shares that file with the process).
 */
async function outputTarget(path: string): Promise<{ path: string; inPlace: boolean }> {
  const special = /^\/(?:proc|dev)\//;
  if (special.test(resolve(path))) return { path, inPlace: true };
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    // Absent: a new file. A link that does not resolve (to `pipe:[…]`, or dangling) is written through.
    const link = await lstat(path).catch(() => undefined);
    return { path, inPlace: link !== undefined };
  }
  if (special.test(real)) return { path, inPlace: true };
  return { path: real, inPlace: !(await stat(real)).isFile() };
}

/** The warning for lines the reader skipped for one reason, naming up to 10 of them. */
function skippedLinesNote(reason: string, count: number, lines: readonly number[]): string {
  const shown = lines.slice(0, 10).join(', ');
  return `${count} line${count === 1 ? '' : 's'} skipped, ${reason}: line ${shown}${count > 10 ? ', …' : ''}`;
}
