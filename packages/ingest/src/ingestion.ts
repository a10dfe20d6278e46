import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CallerAuditStep, Database, LoadMode, LoadSession, Logger, RejectedRow } from '@refdata/db';
import type { FormatInfo } from '@refdata/detect';
import { detectFormat } from '@refdata/detect';
import type { EventEmitter } from 'eventemitter3';
import type { EncodedBatch } from './batch-reader.js';
import { openBatches } from './batch-source.js';
import { planColumns } from './column-plan.js';
import { codeOf, IngestError, IngestErrorCode, isIngestError } from './errors.js';
import { unpackRows } from './packed-rows.js';
import { type ProgressCounters, ProgressMeter } from './progress-meter.js';
import { rejectsToCsv } from './rejects-csv.js';
import { assertTypeOverridesKnown } from './type-overrides.js';
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

type Stage = 'detect' | 'read' | 'db';

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

/**
 * Runs one ingestion: detect, plan columns, stream batches into a load session, validate, check
 * for a duplicate, commit. Every failure aborts the session, so the table is never half-loaded.
 * @internal
 */
export async function runIngestion(ctx: IngestContext, req: IngestRequest): Promise<IngestResult> {
  const { db, events } = ctx;
  const { file, table, options, settings, signal } = req;
  const name = options.sourceName ?? basename(file);
  const log = ctx.logger.child({ file: name, table });
  const fileId = options.fileId;
  const startedAt = performance.now();
  let stage: Stage = 'read';
  let session: LoadSession | undefined;
  let timer: NodeJS.Timeout | undefined;

  const audit = async (
    step: CallerAuditStep,
    outcome: 'ok' | 'error' | 'skipped' | 'held' | 'info',
    since: number,
    details?: Record<string, unknown>,
  ): Promise<void> => {
    if (fileId === undefined) return;
    try {
      await db.recordAudit({
        fileId,
        step,
        outcome,
        durationMs: Math.round(performance.now() - since),
        details: { table, ...details },
      });
    } catch (err) {
      log.warn({ err, step }, 'audit event not recorded');
    }
  };

  try {
    let bytesTotal: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EISDIR' });
      bytesTotal = info.size;
    } catch (err) {
      throw toIngestError(err, 'read', { file, name, table, signal });
    }

    stage = 'detect';
    const detectStart = performance.now();
    const format = await detectFile(file, { overrides: options.format, settings, signal, table, name });
    const detectMs = performance.now() - detectStart;
    await audit('detect', 'ok', detectStart, {
      columns: format.columns.length,
      delimiter: format.delimiter.value,
      encoding: format.encoding.value,
      headerRows: format.headerRows.value,
    });

    stage = 'db';
    const dataset = await db.getDataset(table);
    const mode: LoadMode = options.mode ?? dataset?.mode ?? 'replace';
    const keyColumns = options.keyColumns ?? dataset?.keyColumns ?? [];
    const schemaDrift: SchemaDriftPolicy = options.schemaDrift ?? 'fail';
    const live = await db.describeTable(table);
    const plan = planColumns({
      file: name,
      table,
      format,
      live,
      mode,
      keyColumns,
      schemaDrift,
      typeOverrides: dataset?.typeOverrides ?? {},
      ...(options.format?.columnTypes === undefined ? {} : { columnTypeOverrides: options.format.columnTypes }),
    });
    if (plan.drift.added.length + plan.drift.missing.length > 0) {
      await audit('schema', 'info', performance.now(), { policy: schemaDrift, ...plan.drift });
    }
    const maxErrors = options.maxErrors ?? 0;

    events.emit('started', { file, table, format, detectMs });
    log.info({ mode, columns: plan.columns.length, bytes: bytesTotal }, 'ingestion started');

    signal.throwIfAborted();
    session = await db.beginLoad({
      table,
      columns: plan.columns,
      mode,
      ...(plan.keyColumns.length > 0 ? { keyColumns: plan.keyColumns } : {}),
      ...(fileId === undefined ? {} : { fileId }),
      sourceFile: name,
      force: options.force ?? false,
      addMissingColumns: plan.addMissingColumns,
      signal,
    });

    // Stream: parse (worker or inline) → write batches with backpressure.
    stage = 'read';
    const counters: ProgressCounters = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, bytesRead: 0 };
    const meter = new ProgressMeter(file, table, bytesTotal);
    const publish = (done: boolean): void => {
      const p = meter.snapshot(counters, done);
      req.publish(p);
      events.emit('progress', p);
    };
    publish(false);
    req.live(() => meter.snapshot(counters, false));
    timer = setInterval(() => publish(false), settings.progressIntervalSeconds * 1000);
    timer.unref();

    const rejects: RejectedRow[] = [];
    const keepRejects = (rows: readonly RejectedRow[]): void => {
      for (const row of rows) {
        if (rejects.length < MAX_REJECTS_IN_MEMORY) rejects.push(row);
        events.emit('rejected', { file, table, row });
      }
    };
    let tooMany = false;
    const stageStart = performance.now();
    const batches = openBatches(
      { path: file, format, plan: plan.conversion, batchSize: settings.batchSize },
      { workerUrl: ctx.workerUrl, signal },
    );
    let end: IteratorResult<EncodedBatch, { sha256: string; bytes: number; rowsRead: number }>;
    for (;;) {
      stage = 'read';
      end = await batches.next();
      if (end.done) break;
      const batch = end.value;
      counters.rowsRead = batch.rowsRead;
      counters.bytesRead = batch.bytesRead;
      stage = 'db';
      if (batch.rejects.length > 0) {
        counters.rowsRejected += batch.rejects.length;
        keepRejects(batch.rejects);
        if (fileId !== undefined) await db.recordRejects(fileId, batch.rejects);
        if (!tooMany && counters.rowsRejected > maxErrors) {
          // Stop loading but read on, so the report lists every bad row of the file.
          tooMany = true;
          await session.abort();
          log.info({ rejected: counters.rowsRejected, maxErrors }, 'too many rejected rows; reading on for the report');
        }
      }
      if (!tooMany && batch.rows.rows > 0) {
        const rows = unpackRows(batch.rows);
        await session.write(rows);
        counters.rowsLoaded += rows.length;
        events.emit('batch', { file, table, rows: rows.length, totalLoaded: counters.rowsLoaded });
      }
    }
    const { sha256, bytes } = end.value;
    counters.bytesRead = bytes;
    counters.rowsRead = end.value.rowsRead;
    await audit('stage', tooMany ? 'error' : 'ok', stageStart, {
      rowsRead: counters.rowsRead,
      rowsStaged: tooMany ? 0 : counters.rowsLoaded,
      rowsRejected: counters.rowsRejected,
      bytes,
      sha256,
    });
    if (tooMany) throw tooManyRejects({ file, name }, table, counters.rowsRejected, maxErrors, rejects);

    stage = 'db';
    const validateStart = performance.now();
    const report = await session.validate();
    const late = [...report.duplicateKeys, ...report.conversionErrors];
    if (late.length > 0) {
      counters.rowsRejected += late.length;
      counters.rowsLoaded -= late.length;
      keepRejects(late);
      if (fileId !== undefined) await db.recordRejects(fileId, late);
    }
    await audit('validate', counters.rowsRejected > maxErrors ? 'error' : 'ok', validateStart, {
      duplicateKeys: report.duplicateKeys.length,
      conversionErrors: report.conversionErrors.length,
    });
    if (counters.rowsRejected > maxErrors) {
      await session.abort();
      throw tooManyRejects({ file, name }, table, counters.rowsRejected, maxErrors, rejects);
    }

    const base = {
      file,
      table,
      mode,
      rowsRead: counters.rowsRead,
      rowsRejected: counters.rowsRejected,
      sha256,
      bytes,
      format,
      rejects,
      rejectsCsv: rejectsToCsv(rejects),
    };

    if (options.skipDuplicates ?? true) {
      const dupStart = performance.now();
      const first = await db.files.findLoaded({ sha256, table, excludeFileId: fileId });
      if (first !== undefined) {
        await session.abort();
        const message = `Skipped: the same content (sha256 ${sha256.slice(0, 12)}…) was already loaded into ${table} from ${first.name} (file #${first.id}). Pass skipDuplicates: false to load it again.`;
        await audit('duplicate', 'skipped', dupStart, { duplicateOf: first.id });
        counters.rowsLoaded = 0;
        return finish({ ...base, status: 'duplicate', rowsLoaded: 0, changes: null, snapshot: null, message });
      }
    }

    signal.throwIfAborted();
    const applyStart = performance.now();
    const outcome = await session.commit();
    session = undefined;
    if (outcome.status === 'held') {
      await audit('apply', 'held', applyStart, {
        reason: outcome.reason,
        liveRows: outcome.liveRows,
        incomingRows: outcome.incomingRows,
      });
      counters.rowsLoaded = 0;
      const message = `Held: ${outcome.reason}.`;
      return finish({ ...base, status: 'held', rowsLoaded: 0, changes: null, snapshot: null, message });
    }
    await audit('apply', 'ok', applyStart, {
      mode: outcome.mode,
      rowsLoaded: outcome.rowsLoaded,
      snapshot: outcome.snapshot?.snapshot ?? null,
      changes: outcome.changes,
    });
    counters.rowsLoaded = outcome.rowsLoaded;
    const changes =
      outcome.changes === null
        ? null
        : { added: outcome.changes.added, removed: outcome.changes.removed, changed: outcome.changes.changed };
    return finish({
      ...base,
      status: 'loaded',
      rowsLoaded: outcome.rowsLoaded,
      changes,
      snapshot: outcome.snapshot?.snapshot ?? null,
    });

    function finish(result: Omit<IngestResult, 'durationMs'>): IngestResult {
      clearInterval(timer);
      publish(true);
      const done: IngestResult = { ...result, durationMs: Math.round(performance.now() - startedAt) };
      log.info(
        {
          status: done.status,
          rowsRead: done.rowsRead,
          rowsLoaded: done.rowsLoaded,
          rowsRejected: done.rowsRejected,
          durationMs: done.durationMs,
        },
        'ingestion finished',
      );
      events.emit('completed', done);
      return done;
    }
  } catch (err) {
    clearInterval(timer);
    const error = toIngestError(err, stage, { file, name, table, signal });
    if (session !== undefined) {
      try {
        await session.abort();
      } catch (abortErr) {
        log.warn({ err: abortErr }, 'load session abort failed');
      }
    }
    await audit(error.code === IngestErrorCode.CANCELLED ? 'cancel' : 'ingest', 'error', startedAt, {
      code: error.code,
      causeCode: error.causeCode ?? null,
      message: error.message,
    });
    if (error.code === IngestErrorCode.CANCELLED) {
      log.info({}, 'ingestion cancelled');
      events.emit('cancelled', { file, table });
    } else {
      // The caller receives the error (the rejected handle and the `failed` event) and reports it
      // once, in its own words; logging it here as an error too would print it twice.
      log.debug({ code: error.code, causeCode: error.causeCode, message: error.message }, 'ingestion failed');
      events.emit('failed', { file, table, error });
    }
    throw error;
  }
}

function tooManyRejects(
  { file, name }: { readonly file: string; readonly name: string },
  table: string,
  rejected: number,
  maxErrors: number,
  rejects: readonly RejectedRow[],
): IngestError {
  const first = rejects[0];
  const example =
    first === undefined
      ? ''
      : ` First: line ${first.line}${first.column === undefined ? '' : `, column ${first.column}`}: ${first.reason}.`;
  return new IngestError(
    IngestErrorCode.TOO_MANY_REJECTS,
    `${rejected} row(s) of ${name} were rejected and maxErrors is ${maxErrors}; table ${table} is unchanged.${example} Fix the rows listed in the rejects report, or raise maxErrors to load the good rows.`,
    { file, table, details: { rejected, maxErrors }, rejects, rejectsCsv: rejectsToCsv(rejects) ?? '' },
  );
}

const FS_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EMFILE', 'ENFILE', 'EBUSY', 'ELOOP']);
const MALFORMED_CODES = new Set(['DETECT_UNCLOSED_QUOTE', 'DETECT_FIELD_TOO_LARGE', 'DETECT_INVALID_ENCODING']);
const DB_UNAVAILABLE_CODES = new Set(['DB_UNAVAILABLE', 'DB_LOCKED', 'DB_CLOSED', 'DB_DRIVER_MISSING']);

/**
 * A wrapped error's message with the file's working path (a watcher's `processing/42--x.csv`)
 * replaced by the name the file arrived under: messages name the file the operator dropped.
 */
function asDroppedName(message: string, file: string, name: string): string {
  if (basename(file) === name) return message;
  return message.split(file).join(name).split(basename(file)).join(name);
}

/** Wraps any failure as an {@link IngestError}, keeping the original as `cause`. @internal */
export function toIngestError(
  err: unknown,
  stage: Stage,
  where: {
    readonly file: string;
    /** The file's name for messages. @default the path's base name */
    readonly name?: string;
    readonly table?: string;
    readonly signal?: AbortSignal | undefined;
  },
): IngestError {
  if (isIngestError(err)) return err;
  const context = { file: where.file, ...(where.table === undefined ? {} : { table: where.table }), cause: err };
  const name = where.name ?? basename(where.file);
  const code = codeOf(err) ?? '';
  const message = asDroppedName(err instanceof Error ? err.message : String(err), where.file, name);
  if (where.signal?.aborted) {
    const reason: unknown = where.signal.reason;
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
    return new IngestError(
      IngestErrorCode.CANCELLED,
      `Ingestion of ${name} was cancelled (${why}); the table is unchanged.`,
      context,
    );
  }
  if (code === 'DETECT_READ_FAILED') {
    // detect's message already names the file and says what to check.
    return new IngestError(IngestErrorCode.FILE_UNREADABLE, message, context);
  }
  if (FS_CODES.has(code)) {
    return new IngestError(
      IngestErrorCode.FILE_UNREADABLE,
      `Cannot read ${name} (${code}); check that it exists and is readable by this process.`,
      context,
    );
  }
  if (code === 'WORKER_EXIT' || code === 'ERR_WORKER_OUT_OF_MEMORY' || code === 'ERR_WORKER_INIT_FAILED') {
    return new IngestError(
      IngestErrorCode.WORKER_FAILED,
      `Parsing ${name} on the worker thread stopped (${code}: ${message}). Retry; if it persists (e.g. extremely large fields), create the ingestor with parseInWorker: false.`,
      context,
    );
  }
  if (code.startsWith('DB_')) {
    const transient = (err as { transient?: unknown }).transient === true;
    if (DB_UNAVAILABLE_CODES.has(code) || transient) {
      return new IngestError(
        IngestErrorCode.DB_UNAVAILABLE,
        `The database is not available (${code}: ${message}); the file can be retried later.`,
        context,
      );
    }
    if (code === 'DB_SCHEMA_MISMATCH') {
      return new IngestError(
        IngestErrorCode.SCHEMA_DRIFT,
        `The columns of ${name} do not fit table ${where.table ?? ''} (${message}).`,
        context,
      );
    }
    return new IngestError(
      IngestErrorCode.DB_FAILED,
      `The database refused the load of ${name} (${code}: ${message}).`,
      context,
    );
  }
  if (code.startsWith('DETECT_')) {
    const details =
      typeof (err as { line?: unknown }).line === 'number' ? { details: { line: (err as { line: number }).line } } : {};
    if (MALFORMED_CODES.has(code)) {
      return new IngestError(IngestErrorCode.FILE_MALFORMED, `${name} is malformed (${code}): ${message}`, {
        ...context,
        ...details,
      });
    }
    if (code === 'DETECT_INVALID_OPTION') {
      return new IngestError(IngestErrorCode.OPTIONS_INVALID, `Invalid format override for ${name}: ${message}`, {
        ...context,
        ...details,
      });
    }
  }
  if (stage === 'detect') {
    return new IngestError(
      IngestErrorCode.FORMAT_UNDETECTABLE,
      `Cannot detect the format of ${name}${code ? ` (${code})` : ''}: ${message} If you know the format, pass format overrides (delimiter, quote, header, encoding).`,
      context,
    );
  }
  if (stage === 'read') {
    return new IngestError(
      IngestErrorCode.FILE_MALFORMED,
      `${name} cannot be read to the end${code ? ` (${code})` : ''}: ${message} Fix the file and drop it again.`,
      context,
    );
  }
  return new IngestError(IngestErrorCode.DB_FAILED, `The load of ${name} failed: ${message}`, context);
}
