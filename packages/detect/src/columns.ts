/**
 * The columns of the detected table: names from the header rows (or `col_N`), safe SQL names,
 * and lossless types inferred from the sampled data rows, with type overrides applied.
 * @internal
 */
import { type InferredColumn, inferColumn } from './infer-types.js';
import { resolveTypeOverride, typeFromKind } from './options.js';
import { safeColumnNames } from './safe-column-names.js';
import { fitHeaderRow } from './structure.js';
import type { ColumnInfo, FormatOverrides, SourceRecord } from './types.js';

/** Decimal precision given to columns typed from a sample that did not see every row. */
const DECIMAL_HEADROOM = 18;

/** What {@link buildColumns} needs. @internal */
export interface ColumnsInput {
  readonly headerRecords: readonly SourceRecord[];
  /** Data rows of the table's width used for type inference. */
  readonly typed: readonly SourceRecord[];
  readonly width: number;
  /** True when the typed rows are every data row of the file (a column without nulls is then not nullable). */
  readonly sawEveryRow: boolean;
  readonly nullTokens: ReadonlySet<string>;
  readonly delimiter: string;
  readonly overrides: FormatOverrides;
  readonly inferTypes: boolean;
}

/** Names and types every column; returns the columns and the warnings type inference raised. @internal */
export function buildColumns(input: ColumnsInput): { columns: ColumnInfo[]; warnings: string[] } {
  const { typed, width, overrides } = input;
  const headerCells = input.headerRecords.map((r) => fitHeaderRow(r.fields, width));
  const rawNames: string[] = [];
  for (let c = 0; c < width; c += 1) {
    if (headerCells.length === 0) rawNames.push(`col_${c + 1}`);
    else {
      const parts = headerCells.map((cells) => (cells[c] ?? '').trim()).filter((p) => p !== '');
      rawNames.push(parts.join(' '));
    }
  }
  const names = safeColumnNames(rawNames);
  const warnings: string[] = [];
  const columns: ColumnInfo[] = [];
  for (let c = 0; c < width; c += 1) {
    const values = typed.map((r) => r.fields[c]!);
    const inferred: InferredColumn = !input.inferTypes
      ? {
          type: { kind: 'text', maxLength: values.reduce((m, v) => Math.max(m, v.length), 0) },
          nullable: true,
          confidence: 1,
          reason: 'text: type inference is off',
        }
      : inferColumn(values, {
          nullTokens: input.nullTokens,
          delimiter: input.delimiter,
          dateOrder: overrides.dateOrder,
        });
    const override = resolveTypeOverride(overrides.columnTypes, c, rawNames[c]!, names[c]!);
    let type = override === undefined ? inferred.type : typeFromKind(override, inferred);
    let reason = override === undefined ? inferred.reason : `${type.kind} from the override`;
    if (override === undefined && type.kind === 'decimal' && !input.sawEveryRow && type.precision < DECIMAL_HEADROOM) {
      // Rows after the sample may hold larger numbers: widen the integer digits, never the scale.
      type = { ...type, precision: Math.max(DECIMAL_HEADROOM, type.scale + 1) };
      reason += `; precision widened to ${type.precision} because the sample did not see every row`;
    }
    if (override === undefined && type.kind === 'integer' && type.size === 'int' && !input.sawEveryRow) {
      // Likewise for whole numbers: an id or a count past the sample may not fit 32 bits.
      type = { ...type, size: 'bigint' };
      reason += '; widened to bigint because the sample did not see every row';
    }
    if (inferred.warning && override === undefined) warnings.push(`column ${names[c]}: ${inferred.warning}`);
    columns.push({
      index: c,
      rawName: rawNames[c]!,
      name: names[c]!,
      type,
      nullable: inferred.nullable || !input.sawEveryRow,
      confidence: override === undefined ? inferred.confidence : 1,
      reason,
    });
  }
  return { columns, warnings };
}
