/**
 * The column plan of a load: which columns the table gets, with which types, and how each is
 * filled from the file's fields, under the live table's schema and the schema-drift policy.
 */
import type { ColumnDef, DbType, LoadMode, TableDescription } from '@refdata/db';
import type { ColumnInfo, ColumnType, FormatInfo } from '@refdata/detect';
import { IngestError, IngestErrorCode } from './errors.js';
import { dbTypeFor, parseTypeFor } from './type-map.js';
import type { SchemaDriftPolicy } from './types.js';

/** How one target column is filled from a record. Plain data: it crosses to the worker. @internal */
export interface PlannedColumn {
  readonly name: string;
  /** Index of the field in the record, or -1 when the file lacks the column (always NULL). */
  readonly source: number;
  /** Converter type for `createValueParser`. */
  readonly type: ColumnType;
  /** Longest text accepted (a bounded text column), in UTF-16 code units. */
  readonly maxLength?: number;
  /** False: a NULL is a bad row. */
  readonly nullable: boolean;
  /**
   * True when the load sets this numeric column's type from the file's sample (a new table, or
   * a replace that retypes it, without a declared type): a later number that needs more room
   * widens the column instead of being rejected.
   */
  readonly widenable?: boolean;
}

/** Everything the converter needs; structured-cloneable. @internal */
export interface ConversionPlan {
  /** Fields every record must have. */
  readonly fieldCount: number;
  readonly columns: readonly PlannedColumn[];
  readonly nullTokens: readonly string[];
  /** The file's decimal separator (its decimal columns'), for an integer column widened to a decimal. @default '.' */
  readonly decimalSeparator?: '.' | ',';
}

/** The load's column set and how the file fills it. @internal */
export interface ColumnPlan {
  readonly columns: readonly ColumnDef[];
  readonly conversion: ConversionPlan;
  readonly keyColumns: readonly string[];
  readonly addMissingColumns: boolean;
  /** Column names only in the file / only in the table / in the file but not loaded. */
  readonly drift: {
    readonly added: readonly string[];
    readonly missing: readonly string[];
    readonly ignored: readonly string[];
  };
}

/** Inputs of {@link planColumns}. @internal */
export interface PlanInput {
  readonly file: string;
  readonly table: string;
  readonly format: FormatInfo;
  readonly live: TableDescription | undefined;
  readonly mode: LoadMode;
  readonly keyColumns: readonly string[];
  readonly schemaDrift: SchemaDriftPolicy;
  /** Per-column type overrides from the dataset configuration. */
  readonly typeOverrides: Readonly<Record<string, DbType>>;
  /** The caller's `format.columnTypes` (by raw name, safe name or index): such columns take the file's type on a replace. */
  readonly columnTypeOverrides?: Readonly<Record<string, unknown>>;
}

const lower = (s: string): string => s.toLowerCase();

/**
 * Decides the load's columns. A new table takes the file's detected columns and types. An
 * existing table's schema is the contract: its columns keep their types in every mode (a value
 * that does not fit is a bad row, never a silent type change), except on a replace for columns
 * whose type the caller set explicitly (`format.columnTypes` or the dataset's overrides). The
 * schema-drift policy decides about columns only in the file (`added`) or only in the table
 * (`missing`). @internal
 */
export function planColumns(input: PlanInput): ColumnPlan {
  const { format, live, mode, schemaDrift } = input;
  const errorContext = { file: input.file, table: input.table };
  if (format.columns.length === 0) {
    throw new IngestError(
      IngestErrorCode.FORMAT_UNDETECTABLE,
      `No columns were found in ${input.file}; check that it is a delimited text file with a header.`,
      errorContext,
    );
  }
  if (mode === 'upsert' && input.keyColumns.length === 0) {
    throw new IngestError(
      IngestErrorCode.KEY_INVALID,
      `Upsert into ${input.table} needs key columns; pass keyColumns (e.g. ['code']) or configure the dataset's keys.`,
      errorContext,
    );
  }
  const keys = new Set(input.keyColumns.map(lower));
  const overrides = new Map(Object.entries(input.typeOverrides).map(([k, v]) => [lower(k), v]));
  const fileByName = new Map<string, ColumnInfo>(format.columns.map((c) => [lower(c.name), c]));
  const liveByName = new Map<string, ColumnDef>((live?.columns ?? []).map((c) => [lower(c.name), c]));

  const added =
    live === undefined ? [] : format.columns.filter((c) => !liveByName.has(lower(c.name))).map((c) => c.name);
  const missing =
    live === undefined ? [] : live.columns.filter((c) => !fileByName.has(lower(c.name))).map((c) => c.name);
  if (schemaDrift === 'fail' && (added.length > 0 || missing.length > 0)) {
    const parts = [
      added.length > 0 ? `new in the file: ${added.join(', ')}` : '',
      missing.length > 0 ? `missing from the file: ${missing.join(', ')}` : '',
    ].filter(Boolean);
    throw new IngestError(
      IngestErrorCode.SCHEMA_DRIFT,
      `The columns of ${input.file} differ from table ${input.table} (${parts.join('; ')}). Fix the file, or set schemaDrift to 'add' (add new columns) or 'ignore' (skip new columns); columns missing from the file are then loaded as NULL.`,
      { ...errorContext, details: { added, missing } },
    );
  }

  const columns: ColumnDef[] = [];
  const planned: PlannedColumn[] = [];
  const explicit = new Set(Object.keys(input.columnTypeOverrides ?? {}).map(lower));
  const declared = (c: ColumnInfo): boolean =>
    explicit.has(lower(c.name)) ||
    explicit.has(lower(c.rawName)) ||
    explicit.has(String(c.index)) ||
    overrides.has(lower(c.name));
  const fromFile = (c: ColumnInfo): void => {
    const key = keys.has(lower(c.name));
    const override = overrides.get(lower(c.name));
    const type = override ?? dbTypeFor(c.type, { key });
    columns.push({ name: c.name, type, nullable: !key });
    const column = plannedColumn(c.name, c.index, type, c.type, !key);
    // A type the sample chose may widen; one the caller declared is the contract.
    planned.push(!declared(c) && isNumeric(type) ? { ...column, widenable: true } : column);
  };
  const fromLive = (d: ColumnDef, file: ColumnInfo | undefined): void => {
    if (file === undefined && !d.nullable) {
      throw new IngestError(
        IngestErrorCode.SCHEMA_DRIFT,
        `Column ${d.name} of table ${input.table} is NOT NULL but missing from ${input.file}; add the column to the file.`,
        { ...errorContext, details: { added, missing } },
      );
    }
    const key = keys.has(lower(d.name));
    const type = overrides.get(lower(d.name)) ?? d.type;
    columns.push({ name: d.name, type, nullable: d.nullable });
    planned.push(plannedColumn(d.name, file?.index ?? -1, type, file?.type, d.nullable && !key));
  };

  const ignored: string[] = [];
  if (live === undefined) {
    for (const c of format.columns) fromFile(c);
  } else if (mode === 'replace') {
    for (const c of format.columns) {
      const matched = liveByName.get(lower(c.name));
      if (matched !== undefined && !declared(c)) fromLive(matched, c);
      else if (matched !== undefined || schemaDrift === 'add') fromFile(c);
      else ignored.push(c.name);
    }
    for (const d of live.columns) {
      if (!fileByName.has(lower(d.name))) fromLive({ ...d, nullable: true }, undefined);
    }
  } else {
    for (const d of live.columns) fromLive(d, fileByName.get(lower(d.name)));
    for (const c of format.columns) {
      if (liveByName.has(lower(c.name))) continue;
      if (schemaDrift === 'add') {
        const type = overrides.get(lower(c.name)) ?? dbTypeFor(c.type, { key: false });
        columns.push({ name: c.name, type, nullable: true });
        planned.push(plannedColumn(c.name, c.index, type, c.type, true));
      } else ignored.push(c.name);
    }
  }

  const byName = new Map(columns.map((c) => [lower(c.name), c.name]));
  const keyColumns = input.keyColumns.map((k) => {
    const name = byName.get(lower(k));
    if (name === undefined) {
      throw new IngestError(
        IngestErrorCode.KEY_INVALID,
        `Key column ${k} is not a column of ${input.file} (columns: ${columns.map((c) => c.name).join(', ')}); fix keyColumns or the header.`,
        errorContext,
      );
    }
    return name;
  });

  return {
    columns,
    keyColumns,
    addMissingColumns: schemaDrift === 'add' && added.length > 0,
    drift: { added, missing, ignored },
    conversion: {
      fieldCount: format.columns.length,
      columns: planned,
      nullTokens: format.nullTokens,
      decimalSeparator: format.columns.some((c) => c.type.kind === 'decimal' && c.type.decimalSeparator === ',')
        ? ','
        : '.',
    },
  };
}

const isNumeric = (type: DbType): boolean => type.kind === 'int' || type.kind === 'bigint' || type.kind === 'decimal';

function plannedColumn(
  name: string,
  source: number,
  target: DbType,
  file: ColumnType | undefined,
  nullable: boolean,
): PlannedColumn {
  const type = parseTypeFor(target, file);
  const base = { name, source, type, nullable };
  return target.kind === 'text' && target.maxLength !== undefined ? { ...base, maxLength: target.maxLength } : base;
}
