/**
 * `refdata health`: exit 0 when the database is reachable and every stage folder is writable
 * (and, when asked, the queue is short enough and the last success recent enough); exit 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGES } from '@refdata/monitor';
import { AppError, AppErrorCode, errorCode, errorMessage } from '../errors.js';
import { type CommandEnv, formatAge, intOption } from './shared.js';

/** One check of the health report. */
export interface HealthCheck {
  readonly name: string;
  /** False when the check failed or could not be made (`unknown`). */
  readonly ok: boolean;
  /** True when the check could not be made because the database is unreachable. */
  readonly unknown?: boolean;
  readonly detail: string;
}

const IGNORED = /^(\.|~)|\.(tmp|part|filepart|done|ok)$/i;

async function countFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && !IGNORED.test(e.name)).length;
  } catch {
    return 0;
  }
}

async function folderWritable(dir: string): Promise<HealthCheck> {
  const probe = join(dir, `.health-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '', { mode: 0o600 });
    await rm(probe, { force: true });
    return { name: `folder ${dir}`, ok: true, detail: 'writable' };
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const detail = missing ? 'missing: run `refdata init`' : `not writable: ${errorMessage(err)}`;
    return { name: `folder ${dir}`, ok: false, detail };
  }
}

/** Runs `refdata health`. */
export async function healthCommand({ ctx, opts }: CommandEnv): Promise<number> {
  const { config, out } = ctx;
  const maxAge = opts.maxAge === undefined ? undefined : intOption('--max-age', opts.maxAge, 1);
  const maxQueue = opts.maxQueue === undefined ? undefined : intOption('--max-queue', opts.maxQueue, 0);
  const checks: HealthCheck[] = [];

  let lastSuccess: Date | null = null;
  let waiting = 0;
  let missingDb: unknown;
  let dbReached = false;
  try {
    // A login without the permissions it needs cannot migrate; health says what it lacks.
    const db = await ctx.openDb({ migrate: 'try' });
    const h = await db.health();
    checks.push({
      name: 'database',
      ok: h.ok,
      detail: `${db.displayUrl} ${h.ok ? 'reachable' : h.missingPermissions !== undefined ? 'reachable, but permissions are missing' : 'unreachable'} (${Math.round(h.latencyMs)} ms, schema v${h.schemaVersion})${h.message ? `: ${h.message}` : ''}`,
    });
    if (h.ok) {
      const archived = await db.files.list({ status: 'archived', limit: 1000 });
      for (const f of archived)
        if (f.finishedAt !== null && (lastSuccess === null || f.finishedAt > lastSuccess)) lastSuccess = f.finishedAt;
      const pending = await db.files.list({ status: 'processing', limit: 1000 });
      const claimed = await db.files.list({ status: 'claimed', limit: 1000 });
      waiting = pending.length + claimed.length;
      dbReached = true;
    }
  } catch (err) {
    if (errorCode(err) === AppErrorCode.DB_NOT_FOUND) missingDb = err;
    checks.push({
      name: 'database',
      ok: false,
      detail:
        missingDb === undefined
          ? `${config.db.display} not reachable: ${errorCode(err)}: ${errorMessage(err)}`
          : errorMessage(err),
    });
  }

  for (const stage of STAGES) checks.push(await folderWritable(join(config.root, stage)));

  const incoming = await countFiles(join(config.root, 'incoming'));
  const processing = await countFiles(join(config.root, 'processing'));
  const queue = incoming + processing;
  const ageSeconds = lastSuccess === null ? null : Math.round((Date.now() - lastSuccess.getTime()) / 1000);
  if (dbReached) {
    checks.push({
      name: 'queue depth',
      ok: maxQueue === undefined || queue <= maxQueue,
      detail:
        `${incoming} in incoming/, ${processing} in processing/ (${waiting} claimed in the database)` +
        (maxQueue === undefined ? '' : `; limit ${maxQueue}`),
    });
    checks.push({
      name: 'last success',
      ok: maxAge === undefined || (ageSeconds !== null && ageSeconds <= maxAge),
      detail:
        `${lastSuccess === null ? 'no file archived yet' : `${lastSuccess.toISOString()} (${formatAge(lastSuccess)})`}` +
        (maxAge === undefined ? '' : `; limit ${maxAge} s`),
    });
  } else {
    // Claims and successes live in the database: without it neither can be said to be fine.
    checks.push({
      name: 'queue depth',
      ok: false,
      unknown: true,
      detail: `unknown: the database is unreachable (${incoming} in incoming/, ${processing} in processing/)`,
    });
    checks.push({ name: 'last success', ok: false, unknown: true, detail: 'unknown: the database is unreachable' });
  }

  const ok = checks.every((c) => c.ok);
  if (opts.json === true) {
    out.json({
      ok,
      checks,
      queue: { incoming, processing },
      lastSuccessAt: lastSuccess,
      lastSuccessAgeSeconds: ageSeconds,
    });
  } else {
    out.table(
      ['check', 'status', 'detail'],
      checks.map((c) => [
        c.name,
        c.ok ? out.paint.green('ok') : c.unknown ? out.paint.yellow('unknown') : out.paint.red('FAIL'),
        c.detail,
      ]),
    );
    out.line(ok ? out.paint.green('healthy') : out.paint.red('unhealthy'));
  }
  // Exit 5 as every read-only command does when there is no database (nothing was created).
  if (missingDb !== undefined) throw missingDb;
  if (!ok && opts.json !== true) {
    const names = (pick: (c: HealthCheck) => boolean): string =>
      checks
        .filter(pick)
        .map((c) => c.name)
        .join(', ');
    const unknown = names((c) => c.unknown === true);
    throw new AppError(
      AppErrorCode.UNHEALTHY,
      `Unhealthy: ${names((c) => !c.ok && c.unknown !== true)} failed${unknown === '' ? '' : `; ${unknown} unknown`}. See the table above.`,
    );
  }
  return ok ? 0 : 1;
}
