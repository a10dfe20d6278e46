/**
 * `refdata release FILE_ID`: applies a load the destructive-replace guard held, by re-ingesting
 * the held file with `force`. On success the file moves from `held/` to `archive/`, the load is
 * recorded as a new file and the held row becomes `released`; on failure it stays in `held/`.
 */
import { access, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { commandInstanceId, osUser } from '../access-trail.js';
import { AppError, AppErrorCode, errorMessage } from '../errors.js';
import { HELD_SIDECAR_SUFFIX } from '../file-handler.js';
import { operatorMessage } from '../operator-words.js';
import { ingestTracked } from './ingest.js';
import { type CommandEnv, fileIdArgument, formatDuration } from './shared.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A name in `dir` that does not exist yet: `name`, else `stem.released-N.ext`. */
async function freeName(dir: string, name: string): Promise<string> {
  if (!(await exists(join(dir, name)))) return join(dir, name);
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = join(dir, `${stem}.released-${n}${ext}`);
    if (!(await exists(candidate))) return candidate;
  }
}

/** Runs `refdata release FILE_ID`. */
export async function releaseCommand({ ctx, opts }: CommandEnv, idArg: string): Promise<number> {
  const id = fileIdArgument(idArg);
  const db = await ctx.openDb();
  const held = await db.files.get(id);
  if (held === undefined) {
    throw new AppError(
      AppErrorCode.FILE_NOT_FOUND,
      `No tracked file has id ${id}. List held files with \`refdata files --status held\`.`,
    );
  }
  const earlier = (await db.listAudit(id)).find((a) => a.step === 'release' && a.outcome === 'ok');
  if (earlier !== undefined) {
    const as = (earlier.details as { releasedAs?: unknown } | undefined)?.releasedAs;
    throw new AppError(
      AppErrorCode.FILE_STATE,
      `File ${id} (${held.name}) was already released${as === undefined ? '' : ` as file ${String(as)}`}. ` +
        'See `refdata show` for what was loaded.',
    );
  }
  if (held.status !== 'held') {
    throw new AppError(
      AppErrorCode.FILE_STATE,
      `File ${id} (${held.name}) is ${held.status}, not held; only held files can be released. ` +
        'List them with `refdata files --status held`.',
    );
  }
  if (!(await exists(held.path))) {
    throw new AppError(
      AppErrorCode.INPUT_NOT_FOUND,
      `The held file ${held.path} is gone. Drop the file into incoming/ again, or load it with \`refdata ingest FILE --force\`.`,
    );
  }
  const heldDir = resolve(ctx.config.root, 'held');
  const inHeld = dirname(resolve(held.path)) === heldDir;
  const outcome = await ingestTracked(ctx, db, held.path, {
    overrides: { force: true, ...(held.targetTable === null ? {} : { table: held.targetTable }) },
    progressBar: ctx.out.stderrIsTTY && opts.json !== true,
    name: held.name,
    onLoaded: async () => {
      if (!inHeld) return held.path;
      const target = await freeName(resolve(ctx.config.root, 'archive'), basename(held.path));
      await rename(held.path, target);
      await db
        .recordAudit({
          fileId: id,
          step: 'access',
          outcome: 'info',
          details: {
            operation: 'moved',
            reason: 'release',
            name: held.name,
            from: held.path,
            to: target,
            stage: 'archive',
            instanceId: commandInstanceId(),
            user: osUser(),
            at: new Date().toISOString(),
          },
        })
        .catch((err: unknown) =>
          ctx.logger.warn(
            { fileId: id, code: (err as { code?: unknown }).code },
            'could not record the move in the access trail',
          ),
        );
      // The reason it was held is history now (the audit trail keeps it).
      await rm(`${held.path}${HELD_SIDECAR_SUFFIX}`, { force: true });
      return target;
    },
  });
  await db
    .recordAudit({
      fileId: id,
      step: 'release',
      outcome: outcome.ok ? 'ok' : 'error',
      details: {
        releasedAs: outcome.fileId,
        ...(outcome.ok ? {} : { error: ctx.scrubber.scrub(errorMessage(outcome.error)) }),
      },
    })
    .catch(() => undefined);
  if (!outcome.ok) {
    throw new AppError(
      AppErrorCode.FILE_FAILED,
      `Releasing file ${id} failed (attempt recorded as file ${outcome.fileId}); the file stays in ${dirname(held.path)}: ` +
        ctx.scrubber.scrub(operatorMessage(outcome.error, { via: 'command', name: held.name, fileId: outcome.fileId })),
      { cause: outcome.error },
    );
  }
  const finalPath = outcome.path;
  // The held row now says where the file went and no longer shows as waiting for a release.
  await db.files.markReleased(id, finalPath);
  const r = outcome.result;
  if (opts.json === true) {
    ctx.out.json({
      releasedFileId: id,
      fileId: outcome.fileId,
      path: finalPath,
      ...r,
      rejects: r.rejects.slice(0, 100),
    });
    return 0;
  }
  ctx.out.line(
    `${ctx.out.paint.green('released')} file ${id}: ${r.rowsLoaded} rows into ref.${r.table} in ${formatDuration(r.durationMs)}` +
      (r.snapshot === null ? '' : `; previous contents saved as snapshot ${r.snapshot}`) +
      `; recorded as file ${outcome.fileId}; file now at ${finalPath}.`,
  );
  return 0;
}
