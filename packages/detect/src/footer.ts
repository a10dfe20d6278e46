/**
 * The end of a table: footnotes, notes and a second table after the data, found in the sample
 * when it reached the end of the file, or in the file's tail otherwise.
 * @internal
 */
import { decodeAll } from './decode.js';
import { countLines, isBlank, looksLikeNumber, nonEmptyCount, sameAsHeader } from './rows.js';
import { readTail } from './sample.js';
import { type Dialect, tokenize } from './tokenizer.js';
import type { Encoding, SourceRecord } from './types.js';

/** Characters of a note quoted in a reason. */
const EXCERPT = 60;

function excerpt(r: SourceRecord): string {
  const text = r.fields
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .join(' ');
  return JSON.stringify(text.length > EXCERPT ? `${text.slice(0, EXCERPT - 1)}…` : text);
}

/**
 * A line that reads as a note rather than data: one non-empty cell holding words ("Note: …",
 * "Source: a survey", "* provisional figures"), whatever the number of fields. A row of the
 * table's width counts only when the table has 3 or more columns (in a 2-column table one empty
 * cell is ordinary data).
 * @internal
 */
export function looksLikeNote(r: SourceRecord, width: number): boolean {
  if (r.fields.length === width && width < 3) return false;
  if (nonEmptyCount(r) !== 1) return false;
  const text = r.fields.find((f) => f.trim() !== '')!.trim();
  if (looksLikeNumber(text)) return false;
  return /[\s:]/.test(text) && /\p{L}/u.test(text);
}

/**
 * A separator line: one non-empty cell made of a single punctuation character repeated at least
 * three times (`-----`, `~~~~`, `=====`), whatever the number of fields (`~~~~,,,`). After a
 * blank line it starts another section of a report, never a row of the table.
 * @internal
 */
export function looksLikeSeparator(r: SourceRecord): boolean {
  if (nonEmptyCount(r) !== 1) return false;
  const text = r.fields.find((f) => f.trim() !== '')!.trim();
  return /^([^\p{L}\p{N}\s])\1{2,}$/u.test(text);
}

/**
 * A DOS end-of-file mark: a last line of only Ctrl-Z (0x1A), which `copy /a`, old editors and
 * some mainframe and ERP exports append to text files. It is no data.
 * @internal
 */
export function isEndOfFileMark(r: SourceRecord): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Ctrl-Z is the mark looked for.
  return r.fields.length === 1 && /^\x1a+[\t ]*$/.test(r.fields[0]!);
}

/** Where the table ends in `records`, and why (undefined when it runs to the end). @internal */
export interface FooterFound {
  /** Index of the first record after the table (records.length when nothing is cut). */
  readonly index: number;
  readonly reason: string | undefined;
  /** What was cut, without line numbers ("notes (\"Source: …\")", "a second table of 4 field(s)"). */
  readonly what: string | undefined;
}

/**
 * Where the notes or second table at the end of `records` begin: trailing lines that read as
 * notes, or a blank line followed by a repeated header, a note, a separator line, or a block of two or more rows of
 * another width (a second table). A single row of another width is not a footer: it is data of
 * the wrong shape, which the reader yields and the loader rejects with its line. Blank data
 * lines alone cut nothing.
 * @internal
 */
export function findFooter(
  records: readonly SourceRecord[],
  from: number,
  width: number,
  header: SourceRecord | undefined,
): FooterFound {
  let end = records.length;
  while (end > from && isBlank(records[end - 1]!)) end -= 1;
  let reason: string | undefined;
  let what: string | undefined;
  if (end > from && isEndOfFileMark(records[end - 1]!)) {
    end -= 1;
    what = 'a DOS end-of-file mark (Ctrl-Z, 0x1A)';
    reason = `line ${records[end]!.line} is ${what} after the table`;
    while (end > from && isBlank(records[end - 1]!)) end -= 1;
  }
  let footerFrom = end;
  while (footerFrom > from && looksLikeNote(records[footerFrom - 1]!, width)) footerFrom -= 1;
  if (footerFrom < end) {
    what = `notes (${excerpt(records[footerFrom]!)})`;
    // Leave blank lines just above the notes out of the table too.
    while (footerFrom > from && isBlank(records[footerFrom - 1]!)) footerFrom -= 1;
    reason = `lines from ${records[footerFrom]!.line} on are ${what} after the table`;
  }
  // A blank line before any data row ends nothing: the table has not started (rows spaced by
  // blank lines, `1.fail.csv`-style, whose rows all look like the first).
  let seenData = false;
  // A data row that already matches the first row makes a later match no sign of a new table.
  let dataLikeHeader = false;
  for (let i = from; i < footerFrom; i += 1) {
    if (!isBlank(records[i]!)) {
      seenData = true;
      if (header !== undefined && !dataLikeHeader && sameAsHeader(records[i]!, header)) dataLikeHeader = true;
      continue;
    }
    if (!seenData) continue;
    let j = i;
    while (j < footerFrom && isBlank(records[j]!)) j += 1;
    if (j >= footerFrom) break;
    const next = records[j]!;
    let rowsAfter = 0;
    for (let k = j; k < footerFrom && rowsAfter < 2; k += 1) if (!isBlank(records[k]!)) rowsAfter += 1;
    const cut =
      header !== undefined && !dataLikeHeader && sameAsHeader(next, header)
        ? 'the header repeats'
        : looksLikeNote(next, width)
          ? `a note (${excerpt(next)})`
          : looksLikeSeparator(next)
            ? `a separator line (${excerpt(next)})`
            : next.fields.length !== width && rowsAfter >= 2
              ? `a second table of ${next.fields.length} field(s)`
              : undefined;
    if (cut === undefined) {
      i = j;
      continue;
    }
    what = cut;
    reason = `${cut} after a blank line on line ${next.line}: only the first table (up to line ${records[i]!.line - 1}) is read`;
    footerFrom = i;
    break;
  }
  return { index: footerFrom, reason, what };
}

/** Bytes read from the end of a file larger than the sample to find footnotes. */
const TAIL_BYTES = 65_536;

/**
 * Footnotes at the end of a file larger than the sample: tokenizes its last bytes (from the
 * first line break) and trusts them only when most records there have the table's width.
 */
export async function tailFooter(
  input: string | Uint8Array,
  size: number,
  encoding: Encoding,
  dialect: Dialect,
  width: number,
  header: SourceRecord | undefined,
): Promise<{ lines: number; reason: string } | undefined> {
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
  return { lines, reason: `the last ${lines} line(s) of the file are ${footer.what ?? 'blank'}, after the table` };
}
