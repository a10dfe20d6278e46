/**
 * Converting one record's cells to canonical database values for the planned columns, or to a
 * rejected row naming the column that did not fit and why.
 */
import type { DbValue, RejectedRow } from '@refdata/db';
import type { ColumnType, SourceRecord, ValueParser } from '@refdata/detect';
import { createValueParser, UNCLOSED_QUOTE_REASON, widenedType } from '@refdata/detect';
import type { ConversionPlan } from './column-plan.js';
import type { PackedRowsWriter } from './packed-rows.js';

/** Why a text value holding U+0000 is rejected. @internal */
export const NUL_REASON = 'text holds a NUL character (a zero byte, U+0000): the file may be corrupt; remove the byte';

/**
 * A number that needs a wider type than its column has (see `widenedType`): the column is widened
 * before the record is converted again. @internal
 */
export interface Widening {
  readonly kind: 'widen';
  /** Index of the planned column. */
  readonly index: number;
  readonly type: ColumnType;
  /** The record's line and the value that needed it. */
  readonly line: number;
  readonly value: string;
}

/**
 * Converts records into packed rows (`width` values per row), or into rejected rows with the
 * first column that failed and why. @internal
 */
export class RowConverter {
  readonly width: number;
  readonly #fieldCount: number;
  readonly #sources: Int32Array;
  readonly #parsers: (ValueParser | undefined)[];
  /** The converter type of each column (wider after {@link RowConverter.widen}). */
  readonly #types: ColumnType[];
  readonly #widenable: boolean[];
  readonly #decimalSeparator: '.' | ',';
  readonly #nullTokenList: readonly string[];
  /** Text columns: the cell unchanged unless it is a null token (the contract of `createValueParser`), without a parser call. */
  readonly #plainText: boolean[];
  readonly #nullTokens: ReadonlySet<string>;
  /** Length of the longest null token: longer cells skip the set lookup. */
  readonly #longestNullToken: number;
  readonly #maxLength: (number | undefined)[];
  readonly #nullable: boolean[];
  readonly #names: string[];

  constructor(plan: ConversionPlan) {
    this.width = plan.columns.length;
    this.#fieldCount = plan.fieldCount;
    this.#sources = Int32Array.from(plan.columns.map((c) => c.source));
    this.#parsers = plan.columns.map((c) => (c.source < 0 ? undefined : createValueParser(c.type, plan.nullTokens)));
    this.#types = plan.columns.map((c) => c.type);
    this.#widenable = plan.columns.map((c) => c.widenable === true);
    this.#decimalSeparator = plan.decimalSeparator ?? '.';
    this.#nullTokenList = plan.nullTokens;
    this.#plainText = plan.columns.map((c) => c.type.kind === 'text');
    this.#nullTokens = new Set(plan.nullTokens);
    this.#longestNullToken = plan.nullTokens.reduce((max, t) => Math.max(max, t.length), -1);
    this.#maxLength = plan.columns.map((c) => c.maxLength);
    this.#nullable = plan.columns.map((c) => c.nullable);
    this.#names = plan.columns.map((c) => c.name);
  }

  /**
   * Appends the record as a row of `out` and returns undefined, or returns why it is rejected, or
   * the wider type a widenable column needs for it (leaving `out` as it was in both cases).
   */
  convert(record: SourceRecord, out: PackedRowsWriter): RejectedRow | Widening | undefined {
    const fields = record.fields;
    if (fields.length !== this.#fieldCount) {
      return {
        line: record.line,
        raw: record.raw,
        reason: `expected ${this.#fieldCount} fields, found ${fields.length}`,
      };
    }
    if (record.unclosedQuote === true) {
      return {
        line: record.line,
        raw: record.raw,
        reason: UNCLOSED_QUOTE_REASON,
      };
    }
    // One search per record (its raw text holds every field), not one per value.
    const nul = record.raw.includes('\u0000');
    out.beginRow();
    for (let i = 0; i < this.width; i++) {
      const parser = this.#parsers[i];
      let value: DbValue = null;
      let raw = '';
      if (parser !== undefined) {
        const source = this.#sources[i] as number;
        raw = fields[source] as string;
        if (this.#plainText[i]) {
          // A quoted empty field ("") is an empty string; only an unquoted one is NULL.
          value =
            raw.length <= this.#longestNullToken &&
            this.#nullTokens.has(raw) &&
            (raw.length > 0 || record.quotedEmpty === undefined || !record.quotedEmpty.includes(source))
              ? null
              : raw;
        } else {
          const parsed = parser(raw);
          if (!parsed.ok) {
            const wider = this.#widenable[i]
              ? widenedType(this.#types[i] as ColumnType, raw, { decimalSeparator: this.#decimalSeparator })
              : undefined;
            if (wider !== undefined) {
              out.dropRow();
              return { kind: 'widen', index: i, type: wider, line: record.line, value: raw };
            }
            return this.#reject(record, i, raw, parsed.reason, out);
          }
          value = parsed.value;
        }
      }
      if (value === null) {
        if (!this.#nullable[i]) {
          const reason =
            parser === undefined
              ? 'column is missing from the file and must not be NULL'
              : 'empty or NULL value in a column that must have one';
          return this.#reject(record, i, raw, reason, out);
        }
      } else if (typeof value === 'string') {
        const max = this.#maxLength[i];
        if (max !== undefined && value.length > max) {
          const reason = `text of ${value.length} characters is longer than the column's ${max}`;
          return this.#reject(record, i, raw, reason, out);
        }
        // A zero byte is not text (a corrupt file, or binary data in a text export); SQL Server
        // through Babelfish, PostgreSQL and most tools cannot store it, so no database gets it.
        if (nul && value.includes('\u0000')) return this.#reject(record, i, raw, NUL_REASON, out);
      }
      out.push(value);
    }
    out.endRow(record.line);
    return undefined;
  }

  /** Column `index` takes `type` (a wider numeric type) for the records that follow. */
  widen(index: number, type: ColumnType): void {
    this.#types[index] = type;
    this.#parsers[index] = createValueParser(type, this.#nullTokenList);
  }

  /** Drops the row begun in `out` and describes why column `i` rejects it. */
  #reject(record: SourceRecord, i: number, value: string, reason: string, out: PackedRowsWriter): RejectedRow {
    out.dropRow();
    return { line: record.line, raw: record.raw, column: this.#names[i] as string, value, reason };
  }
}
