/**
 * detectFormat: encoding, line terminator, dialect, preamble, header, footer and column types
 * from a bounded sample.
 */
import type { DetectFormatFn } from './api.js';
import { decodeAll, detectEncoding } from './decode.js';
import { candidateDialects, type DialectScore, scoreDialect, showDelimiter } from './dialect.js';
import { DetectError, DetectErrorCode } from './errors.js';
import { type InferredColumn, inferColumn } from './infer-types.js';
import { safeColumnNames } from './safe-column-names.js';
import { readSample, readTail } from './sample.js';
import { type Dialect, tokenize } from './tokenizer.js';
import {
  type ColumnInfo,
  type ColumnKind,
  type ColumnType,
  DEFAULT_NULL_TOKENS,
  type Decision,
  type DetectOptions,
  type Encoding,
  type FormatInfo,
  type FormatOverrides,
  type LineTerminator,
  type SourceRecord,
} from './types.js';
import { createValueParser } from './value-parser.js';

/** Default bytes read for detection. */
export const DEFAULT_SAMPLE_BYTES = 1_048_576;
/** Default data rows used for type inference (INGEST_TYPE_SAMPLE_ROWS). */
export const DEFAULT_SAMPLE_ROWS = 1000;
/** Default maximum field size in characters. */
export const DEFAULT_MAX_FIELD_SIZE = 16_777_216;

/** Decimal precision given to columns typed from a sample that did not see every row. */
const DECIMAL_HEADROOM = 18;
/** Text used to choose the dialect: the start of the sample. */
const DIALECT_SAMPLE_CHARS = 65_536;
const DIALECT_SAMPLE_RECORDS = 400;
const MAX_HEADER_ROWS = 3;

function decision<T>(value: T, confidence: number, reason: string, overridden = false): Decision<T> {
  return { value, confidence: Math.round(confidence * 100) / 100, reason, overridden };
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new DetectError(DetectErrorCode.Aborted, 'Detection was cancelled.', {}, { cause: signal.reason });
  }
}

function isBlank(r: SourceRecord): boolean {
  for (const f of r.fields) if (f.length > 0 && f.trim() !== '') return false;
  return true;
}

function nonEmptyCount(r: SourceRecord): number {
  let n = 0;
  for (const f of r.fields) if (f.trim() !== '') n += 1;
  return n;
}

/** Cuts text at its last line break so a partial record of a truncated sample is not judged. */
function cutAtLastLineBreak(text: string): string {
  const i = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  return i < 0 ? text : text.slice(0, i + 1);
}

function detectLineTerminator(whole: string, quote: string | null): Decision<LineTerminator> {
  const text = whole.length > DIALECT_SAMPLE_CHARS ? whole.slice(0, DIALECT_SAMPLE_CHARS) : whole;
  let lf = 0;
  let crlf = 0;
  let cr = 0;
  let inQuotes = false;
  const q = quote === null ? -1 : quote.charCodeAt(0);
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === q) inQuotes = !inQuotes;
    else if (!inQuotes) {
      if (c === 10) lf += 1;
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) {
          crlf += 1;
          i += 1;
        } else cr += 1;
      }
    }
  }
  const kinds = [
    ['\n', lf, 'LF'],
    ['\r\n', crlf, 'CRLF'],
    ['\r', cr, 'CR'],
  ] as const;
  const present = kinds.filter(([, n]) => n > 0);
  if (present.length === 0)
    return decision<LineTerminator>('\n', 0.5, 'no line break in the sample (a single line); LF assumed');
  if (present.length === 1) {
    const [value, n, name] = present[0]!;
    return decision<LineTerminator>(value, 1, `${name}: all ${n} line breaks in the sample`);
  }
  return decision<LineTerminator>(
    'mixed',
    0.9,
    `mixed: ${present.map(([, n, name]) => `${n} ${name}`).join(', ')} line breaks in the sample; the reader accepts all of them`,
  );
}

/** Lines the dialect is chosen on at least, however long they are (the sample still bounds them). */
const MIN_DIALECT_LINES = 5;

/** The first 64 KiB of the sample cut at a line break, or its first few lines when rows are wider than that. */
function dialectHead(text: string): string {
  if (text.length <= DIALECT_SAMPLE_CHARS) return text;
  const cut = cutAtLastLineBreak(text.slice(0, DIALECT_SAMPLE_CHARS));
  const breaks = /\r\n|\n|\r/g;
  let lines = 0;
  while (breaks.test(cut)) if (++lines >= MIN_DIALECT_LINES) return cut;
  // Very wide rows (e.g. 20,000 columns): take whole lines past 64 KiB rather than a piece of the header.
  breaks.lastIndex = 0;
  lines = 0;
  let end = text.length;
  for (let m = breaks.exec(text); m !== null; m = breaks.exec(text)) {
    if (++lines >= MIN_DIALECT_LINES) {
      end = m.index + m[0].length;
      break;
    }
  }
  return text.slice(0, end);
}

function chooseDialect(
  text: string,
  final: boolean,
  overrides: FormatOverrides,
): { best: DialectScore; runnerUp: DialectScore | undefined } {
  const head = dialectHead(text);
  const headFinal = final && head.length === text.length;
  const candidates = candidateDialects(head, {
    delimiter: overrides.delimiter,
    quote: overrides.quote,
    escape: overrides.escape,
  });
  const scores = candidates.map((d) => scoreDialect(head, d, headFinal, DIALECT_SAMPLE_RECORDS));
  scores.sort((a, b) => b.score - a.score || preference(a.dialect) - preference(b.dialect));
  const best = scores[0]!;
  const runnerUp = scores.find((s) => s.dialect.delimiter !== best.dialect.delimiter);
  return { best, runnerUp };
}

/** Lower is preferred on ties: comma, then the usual quote, doubled escape. */
function preference(d: Dialect): number {
  const delimiterRank = [',', ';', '\t', '|', ', ', '; ', ':', ' '].indexOf(d.delimiter);
  const quoteRank = d.quote === '"' ? 0 : d.quote === null ? 1 : 2;
  const escapeRank = d.escape === d.quote ? 0 : 1;
  return (delimiterRank < 0 ? 9 : delimiterRank) * 10 + quoteRank * 3 + escapeRank;
}

interface Structure {
  preambleRecords: number;
  headerRows: number;
  width: number;
  footerStart: number | undefined;
  headerReason: string;
  headerConfidence: number;
  preambleReason: string;
  warnings: string[];
}

function modalWidth(records: readonly SourceRecord[]): { width: number; count: number; total: number } {
  const counts = new Map<number, number>();
  let total = 0;
  for (const r of records) {
    if (isBlank(r)) continue;
    total += 1;
    counts.set(r.fields.length, (counts.get(r.fields.length) ?? 0) + 1);
  }
  let width = 1;
  let count = 0;
  for (const [w, c] of counts) {
    if (c > count) {
      width = w;
      count = c;
    }
  }
  return { width, count, total };
}

function typesOf(
  rows: readonly SourceRecord[],
  width: number,
  nullTokens: ReadonlySet<string>,
  delimiter: string,
): InferredColumn[] {
  const out: InferredColumn[] = [];
  for (let c = 0; c < width; c += 1) {
    const values: string[] = [];
    for (const r of rows) if (r.fields.length === width) values.push(r.fields[c]!);
    out.push(inferColumn(values, { nullTokens, delimiter }));
  }
  return out;
}

/** Votes for "this record is a header row" against the types of the rows below it. */
function headerVotes(
  candidate: SourceRecord,
  below: readonly SourceRecord[],
  types: readonly InferredColumn[],
  nullTokens: ReadonlySet<string>,
): { votes: number; typedAgainst: number; typedFor: number } {
  let votes = 0;
  let typedAgainst = 0;
  let typedFor = 0;
  for (let c = 0; c < types.length; c += 1) {
    const cell = candidate.fields[c] ?? '';
    const t = types[c]!;
    if (t.type.kind !== 'text') {
      if (cell.trim() === '' || nullTokens.has(cell)) continue;
      const parsed = createValueParser(t.type, [])(cell);
      if (parsed.ok) {
        votes -= 1;
        typedAgainst += 1;
      } else {
        votes += 1;
        typedFor += 1;
      }
      continue;
    }
    if (cell.trim() === '') {
      votes -= 0.5;
      continue;
    }
    const lengths = new Set<number>();
    let same = false;
    for (const r of below) {
      const v = r.fields[c];
      if (v === undefined) continue;
      lengths.add(v.length);
      if (v === cell) same = true;
    }
    if (same) votes -= 0.25;
    else if (lengths.size === 1 && !lengths.has(cell.length)) votes += 0.5;
  }
  return { votes, typedAgainst, typedFor };
}

function looksLikeNumber(cell: string): boolean {
  return /^[-+]?[\d.,]+$/.test(cell.trim()) && /\d/.test(cell);
}

/** A row of the table's width with only a sentence in its first cell ("Note: …,,,"). */
function looksLikeNote(r: SourceRecord): boolean {
  const first = r.fields[0]!.trim();
  if (first === '' || nonEmptyCount(r) > 1 || looksLikeNumber(first)) return false;
  return /[\s:]/.test(first) && /\p{L}/u.test(first);
}

function looksLikeHeaderRow(r: SourceRecord, width: number): boolean {
  let nonEmpty = 0;
  for (const f of r.fields) {
    const t = f.trim();
    if (t === '') continue;
    nonEmpty += 1;
    if (looksLikeNumber(t) || /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}/.test(t)) return false;
  }
  return nonEmpty >= Math.max(2, width - 2);
}

function sameAsHeader(r: SourceRecord, header: SourceRecord): boolean {
  const n = Math.min(r.fields.length, header.fields.length);
  if (n < 2) return false;
  const allowed = Math.floor(0.2 * n);
  let differ = 0;
  for (let i = 0; i < n; i += 1) {
    const a = r.fields[i]!;
    const b = header.fields[i]!;
    // Equal text (not blank) counts as the same; trimming is only needed when the texts differ.
    const same = a === b ? a.length > 0 && a.trim() !== '' : a.trim() === b.trim() && a.trim() !== '';
    if (!same) {
      differ += 1;
      if (differ > allowed) return false;
    }
  }
  return true;
}

/**
 * Where the notes or second table at the end of `records` begin (records.length when there are
 * none): trailing records of another width or that read like sentences, and a blank line followed
 * by rows of another shape, a repeated header or notes. Blank data lines alone cut nothing.
 */
function findFooter(
  records: readonly SourceRecord[],
  from: number,
  width: number,
  header: SourceRecord | undefined,
): { index: number; warnings: string[] } {
  const warnings: string[] = [];
  let end = records.length;
  while (end > from && isBlank(records[end - 1]!)) end -= 1;
  let footerFrom = end;
  while (footerFrom > from) {
    const r = records[footerFrom - 1]!;
    if (r.fields.length !== width || (width >= 3 && looksLikeNote(r))) footerFrom -= 1;
    else break;
  }
  if (footerFrom < end) {
    // Leave blank lines just above the notes out of the table too.
    while (footerFrom > from && isBlank(records[footerFrom - 1]!)) footerFrom -= 1;
    warnings.push(
      `lines from ${records[footerFrom]!.line} on are notes or another table after the table (${end - footerFrom} record(s) of another shape); they are not read`,
    );
  }
  for (let i = from; i < footerFrom; i += 1) {
    if (!isBlank(records[i]!)) continue;
    let j = i;
    while (j < footerFrom && isBlank(records[j]!)) j += 1;
    if (j >= footerFrom) break;
    const next = records[j]!;
    const other =
      next.fields.length !== width ||
      (header !== undefined && sameAsHeader(next, header)) ||
      (width >= 3 && looksLikeNote(next));
    if (!other) {
      i = j;
      continue;
    }
    warnings.push(
      `a second table or notes start on line ${next.line} after a blank line; only the first table (up to line ${records[i]!.line - 1}) is read`,
    );
    footerFrom = i;
    break;
  }
  return { index: footerFrom, warnings };
}

function detectStructure(
  records: readonly SourceRecord[],
  wholeFile: boolean,
  nullTokens: ReadonlySet<string>,
  delimiter: string,
  overrides: FormatOverrides,
): Structure {
  const warnings: string[] = [];
  const { width } = modalWidth(records);
  const isTableRow = (r: SourceRecord): boolean =>
    r.fields.length === width && !isBlank(r) && (width < 3 || nonEmptyCount(r) >= 2);
  // Preamble: leading records before the table (blank, a title, notes, rows of another shape).
  // The table starts at a row of the modal width followed mostly by rows of that width.
  let start = 0;
  let headerOfOtherWidth = false;
  if (overrides.skipLines === undefined) {
    start = -1;
    for (let i = 0; i < records.length && start < 0; i += 1) {
      if (!isTableRow(records[i]!)) continue;
      let seen = 0;
      let good = 0;
      for (let j = i + 1; j < records.length && seen < 4; j += 1) {
        const r = records[j]!;
        if (isBlank(r)) continue;
        seen += 1;
        // Sparse rows of the table's width count; rows with more fields are noisy data (an
        // unquoted delimiter), not a preamble.
        if (r.fields.length >= width) good += 1;
      }
      if (seen === 0 || good * 2 >= seen) start = i;
    }
    if (start < 0) start = 0;
    // A header row of another width right above the table (a missing or extra delimiter in it).
    const prev = start > 0 ? records[start - 1] : undefined;
    if (
      prev &&
      overrides.header !== false &&
      !isBlank(prev) &&
      prev.fields.length !== width &&
      Math.abs(prev.fields.length - width) <= 2 &&
      looksLikeHeaderRow(prev, width)
    ) {
      start -= 1;
      headerOfOtherWidth = true;
      warnings.push(
        `the header on line ${prev.line} has ${prev.fields.length} fields but the rows below have ${width}; column names may be misaligned`,
      );
    }
  }
  const preambleReason =
    start === 0
      ? 'the table starts on the first line'
      : `${start} record(s) before the table are blank, a title, notes or rows of another shape`;

  // Footer and a second table (only when the sample reached the end of the file).
  let end = records.length;
  if (wholeFile) {
    const footer = findFooter(records, start + 1, width, records[start]);
    warnings.push(...footer.warnings);
    end = footer.index;
  }
  let body = records.slice(start, end).filter((r) => !isBlank(r));

  // The first row repeated after data rows starts a second table (and shows it is a header).
  let repeatedHeader = false;
  if (body.length > 2) {
    const first = body[0]!;
    let sawData = false;
    for (let i = 1; i < body.length; i += 1) {
      const same = sameAsHeader(body[i]!, first);
      if (!same) {
        sawData = true;
        continue;
      }
      if (!sawData) continue;
      repeatedHeader = true;
      warnings.push(
        `the header repeats on line ${body[i]!.line}: a second table starts there; only the first table is read`,
      );
      if (wholeFile) {
        end = records.indexOf(body[i]!);
        while (end > start + 1 && isBlank(records[end - 1]!)) end -= 1;
      }
      body = body.slice(0, i);
      break;
    }
  }

  // Header rows.
  let headerRows = 1;
  let headerReason = '';
  let headerConfidence = 0.6;
  if (overrides.header !== undefined) {
    headerRows = overrides.header === true ? 1 : overrides.header === false ? 0 : overrides.header;
    headerReason = 'header rows from the override';
    headerConfidence = 1;
  } else if (repeatedHeader && !headerOfOtherWidth) {
    headerRows = 1;
    headerReason = 'header present: the first row repeats further down, where a second table starts';
    headerConfidence = 0.8;
  } else if (headerOfOtherWidth) {
    headerRows = 1;
    headerReason = `header present: a row of text with ${body[0]!.fields.length} fields sits right above the ${width}-field rows`;
    headerConfidence = 0.6;
  } else if (body.length <= 1) {
    const only = body[0];
    const numeric = only ? only.fields.some(looksLikeNumber) : false;
    headerRows = only && !numeric ? 1 : 0;
    headerReason = only
      ? numeric
        ? 'a single row with numbers: read as data'
        : 'a single row of text: read as the header'
      : 'no rows';
    headerConfidence = 0.5;
  } else {
    // Types from rows below any possible multi-row header.
    const skip = body.length > MAX_HEADER_ROWS + 2 ? MAX_HEADER_ROWS : 1;
    const data = body.slice(skip, skip + 200);
    const types = typesOf(data, width, nullTokens, delimiter);
    const first = body[0]!;
    const v = headerVotes(first, data, types, nullTokens);
    const allText = first.fields.every((f) => f.trim() !== '' && !looksLikeNumber(f));
    if (v.votes > 0 || (v.votes === 0 && allText)) {
      headerRows = 1;
      headerConfidence = v.typedFor > 0 && v.typedAgainst === 0 ? 0.95 : 0.7;
      headerReason =
        v.typedFor > 0
          ? `header present: the first row is text where ${v.typedFor} column(s) below hold typed values`
          : 'header present: the first row is all text and differs from the rows below';
      // Multi-row header: further rows that are also text above typed columns.
      while (headerRows < MAX_HEADER_ROWS && headerRows + 1 < body.length) {
        const next = body[headerRows]!;
        const nv = headerVotes(next, data, types, nullTokens);
        if (nv.typedFor > 0 && nv.typedAgainst === 0 && next.fields.length === width) {
          headerRows += 1;
          headerReason += `; row ${headerRows} is also a header row (text above typed columns)`;
        } else break;
      }
    } else {
      headerRows = 0;
      headerConfidence = v.typedAgainst > 0 ? 0.9 : 0.6;
      headerReason =
        v.typedAgainst > 0
          ? `no header: the first row has values of the column types below in ${v.typedAgainst} column(s)`
          : 'no header: the first row looks like data';
    }
  }

  return {
    preambleRecords: start,
    headerRows,
    width,
    footerStart: wholeFile && end < records.length ? end : undefined,
    headerReason,
    headerConfidence,
    preambleReason,
    warnings,
  };
}

/** A header row with more cells than the table drops empty cells (then the last ones) to fit. */
function fitHeaderRow(cells: readonly string[], width: number): readonly string[] {
  if (cells.length <= width) return cells;
  let out = [...cells];
  for (let i = out.length - 1; i >= 0 && out.length > width; i -= 1) if (out[i]!.trim() === '') out.splice(i, 1);
  if (out.length > width) out = out.slice(0, width);
  return out;
}

function resolveTypeOverride(
  overrides: FormatOverrides['columnTypes'],
  index: number,
  rawName: string,
  name: string,
): ColumnType | ColumnKind | undefined {
  if (!overrides) return undefined;
  return overrides[rawName] ?? overrides[name] ?? overrides[String(index)];
}

function typeFromKind(kind: ColumnType | ColumnKind, inferred: InferredColumn): ColumnType {
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

function countLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 10) n += 1;
    else if (c === 13) {
      n += 1;
      if (text.charCodeAt(i + 1) === 10) i += 1;
    }
  }
  const last = text.charCodeAt(text.length - 1);
  return last === 10 || last === 13 ? n : n + 1;
}

/** Bytes read from the end of a file larger than the sample to find footnotes. */
const TAIL_BYTES = 65_536;

/**
 * Footnotes at the end of a file larger than the sample: tokenizes its last bytes (from the
 * first line break) and trusts them only when most records there have the table's width.
 */
async function tailFooter(
  input: string | Uint8Array,
  size: number,
  encoding: Encoding,
  dialect: Dialect,
  width: number,
  header: SourceRecord | undefined,
): Promise<{ lines: number; warnings: string[] } | undefined> {
  let bytes = await readTail(input, size, TAIL_BYTES);
  if (!bytes || bytes.length === 0) return undefined;
  if ((encoding === 'utf-16le' || encoding === 'utf-16be') && (size - bytes.length) % 2 === 1)
    bytes = bytes.subarray(1);
  if (encoding === 'utf-8') {
    let i = 0;
    while (i < bytes.length && i < 4 && (bytes[i]! & 0xc0) === 0x80) i += 1;
    bytes = bytes.subarray(i);
  }
  let text: string;
  try {
    text = decodeAll(bytes, encoding, true);
  } catch {
    return undefined;
  }
  const firstBreak = text.search(/\r\n|\n|\r/);
  if (firstBreak < 0) return undefined;
  text = text.slice(firstBreak + (text.startsWith('\r\n', firstBreak) ? 2 : 1));
  const { records, error } = tokenize(text, dialect, { final: true, keepGoing: true });
  if (error || records.length < 5) return undefined;
  const footer = findFooter(records, 1, width, header);
  if (footer.index >= records.length) return undefined;
  const table = records.slice(0, footer.index).filter((r) => !isBlank(r));
  if (table.length < 3 || table.filter((r) => r.fields.length === width).length < 0.8 * table.length) return undefined;
  const lines = countLines(text) - records[footer.index]!.line + 1;
  return {
    lines,
    warnings: [`the last ${lines} line(s) of the file are notes or another table after the table; they are not read`],
  };
}

function validateOptions(options: DetectOptions): void {
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

/**
 * Detects everything needed to read a delimited text file correctly — encoding, line
 * terminator, delimiter, quote, escape, preamble, header rows, footer, column names and
 * lossless types — from a bounded sample (default 1 MiB and 1,000 data rows). Every decision
 * carries a confidence and a readable reason, and every one can be overridden.
 *
 * Throws a {@link DetectError}: `DETECT_EMPTY_FILE`, `DETECT_BINARY_FILE`,
 * `DETECT_INVALID_ENCODING`, `DETECT_UNCLOSED_QUOTE` (whole file in the sample),
 * `DETECT_FIELD_TOO_LARGE`, `DETECT_READ_FAILED`, `DETECT_INVALID_OPTION`, `DETECT_ABORTED`.
 *
 * @example
 * ```ts
 * const format = await detectFormat('currencies.csv');
 * console.log(format.delimiter.value, format.delimiter.reason);
 * for (const c of format.columns) console.log(c.name, c.type.kind, c.reason);
 * ```
 */
export const detectFormat: DetectFormatFn = async (input, options = {}) => {
  validateOptions(options);
  const overrides = options.overrides ?? {};
  const sampleBytes = options.sampleBytes ?? DEFAULT_SAMPLE_BYTES;
  const sampleRows = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const maxFieldSize = options.maxFieldSize ?? DEFAULT_MAX_FIELD_SIZE;
  const nullTokenList = overrides.nullTokens ?? DEFAULT_NULL_TOKENS;
  const nullTokens = new Set(nullTokenList);
  const file = typeof input === 'string' ? input : undefined;
  const started = performance.now();
  checkAborted(options.signal);

  const sample = await readSample(input, sampleBytes);
  checkAborted(options.signal);
  if (sample.size === 0) {
    throw new DetectError(
      DetectErrorCode.EmptyFile,
      `${file ?? 'The input'} is empty (0 bytes); there is nothing to load.`,
      file ? { file } : {},
    );
  }

  // Encoding.
  let encoding: Decision<Encoding>;
  let bom: boolean;
  const guess = detectEncoding(sample.bytes, sample.wholeFile);
  if (overrides.encoding !== undefined) {
    encoding = decision(overrides.encoding, 1, `encoding ${overrides.encoding} from the override`, true);
    bom = guess.bom && guess.encoding === overrides.encoding;
  } else {
    if (guess.damagedUtf8 !== undefined) {
      const { line, validSequences, invalidBytes } = guess.damagedUtf8;
      throw new DetectError(
        DetectErrorCode.InvalidEncoding,
        `${file ?? 'The input'} is UTF-8 (${validSequences} valid multi-byte characters) but line ${line} holds bytes that are not valid UTF-8 (${invalidBytes} such byte(s) in the first ${sample.bytes.length} bytes): the file is damaged or mixes encodings, and reading it as Windows-1252 would garble every other accented character. Fix that line and drop the file again, or set the encoding override if the whole file is in another encoding.`,
        file ? { file, line } : { line },
      );
    }
    encoding = decision(guess.encoding, guess.confidence, guess.reason);
    bom = guess.bom;
  }
  let text = decodeAll(sample.bytes, encoding.value, sample.wholeFile);
  if (!sample.wholeFile) text = cutAtLastLineBreak(text);
  if (text.trim() === '') {
    throw new DetectError(
      DetectErrorCode.EmptyFile,
      `${file ?? 'The input'} holds no data (only ${bom ? 'a byte-order mark and ' : ''}whitespace); there is nothing to load.`,
      file ? { file } : {},
    );
  }
  // Skip lines the user said to skip before looking at the dialect.
  let skipped = 0;
  let body = text;
  if (overrides.skipLines !== undefined && overrides.skipLines > 0) {
    let i = 0;
    while (skipped < overrides.skipLines && i < body.length) {
      const c = body.charCodeAt(i);
      i += 1;
      if (c === 10) skipped += 1;
      else if (c === 13) {
        if (body.charCodeAt(i) === 10) i += 1;
        skipped += 1;
      }
    }
    body = body.slice(i);
  }

  // Excel's "sep=;" first line names the delimiter.
  let sepHint: string | undefined;
  if (overrides.skipLines === undefined) {
    const m = /^sep=([^\r\n]{1,3})(\r\n|\n|\r)/i.exec(body);
    if (m) {
      sepHint = m[1]!;
      skipped += 1;
      body = body.slice(m[0].length);
    }
  }

  // Dialect.
  const dialectOverrides: FormatOverrides =
    sepHint !== undefined && overrides.delimiter === undefined ? { ...overrides, delimiter: sepHint } : overrides;
  const { best, runnerUp } = chooseDialect(body, sample.wholeFile, dialectOverrides);
  checkAborted(options.signal);
  // One column: no candidate splits rows into 2+ fields, so use a delimiter that never occurs.
  const singleColumn = dialectOverrides.delimiter === undefined && best.width <= 1;
  const dialect: Dialect = singleColumn
    ? {
        delimiter: [',', '\t', ';', '|', '\u001f'].find((c) => !body.includes(c)) ?? '\u001f',
        quote: overrides.quote !== undefined ? overrides.quote : '"',
        escape: overrides.escape !== undefined ? overrides.escape : '"',
      }
    : best.dialect;
  const d = dialect.delimiter;
  const delimiterDecision =
    overrides.delimiter !== undefined
      ? decision(d, 1, `delimiter ${showDelimiter(d)} from the override`, true)
      : sepHint !== undefined
        ? decision(d, 1, `delimiter ${showDelimiter(d)} from the file's first line "sep=${sepHint}" (an Excel hint)`)
        : singleColumn
          ? decision(
              d,
              0.6,
              `a single column: no delimiter splits the rows into 2 or more fields consistently; ${showDelimiter(d)} (absent from the sample) is used`,
            )
          : decision(
              d,
              best.total === 0
                ? 0.3
                : Math.min(
                    1,
                    (best.consistent / best.total) * (runnerUp && runnerUp.score > best.score * 0.9 ? 0.8 : 1),
                  ),
              `delimiter ${showDelimiter(d)} chosen: ${best.consistent} of ${best.total} rows have ${best.width} fields` +
                (runnerUp
                  ? `; ${showDelimiter(runnerUp.dialect.delimiter)} gives ${runnerUp.widths} different width${runnerUp.widths === 1 ? '' : 's'} (most common ${runnerUp.width})`
                  : ''),
            );
  const quoteDecision =
    overrides.quote !== undefined
      ? decision(dialect.quote, 1, 'quote from the override', true)
      : dialect.quote === null
        ? decision<string | null>(
            null,
            0.8,
            'no quoted fields: quoting with " or \' does not make the rows more consistent',
          )
        : decision<string | null>(
            dialect.quote,
            body.includes(dialect.quote) ? 0.95 : 0.6,
            body.includes(dialect.quote)
              ? `quote ${dialect.quote}: quoted fields found in the sample`
              : `quote ${dialect.quote} assumed (no quotes in the sample)`,
          );
  const escapeDecision =
    overrides.escape !== undefined
      ? decision(dialect.escape, 1, 'escape from the override', true)
      : dialect.escape === null
        ? decision<string | null>(null, 0.8, 'no escape character (fields are not quoted)')
        : dialect.escape === dialect.quote
          ? decision<string | null>(
              dialect.escape,
              0.9,
              `quotes inside quoted fields are doubled (${dialect.quote}${dialect.quote})`,
            )
          : decision<string | null>(
              dialect.escape,
              0.9,
              `quotes inside quoted fields are escaped with ${dialect.escape}`,
            );

  // Records of the sample with the chosen dialect: enough for the preamble, header and type
  // sample (so detection costs the same for any file size). When they reach the end of the
  // file, footnotes and a second table are found among them; otherwise in the file's tail.
  const tokenized = tokenize(body, dialect, { final: sample.wholeFile, maxFieldSize, maxRecords: sampleRows + 64 });
  const records = tokenized.records;
  const reachedEnd = sample.wholeFile && tokenized.truncated !== true;
  checkAborted(options.signal);
  if (records.length === 0) {
    throw new DetectError(
      DetectErrorCode.Undetectable,
      `${file ?? 'The input'} holds no complete record in its first ${sample.bytes.length} bytes (a very long first line, a huge field or an unclosed quote); raise sampleBytes or check the quoting and line breaks.`,
      file ? { file } : {},
    );
  }
  const structure = detectStructure(records, reachedEnd, nullTokens, d, overrides);
  let tailFooterLines = 0;
  if (!reachedEnd) {
    const tail = await tailFooter(
      input,
      sample.size,
      encoding.value,
      dialect,
      structure.width,
      records[structure.preambleRecords],
    );
    if (tail) {
      tailFooterLines = tail.lines;
      structure.warnings.push(...tail.warnings);
    }
  }
  const headerStart = structure.preambleRecords;
  const headerRecords = records
    .slice(headerStart)
    .filter((r) => !isBlank(r))
    .slice(0, structure.headerRows);
  const preambleLines = skipped + (records[headerStart]?.line ?? 1) - 1;
  const footerLines =
    structure.footerStart !== undefined ? countLines(body) - records[structure.footerStart]!.line + 1 : tailFooterLines;
  const dataStartIndex =
    headerRecords.length > 0 ? records.indexOf(headerRecords[headerRecords.length - 1]!) + 1 : headerStart;
  const dataEnd = structure.footerStart ?? records.length;
  const dataRecords = records.slice(dataStartIndex, dataEnd).filter((r) => !isBlank(r));
  const width = structure.width;
  const fitting = dataRecords.filter((r) => r.fields.length === width);
  const typed = fitting.length > sampleRows ? fitting.slice(0, sampleRows) : fitting;
  // Without a null in the sample a column is non-nullable only when the sample saw every row.
  const sawEveryRow = reachedEnd && typed.length === fitting.length;

  // Columns.
  const headerCells = headerRecords.map((r) => fitHeaderRow(r.fields, width));
  const rawNames: string[] = [];
  for (let c = 0; c < width; c += 1) {
    if (headerCells.length === 0) rawNames.push(`col_${c + 1}`);
    else {
      const parts = headerCells.map((cells) => (cells[c] ?? '').trim()).filter((p) => p !== '');
      rawNames.push(parts.join(' '));
    }
  }
  const names = safeColumnNames(rawNames);
  const warnings = [...structure.warnings];
  const columns: ColumnInfo[] = [];
  for (let c = 0; c < width; c += 1) {
    const values = typed.map((r) => r.fields[c]!);
    const inferred: InferredColumn =
      options.inferTypes === false
        ? {
            type: { kind: 'text', maxLength: values.reduce((m, v) => Math.max(m, v.length), 0) },
            nullable: true,
            confidence: 1,
            reason: 'text: type inference is off',
          }
        : inferColumn(values, { nullTokens, delimiter: d, dateOrder: overrides.dateOrder });
    const override = resolveTypeOverride(overrides.columnTypes, c, rawNames[c]!, names[c]!);
    let type = override === undefined ? inferred.type : typeFromKind(override, inferred);
    let reason = override === undefined ? inferred.reason : `${type.kind} from the override`;
    if (override === undefined && type.kind === 'decimal' && !sawEveryRow && type.precision < DECIMAL_HEADROOM) {
      // Rows after the sample may hold larger numbers: widen the integer digits, never the scale.
      type = { ...type, precision: Math.max(DECIMAL_HEADROOM, type.scale + 1) };
      reason += `; precision widened to ${type.precision} because the sample did not see every row`;
    }
    if (inferred.warning && override === undefined) warnings.push(`column ${names[c]}: ${inferred.warning}`);
    columns.push({
      index: c,
      rawName: rawNames[c]!,
      name: names[c]!,
      type,
      nullable: inferred.nullable || !sawEveryRow,
      confidence: override === undefined ? inferred.confidence : 1,
      reason,
    });
  }
  const off = dataRecords.filter((r) => r.fields.length !== width).length;
  if (off > 0) warnings.push(`${off} of ${dataRecords.length} sampled data rows do not have ${width} fields`);

  const headerDecision = decision(
    structure.headerRows,
    structure.headerConfidence,
    structure.headerReason,
    overrides.header !== undefined,
  );
  const preambleDecision =
    overrides.skipLines !== undefined
      ? decision(preambleLines, 1, `${overrides.skipLines} line(s) skipped by the override`, true)
      : decision(preambleLines, structure.preambleRecords === 0 ? 0.9 : 0.8, structure.preambleReason);

  const lineTerminator = detectLineTerminator(text, dialect.quote);
  options.logger?.debug(
    {
      file,
      ms: Math.round(performance.now() - started),
      encoding: encoding.value,
      delimiter: d,
      quote: dialect.quote,
      headerRows: structure.headerRows,
      preambleLines,
      footerLines,
      columns: columns.length,
      sampleRows: typed.length,
      warnings: warnings.length,
    },
    'format detected',
  );
  return {
    encoding,
    bom,
    lineTerminator,
    delimiter: delimiterDecision,
    quote: quoteDecision,
    escape: escapeDecision,
    preambleLines: preambleDecision,
    headerRows: headerDecision,
    footerLines,
    columns,
    nullTokens: [...nullTokenList],
    warnings,
    sample: { bytes: sample.bytes.length, rows: typed.length, wholeFile: sample.wholeFile },
  } satisfies FormatInfo;
};
