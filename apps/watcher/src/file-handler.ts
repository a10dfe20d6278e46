/**
 * The watcher's file handler: ingests the file the monitor claimed, records what happened on
 * its tracking row, and tells the monitor where the file goes (archive, failed, held) with its
 * sidecars (`NAME.rejects.csv`).
 */
import type { AuditRecord, Database, Logger } from '@refdata/db';
import { type IngestHandle, type IngestOptions, type IngestResult, rejectsToCsv } from '@refdata/ingest';
import type { ClaimedFile, FileHandler, HandlerContext, HandlerResult, Sidecar } from '@refdata/monitor';
import { trackingPatch } from './app-ingestor.js';
import type { AppConfig } from './config.js';
import { ingestOptionsFor } from './datasets.js';
import { errorCode } from './errors.js';
import type { WatcherMetrics } from './metrics.js';
import { operatorMessage, operatorText } from './operator-words.js';

/** The part of an ingestor the handler uses (structural, so tests can pass a real one or a fake). */
export interface IngestorLike {
  ingest(file: string, options?: IngestOptions): IngestHandle;
}

/** What happened to one file, for summaries (`watch --once`). */
export interface FileOutcome {
  readonly name: string;
  readonly fileId: number;
  readonly state: HandlerResult['state'];
  readonly table: string | null;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly errorCode?: string;
  readonly message?: string;
}

/** Dependencies of {@link createFileHandler}. */
export interface FileHandlerOptions {
  readonly ingestor: IngestorLike;
  readonly db: Database;
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Removes secret values from text that leaves the process (error messages). */
  readonly scrub: (text: string) => string;
  readonly metrics?: WatcherMetrics;
  /** Called once per file with its outcome. */
  readonly onOutcome?: (outcome: FileOutcome) => void;
  /** Called when a file's ingestion starts, with its handle (a live display follows its progress). */
  readonly onJob?: (file: ClaimedFile, job: IngestHandle) => void;
}

/** Rejected rows written to a failed file's sidecar at most. */
const MAX_SIDECAR_REJECTS = 10_000;

/**
 * Builds the handler the monitor calls for each claimed file.
 *
 * - `loaded` → `archived`; `duplicate` → `duplicate`; `held` → `held` (release with `refdata release`).
 * - A thrown error → `failed` with its code and (scrubbed) message; rejected rows go to
 *   `NAME.rejects.csv` beside the file.
 * - When the monitor aborts the signal (shutdown past the grace period, lost claim) the error is
 *   rethrown, so the monitor puts the file back in line instead of failing it.
 *
 * @example
 * ```ts
 * const handler = createFileHandler({ ingestor, db, config, logger, scrub: (t) => scrubber.scrub(t) });
 * const monitor = createMonitor({ root: config.root, handler, store });
 * ```
 */
export function createFileHandler(options: FileHandlerOptions): FileHandler {
  const { ingestor, db, config, logger, scrub, metrics } = options;
  // rows/s of each file in flight; the gauge shows their sum.
  const rates = new Map<number, number>();
  const setRate = (fileId: number, rate: number | undefined): void => {
    if (rate === undefined) rates.delete(fileId);
    else rates.set(fileId, rate);
    let sum = 0;
    for (const r of rates.values()) sum += r;
    metrics?.rowsPerSecond.set(sum);
  };
  return async (file: ClaimedFile, context: HandlerContext): Promise<HandlerResult> => {
    const fileId = file.claim.fileId;
    const log = logger.child({ fileId, file: file.name });
    let table: string | null = null;
    const started = performance.now();
    try {
      const ingestOptions = ingestOptionsFor(config, file.name);
      table = ingestOptions.table ?? null;
      const earlier = await committedEarlier(db, fileId);
      if (earlier !== undefined) {
        // A previous attempt committed, then its process died before the file was moved: the
        // commit and its audit record are one transaction, so loading again would apply it twice.
        log.warn(
          { table: earlier.table ?? table, state: earlier.state },
          'load already committed before a restart; not loading again',
        );
        await db.files.update(file.claim, {
          ...(earlier.sha256 === undefined ? {} : { sha256: earlier.sha256 }),
          ...(earlier.rowsLoaded === undefined ? {} : { rowsLoaded: earlier.rowsLoaded }),
          ...(earlier.table === undefined ? {} : { targetTable: earlier.table }),
        });
        options.onOutcome?.({
          name: file.name,
          fileId,
          state: earlier.state,
          table: earlier.table ?? table,
          rowsLoaded: earlier.state === 'archived' ? (earlier.rowsLoaded ?? 0) : 0,
          rowsRejected: 0,
        });
        return { state: earlier.state, details: { table: earlier.table ?? table, recovered: true } };
      }
      const job = ingestor.ingest(file.processingPath, {
        ...ingestOptions,
        fileId,
        sourceName: file.name,
        signal: context.signal,
      });
      options.onJob?.(file, job);
      const watching = watchProgress(job, (rate) => setRate(fileId, rate), log);
      let result: IngestResult;
      try {
        result = await job;
      } finally {
        await watching;
      }
      table = result.table;
      await db.files.update(file.claim, trackingPatch(result));
      metrics?.rowsLoaded.inc({}, result.status === 'loaded' ? result.rowsLoaded : 0);
      metrics?.rowsRejected.inc({}, result.rowsRejected);
      const sidecars: Sidecar[] =
        result.rejectsCsv === null ? [] : [{ suffix: '.rejects.csv', content: result.rejectsCsv }];
      const state = result.status === 'loaded' ? 'archived' : result.status;
      const audience = { via: 'watch', name: file.name, fileId, table: result.table } as const;
      const message = result.message === undefined ? undefined : scrub(operatorText(result.message, audience));
      if (state === 'held') sidecars.push(heldReport(fileId, file.name, result, message));
      log.info(
        {
          table: result.table,
          state,
          rowsRead: result.rowsRead,
          rowsLoaded: result.rowsLoaded,
          rowsRejected: result.rowsRejected,
          durationMs: Math.round(performance.now() - started),
          ...(message === undefined ? {} : { reason: message }),
        },
        state === 'archived' ? 'file loaded' : `file ${state}`,
      );
      options.onOutcome?.({
        name: file.name,
        fileId,
        state,
        table: result.table,
        rowsLoaded: result.status === 'loaded' ? result.rowsLoaded : 0,
        rowsRejected: result.rowsRejected,
        ...(message === undefined ? {} : { message }),
      });
      return {
        state,
        sidecars,
        details: { table: result.table, rowsLoaded: result.rowsLoaded, rowsRejected: result.rowsRejected },
      };
    } catch (err) {
      if (context.signal.aborted) {
        log.warn({ code: errorCode(err) }, 'ingestion cancelled; the file goes back in line');
        throw err;
      }
      const code = errorCode(err);
      const message = scrub(operatorMessage(err, { via: 'watch', name: file.name, fileId, table }));
      log.error({ code, table, message }, 'file failed');
      const sidecars: Sidecar[] = [];
      let rejected = 0;
      try {
        const rejects = await db.listRejects(fileId, { limit: MAX_SIDECAR_REJECTS });
        const text = rejectsToCsv(rejects);
        if (text !== null) sidecars.push({ suffix: '.rejects.csv', content: text });
        rejected = rejects.length;
        if (rejected > 0) metrics?.rowsRejected.inc({}, rejected);
      } catch (listErr) {
        log.warn({ code: errorCode(listErr) }, 'could not read the rejected rows of the failed file');
      }
      options.onOutcome?.({
        name: file.name,
        fileId,
        state: 'failed',
        table,
        rowsLoaded: 0,
        rowsRejected: rejected,
        errorCode: code,
        message,
      });
      return { state: 'failed', error: { code, message }, sidecars };
    }
  };
}

/**
 * `NAME.held.json` beside a held file: why it was held and how to apply it, so the file in
 * `held/` carries its reason as a failed one does (`refdata release` removes it).
 */
function heldReport(fileId: number, name: string, result: IngestResult, message: string | undefined): Sidecar {
  const report = {
    state: 'held',
    message: message ?? 'The destructive-replace guard held the load.',
    table: `ref.${result.table}`,
    rowsRead: result.rowsRead,
    time: new Date().toISOString(),
    file: name,
    fileId,
    release: `refdata release ${fileId}`,
  };
  return { suffix: HELD_SIDECAR_SUFFIX, content: `${JSON.stringify(report, null, 2)}\n` };
}

/** Suffix of the reason written beside a held file. */
export const HELD_SIDECAR_SUFFIX = '.held.json';

/** What the audit trail says an earlier attempt at this file already committed, if anything. */
async function committedEarlier(
  db: Database,
  fileId: number,
): Promise<{ state: 'archived' | 'held'; table?: string; rowsLoaded?: number; sha256?: string } | undefined> {
  const audit = await db.listAudit(fileId);
  const commit = audit.find(
    (a): a is AuditRecord<'commit'> => a.step === 'commit' && (a.outcome === 'ok' || a.outcome === 'held'),
  );
  if (commit === undefined) return undefined;
  const details = commit.details;
  // The content hash is in the details of an ingestion step (whose shape ingestion owns).
  const sha = audit
    .map((a) => (a.details !== undefined && 'sha256' in a.details ? a.details.sha256 : undefined))
    .find((v) => typeof v === 'string');
  return {
    state: commit.outcome === 'held' ? 'held' : 'archived',
    ...(details === undefined ? {} : { table: details.table }),
    ...(details !== undefined && 'rowsLoaded' in details ? { rowsLoaded: details.rowsLoaded } : {}),
    ...(typeof sha === 'string' ? { sha256: sha } : {}),
  };
}

async function watchProgress(
  job: IngestHandle,
  setRate: (rate: number | undefined) => void,
  log: Logger,
): Promise<void> {
  try {
    for await (const p of job) {
      setRate(p.done ? undefined : p.rowsPerSecond);
      if (!p.done) {
        log.debug(
          {
            rowsRead: p.rowsRead,
            rowsLoaded: p.rowsLoaded,
            rowsPerSecond: Math.round(p.rowsPerSecond),
            etaSeconds: p.etaSeconds,
          },
          'progress',
        );
      }
    }
  } catch {
    // The job's own promise reports the failure.
  } finally {
    setRate(undefined);
  }
}
