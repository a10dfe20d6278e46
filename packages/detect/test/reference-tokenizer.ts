/**
 * The first, straightforward character-by-character tokenizer, kept as the reference the fast
 * tokenizer in src/tokenizer.ts is checked against (test/tokenizer.test.ts).
 */
import { DetectError, DetectErrorCode } from '../src/errors.js';
import type { SourceRecord } from '../src/types.js';

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

/** True when a line break or the delimiter starts at `i`. */
function closesAt(buf: string, i: number, d0: number, dlen: number, delimiter: string): boolean {
  const c = buf.charCodeAt(i);
  return c === LF || c === CR || (c === d0 && (dlen === 1 || buf.startsWith(delimiter, i)));
}

/** Signals that the buffer ends inside a record. */
const INCOMPLETE = -1;

/**
 * Incremental tokenizer. Feed decoded text with {@link Tokenizer.push}, then call
 * {@link Tokenizer.finish}. Records are delivered to the `onRecord` callback in order.
 * @internal
 */
export class ReferenceTokenizer {
  readonly #delimiter: string;
  readonly #d0: number;
  readonly #dlen: number;
  readonly #quote: number;
  readonly #escape: number;
  readonly #doubled: boolean;
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
  #quotedEmpty: number[] | undefined;
  #end = 0;
  #lines = 0;
  #fieldStart = 0;
  /** Stray quotes read as literal characters so far. */
  irregular = 0;

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
    this.#maxFieldSize = options.maxFieldSize;
    this.#pad1 = dialect.trim === true ? 32 : -1;
    this.#pad2 = dialect.trim === true && !dialect.delimiter.includes('\t') ? 9 : -1;
    this.#line = options.firstLine ?? 1;
  }

  /** The physical line the next record starts on. */
  get line(): number {
    return this.#line;
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

  #isPad(c: number): boolean {
    return c === this.#pad1 || c === this.#pad2;
  }

  /**
   * Parses one record at `pos`. Returns the index after its terminator (and sets #fields, #end,
   * #lines), or INCOMPLETE when the buffer ends inside the record and more text may follow.
   */
  #parseRecord(buf: string, pos: number, n: number, final: boolean): number {
    const d0 = this.#d0;
    const dlen = this.#dlen;
    const delim = this.#delimiter;
    const quote = this.#quote;
    const esc = this.#escape;
    const doubled = this.#doubled;
    const fields: string[] = [];
    const quotedEmpty: number[] = [];
    let lines = 1;
    let p = pos;
    for (;;) {
      // One field starts at p.
      this.#fieldStart = p;
      let value: string;
      let prefix = '';
      const linesAtField = lines;
      while (p < n && this.#isPad(buf.charCodeAt(p))) p += 1;
      for (;;) {
        if (p < n && buf.charCodeAt(p) === quote) {
          const open = p;
          p += 1;
          let seg = p;
          let quoted = '';
          let closed = false;
          while (p < n) {
            const c = buf.charCodeAt(p);
            if (c === quote) {
              if (doubled) {
                if (p + 1 >= n) {
                  if (!final) return INCOMPLETE;
                } else if (buf.charCodeAt(p + 1) === quote) {
                  quoted += buf.slice(seg, p + 1);
                  p += 2;
                  seg = p;
                  continue;
                }
              }
              // A quote right after a letter or digit and not followed by a delimiter, a line break
              // or another quote (an apostrophe as in won't, an inch mark as in 5" pipe) is text.
              let at = p + 1;
              while (at < n && this.#isPad(buf.charCodeAt(at))) at += 1;
              if (at >= n) {
                if (!final) return INCOMPLETE;
              } else if (
                !closesAt(buf, at, this.#d0, this.#dlen, this.#delimiter) &&
                buf.charCodeAt(p + 1) !== quote &&
                p > seg &&
                isWordChar(buf.charCodeAt(p - 1))
              ) {
                this.irregular += 0.25;
                quoted += buf.slice(seg, p + 1);
                p += 1;
                seg = p;
                continue;
              }
              quoted += buf.slice(seg, p);
              p += 1;
              closed = true;
              break;
            }
            if (c === esc) {
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
            if (c === LF) lines += 1;
            else if (c === CR) {
              if (p + 1 >= n && !final) return INCOMPLETE;
              if (buf.charCodeAt(p + 1) !== LF) lines += 1;
            }
            p += 1;
          }
          if (!closed) {
            if (!final) return INCOMPLETE;
            // Nothing closes the quote: it is a literal character.
            prefix += buf[open];
            p = open + 1;
            lines = linesAtField;
            continue;
          }
          while (p < n && this.#isPad(buf.charCodeAt(p))) p += 1;
          if (p >= n) {
            if (!final) return INCOMPLETE;
            value = prefix + quoted;
            if (value.length === 0) quotedEmpty.push(fields.length);
            break;
          }
          const c = buf.charCodeAt(p);
          if (c === LF || c === CR || (c === d0 && (dlen === 1 || buf.startsWith(delim, p)))) {
            value = prefix + quoted;
            if (value.length === 0) quotedEmpty.push(fields.length);
            break;
          }
          // The closing quote is followed by other text: the opening quote was a literal
          // character (a stray quote), so read the field again after it.
          this.irregular += 1;
          prefix += buf[open];
          p = open + 1;
          lines = linesAtField;
          continue;
        }
        const start = p;
        if (esc >= 0 && !doubled) {
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
        } else if (dlen === 1) {
          while (p < n) {
            const c = buf.charCodeAt(p);
            if (c === d0 || c === LF || c === CR) break;
            p += 1;
          }
          value = prefix === '' ? buf.slice(start, p) : prefix + buf.slice(start, p);
        } else {
          while (p < n) {
            const c = buf.charCodeAt(p);
            if (c === LF || c === CR || (c === d0 && buf.startsWith(delim, p))) break;
            p += 1;
          }
          value = prefix + buf.slice(start, p);
        }
        if (this.#pad1 >= 0) {
          let a = 0;
          let b = value.length;
          while (a < b && this.#isPad(value.charCodeAt(a))) a += 1;
          while (b > a && this.#isPad(value.charCodeAt(b - 1))) b -= 1;
          value = value.slice(a, b);
        }
        break;
      }
      fields.push(value);
      if (p >= n) {
        if (!final) return INCOMPLETE;
        this.#fields = fields;
        this.#quotedEmpty = quotedEmpty.length > 0 ? quotedEmpty : undefined;
        this.#end = n;
        this.#lines = lines;
        return n;
      }
      const c = buf.charCodeAt(p);
      if (c === LF) {
        this.#fields = fields;
        this.#quotedEmpty = quotedEmpty.length > 0 ? quotedEmpty : undefined;
        this.#end = p;
        this.#lines = lines;
        return p + 1;
      }
      if (c === CR) {
        if (p + 1 >= n && !final) return INCOMPLETE;
        this.#fields = fields;
        this.#quotedEmpty = quotedEmpty.length > 0 ? quotedEmpty : undefined;
        this.#end = p;
        this.#lines = lines;
        return buf.charCodeAt(p + 1) === LF ? p + 2 : p + 1;
      }
      // A delimiter: the next field follows.
      p += dlen;
      if (p >= n && !final) return INCOMPLETE;
    }
  }
}

/** The result of {@link tokenize}. @internal */
export interface TokenizeResult {
  readonly records: SourceRecord[];
  /** Stray quotes read as literal characters. */
  readonly irregular: number;
  /** The error that stopped tokenizing (records before it are kept), when `keepGoing` was set. */
  readonly error?: DetectError;
}

/**
 * Splits a whole text into records (detection and tests). With `keepGoing`, a DetectError
 * stops the split and is returned with the records before it instead of being thrown.
 * @internal
 */
export function referenceTokenize(
  text: string,
  dialect: Dialect,
  options: { readonly maxFieldSize?: number; readonly final?: boolean; readonly keepGoing?: boolean } = {},
): TokenizeResult {
  const records: SourceRecord[] = [];
  const tokenizer = new ReferenceTokenizer(dialect, { maxFieldSize: options.maxFieldSize ?? Number.POSITIVE_INFINITY });
  const final = options.final ?? true;
  const push = (r: SourceRecord): void => {
    records.push(r);
  };
  try {
    tokenizer.push(text, push);
    if (final) tokenizer.finish(push);
  } catch (err) {
    if (options.keepGoing && err instanceof DetectError) return { records, irregular: tokenizer.irregular, error: err };
    throw err;
  }
  return { records, irregular: tokenizer.irregular };
}
