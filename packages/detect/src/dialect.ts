/**
 * Dialect detection: tries candidate delimiters, quotes and escapes on the sample and keeps the
 * one whose records have the most consistent shape and the cleanest cells.
 * @internal
 */
import { type Dialect, tokenize } from './tokenizer.js';
import type { SourceRecord } from './types.js';

const STARTS_FIELD_SINGLE = /(^|[,;\t|: ])'/m;
const STARTS_FIELD_DOUBLE = /(^|[,;\t|: ])"/m;
const SINGLE_DELIMITERS = [',', ';', '\t', '|', ':', ' '] as const;

/** One scored candidate. @internal */
export interface DialectScore {
  readonly dialect: Dialect;
  readonly score: number;
  /** The most common record width. */
  readonly width: number;
  /** Records with that width. */
  readonly consistent: number;
  /** Records considered. */
  readonly total: number;
  /** Distinct widths. */
  readonly widths: number;
}

/** Names a delimiter for messages. @internal */
export function showDelimiter(d: string): string {
  return JSON.stringify(d)
    .replace(/^"|"$/g, "'")
    .replace(/^'\\t'$/, 'TAB');
}

function count(text: string, needle: string): number {
  let n = 0;
  let i = text.indexOf(needle);
  while (i >= 0) {
    n += 1;
    i = text.indexOf(needle, i + needle.length);
  }
  return n;
}

const NUMBER_RE = /^[-+]?(\d+([.,]\d+)*|\d*[.,]\d+)([eE][-+]?\d+)?%?$/;
const DATE_RE = /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([T ]\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const TIME_RE = /^\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?( ?[AaPp][Mm])?$/;
const CODE_RE = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_\-./#]*$/u;
const WORDS_RE = /^[\p{L}"'(][\p{L}\p{M}\p{N} _\-.,'"&()/!?#+%$€£¥@*:;=]*$/u;
const URL_RE = /^(https?:\/\/|www\.)\S+$/i;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CURRENCY_RE = /^[-+]?[$€£¥]\s?\d+([.,]\d+)*$/;

/** A cell type score in [0, 1]: 1 for clean, typed cells; less for cells that look broken. @internal */
export function cellScore(cell: string): number {
  const len = cell.length;
  if (len === 0) return 1;
  const c = cell.charCodeAt(0);
  if (c === 32 || cell.charCodeAt(len - 1) === 32) return 0.3;
  const numeric = (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 44;
  if (numeric) {
    if (NUMBER_RE.test(cell) || DATE_RE.test(cell) || TIME_RE.test(cell)) return 1;
  } else if (c === 36 || c === 0x20ac || c === 0xa3 || c === 0xa5) {
    if (CURRENCY_RE.test(cell)) return 1;
  } else if ((c === 104 || c === 72 || c === 119 || c === 87) && URL_RE.test(cell)) return 1;
  if (cell.includes('@') && EMAIL_RE.test(cell)) return 1;
  if (CODE_RE.test(cell)) return 0.95;
  if (WORDS_RE.test(cell)) return /[,;|\t]/.test(cell) ? 0.6 : 0.9;
  return 0.3;
}

/**
 * Scores a dialect on sample text: the share of records with the modal width (weighted towards
 * more columns, CleverCSV-style) times the mean cell score.
 * @internal
 */
export function scoreDialect(text: string, dialect: Dialect, final: boolean, maxRecords: number): DialectScore {
  const result = tokenize(text, dialect, { final, keepGoing: true, maxRecords });
  let records: SourceRecord[] = result.records;
  if (records.length > maxRecords) records = records.slice(0, maxRecords);
  const widthCounts = new Map<number, number>();
  let total = 0;
  for (const r of records) {
    if (r.raw === '') continue;
    total += 1;
    widthCounts.set(r.fields.length, (widthCounts.get(r.fields.length) ?? 0) + 1);
  }
  if (total === 0) return { dialect, score: 0, width: 0, consistent: 0, total: 0, widths: 0 };
  let width = 0;
  let consistent = 0;
  for (const [w, c] of widthCounts) {
    if (c > consistent || (c === consistent && w > width)) {
      width = w;
      consistent = c;
    }
  }
  // Pattern score (CleverCSV): every row counts by its width, and the sum is divided by the number of
  // distinct widths, so a reading in which even one row (often the header) has another width loses to
  // a fully consistent one: 'A0,New York 0' rows are 2 comma fields, not 3 space fields.
  let pattern = 0;
  for (const [w, c] of widthCounts) pattern += (c * (w - 1)) / w / widthCounts.size;
  pattern /= total;
  let cells = 0;
  let sum = 0;
  for (const r of records) {
    if (r.fields.length !== width) continue;
    for (const f of r.fields) {
      sum += cellScore(f);
      cells += 1;
    }
  }
  const typeScore = cells === 0 ? 0 : sum / cells;
  // Stray quotes and a quote left open at the end make a quoting choice less likely.
  const prior = dialect.quote === '"' ? 1 : dialect.quote === null ? 0.85 : 0.95;
  const quoting = (prior / (1 + result.irregular / Math.max(1, records.length))) * (result.error ? 0.9 : 1);
  const score = width <= 1 ? 1e-6 * typeScore : pattern * typeScore * quoting * (consistent / total) ** 0.5;
  return { dialect, score, width, consistent, total, widths: widthCounts.size };
}

/** Candidate dialects for a sample (respecting overrides). @internal */
export function candidateDialects(
  text: string,
  overrides: { delimiter?: string | undefined; quote?: string | null | undefined; escape?: string | null | undefined },
): Dialect[] {
  const delimiters: string[] = [];
  if (overrides.delimiter !== undefined) delimiters.push(overrides.delimiter);
  else {
    for (const d of SINGLE_DELIMITERS) {
      const n = count(text, d);
      if (n === 0) continue;
      delimiters.push(d);
      if (d !== ' ') {
        const spaced = count(text, `${d} `);
        if (spaced >= 0.8 * n) delimiters.push(`${d} `);
        const padded = count(text, ` ${d} `);
        if (padded >= 0.8 * n) delimiters.push(` ${d} `);
      }
    }
    if (delimiters.length === 0) delimiters.push(',');
  }
  const quotes: (string | null)[] = [];
  if (overrides.quote !== undefined) quotes.push(overrides.quote);
  else {
    // A quote character that never starts a field cannot change the split: only '"' is tried then.
    quotes.push('"');
    if (STARTS_FIELD_SINGLE.test(text)) quotes.push("'");
    if (STARTS_FIELD_DOUBLE.test(text)) quotes.push(null);
  }
  const out: Dialect[] = [];
  for (const delimiter of delimiters) {
    for (const quote of quotes) {
      if (quote !== null && delimiter.includes(quote)) continue;
      const escapes: (string | null)[] = [];
      if (overrides.escape !== undefined) escapes.push(overrides.escape);
      else if (quote === null) escapes.push(null);
      else {
        escapes.push(quote);
        if (text.includes(`\\${quote}`)) escapes.push('\\');
      }
      for (const esc of escapes) out.push({ delimiter, quote, escape: esc });
    }
  }
  return out;
}
