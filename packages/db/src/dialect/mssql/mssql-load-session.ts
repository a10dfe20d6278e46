/**
 * A SQL Server load session: `beginLoad` creates a text staging table `[stg].[<table>.<stamp>.<id>]`,
 * `write` bulk-loads rows into it (parameterised INSERT without bulk permission), `validate`
 * converts on the server into typed staging and removes what does not convert and empty or
 * repeated keys, `commit` applies it (see mssql-commit.ts), `abort` drops staging. `widen` ends
 * the open bulk load and alters the staging columns whose staging type changes.
 *
 * Staging: the first batch is bulk-loaded on its own (that is where a missing bulk permission
 * shows, and the session falls back to INSERT); later batches stream into one bulk load per
 * segment of {@link SEGMENT_ROWS} rows on a connection held for the segment, instead of one bulk
 * load (and one pooled unit of work) per batch — on Babelfish each costs ≈ 25 ms of set-up, which
 * made a 990-row batch cost twice its rows. A segment's rows are kept until its bulk load
 * completes, so a transient failure re-stages that segment in a retried unit, as a batch was:
 * copied into reused byte buffers ({@link SegmentCopy}), not as the row arrays, which die once
 * tedious has serialised them. Rows in flight are bounded: {@link STREAM_HIGH_WATER} queued plus
 * the batch being written, and a segment by rows and by the bytes of its copy.
 *
 * Conversion: one optimistic `INSERT … SELECT CONVERT(…)` into typed staging in its own
 * transaction; only when it fails (some value does not convert) does validation scan for the
 * failing rows with `TRY_CONVERT` and convert the rest with `TRY_CONVERT`. On Babelfish
 * `TRY_CONVERT` to DECIMAL costs ≈ 60 µs a value against ≈ 0.5 µs for `CONVERT`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
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
import { renderCsvLine, snapshotStamp, type ValueChecker, valueChecker } from '../../values.js';
import {
  assertLoadFits,
  assertStagedBatch,
  assertStagedRow,
  byLine,
  conversionReject,
  duplicateKeyReject,
  emptyKeyReject,
  logOutcome,
  SessionGate,
  widenedLoad,
} from '../shared-load.js';
import { rejectsIn } from './mssql-audit.js';
import type { MssqlClient, MssqlSession, SqlParam } from './mssql-client.js';
import { applyLoad } from './mssql-commit.js';
import { big } from './mssql-params.js';
import {
  conversionFailuresSql,
  createStagingSql,
  createTypedSql,
  deleteConversionFailuresSql,
  deleteDuplicateKeysSql,
  deleteNullKeysSql,
  deleteStagedLinesInRangeSql,
  dropTableIfExistsSql,
  duplicateKeysSql,
  fallbackInsertSql,
  fallbackRowsPerStatement,
  fillTypedConvertSql,
  fillTypedSql,
  MAX_COLUMNS,
  nullKeysSql,
  SCHEMAS,
  stagedLinesInRangeSql,
  stagingColumn,
  syncStagingSql,
  widenStagingSql,
} from './mssql-sql.js';
import { countIn, describeIn } from './mssql-tables.js';
import { conversionReason, mssqlReadValue, mssqlStagingValue, qualified, tediousStagingColumn } from './mssql-types.js';
import { RowChannel } from './row-channel.js';
import { SegmentCopy } from './segment-copy.js';

/** Bulk-load permission denied: fall back to parameterised INSERT. */
const BULK_PERMISSION_ERRORS = new Set([4834, 4827]);

/**
 * Rows streamed through one bulk load (and kept for a retry until it completes): the ≈ 25 ms
 * set-up of a bulk load on Babelfish is spread over 10,000 rows (≈ 2.5 s per million rows).
 * 50,000 was measured too: no faster beyond noise, and +38 MB peak RSS for the CLI at 300,000 rows.
 */
export const SEGMENT_ROWS = 10_000;
/**
 * Bytes of a segment's retry copy above which it ends before {@link SEGMENT_ROWS} rows, so that
 * wide rows (long texts, hundreds of columns) keep the copy this size (≈ 3.3 MB for 10,000 rows of
 * the benchmark's 10 columns).
 */
export const SEGMENT_BYTES: number = 16 * 1024 * 1024;
/**
 * Rows queued for a segment's bulk load above which `write` waits for the server. Small: a row
 * waiting in the queue through two young-generation collections (≈ every 1,500 rows, tedious
 * allocates ≈ 10 KB a row as it serialises) is promoted to the old generation and lingers there
 * after it is sent; 5,000 promoted every row.
 */
export const STREAM_HIGH_WATER = 250;

/** A segment: one bulk load fed by a channel; its rows are in the session's {@link SegmentCopy}. */
interface Segment {
  readonly channel: RowChannel;
  readonly done: Promise<number>;
}

/** {@link Database.beginLoad}: checks the column count, creates text staging and opens a session. */
export async function beginLoad(client: MssqlClient, normalized: NormalizedLoadSpec): Promise<LoadSession> {
  if (normalized.columns.length >= MAX_COLUMNS) {
    throw new DbError(
      DbErrorCode.OPTION_INVALID,
      `${normalized.table} has ${normalized.columns.length} columns; SQL Server tables hold at most ${MAX_COLUMNS - 1} data columns here (one is needed for the line number). Split the file.`,
    );
  }
  const staging = `${normalized.table}.${snapshotStamp(new Date())}.${randomBytes(4).toString('hex')}`;
  // The live columns an append or upsert writes into: their types are the load's contract.
  let live: readonly ColumnDef[] | undefined;
  await client.unit(
    'beginLoad',
    async (s) => {
      if (normalized.mode !== 'replace') {
        live = await describeIn(s, SCHEMAS.live, normalized.table);
        assertLoadFits(normalized, live);
      }
      await s.execute(createStagingSql(staging, normalized.columns));
    },
    { transaction: false, signal: normalized.signal },
  );
  const session = new MssqlLoadSession(client, normalized, staging, live);
  client.sessions.add(session);
  return session;
}

/** A load into SQL Server in progress. */
class MssqlLoadSession implements LoadSession {
  readonly table: string;
  readonly #client: MssqlClient;
  /** The load's spec; its columns change when {@link MssqlLoadSession.widen} widens them. */
  #spec: NormalizedLoadSpec;
  /** The live table's columns when an append or upsert writes into one (from beginLoad). */
  readonly #live: readonly ColumnDef[] | undefined;
  readonly #staging: string;
  readonly #typed: string;
  readonly #gate: SessionGate;
  #checks: ValueChecker[];
  readonly #commitId = randomUUID();
  #method: 'bulk' | 'insert' = 'bulk';
  /** Whether a batch was staged by its own bulk load (the permission check). */
  #probed = false;
  #segment: Segment | undefined;
  /** The open segment's rows, for a retry (reused from one segment to the next). */
  readonly #copy = new SegmentCopy();
  #dirty = false;
  #conversionErrors: RejectedRow[] = [];

  constructor(client: MssqlClient, spec: NormalizedLoadSpec, staging: string, live: readonly ColumnDef[] | undefined) {
    this.#client = client;
    this.#live = live;
    this.#spec = spec;
    this.table = spec.table;
    this.#staging = staging;
    this.#typed = `${staging}.t`;
    this.#gate = new SessionGate(spec, () => this.#drop());
    this.#checks = spec.columns.map(valueChecker);
  }

  write(rows: readonly StagedRow[]): Promise<void> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      if (rows.length === 0) return;
      this.#dirty = true;
      const width = this.#spec.columns.length;
      const out: unknown[][] = [];
      for (const row of rows) {
        assertStagedRow(row.line, row.values.length, width, this.table);
        const staged = this.#stagedRow(row.line, row.values, 0);
        if (staged !== undefined) out.push(staged);
      }
      await this.#send(out);
    });
  }

  /**
   * {@link LoadSession.write} for rows given as one flat array (what the ingest layer passes): the
   * same checks and outcome without a row object and a values array per row.
   */
  writeRows(rows: StagedRows): Promise<void> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      const { lines, values } = rows;
      const count = lines.length;
      const width = this.#spec.columns.length;
      assertStagedBatch(count, values.length, width, this.table);
      if (count === 0) return;
      this.#dirty = true;
      const out: unknown[][] = [];
      for (let r = 0; r < count; r++) {
        const line = lines[r] as number;
        assertStagedRow(line, width, width, this.table);
        const staged = this.#stagedRow(line, values, r * width);
        if (staged !== undefined) out.push(staged);
      }
      await this.#send(out);
    });
  }

  /** `[line, …staging values]` of the row at `values[at…]`, or undefined (recorded as a conversion error) when a value does not fit. */
  #stagedRow(line: number, values: readonly DbValue[], at: number): unknown[] | undefined {
    const columns = this.#spec.columns;
    const width = columns.length;
    const checks = this.#checks;
    const staged = new Array<unknown>(width + 1);
    staged[0] = line;
    for (let i = 0; i < width; i++) {
      const value = values[at + i] as DbValue;
      const problem = (checks[i] as ValueChecker)(value, line);
      if (problem !== undefined) {
        const row = values.slice(at, at + width);
        this.#conversionErrors.push(conversionReject(line, row, columns[i] as ColumnDef, i, problem));
        return undefined;
      }
      staged[i + 1] = mssqlStagingValue((columns[i] as ColumnDef).type, value);
    }
    return staged;
  }

  /** Stages checked rows: the first batch by its own bulk load, later ones streamed (or INSERTs without bulk permission). */
  async #send(out: unknown[][]): Promise<void> {
    if (out.length === 0) return;
    // Streaming holds a connection between writes: only when the pool has another for the rest.
    if (this.#method === 'bulk' && this.#probed && this.#client.poolSize > 1) {
      await this.#stream(out);
      return;
    }
    if (this.#method === 'bulk') {
      try {
        await this.#stage('bulk', out);
        this.#probed = true;
        return;
      } catch (err) {
        const number = (err as { number?: unknown }).number;
        if (typeof number !== 'number' || !BULK_PERMISSION_ERRORS.has(number)) throw err;
        this.#method = 'insert';
        this.#client.logger.warn(
          { table: this.table, number },
          'bulk load not permitted; falling back to parameterised INSERT',
        );
      }
    }
    await this.#stage('insert', out);
  }

  /** Queues rows into the current segment's bulk load (opening one when needed); closes a full segment. */
  async #stream(out: unknown[][]): Promise<void> {
    let segment = this.#segment;
    if (segment === undefined) {
      const channel = new RowChannel(STREAM_HIGH_WATER);
      const done = this.#client.withConnection('write', (s) => this.#bulk(s, channel));
      // Observed here so a failure never goes unhandled; #closeSegment reports it.
      done.then(
        () => undefined,
        () => channel.fail(),
      );
      segment = { channel, done };
      this.#segment = segment;
      this.#copy.reset();
    }
    this.#copy.append(out);
    await segment.channel.push(out);
    if (this.#copy.rows >= SEGMENT_ROWS || this.#copy.bytes >= SEGMENT_BYTES || segment.channel.failed)
      await this.#closeSegment();
  }

  /**
   * Ends the open segment and waits for its bulk load. A transient failure (or a row count that
   * does not match) re-stages the segment's rows in a retried unit that first checks what the
   * failed bulk load left; a permanent one is thrown.
   */
  async #closeSegment(): Promise<void> {
    const segment = this.#segment;
    if (segment === undefined) return;
    this.#segment = undefined;
    segment.channel.close();
    const rows = this.#copy.rows;
    let failure: unknown;
    try {
      if ((await segment.done) === rows) return;
    } catch (err) {
      if (err instanceof DbError && !err.transient) throw err;
      failure = err;
    }
    this.#client.logger.warn(
      {
        table: this.table,
        rows,
        err:
          failure === undefined ? undefined : { code: (failure as DbError).code, message: (failure as Error).message },
      },
      'streamed bulk load did not complete; staging the segment again',
    );
    await this.#stage('bulk', this.#copy.toRows(), true);
  }

  /** Waits for the open segment to end without staging anything more (abort: errors ignored). */
  async #discardSegment(): Promise<void> {
    const segment = this.#segment;
    if (segment === undefined) return;
    this.#segment = undefined;
    segment.channel.close();
    await segment.done.catch(() => undefined);
  }

  /**
   * Stages a batch in one unit of work; a retried batch (or one that a failed streamed bulk load
   * may have partly staged: `check`) first checks what the failed attempt left.
   */
  #stage(method: 'bulk' | 'insert', out: unknown[][], check = false): Promise<void> {
    const first = out[0]?.[0] as number;
    const last = out[out.length - 1]?.[0] as number;
    return this.#client.unit(
      'write',
      async (s, attempt) => {
        if (attempt > 0 || check) {
          // A retried batch whose first attempt may have reached the server: check first.
          const [row] = await s.query<{ n: unknown }>(stagedLinesInRangeSql(this.#staging), [
            big('first', first),
            big('last', last),
          ]);
          const present = Number(row?.n ?? 0);
          if (present === out.length) return;
          if (present !== 0) {
            // Only this batch's rows carry lines in its range: drop what the failed attempt left.
            await s.execute(deleteStagedLinesInRangeSql(this.#staging), [big('first', first), big('last', last)]);
            this.#client.logger.info(
              { table: this.table, present, rows: out.length },
              'removed the rows a failed bulk load left partly staged; staging them again',
            );
          }
        }
        if (method === 'bulk') await this.#bulk(s, out);
        else await this.#insert(s, out);
      },
      // The fallback INSERT statements of one batch run in one transaction.
      { transaction: method === 'insert', signal: this.#spec.signal },
    );
  }

  #bulk(s: MssqlSession, rows: unknown[][] | AsyncIterable<unknown[]>): Promise<number> {
    const columns = [
      { name: 'line', type: 'BigInt' as const, options: { nullable: false } },
      ...this.#spec.columns.map((c, i) => {
        const spec = tediousStagingColumn(c.type);
        return {
          name: stagingColumn(i),
          type: spec.type,
          options: { nullable: true, ...(spec.length === undefined ? {} : { length: spec.length }) },
        };
      }),
    ];
    // Pre-quoted: tedious does not escape bulk-load table names.
    return s.bulkLoad(qualified(SCHEMAS.staging, this.#staging), columns, rows);
  }

  async #insert(s: MssqlSession, rows: unknown[][]): Promise<void> {
    const columns = this.#spec.columns;
    const per = fallbackRowsPerStatement(columns.length + 1);
    const specs = columns.map((c) => tediousStagingColumn(c.type));
    for (let start = 0; start < rows.length; start += per) {
      const chunk = rows.slice(start, start + per);
      const params: SqlParam[] = [];
      let p = 0;
      for (const row of chunk) {
        params.push({ name: `p${p++}`, type: 'BigInt', value: row[0] });
        for (let i = 0; i < specs.length; i++) {
          const spec = specs[i] as ReturnType<typeof tediousStagingColumn>;
          params.push({
            name: `p${p++}`,
            type: spec.type,
            value: row[i + 1],
            ...(spec.length === undefined ? {} : { options: { length: spec.length } }),
          });
        }
      }
      await s.execute(fallbackInsertSql(this.#staging, columns.length, chunk.length), params);
    }
  }

  /**
   * {@link LoadSession.widen}: ends the open segment's bulk load (its rows are then in staging),
   * alters the text staging columns whose staging type changes in one transaction, and takes the
   * wider spec, which the next bulk load's column metadata, the value checks, typed staging and
   * commit all read. Typed staging is filled again at commit (the session is marked dirty), so
   * an earlier validate()'s typed staging with the narrower types is never committed.
   */
  widen(changes: readonly ColumnWidening[]): Promise<void> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      const spec = this.#spec;
      const widened = widenedLoad(spec, changes, this.#live);
      if (widened === undefined) return;
      await this.#closeSegment();
      await this.#client.unit(
        'widen',
        async (s) => {
          for (const sql of widenStagingSql(this.#staging, spec.columns, widened.spec.columns, s.engine))
            await s.execute(sql);
        },
        { transaction: true, signal: spec.signal },
      );
      this.#spec = widened.spec;
      this.#checks = widened.spec.columns.map(valueChecker);
      this.#dirty = true;
      this.#client.logger.debug(
        { table: this.table, columns: widened.changed.map((i) => (widened.spec.columns[i] as ColumnDef).name) },
        'staging widened',
      );
    });
  }

  validate(): Promise<StagingReport> {
    return this.#gate.run(() => this.#validate());
  }

  /**
   * Fills typed staging with `CONVERT` in one statement and its own transaction: true when every
   * value converted (a failing value rolls it back; the caller then takes the TRY_CONVERT path).
   */
  async #convertAll(): Promise<boolean> {
    const columns = this.#spec.columns;
    try {
      await this.#client.unit(
        'validate',
        async (s) => {
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#typed));
          await s.execute(createTypedSql(this.#typed, columns));
          await s.execute(fillTypedConvertSql(this.#staging, this.#typed, columns, s.engine === 'sqlserver', s.engine));
        },
        { transaction: true, signal: this.#spec.signal },
      );
      return true;
    } catch (err) {
      if (err instanceof DbError && err.code === DbErrorCode.ABORTED) throw err;
      this.#client.logger.debug(
        { table: this.table, err: { code: (err as DbError).code, message: (err as Error).message } },
        'some staged value does not convert; finding the rows with TRY_CONVERT',
      );
      return false;
    }
  }

  async #validate(): Promise<StagingReport> {
    this.#gate.assertOpen();
    await this.#closeSegment();
    const spec = this.#spec;
    const columns = spec.columns;
    const keys = spec.keyColumns;
    const converted = await this.#convertAll();
    const report = await this.#client.unit(
      'validate',
      async (s) => {
        const conversionErrors: RejectedRow[] = [];
        const failures = converted ? undefined : conversionFailuresSql(this.#staging, columns, s.engine);
        if (failures !== undefined) {
          for (const r of await s.query<Record<string, unknown>>(failures)) {
            const values = columns.map((_c, i) => r[stagingColumn(i)] as DbValue);
            const bad = Math.max(
              0,
              columns.findIndex((_c, i) => Number(r[`f${i}`] ?? 0) === 1),
            );
            const column = columns[bad] as ColumnDef;
            conversionErrors.push({
              line: Number(r.line),
              raw: renderCsvLine(values),
              column: column.name,
              value: String(values[bad] ?? ''),
              reason: conversionReason(column, values[bad] ?? null, s.engine),
            });
          }
        }
        if (!converted) {
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#typed));
          await s.execute(createTypedSql(this.#typed, columns));
          // One statement for every row that does not convert (not one round trip per line).
          const deleteFailures = deleteConversionFailuresSql(this.#staging, columns, s.engine);
          if (deleteFailures !== undefined && conversionErrors.length > 0) await s.execute(deleteFailures);
          await s.execute(fillTypedSql(this.#staging, this.#typed, columns, s.engine));
        }
        const duplicateKeys: RejectedRow[] = [];
        if (keys.length > 0) {
          const valuesOf = (r: Record<string, unknown>): DbValue[] =>
            columns.map((c, i) => mssqlReadValue(c.type, r[`v${i}`]));
          for (const r of await s.query<Record<string, unknown>>(nullKeysSql(this.#typed, keys, columns)))
            duplicateKeys.push(emptyKeyReject(Number(r.line), valuesOf(r), spec));
          await s.execute(deleteNullKeysSql(this.#typed, keys));
          for (const r of await s.query<Record<string, unknown>>(duplicateKeysSql(this.#typed, keys, columns)))
            duplicateKeys.push(
              duplicateKeyReject(
                Number(r.line),
                valuesOf(r),
                spec,
                r.first_line,
                keys.map((_k, i) => r[`first_k${i}`]),
              ),
            );
          await s.execute(deleteDuplicateKeysSql(this.#typed, keys));
          duplicateKeys.sort(byLine);
        }
        // Rows left out of typed staging leave text staging too (so a re-validation agrees);
        // when none was left out there is nothing to remove (and no anti-join of every line).
        if (conversionErrors.length + duplicateKeys.length > 0)
          await s.execute(syncStagingSql(this.#staging, this.#typed));
        const stagedRows = await countIn(s, SCHEMAS.staging, this.#typed);
        return { stagedRows, duplicateKeys, conversionErrors };
      },
      { transaction: true, signal: spec.signal },
    );
    const conversionErrors = [...this.#conversionErrors, ...report.conversionErrors].sort(byLine);
    this.#conversionErrors = [];
    this.#dirty = false;
    return { ...report, conversionErrors };
  }

  commit(): Promise<LoadOutcome> {
    return this.#gate.run(async () => {
      this.#gate.assertOpen();
      const spec = this.#spec;
      if (this.#dirty) {
        const report = await this.#validate();
        const rejected = [...report.duplicateKeys, ...report.conversionErrors];
        const fileId = spec.fileId;
        if (rejected.length > 0 && fileId !== null)
          await this.#client.unit('recordRejects', (s) => rejectsIn(s, fileId, rejected), { transaction: true });
      }
      const load = { spec, typed: this.#typed, commitId: this.#commitId, keepBackups: this.#client.keepBackups };
      const outcome = await this.#client.unit('commit', (s, attempt) => applyLoad(s, attempt, load), {
        transaction: true,
        signal: spec.signal,
      });
      await this.#dropStaging();
      this.#close();
      logOutcome(this.#client.logger, this.table, outcome);
      return outcome;
    });
  }

  abort(): Promise<void> {
    return this.#gate.abort();
  }

  async #dropStaging(): Promise<void> {
    try {
      await this.#client.unit(
        'dropStaging',
        async (s) => {
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#typed));
          await s.execute(dropTableIfExistsSql(SCHEMAS.staging, this.#staging));
        },
        { transaction: false },
      );
    } catch (err) {
      // migrate() drops staging tables older than a day.
      this.#client.logger.warn(
        { table: this.table, err: { code: (err as DbError).code, message: (err as Error).message } },
        'could not drop staging',
      );
    }
  }

  async #drop(): Promise<void> {
    await this.#discardSegment();
    this.#close();
    await this.#dropStaging();
  }

  #close(): void {
    this.#gate.close();
    this.#client.sessions.delete(this);
  }
}
