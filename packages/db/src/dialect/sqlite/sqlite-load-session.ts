/**
 * An SQLite load session: `beginLoad` creates a staging table `"stg.<table>.<pid>.<id>"`, `write`
 * stages batches (one short write transaction each), `widen` rebuilds staging with wider column
 * types, `validate` removes empty and repeated keys, `commit` applies it (see sqlite-commit.ts),
 * `abort` drops staging.
 */
import { randomBytes } from 'node:crypto';
import { DbError, DbErrorCode } from '../../errors.js';
import type { NormalizedLoadSpec } from '../../load-spec.js';
import type {
  ColumnDef,
  ColumnWidening,
  DbValue,
  LoadOutcome,
  LoadSession,
  RejectedRow,
  StagedRow,
  StagedRows,
  StagingReport,
} from '../../types.js';
import type { ValueChecker } from '../../values.js';
import {
  assertLoadFits,
  assertStagedBatch,
  assertStagedRow,
  byLine,
  conversionReject,
  duplicateKeyReject,
  emptyKeyReject,
  firstMisfit,
  logOutcome,
  SessionGate,
  shrunkDigitsProblem,
  shrunkIntegerDigits,
  widenedLoad,
} from '../shared-load.js';
import { rejectsIn } from './sqlite-audit.js';
import { CACHE_KIB, type SqliteClient, STAGING_CACHE_KIB, useCache } from './sqlite-client.js';
import { applyLoad } from './sqlite-commit.js';
import type { SqliteConnection, SqliteStatement } from './sqlite-driver.js';
import {
  copyRowsKeepingRowidSql,
  createTableSql,
  decimalDigitsOverSql,
  deleteLineSql,
  dropTableSql,
  duplicateKeysSql,
  liveTableName,
  nullKeysSql,
  renameTableSql,
  stagingInsertSql,
  stagingTableName,
} from './sqlite-sql.js';
import { describeIn, pickRowidAlias } from './sqlite-tables.js';
import { type SqliteBindValue, sqliteBinder, sqliteReader } from './sqlite-types.js';
import { stagingRowCheck, stagingValueChecker } from './sqlite-value-check.js';

/**
 * Staged rows after which a load checkpoints the WAL from a background thread (see
 * sqlite-checkpointer.ts); smaller loads never reach the automatic checkpoint.
 */
const BACKGROUND_CHECKPOINT_ROWS = 20_000;
/** Rows per prepared multi-row INSERT into staging (well under SQLite's 32,766 parameters). */
const MAX_ROWS_PER_INSERT = 100;
/**
 * Parameters per staging INSERT. They are passed as separate arguments (`run(...values)`) rather
 * than one array: better-sqlite3 then reads each from the call's arguments instead of an
 * `Object::Get` per element, a quarter of the staging write's binding cost; spread arguments live
 * on the stack, so they are kept to a few thousand (a row has at most 2,000: the column limit).
 */
const MAX_PARAMS_PER_INSERT = 4096;
/** SQLITE_MAX_COLUMN (2000) less the line number each staged row carries. */
const SQLITE_MAX_DATA_COLUMNS = 1999;

/** {@link Database.beginLoad}: checks the column count, creates the staging table and opens a session. */
export async function beginLoad(client: SqliteClient, normalized: NormalizedLoadSpec): Promise<LoadSession> {
  if (normalized.columns.length > SQLITE_MAX_DATA_COLUMNS) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `${normalized.table} has ${normalized.columns.length} columns; SQLite tables hold at most ${SQLITE_MAX_DATA_COLUMNS} data columns (SQLITE_MAX_COLUMN is 2000 and staging needs one for the line number). Split the file or drop columns.`,
    );
  }
  const rowidAlias = pickRowidAlias(normalized.columns.map((c) => c.name));
  const staging = stagingTableName(normalized.table, `${process.pid}.${randomBytes(6).toString('hex')}`);
  await dropOrphans(client);
  // The live columns an append or upsert writes into: their types are the load's contract.
  let live: readonly ColumnDef[] | undefined;
  await client.run(
    'beginLoad',
    (conn) => {
      if (normalized.mode !== 'replace') {
        live = describeIn(conn, liveTableName(normalized.table));
        assertLoadFits(normalized, live);
      }
      conn.exec(createTableSql(staging, normalized.columns));
    },
    { write: true, signal: normalized.signal },
  );
  const session = new SqliteLoadSession(client, normalized, staging, rowidAlias, live);
  client.sessions.add(session);
  client.logger.debug({ table: normalized.table, mode: normalized.mode }, 'load started');
  return session;
}

/** Retries the drop of staging tables an earlier abort could not drop; they stay listed on failure. */
async function dropOrphans(client: SqliteClient): Promise<void> {
  for (const name of [...client.orphans]) {
    try {
      await client.tx('abort', (conn) => conn.exec(dropTableSql(name)), { write: true });
      client.orphans.delete(name);
      client.logger.info({ staging: name }, 'dropped staging table left by an earlier failed load');
    } catch {
      return; // still locked or full: the load that follows reports it
    }
  }
}

/** A load into SQLite in progress. */
class SqliteLoadSession implements LoadSession {
  readonly table: string;
  readonly #client: SqliteClient;
  /** The load's spec; its columns change when {@link SqliteLoadSession.widen} widens them. */
  #spec: NormalizedLoadSpec;
  /** The live table's columns when an append or upsert writes into one (from beginLoad). */
  readonly #live: readonly ColumnDef[] | undefined;
  readonly #staging: string;
  readonly #rowid: string;
  readonly #gate: SessionGate;
  #checks: ValueChecker[] = [];
  /** True when every value of a row fits: the per-value checks are then skipped. */
  #fitsRow: (values: readonly DbValue[], offset: number) => boolean = () => false;
  #binders: (((value: DbValue) => SqliteBindValue) | undefined)[] = [];
  /** Rows write() set aside because a value does not fit its column; reported by validate(). */
  #conversionErrors: RejectedRow[] = [];
  readonly #rowsPerInsert: number;
  readonly #inserts = new Map<number, SqliteStatement<SqliteBindValue[]>>();
  /** Rows were written since the last validate(). */
  #dirty = false;
  /**
   * The columns staging's declared types were created with. widen() changes `#spec` at once but
   * rebuilds staging only when a column's storage changes (an integer column becoming a decimal:
   * INTEGER to TEXT affinity); other widenings (`int` → `bigint`, a decimal's digits) store the
   * same values the same way, so one rebuild at validate() serves them all.
   */
  #stagedColumns: readonly ColumnDef[];
  /** Rows in staging: counted as they are written and removed, so no COUNT(*) scans the table. */
  #stagedRows = 0;
  /** This session holds the background checkpointer. */
  #checkpointing = false;

  constructor(
    client: SqliteClient,
    spec: NormalizedLoadSpec,
    staging: string,
    rowid: string,
    live: readonly ColumnDef[] | undefined,
  ) {
    this.#client = client;
    this.#live = live;
    this.#spec = spec;
    this.table = spec.table;
    this.#staging = staging;
    this.#rowid = rowid;
    this.#gate = new SessionGate(
      spec,
      () => this.#drop(),
      (p) => client.track(p),
    );
    this.#stagedColumns = spec.columns;
    this.#useColumns(spec.columns);
    this.#rowsPerInsert = Math.max(
      1,
      Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_INSERT / (spec.columns.length + 1))),
    );
  }

  /** Builds the value checks and binders of the staging write for `columns`. */
  #useColumns(columns: readonly ColumnDef[]): void {
    this.#checks = columns.map(stagingValueChecker);
    this.#fitsRow = stagingRowCheck(columns);
    this.#binders = columns.map((c) => sqliteBinder(c.type));
  }

  #insert(conn: SqliteConnection, rows: number): SqliteStatement<SqliteBindValue[]> {
    let stmt = this.#inserts.get(rows);
    if (stmt === undefined) {
      stmt = conn.prepare<SqliteBindValue[]>(stagingInsertSql(this.#staging, this.#rowid, this.#spec.columns, rows));
      this.#inserts.set(rows, stmt);
    }
    return stmt;
  }

  write(rows: readonly StagedRow[]): Promise<void> {
    // The flat form of the rows: one array of values, one of lines.
    const width = this.#checks.length;
    const lines = new Array<number>(rows.length);
    const values = new Array<DbValue>(rows.length * width);
    let p = 0;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as StagedRow;
      lines[r] = row.line;
      if (row.values.length !== width || !Number.isSafeInteger(row.line))
        return this.#gate.run(async () => {
          this.#gate.assertOpen();
          assertStagedRow(row.line, row.values.length, width, this.table);
        });
      for (let i = 0; i < width; i++) values[p++] = row.values[i] as DbValue;
    }
    return this.writeRows({ lines, values });
  }

  writeRows(rows: StagedRows): Promise<void> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      const { lines, values } = rows;
      const count = lines.length;
      const width = this.#checks.length;
      assertStagedBatch(count, values.length, width, this.table);
      if (count === 0) return;
      this.#dirty = true;
      // Convert outside the transaction: the write lock is held only for the inserts.
      const per = this.#rowsPerInsert;
      const stride = width + 1;
      const checks = this.#checks;
      const fitsRow = this.#fitsRow;
      const binders = this.#binders;
      const chunks: SqliteBindValue[][] = [];
      let chunk: SqliteBindValue[] = [];
      let p = 0;
      let inChunk = per;
      for (let r = 0, at = 0; r < count; r++, at += width) {
        const line = lines[r] as number;
        if (!Number.isSafeInteger(line)) assertStagedRow(line, width, width, this.table);
        if (!fitsRow(values, at)) {
          const row = values.slice(at, at + width);
          const misfit = firstMisfit(checks, row, line);
          if (misfit !== undefined) {
            const column = this.#spec.columns[misfit.index] as ColumnDef;
            this.#conversionErrors.push(conversionReject(line, row, column, misfit.index, misfit.problem));
            continue;
          }
        }
        if (inChunk === per) {
          chunk = new Array(Math.min(per, count - r) * stride);
          chunks.push(chunk);
          p = 0;
          inChunk = 0;
        }
        inChunk++;
        chunk[p++] = line;
        for (let i = 0; i < width; i++) {
          const b = binders[i];
          chunk[p++] = b === undefined ? (values[at + i] as SqliteBindValue) : b(values[at + i] as DbValue);
        }
      }
      // A chunk allocated for more rows than arrived (rejected rows) is trimmed to what it holds.
      const last = chunks[chunks.length - 1];
      if (last !== undefined && p < last.length) last.length = p;
      await this.#client
        .tx(
          'write',
          (conn) => {
            useCache(conn, STAGING_CACHE_KIB);
            for (const c of chunks) this.#insert(conn, c.length / stride).run(...c);
          },
          { write: true, signal: this.#spec.signal },
        )
        .then(() => {
          for (const c of chunks) this.#stagedRows += c.length / stride;
          if (!this.#checkpointing && this.#stagedRows >= BACKGROUND_CHECKPOINT_ROWS && this.#gate.isOpen) {
            this.#checkpointing = true;
            this.#client.checkpointer?.acquire();
          }
        })
        .catch((err: unknown) => {
          if (
            (err as DbError).driverCode?.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY') ||
            (err as DbError).driverCode === 'SQLITE_CONSTRAINT_ROWID'
          ) {
            throw new DbError(
              DbErrorCode.VALUE_INVALID,
              `Two staged rows of ${this.table} carry the same line number; every row needs its own line.`,
              {
                cause: err,
              },
            );
          }
          throw err;
        });
    });
  }

  /**
   * {@link LoadSession.widen}: SQLite cannot change a column's declared type, so staging is
   * rebuilt ({@link SqliteLoadSession.#rebuild}) — at once when an integer column becomes a
   * decimal (its rows must be stored as text before decimal text is written beside them), else
   * once at validate(). Checks and binders take the wider types at once.
   */
  widen(changes: readonly ColumnWidening[]): Promise<void> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      const spec = this.#spec;
      const widened = widenedLoad(spec, changes, this.#live);
      if (widened === undefined) return;
      this.#spec = widened.spec;
      this.#useColumns(widened.spec.columns);
      this.#client.logger.debug(
        { table: this.table, columns: widened.changed.map((i) => (widened.spec.columns[i] as ColumnDef).name) },
        'staging widened',
      );
      const storageChanges = widened.changed.some(
        (i) => isInteger(this.#stagedColumns[i] as ColumnDef) !== isInteger(widened.spec.columns[i] as ColumnDef),
      );
      if (storageChanges) {
        await this.#client.tx('widen', (conn) => this.#rebuild(conn), { write: true, signal: spec.signal });
      }
    });
  }

  /** Staging's declared types differ from the spec's (a widening waits for its rebuild). */
  #rebuildPending(): boolean {
    return this.#stagedColumns !== this.#spec.columns;
  }

  /**
   * Rebuilds staging with the spec's declared types in the caller's write transaction: a new
   * table, every row copied with its rowid (its line), the old table dropped and the new one
   * renamed to the staging name. An INTEGER copied into a `TEXT_DECIMAL` column becomes its exact
   * decimal text (`5` → `'5'`, minimal form). Staged decimals that a larger scale no longer
   * holds are set aside ({@link SqliteLoadSession.#setAsideShrunk}).
   */
  #rebuild(conn: SqliteConnection): void {
    const before = this.#stagedColumns;
    const columns = this.#spec.columns;
    const rebuilt = `${this.#staging}.widened`;
    // A sequential copy: the staging write's small cache is enough.
    useCache(conn, STAGING_CACHE_KIB);
    conn.exec(dropTableSql(rebuilt));
    conn.exec(createTableSql(rebuilt, columns));
    conn.exec(
      copyRowsKeepingRowidSql(
        this.#staging,
        rebuilt,
        columns.map((c) => c.name),
        this.#rowid,
      ),
    );
    conn.exec(dropTableSql(this.#staging));
    conn.exec(renameTableSql(rebuilt, this.#staging));
    // The cached INSERTs name the dropped table.
    this.#inserts.clear();
    this.#stagedColumns = columns;
    this.#setAsideShrunk(conn, before, columns);
  }

  /**
   * A larger scale at the same precision holds fewer integer digits: staged rows whose decimal
   * no longer fits are removed from staging and reported by validate(), as write() does.
   */
  #setAsideShrunk(conn: SqliteConnection, before: readonly ColumnDef[], columns: readonly ColumnDef[]): void {
    const names = columns.map((c) => c.name);
    const readers = columns.map((c) => sqliteReader(c.type));
    const del = conn.prepare(deleteLineSql(this.#staging, this.#rowid));
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as ColumnDef;
      const maxInt = shrunkIntegerDigits((before[i] as ColumnDef).type, column.type);
      if (maxInt === undefined) continue;
      const sql = decimalDigitsOverSql(this.#staging, this.#rowid, column.name, names, maxInt);
      for (const raw of conn.prepare(sql).raw(true).safeIntegers(true).all() as unknown[][]) {
        const values = readers.map((r, k) => r(raw[k + 1]));
        const line = Number(raw[0]);
        this.#conversionErrors.push(conversionReject(line, values, column, i, shrunkDigitsProblem(column, maxInt)));
        this.#stagedRows -= del.run(raw[0]).changes;
        this.#dirty = true;
      }
    }
  }

  validate(): Promise<StagingReport> {
    return this.#gate.run(() => this.#validate());
  }

  async #validate(): Promise<StagingReport> {
    this.#gate.assertOpen();
    const spec = this.#spec;
    const keys = spec.keyColumns;
    const names = spec.columns.map((c) => c.name);
    const readers = spec.columns.map((c) => sqliteReader(c.type));
    const report = await this.#client.tx(
      'validate',
      (conn) => {
        if (this.#rebuildPending()) this.#rebuild(conn);
        useCache(conn, CACHE_KIB);
        const duplicateKeys: RejectedRow[] = [];
        let removed = 0;
        if (keys.length > 0) {
          const del = conn.prepare(deleteLineSql(this.#staging, this.#rowid));
          const toValues = (raw: unknown[], offset: number): DbValue[] => readers.map((r, i) => r(raw[i + offset]));
          const rawRows = (sql: string): unknown[][] =>
            conn.prepare(sql).raw(true).safeIntegers(true).all() as unknown[][];
          for (const raw of rawRows(nullKeysSql(this.#staging, this.#rowid, keys, names))) {
            duplicateKeys.push(emptyKeyReject(Number(raw[0]), toValues(raw, 1), spec));
            removed += del.run(raw[0]).changes;
          }
          for (const raw of rawRows(duplicateKeysSql(this.#staging, this.#rowid, keys, names))) {
            duplicateKeys.push(duplicateKeyReject(Number(raw[0]), toValues(raw, 2), spec, raw[1]));
            removed += del.run(raw[0]).changes;
          }
          duplicateKeys.sort(byLine);
        }
        const conversionErrors = this.#conversionErrors.sort(byLine);
        this.#conversionErrors = [];
        return { stagedRows: this.#stagedRows - removed, duplicateKeys, conversionErrors };
      },
      { write: true, signal: spec.signal },
    );
    this.#stagedRows = report.stagedRows;
    this.#dirty = false;
    return report;
  }

  commit(): Promise<LoadOutcome> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      const spec = this.#spec;
      if (
        this.#rebuildPending() ||
        (this.#dirty && (spec.keyColumns.length > 0 || this.#conversionErrors.length > 0))
      ) {
        // validate() was skipped: apply it anyway and keep what it rejects with the file.
        const report = await this.#validate();
        const rejected = [...report.duplicateKeys, ...report.conversionErrors];
        const fileId = spec.fileId;
        if (rejected.length > 0 && fileId !== null) {
          await this.#client.tx('recordRejects', (conn) => rejectsIn(conn, fileId, rejected), {
            write: true,
          });
        }
      }
      const load = { spec, staging: this.#staging, rowid: this.#rowid, incoming: this.#stagedRows };
      const outcome = await this.#client.tx(
        'commit',
        (conn) => {
          useCache(conn, CACHE_KIB);
          return applyLoad(conn, this.#client, load);
        },
        { write: true, durable: true, signal: spec.signal },
      );
      this.#close();
      logOutcome(this.#client.logger, this.table, outcome);
      return outcome;
    });
  }

  abort(): Promise<void> {
    return this.#gate.abort();
  }

  async #drop(): Promise<void> {
    this.#close();
    try {
      await this.#client.tx('abort', (conn) => conn.exec(dropTableSql(this.#staging)), { write: true });
      this.#client.logger.debug({ table: this.table }, 'load aborted; staging dropped');
    } catch (err) {
      // Retried at the next beginLoad(); migrate() in a later process drops it too.
      this.#client.orphans.add(this.#staging);
      this.#client.logger.warn(
        { table: this.table, err: { code: (err as DbError).code, message: (err as Error).message } },
        'could not drop staging',
      );
    }
  }

  #close(): void {
    this.#gate.close();
    if (this.#checkpointing) {
      this.#checkpointing = false;
      this.#client.checkpointer?.release();
    }
    this.#inserts.clear();
    this.#client.sessions.delete(this);
  }
}

/** Integer columns store INTEGER values; a decimal stores exact text (TEXT affinity). */
const isInteger = (c: ColumnDef): boolean => c.type.kind === 'int' || c.type.kind === 'bigint';
