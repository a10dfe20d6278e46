/**
 * readRecords: the one parsing path of ingestion and conversion.
 */

import { isAscii } from 'node:buffer';
import type { ByteSource, ReadRecordsOptions, SkippedLine } from './api.js';
import { createDecoder, firstInvalidUtf8, guessChunkEncoding, lineAt } from './decode.js';
import { DetectError, DetectErrorCode, isDetectError } from './errors.js';
import { DEFAULT_MAX_FIELD_SIZE } from './options.js';
import { filledRecord, hasTrailingBlankField, headerCopyTest, withoutTrailingField } from './rows.js';
import { Tokenizer } from './tokenizer.js';
import type { FormatInfo, SourceRecord } from './types.js';

/** Skips the first `count` physical lines of a text stream, across chunk boundaries. */
class LineSkipper {
  #left: number;
  #afterCR = false;

  constructor(count: number) {
    this.#left = count;
  }

  get done(): boolean {
    return this.#left === 0 && !this.#afterCR;
  }

  /** Returns the part of `text` after the skipped lines. */
  skip(text: string): string {
    let i = 0;
    if (this.#afterCR) {
      if (text.length === 0) return '';
      if (text.charCodeAt(0) === 10) i = 1;
      this.#afterCR = false;
    }
    while (this.#left > 0 && i < text.length) {
      const c = text.charCodeAt(i);
      i += 1;
      if (c === 10) this.#left -= 1;
      else if (c === 13) {
        this.#left -= 1;
        if (i >= text.length) {
          if (this.#left === 0) this.#afterCR = true;
        } else if (text.charCodeAt(i) === 10) i += 1;
      }
    }
    if (this.#left > 0 || this.#afterCR) return '';
    return i === 0 ? text : text.slice(i);
  }
}

function aborted(signal: AbortSignal): DetectError {
  return new DetectError(DetectErrorCode.Aborted, 'Reading was cancelled.', {}, { cause: signal.reason });
}

/** Why the reader skips a copy of the header. */
const HEADER_COPY_REASON = 'an exact copy of the header (files joined together)';
/** Why the reader skips a row of only delimiters. */
const EMPTY_ROW_REASON = 'a row with no values (only delimiters)';

/** Every field empty and unquoted, with at least one delimiter. */
function isEmptyRow(r: SourceRecord): boolean {
  if (r.fields.length < 2 || r.quotedEmpty !== undefined) return false;
  for (const f of r.fields) if (f !== '') return false;
  return true;
}

/**
 * Streams the data records of `source` with a detected {@link FormatInfo}: decodes the bytes
 * (iconv-lite for single-byte code pages; a byte-order mark is dropped), skips the preamble
 * lines and header rows, stops before footer lines, skips blank lines (when the table has more
 * than one column), and yields each record with its one-based starting physical line and its
 * raw text. One extra blank field at the end of a row (a stray final delimiter) is dropped;
 * other records whose field count differs from `format.columns.length` are yielded as they
 * are, and a record holding a quote that nothing closes is yielded with `unclosedQuote: true`
 * (the quote read as a literal character): the caller decides. Memory stays bounded by the
 * largest record (at most about twice `maxFieldSize` characters), and it runs inside worker
 * threads.
 *
 * Throws a {@link DetectError}: `DETECT_FIELD_TOO_LARGE`, `DETECT_INVALID_ENCODING`,
 * `DETECT_ABORTED`.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * const format = await detectFormat('currencies.csv');
 * for await (const record of readRecords(createReadStream('currencies.csv'), format)) {
 *   console.log(record.line, record.fields);
 * }
 * ```
 */
export async function* readRecords(
  source: ByteSource,
  format: FormatInfo,
  options: ReadRecordsOptions = {},
): AsyncGenerator<SourceRecord, void, undefined> {
  for await (const records of readRecordChunks(source, format, options)) {
    for (let i = 0; i < records.length; i += 1) yield records[i]!;
  }
}

/**
 * {@link readRecords}, one array of records per chunk of the source instead of one record at a
 * time: the same records in the same order, without an asynchronous step per record (the
 * ingestion's hot path). An array is never empty and belongs to the caller.
 * @internal
 */
export async function* readRecordChunks(
  source: ByteSource,
  format: FormatInfo,
  options: ReadRecordsOptions = {},
): AsyncGenerator<SourceRecord[], void, undefined> {
  const maxFieldSize = options.maxFieldSize ?? DEFAULT_MAX_FIELD_SIZE;
  const signal = options.signal;
  let decoder = createDecoder(format.encoding.value);
  // UTF-8 chosen from an ASCII-only sample is provisional until the first non-ASCII bytes.
  let provisional =
    format.asciiSample === true && format.encoding.value === 'utf-8' && format.encoding.overridden !== true;
  let encoding = format.encoding.value;
  const preamble = format.preambleLines.value;
  const skipper = new LineSkipper(preamble);
  const tokenizer = new Tokenizer(
    {
      delimiter: format.delimiter.value,
      quote: format.quote.value,
      escape: format.escape.value,
      trim: format.trim.value,
    },
    { maxFieldSize, firstLine: preamble + 1 },
  );
  let headerLeft = format.headerRows.value;
  const width = format.columns.length;
  // Exact copies of a one-row header (joined files) are skipped wherever they appear.
  const isHeaderCopy =
    format.headerRows.value === 1 && width >= 2 ? headerCopyTest(format.columns.map((c) => c.rawName)) : undefined;
  const skipBlank = width > 1;
  const fillFrom = format.fillShortRows?.value ?? 0;
  const footer = format.footerLines;
  // Skipped lines are reported as met, or at the end when footer lines may be among them.
  const pendingSkips: SkippedLine[] = [];
  const skip = (line: SkippedLine): void => {
    if (footer === 0) options.onSkippedLine?.(line);
    else if (options.onSkippedLine !== undefined) pendingSkips.push(line);
  };
  let out: SourceRecord[] = [];
  const held: SourceRecord[] = [];
  const unclosed = tokenizer.unclosedQuoteRecords;
  const collect = (r: SourceRecord): void => {
    if (skipBlank && (r.raw.length === 0 || (r.fields.length === 1 && r.raw.trim() === ''))) return;
    if (headerLeft > 0) {
      headerLeft -= 1;
      return;
    }
    // A row of only delimiters (`,,,`: a spreadsheet's empty row, of any width) holds nothing.
    if (skipBlank && r.fields[0] === '' && isEmptyRow(r)) {
      skip({ line: r.line, reason: EMPTY_ROW_REASON });
      return;
    }
    if (isHeaderCopy?.(r)) {
      skip({ line: r.line, reason: HEADER_COPY_REASON });
      return;
    }
    // A ragged-right file's short rows are filled out with empty trailing fields.
    if (fillFrom > 0 && r.fields.length < width && !unclosed.has(r.line)) {
      out.push(filledRecord(r, width, fillFrom));
      return;
    }
    // One extra field that is blank (a stray final delimiter) is tolerated when the row fits otherwise.
    if (r.fields.length !== width + 1 && unclosed.size === 0) {
      out.push(r);
      return;
    }
    let record = hasTrailingBlankField(r, width) ? withoutTrailingField(r, width) : r;
    if (unclosed.size > 0 && unclosed.has(record.line)) record = { ...record, unclosedQuote: true };
    out.push(record);
  };
  const feed = (text: string): void => {
    if (!skipper.done) text = skipper.skip(text);
    if (text.length > 0) tokenizer.push(text, collect);
  };

  const decode = (chunk: Uint8Array | undefined): string => {
    if (provisional && chunk !== undefined && !isAscii(chunk)) {
      provisional = false;
      const guess = guessChunkEncoding(chunk);
      if (guess.encoding !== 'utf-8') {
        // Everything before was ASCII, which reads the same in every code page this switches to.
        decoder = createDecoder(guess.encoding);
        encoding = guess.encoding;
        let firstHigh = 0;
        while (chunk[firstHigh]! < 0x80) firstHigh += 1;
        const line = tokenizer.line + tokenizer.pendingLineBreaks + lineAt(chunk, firstHigh) - 1;
        const reason = `the sample was ASCII only (read as UTF-8), but the bytes from line ${line} on are not UTF-8: ${guess.reason}`;
        options.onEncodingChange?.({
          encoding: guess.encoding,
          line,
          reason,
          format: {
            ...format,
            encoding: { ...format.encoding, value: guess.encoding, confidence: 0.8, reason },
            warnings: [...format.warnings, reason],
          },
        });
      }
    }
    try {
      return chunk === undefined ? decoder.end() : decoder.write(chunk);
    } catch (err) {
      if (isDetectError(err) && err.code === DetectErrorCode.InvalidEncoding) {
        if (!skipper.done) {
          const line = tokenizer.line;
          throw new DetectError(
            err.code,
            `The bytes after line ${line} are not valid ${encoding}; set the encoding override (for example 'windows-1252') if the file was saved in another encoding.`,
            { line },
            { cause: err },
          );
        }
        // The record being read starts at tokenizer.line; count the breaks buffered after it and
        // those in this chunk before the first bad byte.
        const inChunk = chunk === undefined ? 0 : firstInvalidUtf8(chunk).lineBreaks;
        const line = tokenizer.line + tokenizer.pendingLineBreaks + inChunk;
        throw new DetectError(
          err.code,
          `Line ${line} holds bytes that are not valid ${encoding} (the file is damaged or mixes encodings); fix that line and drop the file again, or set the encoding override (for example 'windows-1252') if the whole file was saved in another encoding.`,
          { line },
          { cause: err },
        );
      }
      throw err;
    }
  };

  for await (const chunk of source) {
    if (signal?.aborted) throw aborted(signal);
    feed(decode(chunk));
    if (out.length === 0) continue;
    const batch = out;
    out = [];
    if (footer === 0) {
      yield batch;
    } else {
      // The last `footer` records are held back until the end shows whether they are the footer.
      const ready: SourceRecord[] = [];
      for (const r of batch) {
        held.push(r);
        if (held.length > footer) ready.push(held.shift()!);
      }
      if (ready.length > 0) yield ready;
    }
  }
  if (signal?.aborted) throw aborted(signal);
  feed(decode(undefined));
  tokenizer.finish(collect);
  const tail = [...held, ...out];
  if (footer === 0) {
    if (tail.length > 0) yield tail;
    return;
  }
  const totalLines = tokenizer.line - 1;
  const lastDataLine = totalLines - footer;
  for (const line of pendingSkips) if (line.line <= lastDataLine) options.onSkippedLine?.(line);
  const data = tail.filter((r) => r.line <= lastDataLine);
  if (data.length > 0) yield data;
}
