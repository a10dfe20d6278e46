/**
 * Dialect detection: tries candidate delimiters, quotes and escapes on the sample and keeps the
 * one whose records have the most consistent shape and the cleanest cells.
 * @internal
 */
import { type Dialect, tokenize } from './tokenizer.js';
import type { SourceRecord } from './types.js';

const STARTS_FIELD_SINGLE = /(^|[,;\t|: ])'/m;
const STARTS_FIELD_DOUBLE = /(^|[,;\t|: ])"/m;
const SINGLE_DELIMITERS = [',', ';', '\t', '|', ':', '#', '^', '~', ' '] as const;

/**
 * Colons that belong to values rather than separate them: times (`15:02`, `09:28:04.211`), URL
 * schemes (`http://`) and ports (`127.0.0.1:5059`, `localhost:8080`).
 */
const COLON_IN_VALUE =
  /(?<![\d:])\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?![\d:])|[A-Za-z][A-Za-z\d+.-]*:\/\/|(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}(?![\d:])|\b(?:localhost|[A-Za-z][\w-]*(?:\.[\w-]+)+):\d{2,5}(?![\d:])/g;

/**
 * True when most colons of the text sit inside times, URLs or ports: in such files ':' is part of
 * the values, not a delimiter (a ':'-delimited file has no unquoted times).
 * @internal
 */
export function colonsAreInValues(text: string): boolean {
  const total = count(text, ':');
  if (total === 0) return false;
  let inside = 0;
  for (const m of text.matchAll(COLON_IN_VALUE)) inside += count(m[0], ':');
  return inside * 2 >= total;
}

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
  /** Stray quotes the tokenizer read as literal characters. */
  readonly irregular: number;
  /** True when tokenizing stopped at an error (an unclosed quote). */
  readonly failed: boolean;
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
/** The least cell score of a whole quoted field. */
const QUOTED_VALUE_SCORE = 0.9;
const INNER_TAB = /[^\s]\t+[^\s]/;
const CURRENCY_RE = /^[-+]?[$€£¥]\s?\d+([.,]\d+)*$/;

/** A cell type score in [0, 1]: 1 for clean, typed cells; less for cells that look broken. @internal */
export function cellScore(cell: string): number {
  const len = cell.length;
  if (len === 0) return 1;
  const c = cell.charCodeAt(0);
  const last = cell.charCodeAt(len - 1);
  if (c === 32 || last === 32) return 0.3;
  // A tab between two values (`1\t218`): tabs separate fields; a reading that keeps one inside a
  // cell missed the delimiter (a tab-separated file whose values are aligned with spaces).
  if (INNER_TAB.test(cell)) return 0.1;
  // Half a quoted field ("a or b"): the reading split a quoted value apart.
  if ((c === 34) !== (last === 34)) return 0.3;
  // A lone quote, or a ' beside a space at an end (`' I`, `x '`): the halves of a value quoted
  // with ' that this reading split at a delimiter inside it.
  if (
    len === 1
      ? c === 34 || c === 39
      : (c === 39 && cell.charCodeAt(1) === 32) || (last === 39 && cell.charCodeAt(len - 2) === 32)
  )
    return 0.3;
  // A whole value still in quotes ('Alpha', "x"): the reading left the file's quote character in the data.
  if (len >= 2 && (c === 34 || c === 39) && last === c) return 0.5;
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
  const irregular = result.irregular;
  // A quote that nothing closes counts against the reading as a tokenizing error would.
  const failed = result.error !== undefined || result.unclosedQuoteLine !== undefined;
  if (total === 0) return { dialect, score: 0, width: 0, consistent: 0, total: 0, widths: 0, irregular, failed };
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
  const q = dialect.quote;
  const spaceDelimited = dialect.delimiter === ' ';
  for (const r of records) {
    if (r.fields.length !== width) continue;
    for (const f of r.fields) {
      // A whole quoted field ("%s - %s", "1948-01 ") was written as one value on purpose: its
      // spaces and symbols do not count against the reading as they do outside quotes, where
      // they are a sign of a wrong delimiter.
      const quoted = q !== null && f.length > 0 && r.raw.includes(q + f + q);
      // With a space delimiter, an empty cell is a run of spaces: columns aligned by padding.
      sum +=
        spaceDelimited && f.length === 0
          ? 0.3
          : quoted
            ? Math.max(QUOTED_VALUE_SCORE, cellScore(f.trim()))
            : cellScore(f);
      cells += 1;
    }
  }
  const typeScore = cells === 0 ? 0 : sum / cells;
  // Stray quotes and a quote left open at the end make a quoting choice less likely.
  const prior = dialect.quote === '"' ? 1 : dialect.quote === null ? 0.85 : 0.95;
  const quoting = (prior / (1 + result.irregular / Math.max(1, records.length))) * (failed ? 0.9 : 1);
  const score = width <= 1 ? 1e-6 * typeScore : pattern * typeScore * quoting * (consistent / total) ** 0.5;
  return { dialect, score, width, consistent, total, widths: widthCounts.size, irregular, failed };
}

/** Candidate dialects for a sample (respecting overrides). @internal */
export function candidateDialects(
  text: string,
  overrides: {
    delimiter?: string | undefined;
    quote?: string | null | undefined;
    escape?: string | null | undefined;
    trim?: boolean | undefined;
  },
): Dialect[] {
  const delimiters: string[] = [];
  /** Delimiters with spaces beside many of them: also tried with the spaces as padding. */
  const padded = new Set<string>();
  if (overrides.delimiter !== undefined) delimiters.push(overrides.delimiter);
  else {
    const colonInValues = colonsAreInValues(text);
    for (const d of SINGLE_DELIMITERS) {
      const n = count(text, d);
      if (n === 0 || (d === ':' && colonInValues)) continue;
      // A character that (almost) only ever starts a line marks lines (# comments); it separates nothing.
      const atLineStart = count(text, `\n${d}`) + count(text, `\r${d}`) + (text.startsWith(d) ? 1 : 0);
      if (d !== ' ' && atLineStart >= 0.9 * n) continue;
      delimiters.push(d);
      if (d !== ' ') {
        const spaced = count(text, `${d} `);
        if (spaced >= 0.5 * n || count(text, ` ${d}`) >= 0.5 * n) padded.add(d);
        if (spaced >= 0.8 * n) delimiters.push(`${d} `);
        const bothSides = count(text, ` ${d} `);
        if (bothSides >= 0.8 * n) delimiters.push(` ${d} `);
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
      for (const esc of escapes) {
        if (overrides.trim !== true) out.push({ delimiter, quote, escape: esc });
        // Padding only changes the split where a quote may follow it.
        if (overrides.trim === true || (overrides.trim === undefined && quote !== null && padded.has(delimiter))) {
          out.push({ delimiter, quote, escape: esc, trim: true });
        }
      }
    }
  }
  return out;
}
