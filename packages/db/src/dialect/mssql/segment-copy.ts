/**
 * The rows of a streamed segment, kept for a retry in two reusable byte buffers instead of as the
 * row arrays that were sent.
 *
 * A segment's rows must be kept until its bulk load completes (a transient failure stages them
 * again). Kept as arrays, they outlive several young-generation collections and every row is
 * promoted to the old generation, where it waits for a full collection: on the 1,000,000-row
 * benchmark that was 480 MB promoted and a 130 MB old generation of dead rows (CLI peak RSS
 * 263 MB). Copied here, each row array dies as soon as tedious has serialised it; the copy costs
 * ≈ 0.35 CPU-s per million rows of 10 columns and ≈ 330 bytes a row, in buffers reused from one
 * segment to the next.
 */

const Tag = { NULL: 0, TEXT: 1, NUMBER: 2, BIGINT: 3, TRUE: 4, FALSE: 5, BIGINT_TEXT: 6 } as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A growable byte buffer written from the front. */
class Bytes {
  buffer: Buffer;
  used = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes (doubling, so a segment's copies settle on one size). */
  reserve(n: number): Buffer {
    const need = this.used + n;
    if (need > this.buffer.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buffer.length * 2));
      this.buffer.copy(next, 0, 0, this.used);
      this.buffer = next;
    }
    return this.buffer;
  }
}

/**
 * Rows of `null | boolean | number | bigint | string` values, appended batch by batch and read
 * back exactly (any string, lone surrogates included; numbers as float64; bigints of any size).
 *
 * @example
 * ```ts
 * const copy = new SegmentCopy();
 * copy.append([[2, 'Zürich', null, 5n, true]]);
 * copy.rows(); // [[2, 'Zürich', null, 5n, true]]
 * copy.reset(); // empty again, keeping its buffers
 * ```
 */
export class SegmentCopy {
  /** Tags, string lengths, numbers and bigints, value after value. */
  readonly #meta = new Bytes(1 << 16);
  /** The strings, UTF-16LE, one after another. */
  readonly #text = new Bytes(1 << 16);
  #rows = 0;

  /** Rows held. */
  get rows(): number {
    return this.#rows;
  }

  /** Bytes the held rows take (what a segment is bounded by, besides its rows). */
  get bytes(): number {
    return this.#meta.used + this.#text.used;
  }

  /** Bytes allocated for copies (kept across {@link SegmentCopy.reset}). */
  get capacity(): number {
    return this.#meta.buffer.length + this.#text.buffer.length;
  }

  /** Copies rows at the end. */
  append(rows: readonly (readonly unknown[])[]): void {
    const meta = this.#meta;
    const strings: string[] = [];
    for (const row of rows) {
      // At most 9 bytes a value (a tag and 8), and 4 for the row's width.
      const b = meta.reserve(4 + 9 * row.length);
      let o = meta.used;
      b.writeUInt32LE(row.length, o);
      o += 4;
      for (let i = 0; i < row.length; i++) {
        const v = row[i];
        if (v === null || v === undefined) b[o++] = Tag.NULL;
        else if (typeof v === 'string') {
          b[o++] = Tag.TEXT;
          b.writeUInt32LE(v.length, o);
          o += 4;
          strings.push(v);
        } else if (typeof v === 'number') {
          b[o++] = Tag.NUMBER;
          b.writeDoubleLE(v, o);
          o += 8;
        } else if (typeof v === 'boolean') b[o++] = v ? Tag.TRUE : Tag.FALSE;
        else if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) {
          b[o++] = Tag.BIGINT;
          b.writeBigInt64LE(v, o);
          o += 8;
        } else if (typeof v === 'bigint') {
          const digits = v.toString();
          b[o++] = Tag.BIGINT_TEXT;
          b.writeUInt32LE(digits.length, o);
          o += 4;
          strings.push(digits);
        } else throw new TypeError(`SegmentCopy: cannot copy a value of type ${typeof v}`);
      }
      meta.used = o;
    }
    if (strings.length > 0) {
      // One join and one write for the batch: a write per value cost twice as much.
      const joined = strings.join('');
      const text = this.#text;
      text.used += text.reserve(joined.length * 2).write(joined, text.used, 'utf16le');
    }
    this.#rows += rows.length;
  }

  /** The held rows, as new arrays. */
  toRows(): unknown[][] {
    const meta = this.#meta.buffer;
    const text = this.#text.buffer;
    const out: unknown[][] = [];
    let o = 0;
    let t = 0;
    const string = (): string => {
      const n = meta.readUInt32LE(o);
      o += 4;
      const s = text.toString('utf16le', t, t + 2 * n);
      t += 2 * n;
      return s;
    };
    while (o < this.#meta.used) {
      const width = meta.readUInt32LE(o);
      o += 4;
      const row = new Array<unknown>(width);
      for (let i = 0; i < width; i++) {
        const tag = meta[o++];
        if (tag === Tag.NULL) row[i] = null;
        else if (tag === Tag.TEXT) row[i] = string();
        else if (tag === Tag.NUMBER) {
          row[i] = meta.readDoubleLE(o);
          o += 8;
        } else if (tag === Tag.BIGINT) {
          row[i] = meta.readBigInt64LE(o);
          o += 8;
        } else if (tag === Tag.BIGINT_TEXT) row[i] = BigInt(string());
        else row[i] = tag === Tag.TRUE;
      }
      out.push(row);
    }
    return out;
  }

  /** Empties the copy, keeping its buffers for the next segment. */
  reset(): void {
    this.#meta.used = 0;
    this.#text.used = 0;
    this.#rows = 0;
  }
}
