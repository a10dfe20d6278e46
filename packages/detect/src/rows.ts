/**
 * Small predicates on sampled records shared by the structure and footer rules: blank rows,
 * numbers, a repeated header, counting lines.
 * @internal
 */
import type { SourceRecord } from './types.js';

/** True when every field is empty or whitespace. @internal */
export function isBlank(r: SourceRecord): boolean {
  for (const f of r.fields) if (f.length > 0 && f.trim() !== '') return false;
  return true;
}

/** Fields that are not empty or whitespace. @internal */
export function nonEmptyCount(r: SourceRecord): number {
  let n = 0;
  for (const f of r.fields) if (f.trim() !== '') n += 1;
  return n;
}

/** A cell of digits with `.`/`,` (and a sign): a number, whatever its format. @internal */
export function looksLikeNumber(cell: string): boolean {
  return /^[-+]?[\d.,]+$/.test(cell.trim()) && /\d/.test(cell);
}

/** True when `r` repeats `header` (at most a fifth of its cells differ). @internal */
export function sameAsHeader(r: SourceRecord, header: SourceRecord): boolean {
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

/** Physical lines (LF, CRLF or CR) in `text`, counting a last line without a break. @internal */
export function countLines(text: string): number {
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

/**
 * True when `r` has exactly one field more than the table's `width` and that last field is empty
 * or only whitespace (a stray final delimiter, or a quoted line break after it). @internal
 */
export function hasTrailingBlankField(r: SourceRecord, width: number): boolean {
  return width > 0 && r.fields.length === width + 1 && r.fields[width]!.trim() === '';
}

/** `r` without its trailing blank field (see {@link hasTrailingBlankField}). @internal */
export function withoutTrailingField(r: SourceRecord, width: number): SourceRecord {
  const quotedEmpty = r.quotedEmpty?.filter((i) => i < width);
  return {
    line: r.line,
    fields: r.fields.slice(0, width),
    raw: r.raw,
    quotedEmpty: quotedEmpty === undefined || quotedEmpty.length === 0 ? undefined : quotedEmpty,
  };
}

/** `r` filled out to `width` with empty trailing fields when it has at least `from` fields (`from` > 0). @internal */
export function filledRecord(r: SourceRecord, width: number, from: number): SourceRecord {
  const n = r.fields.length;
  if (from === 0 || n < from || n >= width) return r;
  const fields = r.fields.slice();
  while (fields.length < width) fields.push('');
  return { ...r, fields, filledFields: width - n };
}

/**
 * A test for exact copies of a one-row header whose cells, trimmed, are `names`: a record of as
 * many cells, each the same once trimmed (a byte-order mark before the first ignored, as a
 * joined file's next part starts with one). Undefined when fewer than two names hold text: such
 * a row could be data. @internal
 */
export function headerCopyTest(names: readonly string[]): ((r: SourceRecord) => boolean) | undefined {
  const width = names.length;
  if (names.filter((n) => n !== '').length < 2) return undefined;
  const firstName = names[0]!;
  return (r) => {
    if (r.fields.length !== width) return false;
    // The reader's hot path: a first cell that cannot hold the first name fails without allocating.
    const first = r.fields[0]!;
    if (first !== firstName && (first.length <= firstName.length || !first.includes(firstName))) return false;
    for (let i = 0; i < width; i += 1) {
      const cell = r.fields[i]!;
      if ((i === 0 ? cell.replace(/^\uFEFF/, '') : cell).trim() !== names[i]) return false;
    }
    return true;
  };
}

/** The trimmed cells of a header record, a byte-order mark before the first dropped: the names {@link headerCopyTest} compares. @internal */
export function headerNames(r: SourceRecord): string[] {
  return r.fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, '') : f).trim());
}
