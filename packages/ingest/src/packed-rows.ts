/**
 * Converted rows packed into a few flat buffers, so a batch crosses from the parse worker to the
 * calling thread as a transfer instead of a structured clone of every value.
 */
import type { DbValue, StagedRow, StagedRows } from '@refdata/db';

/** Where a cell's value is kept in {@link PackedRows}. @internal */
export const CellTag = {
  NULL: 0,
  STRING: 1,
  NUMBER: 2,
  BIGINT: 3,
  TRUE: 4,
  FALSE: 5,
  /** A bigint outside 64 bits (the database rejects it), kept exactly as its decimal text. */
  BIGINT_TEXT: 6,
} as const;

/** Rows the buffers are first sized for; they double as rows arrive, up to the capacity. */
const INITIAL_ROWS = 256;

/** A typed array twice as long (at least `min`), holding the same first elements. */
function grown<T extends Int32Array | Uint8Array | Float64Array | BigInt64Array>(array: T, min: number): T {
  const next = new (array.constructor as new (length: number) => T)(Math.max(min, array.length * 2, 16));
  next.set(array as never);
  return next;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Converted rows packed into a few flat buffers, so that a batch crosses threads as one string
 * and a handful of transferable arrays instead of thousands of small values (structured clone
 * walks every element; a transfer moves a buffer without copying it). @internal
 */
export interface PackedRows {
  /** Rows in the batch. */
  readonly rows: number;
  /** Values per row. */
  readonly width: number;
  /** Source line of each row. */
  readonly lines: Int32Array;
  /** One {@link CellTag} per cell, row after row. */
  readonly tags: Uint8Array;
  /** The NUMBER cells, in cell order. */
  readonly numbers: Float64Array;
  /** The BIGINT cells, in cell order. */
  readonly bigints: BigInt64Array;
  /** The STRING cells joined, in cell order. */
  readonly text: string;
  /** End of each STRING cell in `text` (UTF-16 code units), in cell order. */
  readonly textEnds: Int32Array;
}

/** The buffers of a batch, to pass as postMessage's transfer list. @internal */
export function transferablesOf(rows: PackedRows): ArrayBuffer[] {
  return [rows.lines, rows.tags, rows.numbers, rows.bigints, rows.textEnds]
    .map((a) => a.buffer as ArrayBuffer)
    .filter((b, i, all) => b.byteLength > 0 && all.indexOf(b) === i);
}

/**
 * Packs converted rows, cell by cell, with room for `capacity` rows of `width` values. A row is
 * started with {@link PackedRowsWriter.beginRow}, filled with {@link PackedRowsWriter.push} and
 * either ended with {@link PackedRowsWriter.endRow} or dropped with
 * {@link PackedRowsWriter.dropRow} (a rejected row leaves nothing behind). @internal
 */
export class PackedRowsWriter {
  readonly width: number;
  readonly capacity: number;
  #lines: Int32Array;
  #tags: Uint8Array;
  #numbers: Float64Array;
  #bigints: BigInt64Array;
  #strings: string[] = [];
  #textEnds: Int32Array;
  #rows = 0;
  #cells = 0;
  #numberCount = 0;
  #bigintCount = 0;
  #stringCount = 0;
  #textLength = 0;
  // State at the start of the current row, restored by dropRow().
  #rowCells = 0;
  #rowNumbers = 0;
  #rowBigints = 0;
  #rowStrings = 0;
  #rowTextLength = 0;

  constructor(width: number, capacity: number) {
    this.width = width;
    this.capacity = capacity;
    this.#lines = new Int32Array(Math.min(capacity, INITIAL_ROWS));
    this.#tags = new Uint8Array(this.#lines.length * width);
    this.#numbers = new Float64Array(0);
    this.#bigints = new BigInt64Array(0);
    this.#textEnds = new Int32Array(0);
  }

  /** Rows ended so far. */
  get rows(): number {
    return this.#rows;
  }

  /** True when no more rows fit. */
  get full(): boolean {
    return this.#rows === this.capacity;
  }

  beginRow(): void {
    if (this.#rows === this.#lines.length) this.#lines = grown(this.#lines, this.#rows + 1);
    if (this.#cells + this.width > this.#tags.length) this.#tags = grown(this.#tags, this.#cells + this.width);
    this.#rowCells = this.#cells;
    this.#rowNumbers = this.#numberCount;
    this.#rowBigints = this.#bigintCount;
    this.#rowStrings = this.#stringCount;
    this.#rowTextLength = this.#textLength;
  }

  push(value: DbValue): void {
    const at = this.#cells++;
    switch (typeof value) {
      case 'string':
        this.#tags[at] = CellTag.STRING;
        if (this.#stringCount === this.#textEnds.length) this.#textEnds = grown(this.#textEnds, 0);
        this.#textLength += value.length;
        this.#textEnds[this.#stringCount] = this.#textLength;
        this.#strings[this.#stringCount++] = value;
        break;
      case 'number':
        this.#tags[at] = CellTag.NUMBER;
        if (this.#numberCount === this.#numbers.length) this.#numbers = grown(this.#numbers, 0);
        this.#numbers[this.#numberCount++] = value;
        break;
      case 'boolean':
        this.#tags[at] = value ? CellTag.TRUE : CellTag.FALSE;
        break;
      case 'bigint':
        if (value < INT64_MIN || value > INT64_MAX) {
          this.#tags[at] = CellTag.BIGINT_TEXT;
          const digits = value.toString();
          if (this.#stringCount === this.#textEnds.length) this.#textEnds = grown(this.#textEnds, 0);
          this.#textLength += digits.length;
          this.#textEnds[this.#stringCount] = this.#textLength;
          this.#strings[this.#stringCount++] = digits;
          break;
        }
        if (value >= MIN_SAFE && value <= MAX_SAFE) {
          // A safe integer crosses as a number: the database takes it for a bigint column, and
          // the writer's thread makes no BigInt for it.
          this.#tags[at] = CellTag.NUMBER;
          if (this.#numberCount === this.#numbers.length) this.#numbers = grown(this.#numbers, 0);
          this.#numbers[this.#numberCount++] = Number(value);
          break;
        }
        this.#tags[at] = CellTag.BIGINT;
        if (this.#bigintCount === this.#bigints.length) this.#bigints = grown(this.#bigints, 0);
        this.#bigints[this.#bigintCount++] = value;
        break;
      default:
        this.#tags[at] = CellTag.NULL;
    }
  }

  endRow(line: number): void {
    this.#lines[this.#rows++] = line;
  }

  dropRow(): void {
    this.#cells = this.#rowCells;
    this.#numberCount = this.#rowNumbers;
    this.#bigintCount = this.#rowBigints;
    this.#stringCount = this.#rowStrings;
    this.#textLength = this.#rowTextLength;
  }

  /** The rows packed so far; the writer starts over with fresh buffers. */
  take(): PackedRows {
    const strings = this.#strings;
    strings.length = this.#stringCount;
    const packed: PackedRows = {
      rows: this.#rows,
      width: this.width,
      lines: this.#lines.subarray(0, this.#rows),
      tags: this.#tags.subarray(0, this.#cells),
      numbers: this.#numbers.subarray(0, this.#numberCount),
      bigints: this.#bigints.subarray(0, this.#bigintCount),
      text: strings.join(''),
      textEnds: this.#textEnds.subarray(0, this.#stringCount),
    };
    // The next batch starts with buffers the size this one needed (the old ones were handed over).
    this.#lines = new Int32Array(this.#lines.length);
    this.#tags = new Uint8Array(this.#tags.length);
    this.#numbers = new Float64Array(this.#numbers.length);
    this.#bigints = new BigInt64Array(this.#bigints.length);
    this.#textEnds = new Int32Array(this.#textEnds.length);
    this.#strings = [];
    this.#rows = 0;
    this.#cells = 0;
    this.#numberCount = 0;
    this.#bigintCount = 0;
    this.#stringCount = 0;
    this.#textLength = 0;
    return packed;
  }
}

/**
 * The rows of a packed batch as one flat array of values and their lines (see `StagedRows`),
 * what {@link unpackRows} gives without an object and an array per row. Strings come back as
 * slices of the batch's one text, unchanged to the code unit.
 * @internal
 */
export function unpackFlat(packed: PackedRows): StagedRows {
  const { tags, numbers, bigints, text, textEnds } = packed;
  const cells = tags.length;
  const values = new Array<DbValue>(cells);
  let n = 0;
  let b = 0;
  let s = 0;
  let textAt = 0;
  for (let cell = 0; cell < cells; cell++) {
    switch (tags[cell]) {
      case CellTag.STRING: {
        const end = textEnds[s++] as number;
        values[cell] = text.slice(textAt, end);
        textAt = end;
        break;
      }
      case CellTag.NUMBER:
        values[cell] = numbers[n++] as number;
        break;
      case CellTag.BIGINT:
        values[cell] = bigints[b++] as bigint;
        break;
      case CellTag.BIGINT_TEXT: {
        const end = textEnds[s++] as number;
        values[cell] = BigInt(text.slice(textAt, end));
        textAt = end;
        break;
      }
      case CellTag.TRUE:
        values[cell] = true;
        break;
      case CellTag.FALSE:
        values[cell] = false;
        break;
      default:
        values[cell] = null;
    }
  }
  return { lines: packed.lines, values };
}

/**
 * Rebuilds the rows of a packed batch as the database layer takes them. Strings come back as
 * slices of the batch's one text, unchanged to the code unit.
 * @internal
 */
export function unpackRows(packed: PackedRows): StagedRow[] {
  const { rows: count, width, lines, tags, numbers, bigints, text, textEnds } = packed;
  const rows = new Array<StagedRow>(count);
  let cell = 0;
  let n = 0;
  let b = 0;
  let s = 0;
  let textAt = 0;
  for (let r = 0; r < count; r++) {
    const values = new Array<DbValue>(width);
    for (let c = 0; c < width; c++) {
      switch (tags[cell++]) {
        case CellTag.STRING: {
          const end = textEnds[s++] as number;
          values[c] = text.slice(textAt, end);
          textAt = end;
          break;
        }
        case CellTag.NUMBER:
          values[c] = numbers[n++] as number;
          break;
        case CellTag.BIGINT:
          values[c] = bigints[b++] as bigint;
          break;
        case CellTag.BIGINT_TEXT: {
          const end = textEnds[s++] as number;
          values[c] = BigInt(text.slice(textAt, end));
          textAt = end;
          break;
        }
        case CellTag.TRUE:
          values[c] = true;
          break;
        case CellTag.FALSE:
          values[c] = false;
          break;
        default:
          values[c] = null;
      }
    }
    rows[r] = { line: lines[r] as number, values };
  }
  return rows;
}
