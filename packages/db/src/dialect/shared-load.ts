/**
 * The rules of a load that both dialects follow, written once: checks of staged rows, the rows a
 * load rejects, how a commit summarises changes and what it returns and audits, and the
 * lifecycle of a load session. The contract's other shared rules are in shared.ts.
 */
import { DbError, DbErrorCode } from '../errors.js';
import { foldIdentifier } from '../identifiers.js';
import { assertAppendable, compareColumnSets, type NormalizedLoadSpec } from '../load-spec.js';
import { abortError } from '../retry.js';
import type {
  AuditEvent,
  BackupInfo,
  ChangeSummary,
  ColumnDef,
  ColumnWidening,
  DbType,
  DbValue,
  LoadOutcome,
  Logger,
  RejectedRow,
} from '../types.js';
import { assertDbType, formatDbType, renderCsvLine, sameDbType, type ValueChecker } from '../values.js';

// ---- loads: rows -------------------------------------------------------------------------------

/** Throws `DB_VALUE_INVALID` unless a staged row has one value per column and an integer line. */
export function assertStagedRow(line: number, values: number, width: number, table: string): void {
  if (values !== width) {
    throw new DbError(
      DbErrorCode.VALUE_INVALID,
      `Line ${line} has ${values} values but ${table} has ${width} columns; pass one value per column.`,
    );
  }
  if (!Number.isSafeInteger(line)) {
    throw new DbError(DbErrorCode.VALUE_INVALID, `Line number ${String(line)} is not an integer.`);
  }
}

/** Throws `DB_VALUE_INVALID` unless a flat batch holds `width` values for each of its lines. */
export function assertStagedBatch(lines: number, values: number, width: number, table: string): void {
  if (values !== lines * width) {
    throw new DbError(
      DbErrorCode.VALUE_INVALID,
      `${values} values are not ${lines} rows of ${width} (the columns of ${table}); pass one value per column and row.`,
    );
  }
}

/** The first value of a row that does not fit its column, with why; undefined when all fit. */
export function firstMisfit(
  checks: readonly ValueChecker[],
  values: readonly DbValue[],
  line: number,
): { readonly index: number; readonly problem: string } | undefined {
  for (let i = 0; i < checks.length; i++) {
    const problem = (checks[i] as ValueChecker)(values[i] as DbValue, line);
    if (problem !== undefined) return { index: i, problem };
  }
  return undefined;
}

/** A row whose value `values[index]` does not fit `column`. */
export function conversionReject(
  line: number,
  values: readonly DbValue[],
  column: ColumnDef,
  index: number,
  problem: string,
): RejectedRow {
  const value = values[index] as DbValue;
  return {
    line,
    raw: renderCsvLine(values),
    column: column.name,
    value: value === null ? '' : String(value),
    reason: `${value === null ? 'the value' : JSON.stringify(String(value).slice(0, 60))} ${problem}`,
  };
}

/** A row with an empty (NULL) key column. */
export function emptyKeyReject(line: number, values: readonly DbValue[], spec: NormalizedLoadSpec): RejectedRow {
  const empty = spec.keyColumns.filter((k) => values[keyIndex(spec, k)] === null);
  return {
    line,
    raw: renderCsvLine(values),
    column: empty.join(','),
    value: '',
    reason: `key column ${empty.map((k) => JSON.stringify(k)).join(', ')} is empty; every row needs a key`,
  };
}

/** A row whose key repeats the row on `firstLine`. */
export function duplicateKeyReject(
  line: number,
  values: readonly DbValue[],
  spec: NormalizedLoadSpec,
  firstLine: unknown,
  firstKeys?: readonly unknown[],
): RejectedRow {
  const keys = spec.keyColumns;
  const keyValues = keys.map((k) => String(values[keyIndex(spec, k)]));
  // Text keys that differ from the first row's but compare equal (SQL Server's collation ignores
  // case and trailing spaces by default): name the text they collided with.
  const differing = keys.flatMap((k, i) => {
    const first = firstKeys?.[i];
    return typeof first === 'string' && typeof values[keyIndex(spec, k)] === 'string' && first !== keyValues[i]
      ? [`${k}=${JSON.stringify(first)}`]
      : [];
  });
  const collation =
    differing.length === 0
      ? ''
      : ` as ${differing.join(', ')}, equal under the column's collation (SQL Server's default ignores case and trailing spaces)`;
  return {
    line,
    raw: renderCsvLine(values),
    column: keys.join(','),
    value: keyValues.join(','),
    reason: `duplicate key (${keys.map((k, i) => `${k}=${keyValues[i]}`).join(', ')}): first seen on line ${String(firstLine)}${collation}`,
  };
}

const keyIndex = (spec: NormalizedLoadSpec, key: string): number => spec.columns.findIndex((c) => c.name === key);

/** Orders rejected rows by line. */
export const byLine = (a: RejectedRow, b: RejectedRow): number => a.line - b.line;

/** The catalogue entry of the snapshot a load takes of the live table (`rows`: the live rows before it). */
export function loadSnapshot(
  spec: NormalizedLoadSpec,
  name: string,
  takenAt: Date,
  liveRows: number,
  kind: BackupInfo['kind'] = 'full',
): BackupInfo {
  return {
    table: spec.table,
    snapshot: name,
    takenAt,
    rows: liveRows,
    kind,
    sourceFile: spec.sourceFile,
    fileId: spec.fileId,
    reason: spec.mode,
  };
}

// ---- loads: commit -----------------------------------------------------------------------------

/** Spells incoming column names as the live table does (names compare case-insensitively). */
export function liveSpelling(liveColumns: readonly ColumnDef[]): {
  readonly has: (name: string) => boolean;
  readonly name: (name: string) => string;
} {
  const byFold = new Map(liveColumns.map((c) => [foldIdentifier(c.name), c.name]));
  return {
    has: (n) => byFold.has(foldIdentifier(n)),
    name: (n) => byFold.get(foldIdentifier(n)) ?? n,
  };
}

/**
 * The value columns whose staged and live values a change summary compares, or undefined when
 * no comparison is needed: no keys, an append (everything staged is added), or a key the live
 * table lacks (no summary).
 */
export function changeSummaryColumns(
  spec: NormalizedLoadSpec,
  liveColumns: readonly ColumnDef[],
): readonly string[] | undefined {
  const keys = spec.keyColumns;
  const live = liveSpelling(liveColumns);
  if (keys.length === 0 || spec.mode === 'append' || !keys.every(live.has)) return undefined;
  return spec.columns.map((c) => c.name).filter((n) => !keys.includes(n) && live.has(n));
}

/** Row counts from comparing staging with the live table by key. */
export interface KeyComparison {
  readonly added: number;
  readonly removed: number;
  readonly matched: number;
  readonly changed: number;
}

/**
 * The change summary of a load into an existing table: from the key comparison (replace,
 * upsert), everything added (append with keys), or none (no keys, or keys the table lacks).
 */
export function changeSummary(
  spec: NormalizedLoadSpec,
  incoming: number,
  liveRows: number,
  counts: KeyComparison | undefined,
): ChangeSummary | null {
  if (spec.keyColumns.length === 0) return null;
  if (spec.mode === 'append') return { added: incoming, removed: 0, changed: 0, unchanged: liveRows };
  if (counts === undefined) return null;
  const { added, changed } = counts;
  return spec.mode === 'replace'
    ? { added, removed: counts.removed, changed, unchanged: counts.matched - changed }
    : { added, removed: 0, changed, unchanged: liveRows - changed };
}

/** The outcome of a load applied to `ref.<table>`; `snapshot` null when the table was new. */
export function appliedOutcome(
  spec: NormalizedLoadSpec,
  incoming: number,
  snapshot: BackupInfo | null,
  changes: ChangeSummary | null,
  started: number,
): Extract<LoadOutcome, { status: 'applied' }> {
  return {
    status: 'applied',
    table: spec.table,
    mode: spec.mode,
    rowsLoaded: incoming,
    snapshot,
    changes,
    durationMs: performance.now() - started,
  };
}

/** The change summary of a load that creates its table: every keyed row is added. */
export function newTableChanges(spec: NormalizedLoadSpec, incoming: number): ChangeSummary | null {
  return spec.keyColumns.length > 0 ? { added: incoming, removed: 0, changed: 0, unchanged: 0 } : null;
}

/** The outcome of a replace the destructive-replace guard held. */
export function heldOutcome(
  spec: NormalizedLoadSpec,
  reason: string,
  liveRows: number,
  incoming: number,
): Extract<LoadOutcome, { status: 'held' }> {
  return { status: 'held', table: spec.table, reason, liveRows, incomingRows: incoming };
}

/**
 * The `commit` audit event of a load: `ok` with what was applied, snapshotted and pruned, or
 * `held` with why.
 */
export function commitAudit(
  spec: NormalizedLoadSpec,
  outcome: LoadOutcome,
  started: number,
  pruned: readonly BackupInfo[] = [],
): AuditEvent {
  if (outcome.status === 'held') {
    return {
      fileId: spec.fileId,
      step: 'commit',
      outcome: 'held',
      durationMs: performance.now() - started,
      details: {
        table: outcome.table,
        mode: spec.mode,
        liveRows: outcome.liveRows,
        incomingRows: outcome.incomingRows,
        reason: outcome.reason,
      },
    };
  }
  return {
    fileId: spec.fileId,
    step: 'commit',
    outcome: 'ok',
    durationMs: outcome.durationMs,
    details: {
      table: outcome.table,
      mode: outcome.mode,
      rowsLoaded: outcome.rowsLoaded,
      snapshot: outcome.snapshot?.snapshot ?? null,
      changes: outcome.changes,
      pruned: pruned.map((p) => p.snapshot),
    },
  };
}

/** Throws `DB_SCHEMA_MISMATCH` when an append or upsert cannot go into the live table as it is. */
export function assertLoadFits(spec: NormalizedLoadSpec, liveColumns: readonly ColumnDef[] | undefined): void {
  if (spec.mode !== 'replace' && liveColumns !== undefined)
    assertAppendable(spec.table, compareColumnSets(liveColumns, spec.columns), spec.addMissingColumns);
}

/**
 * How an append or upsert writes into the live table: the columns to add to it first, and the
 * staged column, key and value names as the live table spells them. Throws `DB_SCHEMA_MISMATCH`.
 */
export function mergePlan(
  spec: NormalizedLoadSpec,
  liveColumns: readonly ColumnDef[],
): {
  readonly added: readonly ColumnDef[];
  readonly columns: readonly string[];
  readonly keys: readonly string[];
  readonly values: readonly string[];
} {
  const comparison = compareColumnSets(liveColumns, spec.columns);
  assertAppendable(spec.table, comparison, spec.addMissingColumns);
  const live = liveSpelling(liveColumns);
  const columns = spec.columns.map((c) => live.name(c.name));
  const keys = spec.keyColumns.map(live.name);
  return { added: comparison.added, columns, keys, values: columns.filter((c) => !keys.includes(c)) };
}

/** Logs how a commit ended. */
export function logOutcome(logger: Logger, table: string, outcome: LoadOutcome): void {
  if (outcome.status === 'applied') {
    logger.info(
      { table, mode: outcome.mode, rows: outcome.rowsLoaded, snapshot: outcome.snapshot?.snapshot ?? null },
      'load committed',
    );
  } else {
    logger.info({ table, liveRows: outcome.liveRows, incomingRows: outcome.incomingRows }, 'replace held');
  }
}

// ---- loads: widening ---------------------------------------------------------------------------

/** Integer digits a decimal needs to hold every value of an integer type. */
const INTEGER_DIGITS = { int: 10, bigint: 19 } as const;

/**
 * Why `from` cannot widen to `to` in a load ({@link LoadSession.widen}), or undefined when it
 * can: `int` → `bigint`; `int`/`bigint` → `decimal(p,s)` with p − s ≥ 10 / 19 (every value
 * fits); `decimal(p,s)` → `decimal(p2,s2)` with p2 ≥ p and s2 ≥ s. Same type: undefined.
 */
export function wideningProblem(from: DbType, to: DbType): string | undefined {
  if (sameDbType(from, to)) return undefined;
  const change = `${formatDbType(from)} cannot widen to ${formatDbType(to)}`;
  if (from.kind === 'int' && to.kind === 'bigint') return undefined;
  if ((from.kind === 'int' || from.kind === 'bigint') && to.kind === 'decimal') {
    const need = INTEGER_DIGITS[from.kind];
    return to.precision - to.scale >= need
      ? undefined
      : `${change}: a decimal that takes ${from.kind} values needs at least ${need} integer digits (precision − scale ≥ ${need}, e.g. decimal(38,${Math.min(to.scale, 38 - need)}))`;
  }
  if (from.kind === 'decimal' && to.kind === 'decimal') {
    if (to.scale < from.scale) return `${change}: the scale may not shrink (${from.scale} → ${to.scale})`;
    if (to.precision < from.precision)
      return `${change}: the precision may not shrink (${from.precision} → ${to.precision})`;
    return undefined;
  }
  return `${change}: a load widens only int → bigint, int or bigint → decimal, and decimal → a decimal with no smaller precision and no smaller scale`;
}

/**
 * The integer digits a widening from `from` to `to` takes from staged decimals, as the most a
 * staged value may now have, or undefined when every staged value still fits (a larger scale at
 * the same precision, as `decimal(38,4)` → `decimal(38,6)`, holds fewer integer digits).
 */
export function shrunkIntegerDigits(from: DbType, to: DbType): number | undefined {
  if (from.kind !== 'decimal' || to.kind !== 'decimal') return undefined;
  const after = to.precision - to.scale;
  return after < from.precision - from.scale ? after : undefined;
}

/** Why a staged decimal with more than `maxInt` integer digits no longer fits its widened column. */
export function shrunkDigitsProblem(column: ColumnDef, maxInt: number): string {
  return `has more than the ${maxInt} integer digits of ${formatDbType(column.type)}, the type its column was widened to for a later value with more decimals; declare the column's type`;
}

/** A load's spec after {@link LoadSession.widen}, and the indexes of the columns whose type changed. */
export interface WidenedLoad {
  readonly spec: NormalizedLoadSpec;
  readonly changed: readonly number[];
}

/**
 * Checks the widenings of a load and returns its spec with the wider types, or undefined when
 * every change names the type the column already has. `liveColumns`: the live table's columns
 * when the load appends or upserts into an existing table (their types are the contract there,
 * so a column it has cannot widen), else undefined. Throws `DB_OPTION_INVALID`; checks every
 * change before any applies.
 */
export function widenedLoad(
  spec: NormalizedLoadSpec,
  changes: readonly ColumnWidening[],
  liveColumns: readonly ColumnDef[] | undefined,
): WidenedLoad | undefined {
  const invalid = (what: string): never => {
    throw new DbError(DbErrorCode.OPTION_INVALID, `Cannot widen ${what}.`);
  };
  if (!Array.isArray(changes)) invalid(`the columns of ${spec.table}: pass an array of { column, type }`);
  const byFold = new Map(spec.columns.map((c, i) => [foldIdentifier(c.name), i]));
  const live = liveColumns === undefined ? undefined : liveSpelling(liveColumns);
  const columns = [...spec.columns];
  const changed: number[] = [];
  const seen = new Set<number>();
  for (const change of changes) {
    const name = String(change.column);
    const index = byFold.get(foldIdentifier(name));
    if (index === undefined) {
      invalid(
        `column ${JSON.stringify(name)}: ${spec.table} has no such column (${spec.columns.map((c) => c.name).join(', ')}); name a column of the load`,
      );
    }
    const i = index as number;
    if (seen.has(i)) invalid(`column ${JSON.stringify(name)} twice in one call: name each column once`);
    seen.add(i);
    const column = spec.columns[i] as ColumnDef;
    assertDbType(change.type, column.name);
    if (sameDbType(column.type, change.type)) continue;
    const problem = wideningProblem(column.type, change.type);
    if (problem !== undefined) {
      invalid(
        `column ${JSON.stringify(column.name)} of ${spec.table}: ${problem}. Load the file with the column's type set (a type override) instead`,
      );
    }
    if (live?.has(column.name)) {
      invalid(
        `column ${JSON.stringify(column.name)} of ${spec.table}: an ${spec.mode} keeps the types of the existing table ref.${spec.table}, where it is ${formatDbType(column.type)}. Alter the table's column to ${formatDbType(change.type)} first, or load the file with mode replace`,
      );
    }
    columns[i] = Object.freeze({
      name: column.name,
      type: Object.freeze({ ...change.type }) as DbType,
      nullable: column.nullable,
    });
    changed.push(i);
  }
  if (changed.length === 0) return undefined;
  return { spec: Object.freeze({ ...spec, columns: Object.freeze(columns) }), changed: changed.sort((a, b) => a - b) };
}

// ---- loads: session lifecycle ------------------------------------------------------------------

/**
 * The lifecycle every load session shares: operations run one after another, a closed session
 * refuses work with `DB_SESSION_CLOSED`, a cancelled one with `DB_ABORTED` after dropping its
 * staging, and `abort()` is safe to call more than once.
 */
export class SessionGate {
  readonly #table: string;
  readonly #signal: AbortSignal | undefined;
  readonly #drop: () => Promise<void>;
  readonly #track: <T>(p: Promise<T>) => Promise<T>;
  #open = true;
  #chain: Promise<unknown> = Promise.resolve();

  /**
   * @param drop Closes the session and drops its staging (never throws).
   * @param track Wraps each queued operation (the database waits for tracked work on close).
   */
  constructor(spec: NormalizedLoadSpec, drop: () => Promise<void>, track: <T>(p: Promise<T>) => Promise<T> = (p) => p) {
    this.#table = spec.table;
    this.#signal = spec.signal;
    this.#drop = drop;
    this.#track = track;
  }

  /** Whether the session still accepts work. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Marks the session closed (after commit or abort). */
  close(): void {
    this.#open = false;
  }

  /** Throws `DB_SESSION_CLOSED` after commit/abort, `DB_ABORTED` once the signal fired. */
  assertOpen(): void {
    if (!this.#open) {
      throw new DbError(
        DbErrorCode.SESSION_CLOSED,
        `The load into ${this.#table} was already committed or aborted; start a new one with beginLoad().`,
      );
    }
    if (this.#signal?.aborted) throw abortError(this.#signal);
  }

  /** Runs `op` after every earlier operation; on cancellation drops staging before rethrowing. */
  run<T>(op: () => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      try {
        return await op();
      } catch (err) {
        if (err instanceof DbError && err.code === DbErrorCode.ABORTED && this.#open) await this.#drop();
        throw err;
      }
    });
  }

  /** Drops staging once, after earlier operations; later calls wait for the same end. */
  abort(): Promise<void> {
    if (!this.#open) return this.#chain.then(() => undefined);
    return this.#serial(async () => {
      if (this.#open) await this.#drop();
    });
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(op, op);
    this.#chain = next.catch(() => undefined);
    return this.#track(next);
  }
}
