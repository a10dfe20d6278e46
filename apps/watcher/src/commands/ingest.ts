/**
 * `refdata ingest FILE`: loads one file now, tracked like a watched file (so `files`, `show`
 * and `release` see it), with a live progress bar on a TTY and a plain summary otherwise.
 */
import { basename } from 'node:path';
import type { Database, FileClaim } from '@refdata/db';
import type { IngestOptions, IngestResult } from '@refdata/ingest';
import { createAppIngestor, trackingPatch } from '../app-ingestor.js';
import type { AppContext } from '../context.js';
import { ingestOptionsFor } from '../datasets.js';
import { AppError, AppErrorCode, errorCode } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { showFileDisplay } from '../file-display.js';
import { operatorMessage, operatorText } from '../operator-words.js';
import { checkTypeFlags, formatOverridesFrom, mergeFormatOverrides } from './format-flags.js';
import { type CommandEnv, formatDuration, inputFile, intOption, tableArgument } from './shared.js';

/** Options of {@link ingestTracked}. */
export interface TrackedIngestOptions {
  /** Overrides on top of the config's options for the file. */
  readonly overrides: IngestOptions;
  /** Show the file's live progress bar on stderr (when it is a terminal). */
  readonly progressBar: boolean;
  /** Name recorded for the file (default: the file's base name). */
  readonly name?: string;
  /** Called after a successful load, before the row is finished; returns the file's new path (e.g. after a move). */
  readonly onLoaded?: (result: IngestResult) => Promise<string>;
}

/** The outcome of a tracked ingestion. */
export type TrackedOutcome =
  | { readonly ok: true; readonly fileId: number; readonly result: IngestResult; readonly path: string }
  | { readonly ok: false; readonly fileId: number; readonly error: unknown };

/**
 * Ingests a file outside the monitor: claims a tracking row for it, heartbeats the lease,
 * records sha256 and row counts, and finishes the row as archived, duplicate, held or failed.
 * The file itself is not moved. SIGINT cancels the load (the table stays unchanged).
 *
 * @example
 * ```ts
 * const outcome = await ingestTracked(ctx, db, '/data/currencies.csv', { overrides: { force: true }, progressBar: false });
 * ```
 */
export async function ingestTracked(
  ctx: AppContext,
  db: Database,
  path: string,
  options: TrackedIngestOptions,
): Promise<TrackedOutcome> {
  const { config, logger } = ctx;
  const info = await inputFile(ctx, path);
  const name = options.name ?? basename(path);
  const leaseMs = config.monitor.leaseMs;
  const instanceId = `refdata-ingest:${process.pid}`;
  const claim: FileClaim | null = await db.files.claimNew(
    { path: info.path, name, size: info.size, mtimeMs: info.mtimeMs },
    { instanceId, leaseMs },
  );
  if (claim === null) {
    throw new AppError(
      AppErrorCode.FILE_STATE,
      `${info.path} is being processed by another refdata process right now. Wait for it to finish (see \`refdata files\`).`,
    );
  }
  const heartbeat = setInterval(
    () => {
      db.files.heartbeat(claim, leaseMs).catch(() => undefined);
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  );
  heartbeat.unref();

  const ingestor = createAppIngestor(config, db, logger, 1);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const base = ingestOptionsFor(config, name, options.overrides.table);
    const format = mergeFormatOverrides(base.format, options.overrides.format);
    const job = ingestor.ingest(info.path, {
      ...base,
      ...options.overrides,
      ...(format === undefined ? {} : { format }),
      fileId: claim.fileId,
      sourceName: name,
      signal: controller.signal,
    });
    const display = options.progressBar ? showFileDisplay(ctx) : undefined;
    display?.loading(name, job);
    let result: IngestResult;
    try {
      result = await job;
    } finally {
      display?.done(name);
      display?.stop();
    }
    await db.files.update(claim, { status: 'processing', ...trackingPatch(result) });
    const finalPath =
      result.status === 'loaded' && options.onLoaded !== undefined ? await options.onLoaded(result) : info.path;
    await db.files.finish(claim, { status: result.status === 'loaded' ? 'archived' : result.status, path: finalPath });
    return { ok: true, fileId: claim.fileId, result, path: finalPath };
  } catch (error) {
    const audience = { via: 'command', name, fileId: claim.fileId } as const;
    await db.files
      .finish(claim, {
        status: 'failed',
        path: info.path,
        errorCode: errorCode(error),
        errorMessage: ctx.scrubber.scrub(operatorMessage(error, audience)),
      })
      .catch((finishErr: unknown) => logger.warn({ code: errorCode(finishErr) }, 'could not record the failure'));
    return { ok: false, fileId: claim.fileId, error };
  } finally {
    clearInterval(heartbeat);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await ingestor.close();
  }
}

/** Runs `refdata ingest FILE`. */
export async function ingestCommand({ ctx, opts }: CommandEnv, file: string): Promise<number> {
  const { out } = ctx;
  const overrides: {
    -readonly [K in keyof IngestOptions]?: IngestOptions[K];
  } = {};
  if (typeof opts.table === 'string') overrides.table = tableArgument(opts.table);
  if (typeof opts.mode === 'string') overrides.mode = opts.mode as IngestOptions['mode'] & string;
  if (typeof opts.key === 'string') {
    const keys = opts.key
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    if (keys.length === 0)
      throw new AppError(AppErrorCode.USAGE, '--key needs at least one column name, e.g. --key code.');
    overrides.keyColumns = keys;
  }
  if (opts.maxErrors !== undefined) overrides.maxErrors = intOption('--max-errors', opts.maxErrors);
  if (opts.force === true) overrides.force = true;
  if (opts.reload === true) overrides.skipDuplicates = false;
  const format = formatOverridesFrom(opts);
  if (format !== undefined) overrides.format = format;
  if (overrides.mode === 'upsert' && overrides.keyColumns === undefined) {
    const ds = ingestOptionsFor(ctx.config, basename(file), overrides.table);
    if (ds.keyColumns === undefined) {
      throw new AppError(AppErrorCode.USAGE, '--mode upsert needs key columns: add --key COL[,COL…].');
    }
  }

  const input = await inputFile(ctx, file);
  const base = ingestOptionsFor(ctx.config, basename(file), overrides.table);
  await checkTypeFlags(input.path, mergeFormatOverrides(base.format, format), format?.columnTypes, basename(file), {
    sampleRows: ctx.config.ingest.typeSampleRows,
    inferTypes: ctx.config.ingest.typeInference,
  });
  const db = await ctx.openDb({ create: true });
  const outcome = await ingestTracked(ctx, db, file, { overrides, progressBar: out.stderrIsTTY && opts.json !== true });
  const name = basename(file);
  if (!outcome.ok) {
    const rejects = opts.json === true ? [] : await db.listRejects(outcome.fileId, { limit: 5 }).catch(() => []);
    const message = ctx.scrubber.scrub(
      operatorMessage(outcome.error, {
        via: 'command',
        name,
        fileId: outcome.fileId,
        rejectsListed: rejects.length > 0,
      }),
    );
    if (opts.json === true) {
      out.json({ status: 'failed', fileId: outcome.fileId, code: errorCode(outcome.error), message });
    }
    const audience = { via: 'command', name } as const;
    for (const r of rejects) {
      out.note(`  line ${r.line}${r.column ? ` (${r.column})` : ''}: ${operatorText(r.reason, audience)}`);
    }
    if (rejects.length > 0) out.note(`  … see \`refdata show ${outcome.fileId}\` for every rejected row.`);
    throw new AppError(AppErrorCode.FILE_FAILED, `${name} was not loaded (file id ${outcome.fileId}): ${message}`, {
      cause: outcome.error,
    });
  }
  const audience = { via: 'command', name, fileId: outcome.fileId } as const;
  const r = outcome.result;
  if (opts.json === true) {
    out.json({
      ...r,
      ...(r.message === undefined ? {} : { message: operatorText(r.message, audience) }),
      fileId: outcome.fileId,
      rejects: r.rejects.slice(0, 100),
    });
  } else {
    const target = `ref.${r.table}`;
    if (r.status === 'loaded') {
      out.line(
        `${out.paint.green('loaded')} ${r.rowsLoaded.toLocaleString('en-US')} rows into ${target} (${r.mode}) ` +
          `in ${formatDuration(r.durationMs)}; ${r.rowsRejected} rejected; file id ${outcome.fileId}.`,
      );
      if (r.changes !== null) out.line(`  changes: +${r.changes.added} −${r.changes.removed} ~${r.changes.changed}`);
      if (r.snapshot !== null) out.line(`  previous contents saved as snapshot ${r.snapshot}`);
      // What the load decided on the way (an encoding switch, a widened column) is worth a look.
      for (const w of r.format.warnings) out.note(`  ${out.paint.yellow('warning')} ${w}`);
    } else if (r.status === 'duplicate') {
      out.line(`${out.paint.yellow('duplicate')} ${name}: ${target} unchanged.`);
      if (r.message !== undefined) out.note(`  ${operatorText(r.message, audience)}`);
    } else {
      out.line(
        `${out.paint.yellow('held')} ${name}: ${operatorText(r.message ?? 'held by the destructive-replace guard', audience)} Nothing changed.`,
      );
    }
  }
  if (r.status === 'held') return ExitCode.HELD;
  return ExitCode.OK;
}
