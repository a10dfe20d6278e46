/**
 * Loading one file, stage by stage: measure it, detect its format, plan the columns, stage its
 * rows into a load session, validate them, then apply the load or skip it as a duplicate, with an
 * audit step for each. Every failure aborts the session, so the table is never half-loaded.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ColumnWidening, Database, DbType, LoadMode, LoadSession, Logger, RejectedRow } from '@refdata/db';
import { formatDbType } from '@refdata/db';
import type { ColumnInfo, FormatInfo } from '@refdata/detect';
import { detectFormat } from '@refdata/detect';
import type { EventEmitter } from 'eventemitter3';
import { AuditTrail } from './audit-trail.js';
import type { EncodedBatch, ReaderEnd } from './batch-reader.js';
import { openBatches, ParseWorker } from './batch-source.js';
import { type ColumnPlan, planColumns } from './column-plan.js';
import { type IngestStage, toIngestError, tooManyRejects } from './error-mapping.js';
import { IngestErrorCode } from './errors.js';
import { unpackFlat, unpackRows } from './packed-rows.js';
import { type ProgressCounters, ProgressMeter } from './progress-meter.js';
import { rejectsToCsv } from './rejects-csv.js';
import type { Widening } from './row-converter.js';
import { dbTypeFor } from './type-map.js';
import { assertTypeOverridesKnown } from './type-overrides.js';

/** Longest time the staging loop keeps the event loop to itself (timers wait for it). */
const TURN_MS = 50;

import type { IngestOptions, IngestorEvents, IngestProgress, IngestResult, SchemaDriftPolicy } from './types.js';

/** Rejected rows kept in memory per ingestion (all of them go to the database). */
export const MAX_REJECTS_IN_MEMORY = 10_000;

/** Settings after defaults and validation. @internal */
export interface ResolvedSettings {
  readonly batchSize: number;
  readonly progressIntervalSeconds: number;
  readonly typeInference: boolean;
  readonly typeSampleRows: number;
}

/** What an ingestion needs from its ingestor. @internal */
export interface IngestContext {
  readonly db: Database;
  readonly logger: Logger;
  readonly events: EventEmitter<IngestorEvents>;
  readonly workerUrl: URL | undefined;
}

/** One ingestion's fixed inputs. @internal */
export interface IngestRequest {
  readonly file: string;
  readonly table: string;
  readonly options: IngestOptions;
  readonly settings: ResolvedSettings;
  readonly signal: AbortSignal;
  readonly publish: (progress: IngestProgress) => void;
  /** Hands the handle a way to compute the progress now (`handle.progress()`). */
  readonly live: (snapshot: () => IngestProgress) => void;
}

/** Detects the format of `file` with the ingestor's settings, wrapping failures. @internal */
export async function detectFile(
  file: string,
  options: {
    readonly overrides?: IngestOptions['format'];
    readonly settings: ResolvedSettings;
    readonly signal?: AbortSignal | undefined;
    readonly table?: string;
    /** The file's name for messages. @default the path's base name */
    readonly name?: string;
  },
): Promise<FormatInfo> {
  const where = {
    file,
    name: options.name ?? basename(file),
    signal: options.signal,
    ...(options.table === undefined ? {} : { table: options.table }),
  };
  let format: FormatInfo;
  try {
    format = await detectFormat(file, {
      ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
      sampleRows: options.settings.typeSampleRows,
      inferTypes: options.settings.typeInference,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (err) {
    throw toIngestError(err, 'detect', where);
  }
  assertTypeOverridesKnown(format, options.overrides?.columnTypes, where);
  return format;
}

/** What the staging stage leaves for validation and the apply. */
interface Staged {
  readonly session: LoadSession;
  readonly sha256: string;
  readonly bytes: number;
}

/** What every result of the file shares. */
type ResultBase = Omit<IngestResult, 'status' | 'rowsLoaded' | 'changes' | 'snapshot' | 'message' | 'durationMs'>;

/**
 * Loads one file (see the module comment). Resolves with `loaded`, `duplicate` or `held`;
 * rejects with an {@link IngestError} (the `failed` or `cancelled` event is emitted too).
 * @internal
 */
export async function loadFile(ctx: IngestContext, req: IngestRequest): Promise<IngestResult> {
  return new FileLoad(ctx, req).run();
}

/** One file's load: its stages share the counters, the rejects and the open session. */
class FileLoad {
  readonly #ctx: IngestContext;
  readonly #req: IngestRequest;
  readonly #name: string;
  readonly #log: Logger;
  readonly #audit: AuditTrail;
  readonly #startedAt = performance.now();
  readonly #counters: ProgressCounters = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, bytesRead: 0 };
  readonly #rejects: RejectedRow[] = [];
  #session: LoadSession | undefined;
  #meter: ProgressMeter | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The parse worker, started with the load so that its startup overlaps detection. */
  #worker: ParseWorker | undefined;
  /** Columns widened during the load, for the audit, and each one's type now. */
  readonly #widenings: { column: string; from: string; to: string; line: number }[] = [];
  readonly #typeNow = new Map<string, DbType>();

  constructor(ctx: IngestContext, req: IngestRequest) {
    this.#ctx = ctx;
    this.#req = req;
    this.#name = req.options.sourceName ?? basename(req.file);
    this.#log = ctx.logger.child({ file: this.#name, table: req.table });
    this.#audit = new AuditTrail(ctx.db, req.options.fileId, req.table, this.#log);
  }

  async run(): Promise<IngestResult> {
    const { workerUrl } = this.#ctx;
    try {
      if (workerUrl !== undefined) this.#worker = new ParseWorker(workerUrl);
      const bytesTotal = await this.#measure();
      const format = await this.#detect();
      const plan = await this.#plan(format, bytesTotal);
      const staged = await this.#stageRows(format, plan, bytesTotal);
      await this.#validate(staged.session);
      return await this.#applyOrSkip(staged, format, plan);
    } catch (err) {
      throw await this.#fail(err);
    } finally {
      // Stopped already when its batches were read; stopped here when the load ended before.
      await this.#worker?.close();
    }
  }

  /** Runs `work`, wrapping a failure as the error of `stage` (what was being done decides the code). */
  async #in<T>(stage: IngestStage, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const { file, table, signal } = this.#req;
      throw toIngestError(err, stage, { file, name: this.#name, table, signal });
    }
  }

  /** The file's size (every byte passes a counter, so progress and ETA are exact). */
  #measure(): Promise<number> {
    return this.#in('read', async () => {
      const info = await stat(this.#req.file);
      if (!info.isFile()) {
        throw Object.assign(new Error(`${this.#req.file} is not a regular file`), { code: 'EISDIR' });
      }
      return info.size;
    });
  }

  async #detect(): Promise<FormatInfo & { readonly detectMs: number }> {
    const { file, options, settings, signal, table } = this.#req;
    const since = performance.now();
    const format = await detectFile(file, { overrides: options.format, settings, signal, table, name: this.#name });
    const detectMs = performance.now() - since;
    // Lines detection leaves out (preamble, notes after the table) are recorded with why.
    await this.#audit.record('detect', 'ok', since, {
      columns: format.columns.length,
      delimiter: format.delimiter.value,
      encoding: format.encoding.value,
      headerRows: format.headerRows.value,
      preambleLines: format.preambleLines.value,
      ...(format.preambleLines.value > 0 ? { preamble: format.preambleLines.reason } : {}),
      footerLines: format.footer.value,
      ...(format.footer.value > 0 ? { footer: format.footer.reason } : {}),
      ...(format.warnings.length > 0 ? { warnings: format.warnings } : {}),
    });
    if (format.footer.value > 0)
      this.#log.info(
        { footerLines: format.footer.value, reason: format.footer.reason },
        'lines after the table are not loaded',
      );
    return Object.assign(format, { detectMs });
  }

  /** The load's columns from the file, the live table and the dataset's settings; opens the session. */
  async #plan(format: FormatInfo & { readonly detectMs: number }, bytesTotal: number): Promise<PlannedLoad> {
    const { db, events } = this.#ctx;
    const { file, table, options, signal } = this.#req;
    return this.#in('db', async () => {
      const dataset = await db.getDataset(table);
      const mode: LoadMode = options.mode ?? dataset?.mode ?? 'replace';
      const schemaDrift: SchemaDriftPolicy = options.schemaDrift ?? 'fail';
      const plan = planColumns({
        file: this.#name,
        table,
        format,
        live: await db.describeTable(table),
        mode,
        keyColumns: options.keyColumns ?? dataset?.keyColumns ?? [],
        schemaDrift,
        typeOverrides: dataset?.typeOverrides ?? {},
        ...(options.format?.columnTypes === undefined ? {} : { columnTypeOverrides: options.format.columnTypes }),
      });
      if (plan.drift.added.length + plan.drift.missing.length > 0) {
        await this.#audit.record('schema', 'info', performance.now(), { policy: schemaDrift, ...plan.drift });
      }
      events.emit('started', { file, table, format, detectMs: format.detectMs });
      this.#log.info({ mode, columns: plan.columns.length, bytes: bytesTotal }, 'ingestion started');
      signal.throwIfAborted();
      this.#session = await db.beginLoad({
        table,
        columns: plan.columns,
        mode,
        ...(plan.keyColumns.length > 0 ? { keyColumns: plan.keyColumns } : {}),
        ...(options.fileId === undefined ? {} : { fileId: options.fileId }),
        sourceFile: this.#name,
        force: options.force ?? false,
        addMissingColumns: plan.addMissingColumns,
        signal,
      });
      return { ...plan, mode, maxErrors: options.maxErrors ?? 0 };
    });
  }

  /**
   * Streams the file (parsed on the worker or inline) into the session in batches, with
   * backpressure. Past `maxErrors` the load is aborted but the file is read on, so the report
   * lists every bad row.
   */
  async #stageRows(format: FormatInfo, plan: PlannedLoad, bytesTotal: number): Promise<Staged> {
    const { events } = this.#ctx;
    const { file, table, settings, signal } = this.#req;
    const session = this.#session as LoadSession;
    const counters = this.#counters;
    this.#startProgress(bytesTotal);
    const since = performance.now();
    const batches = openBatches(
      { path: file, format, plan: plan.conversion, batchSize: settings.batchSize },
      { worker: this.#worker, signal },
    );
    let tooMany = false;
    let end: IteratorResult<EncodedBatch, ReaderEnd>;
    let turn = performance.now();
    for (;;) {
      // Batches that are already waiting resolve as microtasks, which would keep timers (lease
      // heartbeats, progress events, a terminal's redraws) from running until the file ends:
      // give the event loop a turn at least every TURN_MS.
      if (performance.now() - turn > TURN_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        turn = performance.now();
      }
      end = await this.#in('read', () => batches.next());
      if (end.done) break;
      const batch = end.value;
      counters.rowsRead = batch.rowsRead;
      counters.bytesRead = batch.bytesRead;
      await this.#in('db', async () => {
        if (batch.rejects.length > 0) {
          await this.#reject(batch.rejects);
          if (!tooMany && counters.rowsRejected > plan.maxErrors) {
            tooMany = true;
            await session.abort();
            this.#log.info(
              { rejected: counters.rowsRejected, maxErrors: plan.maxErrors },
              'too many rejected rows; reading on for the report',
            );
          }
        }
        if (!tooMany && batch.widened !== undefined) {
          await session.widen(this.#widened(format, plan, batch.widened));
        }
        if (!tooMany && batch.rows.rows > 0) {
          const count = batch.rows.rows;
          // The flat form where the dialect takes it (no object and array per row).
          if (session.writeRows !== undefined) await session.writeRows(unpackFlat(batch.rows));
          else await session.write(unpackRows(batch.rows));
          counters.rowsLoaded += count;
          events.emit('batch', { file, table, rows: count, totalLoaded: counters.rowsLoaded });
        }
      });
    }
    const { sha256, bytes, rowsRead, encodingChange, skipped } = end.value;
    counters.bytesRead = bytes;
    counters.rowsRead = rowsRead;
    if (encodingChange !== undefined) {
      // The result's format says what the file was read in, and why.
      const { encoding, line, reason } = encodingChange;
      Object.assign(format, { encoding: encodingChange.format.encoding, warnings: encodingChange.format.warnings });
      this.#log.warn({ encoding, line }, reason);
    }
    for (const group of skipped ?? []) {
      // Lines that are no rows (header copies of joined files, rows of only delimiters): recorded, never loaded.
      const shown = group.lines.slice(0, 10).join(', ');
      const note = `${group.count} line${group.count === 1 ? '' : 's'} skipped, ${group.reason}: line ${shown}${group.count > 10 ? ', …' : ''}`;
      Object.assign(format, { warnings: [...format.warnings, note] });
      this.#log.info({ count: group.count, lines: group.lines.slice(0, 10) }, note);
    }
    await this.#audit.record('stage', tooMany ? 'error' : 'ok', since, {
      ...(this.#widenings.length > 0 ? { widened: this.#widenings } : {}),
      ...(skipped === undefined ? {} : { skipped }),
      rowsRead,
      rowsStaged: tooMany ? 0 : counters.rowsLoaded,
      rowsRejected: counters.rowsRejected,
      bytes,
      sha256,
      ...(encodingChange === undefined
        ? {}
        : { encoding: encodingChange.encoding, encodingNote: encodingChange.reason }),
    });
    if (tooMany) throw this.#tooManyRejects(plan.maxErrors);
    return { session, sha256, bytes };
  }

  /**
   * The database types of columns the file's later numbers widen, recorded: the format the result
   * reports takes the wider column types, with a warning and a log line for each.
   */
  #widened(format: FormatInfo, plan: PlannedLoad, widenings: readonly Widening[]): ColumnWidening[] {
    const changes: ColumnWidening[] = [];
    for (const w of widenings) {
      const planned = plan.conversion.columns[w.index];
      const from = plan.columns[w.index];
      if (planned === undefined || from === undefined) continue;
      const type = dbTypeFor(w.type, { key: plan.keyColumns.includes(planned.name) });
      const before = this.#typeNow.get(planned.name) ?? from.type;
      this.#typeNow.set(planned.name, type);
      const note = `column ${planned.name} widened from ${formatDbType(before)} to ${formatDbType(type)} at line ${w.line} (${JSON.stringify(w.value.slice(0, 60))}): the type was inferred from a sample that ended before that line`;
      this.#widenings.push({ column: planned.name, from: formatDbType(before), to: formatDbType(type), line: w.line });
      this.#log.warn({ column: planned.name, from: formatDbType(before), to: formatDbType(type), line: w.line }, note);
      const columns = format.columns.map((c): ColumnInfo => (c.index === planned.source ? { ...c, type: w.type } : c));
      Object.assign(format, { columns, warnings: [...format.warnings, note] });
      changes.push({ column: planned.name, type });
    }
    return changes;
  }

  /** Duplicate keys and values the database refused become rejects too; past `maxErrors` the file fails. */
  async #validate(session: LoadSession): Promise<void> {
    const maxErrors = this.#req.options.maxErrors ?? 0;
    const since = performance.now();
    const report = await this.#in('db', () => session.validate());
    const late = [...report.duplicateKeys, ...report.conversionErrors];
    if (late.length > 0) {
      this.#counters.rowsLoaded -= late.length;
      await this.#in('db', () => this.#reject(late));
    }
    const over = this.#counters.rowsRejected > maxErrors;
    await this.#audit.record('validate', over ? 'error' : 'ok', since, {
      duplicateKeys: report.duplicateKeys.length,
      conversionErrors: report.conversionErrors.length,
    });
    if (over) {
      await this.#in('db', () => session.abort());
      throw this.#tooManyRejects(maxErrors);
    }
  }

  /** Skips a file whose content was already loaded into the table; otherwise commits (applied or held). */
  async #applyOrSkip(staged: Staged, format: FormatInfo, plan: PlannedLoad): Promise<IngestResult> {
    const { db } = this.#ctx;
    const { file, table, options, signal } = this.#req;
    const { session, sha256, bytes } = staged;
    const base: ResultBase = {
      file,
      table,
      mode: plan.mode,
      rowsRead: this.#counters.rowsRead,
      rowsRejected: this.#counters.rowsRejected,
      sha256,
      bytes,
      format,
      rejects: this.#rejects,
      rejectsCsv: rejectsToCsv(this.#rejects),
    };
    if (options.skipDuplicates ?? true) {
      const since = performance.now();
      const first = await this.#in('db', () => db.files.findLoaded({ sha256, table, excludeFileId: options.fileId }));
      if (first !== undefined) {
        await this.#in('db', () => session.abort());
        const message = `Skipped: the same content (sha256 ${sha256.slice(0, 12)}…) was already loaded into ${table} from ${first.name} (file #${first.id}). Pass skipDuplicates: false to load it again.`;
        await this.#audit.record('duplicate', 'skipped', since, { duplicateOf: first.id });
        this.#counters.rowsLoaded = 0;
        return this.#finish({ ...base, status: 'duplicate', rowsLoaded: 0, changes: null, snapshot: null, message });
      }
    }
    signal.throwIfAborted();
    const since = performance.now();
    const outcome = await this.#in('db', () => session.commit());
    this.#session = undefined;
    if (outcome.status === 'held') {
      await this.#audit.record('apply', 'held', since, {
        reason: outcome.reason,
        liveRows: outcome.liveRows,
        incomingRows: outcome.incomingRows,
      });
      this.#counters.rowsLoaded = 0;
      const message = `Held: ${outcome.reason}.`;
      return this.#finish({ ...base, status: 'held', rowsLoaded: 0, changes: null, snapshot: null, message });
    }
    await this.#audit.record('apply', 'ok', since, {
      mode: outcome.mode,
      rowsLoaded: outcome.rowsLoaded,
      snapshot: outcome.snapshot?.snapshot ?? null,
      changes: outcome.changes,
    });
    this.#counters.rowsLoaded = outcome.rowsLoaded;
    const c = outcome.changes;
    return this.#finish({
      ...base,
      status: 'loaded',
      rowsLoaded: outcome.rowsLoaded,
      changes: c === null ? null : { added: c.added, removed: c.removed, changed: c.changed },
      snapshot: outcome.snapshot?.snapshot ?? null,
    });
  }

  /** Counts, keeps (the first {@link MAX_REJECTS_IN_MEMORY}), announces and records rejected rows. */
  async #reject(rows: readonly RejectedRow[]): Promise<void> {
    const { file, table, options } = this.#req;
    this.#counters.rowsRejected += rows.length;
    for (const row of rows) {
      if (this.#rejects.length < MAX_REJECTS_IN_MEMORY) this.#rejects.push(row);
      this.#ctx.events.emit('rejected', { file, table, row });
    }
    if (options.fileId !== undefined) await this.#ctx.db.recordRejects(options.fileId, rows);
  }

  #tooManyRejects(maxErrors: number): Error {
    const { file, table } = this.#req;
    return tooManyRejects({ file, name: this.#name }, table, this.#counters.rowsRejected, maxErrors, this.#rejects);
  }

  /** Progress events every `progressIntervalSeconds`, and the handle's progress now. */
  #startProgress(bytesTotal: number): void {
    const { file, table, settings } = this.#req;
    const meter = new ProgressMeter(file, table, bytesTotal);
    this.#meter = meter;
    this.#publish(false);
    this.#req.live(() => meter.snapshot(this.#counters, false));
    this.#timer = setInterval(() => this.#publish(false), settings.progressIntervalSeconds * 1000);
    this.#timer.unref();
  }

  #publish(done: boolean): void {
    if (this.#meter === undefined) return;
    const p = this.#meter.snapshot(this.#counters, done);
    this.#req.publish(p);
    this.#ctx.events.emit('progress', p);
  }

  #finish(result: Omit<IngestResult, 'durationMs'>): IngestResult {
    clearInterval(this.#timer);
    this.#publish(true);
    const done: IngestResult = { ...result, durationMs: Math.round(performance.now() - this.#startedAt) };
    this.#log.info(
      {
        status: done.status,
        rowsRead: done.rowsRead,
        rowsLoaded: done.rowsLoaded,
        rowsRejected: done.rowsRejected,
        durationMs: done.durationMs,
      },
      'ingestion finished',
    );
    this.#ctx.events.emit('completed', done);
    return done;
  }

  /** Aborts the session, records and announces the failure; returns the error to throw. */
  async #fail(err: unknown): Promise<Error> {
    clearInterval(this.#timer);
    const { file, table, signal } = this.#req;
    const error = toIngestError(err, 'db', { file, name: this.#name, table, signal });
    if (this.#session !== undefined) {
      try {
        await this.#session.abort();
      } catch (abortErr) {
        this.#log.warn({ err: abortErr }, 'load session abort failed');
      }
    }
    const cancelled = error.code === IngestErrorCode.CANCELLED;
    await this.#audit.record(cancelled ? 'cancel' : 'ingest', 'error', this.#startedAt, {
      code: error.code,
      causeCode: error.causeCode ?? null,
      message: error.message,
    });
    if (cancelled) {
      this.#log.info({}, 'ingestion cancelled');
      this.#ctx.events.emit('cancelled', { file, table });
    } else {
      // The caller receives the error (the rejected handle and the `failed` event) and reports it
      // once, in its own words; logging it here as an error too would print it twice.
      this.#log.debug({ code: error.code, causeCode: error.causeCode, message: error.message }, 'ingestion failed');
      this.#ctx.events.emit('failed', { file, table, error });
    }
    return error;
  }
}

/** The column plan with the load's mode and its reject limit. */
interface PlannedLoad extends ColumnPlan {
  readonly mode: LoadMode;
  readonly maxErrors: number;
}
