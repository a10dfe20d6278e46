/**
 * The record tokenizer: an incremental, lenient RFC 4180 superset that splits decoded text into
 * records with their starting physical line and raw text. Supports multi-character delimiters,
 * any single quote character (or none), and a doubled-quote or separate escape character.
 * @internal
 */
import { DetectError, DetectErrorCode } from './errors.js';
import type { SourceRecord } from './types.js';

/** The dialect the tokenizer splits with. @internal */
export interface Dialect {
  readonly delimiter: string;
  readonly quote: string | null;
  readonly escape: string | null;
  /**
   * Spaces around fields are padding: they are dropped at both ends of an unquoted field and
   * around a quoted one, so `a , "b, c" ,d` reads as `a`, `b, c`, `d`. @default false
   */
  readonly trim?: boolean;
}

const LF = 10;
const CR = 13;

/** Letters and digits (any non-ASCII character counts as a letter). */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c > 127;
}

/** Signals that the buffer ends inside a record. */
const INCOMPLETE = -1;

/**
 * Incremental tokenizer. Feed decoded text with {@link Tokenizer.push}, then call
 * {@link Tokenizer.finish}. Records are delivered to the `onRecord` callback in order.
 * @internal
 */
export class Tokenizer {
  readonly #delimiter: string;
  readonly #d0: number;
  readonly #dlen: number;
  readonly #quote: number;
  readonly #escape: number;
  readonly #doubled: boolean;
  readonly #quoteChar: string;
  readonly #escapeChar: string;
  readonly #maxFieldSize: number;
  /** Padding characters dropped around fields (space, and tab unless it delimits), or -1/-1 without trim. */
  readonly #pad1: number;
  readonly #pad2: number;
  #buf = '';
  #pos = 0;
  #line: number;
  /** Retry parsing an incomplete record only once the buffer has grown to this length. */
  #retryAt = 0;
  // Output of #parseRecord.
  #fields: string[] = [];
  /** Indices of the fields of #fields written as `""` (undefined when none). */
  #quotedEmpty: number[] | undefined;
  #end = 0;
  #lines = 0;
  #fieldStart = 0;
  /** Stray quotes read as literal characters so far. */
  irregular = 0;
  /** The line of the first quote that nothing closed (read as a literal character), if any. */
  unclosedQuoteLine: number | undefined;
  /** Start lines of the records in which a quote that nothing closed was read as a literal character. */
  readonly unclosedQuoteRecords: Set<number> = new Set<number>();

  constructor(dialect: Dialect, options: { readonly maxFieldSize: number; readonly firstLine?: number }) {
    if (dialect.delimiter.length === 0) {
      throw new DetectError(DetectErrorCode.InvalidOption, 'The delimiter is empty; give at least one character.');
    }
    this.#delimiter = dialect.delimiter;
    this.#d0 = dialect.delimiter.charCodeAt(0);
    this.#dlen = dialect.delimiter.length;
    this.#quote = dialect.quote === null || dialect.quote === '' ? -2 : dialect.quote.charCodeAt(0);
    this.#escape = dialect.escape === null || dialect.escape === '' ? -3 : dialect.escape.charCodeAt(0);
    this.#doubled = this.#escape === this.#quote;
    this.#quoteChar = dialect.quote ?? '';
    this.#escapeChar = dialect.escape ?? '';
    this.#maxFieldSize = options.maxFieldSize;
    this.#pad1 = dialect.trim === true ? 32 : -1;
    this.#pad2 = dialect.trim === true && !dialect.delimiter.includes('\t') ? 9 : -1;
    this.#line = options.firstLine ?? 1;
  }

  /** The physical line the next record starts on. */
  get line(): number {
    return this.#line;
  }

  /** Line breaks (LF, CRLF, CR) in the text buffered but not yet returned as records. */
  get pendingLineBreaks(): number {
    const buf = this.#buf;
    let breaks = 0;
    for (let i = this.#pos; i < buf.length; i += 1) {
      const c = buf.charCodeAt(i);
      if (c === 10) breaks += 1;
      else if (c === 13 && buf.charCodeAt(i + 1) !== 10) breaks += 1;
    }
    return breaks;
  }

  /** Characters buffered but not yet returned as records. */
  get pending(): number {
    return this.#buf.length - this.#pos;
  }

  /** Adds text and emits every complete record. */
  push(text: string, onRecord: (record: SourceRecord) => void): void {
    if (this.#pos > 0) {
      this.#buf = this.#buf.slice(this.#pos) + text;
      this.#retryAt -= this.#pos;
      this.#pos = 0;
    } else {
      this.#buf = this.#buf.length === 0 ? text : this.#buf + text;
    }
    if (this.#buf.length < this.#retryAt) {
      this.#checkPendingSize();
      return;
    }
    this.#drain(false, onRecord);
  }

  /** Emits every complete record buffered so far, even before the buffer has doubled. */
  flush(onRecord: (record: SourceRecord) => void): void {
    this.#drain(false, onRecord);
  }

  /** Emits the records left at the end of the input; throws on an unclosed quote. */
  finish(onRecord: (record: SourceRecord) => void): void {
    this.#drain(true, onRecord);
    this.#buf = '';
    this.#pos = 0;
  }

  #checkPendingSize(): void {
    // The pending record is incomplete; its open field started at #fieldStart (relative to the buffer).
    const open = this.#buf.length - this.#fieldStart;
    if (open > this.#maxFieldSize) {
      throw new DetectError(
        DetectErrorCode.FieldTooLarge,
        `A field starting on line ${this.#line} is longer than the maximum field size of ${this.#maxFieldSize} characters; ` +
          'check the quoting of the file (an unclosed quote reads the rest of the file as one field) or raise maxFieldSize.',
        { line: this.#line },
      );
    }
  }

  #drain(final: boolean, onRecord: (record: SourceRecord) => void): void {
    this.#resetCaches();
    const buf = this.#buf;
    const n = buf.length;
    let pos = this.#pos;
    while (pos < n) {
      const startLine = this.#line;
      const end = this.#parseRecord(buf, pos, n, final);
      if (end === INCOMPLETE) {
        // Keep the partial record; parse it again once the buffer has doubled (linear overall).
        this.#buf = buf.slice(pos);
        this.#pos = 0;
        this.#fieldStart -= pos;
        this.#retryAt = 2 * (n - pos) + 1;
        this.#checkPendingSize();
        return;
      }
      const raw = buf.slice(pos, this.#end);
      const fields = this.#fields;
      if (raw.length > this.#maxFieldSize) this.#checkFieldSizes(fields, startLine);
      this.#line = startLine + this.#lines;
      pos = end;
      onRecord({ line: startLine, fields, raw, quotedEmpty: this.#quotedEmpty });
    }
    this.#pos = pos;
    this.#retryAt = 0;
  }

  #checkFieldSizes(fields: readonly string[], line: number): void {
    for (const f of fields) {
      if (f.length > this.#maxFieldSize) {
        throw new DetectError(
          DetectErrorCode.FieldTooLarge,
          `A field on line ${line} has ${f.length} characters, more than the maximum field size of ${this.#maxFieldSize}; ` +
            'raise maxFieldSize if such fields are expected, or check the quoting of the file.',
          { line },
        );
      }
    }
  }

  // Caches of the next occurrence (≥ the position asked for) of LF, CR, the quote and the
  // escape character in the current buffer; -1 = unknown, n = none.
  #nLF = -1;
  #nCR = -1;
  #nQ = -1;
  #nE = -1;
  #nD = -1;

  #resetCaches(): void {
    this.#nD = -1;
    this.#nLF = -1;
    this.#nCR = -1;
    this.#nQ = -1;
    this.#nE = -1;
  }

  /** Position of the next line break (LF or CR) at or after `p`, or `n`. */
  #nextBreak(buf: string, p: number, n: number): number {
    if (this.#nLF < p) {
      const i = buf.indexOf('\n', p);
      this.#nLF = i < 0 ? n : i;
    }
    if (this.#nCR < p) {
      const i = buf.indexOf('\r', p);
      this.#nCR = i < 0 ? n : i;
    }
    return Math.min(this.#nLF, this.#nCR);
  }

  #nextQuote(buf: string, p: number, n: number): number {
    if (this.#nQ < p) {
      const i = buf.indexOf(this.#quoteChar, p);
      this.#nQ = i < 0 ? n : i;
    }
    return this.#nQ;
  }

  #nextDelimiter(buf: string, p: number, n: number): number {
    if (this.#nD < p) {
      const i = buf.indexOf(this.#delimiter, p);
      this.#nD = i < 0 ? n : i;
    }
    return this.#nD;
  }

  #nextEscape(buf: string, p: number, n: number): number {
    if (this.#nE < p) {
      const i = buf.indexOf(this.#escapeChar, p);
      this.#nE = i < 0 ? n : i;
    }
    return this.#nE;
  }

  /**
   * Parses one record at `pos`. Returns the index after its terminator (and sets #fields, #end,
   * #lines), or INCOMPLETE when the buffer ends inside the record and more text may follow.
   * Lines without quote or escape characters are split natively; others field by field.
   */
  #parseRecord(buf: string, pos: number, n: number, final: boolean): number {
    const quote = this.#quote;
    const esc = this.#escape;
    const separateEscape = esc >= 0 && !this.#doubled;
    let lineEnd = this.#nextBreak(buf, pos, n);
    if (
      (quote < 0 || this.#nextQuote(buf, pos, n) > lineEnd) &&
      (!separateEscape || this.#nextEscape(buf, pos, n) > lineEnd)
    ) {
      // Fast path: a line without quotes.
      if (lineEnd >= n && !final) return INCOMPLETE;
      const line = buf.slice(pos, lineEnd);
      this.#fieldStart = pos;
      const fields = line.split(this.#delimiter);
      if (this.#pad1 >= 0) for (let i = 0; i < fields.length; i += 1) fields[i] = this.#trimPad(fields[i]!);
      this.#fields = fields;
      this.#quotedEmpty = undefined;
      this.#end = lineEnd;
      this.#lines = 1;
      return this.#afterBreak(buf, lineEnd, n, final);
    }
    const d0 = this.#d0;
    const dlen = this.#dlen;
    const delim = this.#delimiter;
    const doubled = this.#doubled;
    const trim = this.#pad1 >= 0;
    const fields: string[] = [];
    let quotedEmpty: number[] | undefined;
    let lines = 1;
    let p = pos;
    for (;;) {
      // One field starts at p.
      this.#fieldStart = p;
      let value: string;
      let wasQuoted = false;
      let prefix = '';
      const linesAtField = lines;
      if (trim) p = this.#skipPad(buf, p, n);
      for (;;) {
        if (p < n && buf.charCodeAt(p) === quote) {
          const open = p;
          p += 1;
          let seg = p;
          let quoted = '';
          let closed = false;
          for (;;) {
            const q = this.#nextQuote(buf, p, n);
            const e = separateEscape ? this.#nextEscape(buf, p, n) : n;
            const stop = Math.min(q, e);
            // Count the line breaks inside the field up to the next quote or escape.
            let b = this.#nextBreak(buf, p, n);
            while (b < stop) {
              if (buf.charCodeAt(b) === LF) lines += 1;
              else {
                if (b + 1 >= n && !final) return INCOMPLETE;
                if (buf.charCodeAt(b + 1) !== LF) lines += 1;
              }
              b = this.#nextBreak(buf, b + 1, n);
            }
            if (stop >= n) break;
            p = stop;
            if (stop === e) {
              if (p + 1 >= n) {
                if (!final) return INCOMPLETE;
                p += 1;
                continue;
              }
              const next = buf.charCodeAt(p + 1);
              if (next === CR || next === LF) {
                // An escaped line break is kept as written (it is still a line of the file).
                p += 1;
                continue;
              }
              quoted += buf.slice(seg, p);
              seg = p + 1;
              p += 2;
              continue;
            }
            // A quote at p.
            if (p + 1 >= n) {
              if (!final) return INCOMPLETE;
            } else {
              const next = buf.charCodeAt(p + 1);
              if (doubled && next === quote) {
                quoted += buf.slice(seg, p + 1);
                p += 2;
                seg = p;
                continue;
              }
              // A quote right after a letter or digit and not followed by a delimiter, a line break
              // or another quote (an apostrophe as in won't, an inch mark as in 5" pipe) is text.
              // With padding, the closing quote may be followed by spaces before the delimiter.
              let at = p + 1;
              if (trim && (next === this.#pad1 || next === this.#pad2)) {
                at = this.#skipPad(buf, at, n);
                if (at >= n && !final) return INCOMPLETE;
              }
              const after = at < n ? buf.charCodeAt(at) : LF;
              const closes =
                after === LF || after === CR || (after === d0 && (dlen === 1 || buf.startsWith(delim, at)));
              if (!closes && next !== quote && p > seg && isWordChar(buf.charCodeAt(p - 1))) {
                this.irregular += 0.25;
                quoted += buf.slice(seg, p + 1);
                p += 1;
                seg = p;
                continue;
              }
            }
            quoted += buf.slice(seg, p);
            p += 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (!final) return INCOMPLETE;
            // A quote that no later quote closes opens nothing (a stray quote, as in 5" pipe or a
            // lone " in a value): it is a literal character, and the field is read again after it.
            this.unclosedQuoteLine ??= this.#line + linesAtField - 1;
            this.unclosedQuoteRecords.add(this.#line);
            prefix += buf[open];
            p = open + 1;
            lines = linesAtField;
            this.#resetCaches();
            continue;
          }
          wasQuoted = true;
          if (trim) p = this.#skipPad(buf, p, n);
          if (p >= n) {
            if (!final) return INCOMPLETE;
            value = prefix + quoted;
            break;
          }
          const c = buf.charCodeAt(p);
          if (c === LF || c === CR || (c === d0 && (dlen === 1 || buf.startsWith(delim, p)))) {
            value = prefix + quoted;
            break;
          }
          wasQuoted = false;
          // The closing quote is followed by other text: the opening quote was a literal
          // character (a stray quote), so read the field again after it.
          this.irregular += 1;
          prefix += buf[open];
          p = open + 1;
          lines = linesAtField;
          this.#resetCaches();
          continue;
        }
        // An unquoted field: up to the next delimiter or line break.
        lineEnd = this.#nextBreak(buf, p, n);
        let end = this.#nextDelimiter(buf, p, n);
        if (end > lineEnd) end = lineEnd;
        if (separateEscape && this.#nextEscape(buf, p, n) < end) {
          let text = '';
          let seg = p;
          while (p < n) {
            const c = buf.charCodeAt(p);
            if (c === LF || c === CR || (c === d0 && (dlen === 1 || buf.startsWith(delim, p)))) break;
            if (c === esc && p + 1 < n) {
              const next = buf.charCodeAt(p + 1);
              if (next !== LF && next !== CR) {
                text += buf.slice(seg, p);
                seg = p + 1;
                p += 2;
                continue;
              }
            }
            p += 1;
          }
          value = prefix + text + buf.slice(seg, p);
        } else {
          value = prefix === '' ? buf.slice(p, end) : prefix + buf.slice(p, end);
          p = end;
        }
        if (trim) value = this.#trimPad(value);
        break;
      }
      if (wasQuoted && value === '') {
        if (quotedEmpty === undefined) quotedEmpty = [fields.length];
        else quotedEmpty.push(fields.length);
      }
      fields.push(value);
      if (p >= n) {
        if (!final) return INCOMPLETE;
        this.#fields = fields;
        this.#quotedEmpty = quotedEmpty;
        this.#end = n;
        this.#lines = lines;
        return n;
      }
      const c = buf.charCodeAt(p);
      if (c === LF || c === CR) {
        this.#fields = fields;
        this.#quotedEmpty = quotedEmpty;
        this.#end = p;
        this.#lines = lines;
        return this.#afterBreak(buf, p, n, final);
      }
      // A delimiter: the next field follows.
      p += dlen;
      if (p >= n && !final) return INCOMPLETE;
    }
  }

  /** The first position at or after `p` that is not padding. */
  #skipPad(buf: string, p: number, n: number): number {
    while (p < n) {
      const c = buf.charCodeAt(p);
      if (c !== this.#pad1 && c !== this.#pad2) break;
      p += 1;
    }
    return p;
  }

  /** `value` without padding at either end. */
  #trimPad(value: string): string {
    let a = 0;
    let b = value.length;
    while (a < b && (value.charCodeAt(a) === this.#pad1 || value.charCodeAt(a) === this.#pad2)) a += 1;
    while (b > a && (value.charCodeAt(b - 1) === this.#pad1 || value.charCodeAt(b - 1) === this.#pad2)) b -= 1;
    return a === 0 && b === value.length ? value : value.slice(a, b);
  }

  /** Index after the line break at `at` (or `n` at the end), or INCOMPLETE for a CR at the end of a non-final buffer. */
  #afterBreak(buf: string, at: number, n: number, final: boolean): number {
    if (at >= n) return n;
    if (buf.charCodeAt(at) === LF) return at + 1;
    if (at + 1 >= n) return final ? n : INCOMPLETE;
    return buf.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
  }
}

/** The result of {@link tokenize}. @internal */
export interface TokenizeResult {
  readonly records: SourceRecord[];
  /** Stray quotes read as literal characters. */
  readonly irregular: number;
  /** The line of the first quote that nothing closed (read as a literal character). */
  readonly unclosedQuoteLine?: number | undefined;
  /** True when tokenizing stopped at `maxRecords` before the end of the text. */
  readonly truncated?: boolean;
  /** The error that stopped tokenizing (records before it are kept), when `keepGoing` was set. */
  readonly error?: DetectError;
}

/**
 * Splits a whole text into records (detection and tests). With `keepGoing`, a DetectError
 * stops the split and is returned with the records before it instead of being thrown.
 * @internal
 */
export function tokenize(
  text: string,
  dialect: Dialect,
  options: {
    readonly maxFieldSize?: number;
    readonly final?: boolean;
    readonly keepGoing?: boolean;
    /** Stop after about this many records (the text is fed in pieces). */
    readonly maxRecords?: number;
  } = {},
): TokenizeResult {
  const records: SourceRecord[] = [];
  const tokenizer = new Tokenizer(dialect, { maxFieldSize: options.maxFieldSize ?? Number.POSITIVE_INFINITY });
  const final = options.final ?? true;
  const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
  const push = (r: SourceRecord): void => {
    records.push(r);
  };
  try {
    if (maxRecords === Number.POSITIVE_INFINITY) tokenizer.push(text, push);
    else {
      const piece = 16_384;
      for (let at = 0; at < text.length; at += piece) {
        tokenizer.push(text.slice(at, at + piece), push);
        if (records.length >= maxRecords) return { records, irregular: tokenizer.irregular, truncated: true };
      }
    }
    if (final) tokenizer.finish(push);
    else tokenizer.flush(push);
  } catch (err) {
    if (options.keepGoing && err instanceof DetectError) return { records, irregular: tokenizer.irregular, error: err };
    throw err;
  }
  return { records, irregular: tokenizer.irregular, unclosedQuoteLine: tokenizer.unclosedQuoteLine };
}
