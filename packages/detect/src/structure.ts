/**
 * The shape of the sampled table: where it starts (preamble), how many header rows it has, its
 * width, and where its data ends (notes or a second table, see footer.ts).
 * @internal
 */
import { findFooter } from './footer.js';
import { type InferredColumn, inferColumn } from './infer-types.js';
import {
  filledRecord,
  headerCopyTest,
  headerNames,
  isBlank,
  looksLikeNumber,
  nonEmptyCount,
  sameAsHeader,
} from './rows.js';
import type { FormatOverrides, SourceRecord } from './types.js';
import { createValueParser } from './value-parser.js';

const MAX_HEADER_ROWS = 3;

/** What {@link detectStructure} found, with the reasons it gives. @internal */
export interface Structure {
  preambleRecords: number;
  headerRows: number;
  width: number;
  footerStart: number | undefined;
  /** Why the records from footerStart on are not data (undefined for blank lines only). */
  footerReason: string | undefined;
  headerReason: string;
  headerConfidence: number;
  preambleReason: string;
  /** Rows with at least this many fields and fewer than `width` are filled out with empty fields; 0 when off. */
  fillFrom: number;
  warnings: string[];
}

/** The most common width of the non-blank records. @internal */
export function modalWidth(records: readonly SourceRecord[]): { width: number; count: number; total: number } {
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

/** True when a non-empty cell of `r` is also a value of its column in `below`. */
function recursBelow(r: SourceRecord, below: readonly SourceRecord[]): boolean {
  for (let c = 0; c < r.fields.length; c += 1) {
    const cell = r.fields[c]!.trim();
    if (cell === '') continue;
    for (const b of below) if (b.fields[c]?.trim() === cell) return true;
  }
  return false;
}

/** The character classes of a value with runs collapsed: `Austria` → `Aa`, `ISO code` → `A a`, `S01` → `A9`. */
function shape(value: string): string {
  let out = '';
  let last = '';
  for (const ch of value.trim()) {
    const c = ch.charCodeAt(0);
    const k =
      c >= 65 && c <= 90
        ? 'A'
        : c >= 97 && c <= 122
          ? 'a'
          : c >= 48 && c <= 57
            ? '9'
            : c === 32 || c === 9
              ? ' '
              : c < 128
                ? '.'
                : /\p{Lu}/u.test(ch)
                  ? 'A'
                  : /\p{L}/u.test(ch)
                    ? 'a'
                    : /\s/u.test(ch)
                      ? ' '
                      : '.';
    if (k !== last) out += k;
    last = k;
  }
  return out;
}

/**
 * True when at least two text columns below keep one shape (≥ 80 % of at least 3 values) and
 * `r` breaks it in every one of them: a descriptive header row over text-only columns.
 */
function breaksTextShapes(r: SourceRecord, below: readonly SourceRecord[], types: readonly InferredColumn[]): boolean {
  let kept = 0;
  for (let c = 0; c < types.length; c += 1) {
    if (types[c]!.type.kind !== 'text') continue;
    const counts = new Map<string, number>();
    let n = 0;
    for (const b of below) {
      const v = b.fields[c];
      if (v === undefined || v.trim() === '') continue;
      const s = shape(v);
      counts.set(s, (counts.get(s) ?? 0) + 1);
      n += 1;
    }
    if (n < 3) continue;
    const [dominant, count] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
    if (count < 0.8 * n) continue;
    const cell = r.fields[c]!;
    if (cell.trim() === '' || shape(cell) === dominant) return false;
    kept += 1;
  }
  return kept >= 2;
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

/**
 * True when the first record holds values of the column types of the records below it and
 * nothing that breaks them (`data/a.ppm; 40; 5` over the same columns): it is data, not a header.
 */
function typedLikeData(
  body: readonly SourceRecord[],
  width: number,
  nullTokens: ReadonlySet<string>,
  delimiter: string,
): boolean {
  const below = body.slice(1, 201);
  const v = headerVotes(body[0]!, below, typesOf(below, width, nullTokens, delimiter), nullTokens);
  return v.typedAgainst > 0 && v.typedFor === 0;
}

/** Leading non-blank records looked at for the first row of a ragged-right table. */
const RAGGED_HEAD = 10;

/**
 * A ragged-right table: its first row (the header, after any shorter preamble rows) is wider
 * than most rows, and every row below has between the modal width and the first row's width
 * fields, with at least two rows as wide as the first that hold values in the extra columns —
 * the file's writer leaves out empty trailing fields (DuckDB's `null_padding`). Returns the
 * table's first record and its width, or undefined. A stray final delimiter (extra columns
 * always blank) and rows of another width amid a table of full rows are not this.
 * @internal
 */
export function raggedRight(
  records: readonly SourceRecord[],
  modal: number,
): { start: number; width: number; short: number; full: number } | undefined {
  let start = -1;
  let seen = 0;
  for (let i = 0; i < records.length && seen < RAGGED_HEAD; i += 1) {
    const r = records[i]!;
    if (isBlank(r)) continue;
    seen += 1;
    if (r.fields.length > modal) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const width = records[start]!.fields.length;
  let rows = 0;
  let inside = 0;
  let short = 0;
  let full = 0;
  for (let i = start + 1; i < records.length; i += 1) {
    const r = records[i]!;
    if (isBlank(r)) continue;
    rows += 1;
    const n = r.fields.length;
    if (n < modal || n > width) continue;
    inside += 1;
    if (n < width) short += 1;
    else if (r.fields.slice(modal).some((f) => f.trim() !== '')) full += 1;
  }
  if (rows === 0 || inside < 0.98 * rows || full < 2 || short < 2) return undefined;
  return { start, width, short, full };
}

/** Finds the preamble, header rows, width and footer of the sampled records. @internal */
export function detectStructure(
  input: readonly SourceRecord[],
  wholeFile: boolean,
  nullTokens: ReadonlySet<string>,
  delimiter: string,
  overrides: FormatOverrides,
): Structure {
  const warnings: string[] = [];
  const modal = modalWidth(input).width;
  const ragged = overrides.skipLines === undefined ? raggedRight(input, modal) : undefined;
  const width = ragged?.width ?? modal;
  const fillFrom = ragged === undefined ? 0 : modal;
  // The rows of a ragged-right table are judged filled out, as the reader will yield them.
  const records = ragged === undefined ? input : input.map((r) => filledRecord(r, width, fillFrom));
  if (ragged !== undefined) {
    const fewer = modal === width - 1 ? `${modal}` : `${modal} to ${width - 1}`;
    warnings.push(
      `${ragged.short} sampled row(s) below line ${input[ragged.start]!.line} have ${fewer} of its ${width} fields (the writer leaves out empty trailing fields, as ${ragged.full} full rows show); their missing trailing fields are read as empty`,
    );
  }
  const isTableRow = (r: SourceRecord): boolean =>
    r.fields.length === width && !isBlank(r) && (width < 3 || nonEmptyCount(r) >= 2);
  // Preamble: leading records before the table (blank, a title, notes, rows of another shape).
  // The table starts at a row of the modal width followed mostly by rows of that width.
  let start = 0;
  let headerOfOtherWidth = false;
  if (ragged !== undefined) {
    start = ragged.start;
  } else if (overrides.skipLines === undefined) {
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
  let footerReason: string | undefined;
  if (wholeFile) {
    const footer = findFooter(records, start + 1, width, records[start]);
    footerReason = footer.reason;
    if (footerReason !== undefined) warnings.push(`${footerReason}; not loaded`);
    end = footer.index;
  }
  let body = records.slice(start, end).filter((r) => !isBlank(r));

  // The first row repeated after data rows starts a second table (and shows it is a header),
  // unless the first row is data itself (typed like the rows below it): a headerless file may
  // hold the same record twice.
  let repeatedHeader = false;
  let joinedCopies = false;
  if (body.length > 2 && overrides.header !== false && !typedLikeData(body, width, nullTokens, delimiter)) {
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
      // A copy of the header over rows that go on (not a copy of the rows above): joined files.
      const next = body[i + 1];
      const repeatsRows = next !== undefined && body[1] !== undefined && sameCells(next, body[1]);
      const isCopy = headerCopyTest(headerNames(first));
      if (isCopy?.(body[i]!) && !repeatsRows && body.slice(i + 1).every((r) => r.fields.length === width)) {
        // The same header over rows of the same shape: files joined together (`cat a.csv
        // b.csv`). The reader skips every exact copy of the header; all rows are read.
        const copies = body.filter((r, k) => k > 0 && isCopy(r));
        warnings.push(
          `the header repeats on line ${copies.map((r) => r.line).join(', ')} over rows of the same shape (files joined together): ${copies.length === 1 ? 'that line is' : 'those lines are'} skipped and the rows after read`,
        );
        body = body.filter((r, k) => k === 0 || !isCopy(r));
        joinedCopies = true;
        break;
      }
      const repeated = `the header repeats on line ${body[i]!.line}: a second table starts there; only the first table is read`;
      warnings.push(repeated);
      if (wholeFile) {
        footerReason = repeated;
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
    headerReason = joinedCopies
      ? 'header present: the first row repeats further down, over rows of the same shape'
      : 'header present: the first row repeats further down, where a second table starts';
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
    // Column names are never all numbers: such a first row is data whatever the columns below hold.
    const allNumbers =
      first.fields.some((f) => f.trim() !== '') && first.fields.every((f) => f.trim() === '' || looksLikeNumber(f));
    if (allNumbers) {
      headerRows = 0;
      headerConfidence = 0.8;
      headerReason = 'no header: the first row holds only numbers';
    } else if (v.votes > 0 || (v.votes === 0 && allText)) {
      headerRows = 1;
      headerConfidence = v.typedFor > 0 && v.typedAgainst === 0 ? 0.95 : 0.7;
      headerReason =
        v.typedFor > 0
          ? `header present: the first row is text where ${v.typedFor} column(s) below hold typed values`
          : 'header present: the first row is all text and differs from the rows below';
      // Multi-row header: further rows of text above typed columns, or whose cells break the
      // shape every text column below keeps (`ISO code` over `AT`, `BE`, `FR`). A row with a cell
      // that recurs below in its column is data.
      while (headerRows < MAX_HEADER_ROWS && headerRows + 1 < body.length) {
        const next = body[headerRows]!;
        const from = Math.max(skip, headerRows + 1);
        const below = body.slice(from, from + 200);
        if (next.fields.length !== width || recursBelow(next, below)) break;
        const nv = headerVotes(next, data, types, nullTokens);
        if (nv.typedAgainst > 0) break;
        // Text above every typed column (an empty cell there is a missing value: data).
        if (nv.typedFor > 0 && nv.typedFor === types.filter((t) => t.type.kind !== 'text').length) {
          headerRows += 1;
          headerReason += `; row ${headerRows} is also a header row (text above typed columns)`;
        } else if (breaksTextShapes(next, below, types)) {
          headerRows += 1;
          headerReason += `; row ${headerRows} is also a header row (its text breaks the shape of every text column below)`;
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
    footerReason,
    headerReason,
    headerConfidence,
    preambleReason,
    fillFrom,
    warnings,
  };
}

/** True when two records hold the same cells (trimmed). */
function sameCells(a: SourceRecord, b: SourceRecord): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f.trim() === b.fields[i]!.trim());
}

/** A header row with more cells than the table drops empty cells (then the last ones) to fit. */
export function fitHeaderRow(cells: readonly string[], width: number): readonly string[] {
  if (cells.length <= width) return cells;
  let out = [...cells];
  for (let i = out.length - 1; i >= 0 && out.length > width; i -= 1) if (out[i]!.trim() === '') out.splice(i, 1);
  if (out.length > width) out = out.slice(0, width);
  return out;
}
