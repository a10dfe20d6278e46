/**
 * Validation of a {@link LoadSpec}, shared by both dialects.
 */
import { DbError, DbErrorCode } from './errors.js';
import { assertColumnNames, assertIdentifier, foldIdentifier } from './identifiers.js';
import type { ColumnDef, DatasetConfig, DbType, LoadMode, LoadSpec, SchemaComparison } from './types.js';
import { LOAD_MODES } from './types.js';
import { assertDbType, formatDbType, sameDbType } from './values.js';

/** A load spec with defaults applied and every name checked. */
export interface NormalizedLoadSpec {
  readonly table: string;
  readonly columns: readonly ColumnDef[];
  readonly mode: LoadMode;
  /** Key column names spelled as in `columns`. */
  readonly keyColumns: readonly string[];
  readonly fileId: number | null;
  readonly sourceFile: string | null;
  readonly force: boolean;
  readonly maxShrinkRatio: number;
  readonly addMissingColumns: boolean;
  readonly signal: AbortSignal | undefined;
}

/** Applies defaults and validates a load spec; throws `DB_IDENTIFIER_INVALID` or `DB_OPTION_INVALID`. */
export function normalizeLoadSpec(spec: LoadSpec): NormalizedLoadSpec {
  assertIdentifier(spec.table, 'table');
  const columns = spec.columns.map((c) =>
    Object.freeze({ name: c.name, type: Object.freeze({ ...c.type }) as DbType, nullable: c.nullable }),
  );
  assertColumnNames(columns.map((c) => c.name));
  for (const c of columns) assertDbType(c.type, c.name);
  const mode = spec.mode ?? 'replace';
  if (!(LOAD_MODES as readonly string[]).includes(mode)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `Load mode ${JSON.stringify(mode)} is not one of ${LOAD_MODES.join(', ')}.`,
    );
  }
  const byFold = new Map(columns.map((c) => [foldIdentifier(c.name), c.name]));
  const keyColumns = (spec.keyColumns ?? []).map((k) => {
    const name = byFold.get(foldIdentifier(k));
    if (name === undefined) {
      throw new DbError(
        DbErrorCode.OPTION_INVALID,
        `Key column ${JSON.stringify(k)} is not among the columns of ${JSON.stringify(spec.table)} (${columns.map((c) => c.name).join(', ')}); fix the key list.`,
      );
    }
    return name;
  });
  if (new Set(keyColumns.map(foldIdentifier)).size !== keyColumns.length) {
    throw new DbError(DbErrorCode.OPTION_INVALID, `Key columns repeat a name: ${keyColumns.join(', ')}.`);
  }
  if (mode === 'upsert' && keyColumns.length === 0) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `An upsert into ${JSON.stringify(spec.table)} needs key columns; pass keyColumns or configure the dataset.`,
    );
  }
  const ratio = spec.maxShrinkRatio ?? 0.5;
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new DbError(DbErrorCode.OPTION_INVALID, `maxShrinkRatio ${ratio} must be between 0 and 1.`);
  }
  if (spec.fileId !== undefined && !Number.isSafeInteger(spec.fileId)) {
    throw new DbError(DbErrorCode.OPTION_INVALID, `fileId ${String(spec.fileId)} is not an integer.`);
  }
  return Object.freeze({
    table: spec.table,
    columns: Object.freeze(columns),
    mode,
    keyColumns: Object.freeze(keyColumns),
    fileId: spec.fileId ?? null,
    sourceFile: spec.sourceFile ?? null,
    force: spec.force ?? false,
    maxShrinkRatio: ratio,
    addMissingColumns: spec.addMissingColumns ?? false,
    signal: spec.signal,
  });
}

/** Compares an incoming column set with a live one (names case-insensitively). */
export function compareColumnSets(
  live: readonly ColumnDef[] | undefined,
  incoming: readonly ColumnDef[],
): SchemaComparison {
  if (live === undefined) {
    return { tableExists: false, added: [...incoming], missing: [], changed: [], identical: false };
  }
  const liveByFold = new Map(live.map((c) => [foldIdentifier(c.name), c]));
  const incomingFolds = new Set(incoming.map((c) => foldIdentifier(c.name)));
  const added: ColumnDef[] = [];
  const changed: { name: string; from: DbType; to: DbType }[] = [];
  for (const c of incoming) {
    const l = liveByFold.get(foldIdentifier(c.name));
    if (l === undefined) added.push(c);
    else if (!sameDbType(l.type, c.type)) changed.push({ name: l.name, from: l.type, to: c.type });
  }
  const missing = live.filter((c) => !incomingFolds.has(foldIdentifier(c.name)));
  const sameOrder =
    live.length === incoming.length &&
    live.every((c, i) => foldIdentifier(c.name) === foldIdentifier(incoming[i]?.name ?? ''));
  return {
    tableExists: true,
    added,
    missing,
    changed,
    identical: added.length === 0 && missing.length === 0 && changed.length === 0 && sameOrder,
  };
}

/**
 * Checks that rows with `incoming` columns can be appended or upserted into a live table with
 * `live` columns; throws `DB_SCHEMA_MISMATCH` with every difference listed.
 */
export function assertAppendable(table: string, comparison: SchemaComparison, addMissingColumns: boolean): void {
  const problems: string[] = [];
  if (comparison.added.length > 0 && !addMissingColumns) {
    problems.push(
      `new columns ${comparison.added.map((c) => JSON.stringify(c.name)).join(', ')} (set addMissingColumns to add them)`,
    );
  }
  for (const c of comparison.changed) {
    problems.push(
      `column ${JSON.stringify(c.name)} is ${formatDbType(c.from)} in the table but ${formatDbType(c.to)} in the file`,
    );
  }
  const required = comparison.missing.filter((c) => !c.nullable);
  if (required.length > 0) {
    problems.push(
      `NOT NULL columns ${required.map((c) => JSON.stringify(c.name)).join(', ')} are missing from the file`,
    );
  }
  if (problems.length > 0) {
    throw new DbError(
      DbErrorCode.SCHEMA_MISMATCH,
      `The file does not fit ref.${table}: ${problems.join('; ')}. Load it with mode replace, or align the file's columns with the table.`,
    );
  }
}

/** Validates a dataset config; throws `DB_IDENTIFIER_INVALID` or `DB_OPTION_INVALID`. */
export function assertDatasetConfig(config: DatasetConfig): void {
  assertIdentifier(config.table, 'table');
  if (!(LOAD_MODES as readonly string[]).includes(config.mode)) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `Dataset ${JSON.stringify(config.table)}: mode ${JSON.stringify(config.mode)} is not one of ${LOAD_MODES.join(', ')}.`,
    );
  }
  for (const k of config.keyColumns) assertIdentifier(k, 'column');
  if (config.mode === 'upsert' && config.keyColumns.length === 0) {
    throw new DbError(DbErrorCode.OPTION_INVALID, `Dataset ${JSON.stringify(config.table)}: upsert needs key columns.`);
  }
  for (const [name, type] of Object.entries(config.typeOverrides)) {
    assertIdentifier(name, 'column');
    assertDbType(type, name);
  }
}

/**
 * The destructive-replace guard, shared by every dialect: a replace (without `force`) that would
 * empty a non-empty live table, or remove more than `maxShrinkRatio` of its rows, is held.
 * Returns why (and that `force` applies it anyway), or null when the load may be applied.
 * @internal
 */
export function destructiveReplaceReason(
  spec: Pick<NormalizedLoadSpec, 'mode' | 'force' | 'maxShrinkRatio'> & { readonly table: string },
  liveRows: number,
  incomingRows: number,
): string | null {
  if (spec.mode !== 'replace' || spec.force || liveRows === 0) return null;
  const shrink = (liveRows - incomingRows) / liveRows;
  const apply = 'load it again with force to apply it anyway';
  if (incomingRows === 0) return `the file has no rows and would empty ref.${spec.table} (${liveRows} rows); ${apply}`;
  if (shrink <= spec.maxShrinkRatio) return null;
  return `the file would shrink ref.${spec.table} from ${liveRows} to ${incomingRows} rows (${Math.round(shrink * 100)}% fewer, more than the ${Math.round(spec.maxShrinkRatio * 100)}% allowed); ${apply}`;
}
