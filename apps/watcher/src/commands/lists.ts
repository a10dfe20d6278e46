/**
 * Read-mostly commands over the database: `files`, `show`, `tables`, `backups`, `restore`.
 */
import type { AuditRecord, FileRecord, FileStatus } from '@refdata/db';
import { accessEventsOf } from '../access-trail.js';
import { AppError, AppErrorCode } from '../errors.js';
import { type CommandEnv, fileIdArgument, formatAge, formatDuration, intOption, tableArgument } from './shared.js';

function ms(from: Date | null, to: Date | null): number | null {
  return from === null || to === null ? null : to.getTime() - from.getTime();
}

/** Runs `refdata files`. */
export async function filesCommand({ ctx, opts }: CommandEnv): Promise<number> {
  const db = await ctx.openDb();
  const limit = intOption('--limit', opts.limit ?? 100, 1);
  const status = typeof opts.status === 'string' ? (opts.status as FileStatus) : undefined;
  const files = await db.files.list(status === undefined ? { limit } : { status, limit });
  if (opts.json === true) {
    ctx.out.json(files);
    return 0;
  }
  if (files.length === 0) {
    ctx.out.line(status === undefined ? 'No files tracked yet.' : `No files with status ${status}.`);
    return 0;
  }
  const { out } = ctx;
  out.table(
    ['id', 'file', 'status', 'table', 'rows', 'rejected', 'finished', 'error'],
    files.map((f) => [
      f.id,
      f.name,
      out.status(f.status),
      f.targetTable === null ? '' : `ref.${f.targetTable}`,
      f.rowsLoaded ?? '',
      f.rowsRejected ?? '',
      f.finishedAt === null ? '' : formatAge(f.finishedAt),
      f.errorCode ?? '',
    ]),
  );
  return 0;
}

/** The change summary recorded in a file's audit trail, if any. */
function changeSummary(audit: readonly AuditRecord[]): Record<string, unknown> | null {
  for (let i = audit.length - 1; i >= 0; i--) {
    const details = audit[i]?.details;
    if (details === undefined) continue;
    const changes = (details as { changes?: unknown }).changes;
    if (typeof changes === 'object' && changes !== null) return changes as Record<string, unknown>;
    if ('added' in details && 'removed' in details) return details as Record<string, unknown>;
  }
  return null;
}

/** Runs `refdata show FILE_ID`. */
export async function showCommand({ ctx, opts }: CommandEnv, idArg: string): Promise<number> {
  const id = fileIdArgument(idArg);
  const db = await ctx.openDb();
  const file: FileRecord | undefined = await db.files.get(id);
  if (file === undefined) {
    throw new AppError(AppErrorCode.FILE_NOT_FOUND, `No tracked file has id ${id}. List files with \`refdata files\`.`);
  }
  const rejectLimit = intOption('--rejects', opts.rejects ?? 20, 0);
  const [trail, rejects] = await Promise.all([db.listAudit(id), db.listRejects(id, { limit: rejectLimit })]);
  // Operations on the file (the access trail) print apart from the load's steps.
  const access = accessEventsOf(trail);
  const audit = trail.filter((a) => a.step !== 'access');
  const timings = {
    waitMs: ms(file.detectedAt, file.claimedAt),
    queueMs: ms(file.claimedAt, file.startedAt),
    processingMs: ms(file.claimedAt, file.finishedAt),
    totalMs: ms(file.detectedAt, file.finishedAt),
  };
  const changes = changeSummary(audit);
  if (opts.json === true) {
    ctx.out.json({ file, timings, changes, audit, access, rejects });
    return 0;
  }
  const { out } = ctx;
  out.line(out.paint.bold(`File ${file.id}: ${file.name}`));
  out.pairs([
    ['status', out.status(file.status)],
    ['path', file.path],
    ['table', file.targetTable === null ? '' : `ref.${file.targetTable}`],
    ['size', `${file.size} bytes`],
    ['sha256', file.sha256 ?? ''],
    ['rows', `${file.rowsRead ?? '–'} read, ${file.rowsLoaded ?? '–'} loaded, ${file.rowsRejected ?? '–'} rejected`],
    ['detected', file.detectedAt],
    ['claimed', file.claimedAt],
    ['started', file.startedAt],
    ['finished', file.finishedAt],
    ['processing time', formatDuration(timings.processingMs)],
    ['instance', file.instanceId ?? ''],
    ...(file.errorCode === null ? [] : ([['error', `${file.errorCode}: ${file.errorMessage ?? ''}`]] as const)),
    ...(changes === null
      ? []
      : ([
          [
            'changes',
            `+${String(changes.added ?? 0)} added, −${String(changes.removed ?? 0)} removed, ~${String(changes.changed ?? 0)} changed`,
          ],
        ] as const)),
  ]);
  if (audit.length > 0) {
    out.line(out.paint.bold('Audit trail'));
    out.table(
      ['at', 'step', 'outcome', 'duration', 'details'],
      audit.map((a) => [a.at, a.step, a.outcome, formatDuration(a.durationMs), a.details ?? '']),
    );
  }
  if (access.length > 0) {
    out.line(out.paint.bold('Access trail'));
    out.table(
      ['at', 'operation', 'from', 'to', 'by'],
      access.map((a) => [
        a.at,
        a.reason === undefined ? a.operation : `${a.operation} (${a.reason})`,
        a.from,
        a.to ?? '(removed)',
        `${a.user}@${a.instanceId}`,
      ]),
    );
  }
  if (rejects.length > 0) {
    out.line(out.paint.bold(`Rejected rows (first ${rejects.length})`));
    out.table(
      ['line', 'column', 'value', 'reason'],
      rejects.map((r) => [r.line, r.column ?? '', r.value ?? '', r.reason]),
    );
  }
  return 0;
}

/** Runs `refdata tables`. */
export async function tablesCommand({ ctx, opts }: CommandEnv): Promise<number> {
  const db = await ctx.openDb();
  const tables = await db.listTables();
  if (opts.json === true) {
    ctx.out.json(tables.map((t) => ({ table: `ref.${t.name}`, rows: t.rowCount, columns: t.columns })));
    return 0;
  }
  if (tables.length === 0) {
    ctx.out.line('No tables loaded yet.');
    return 0;
  }
  ctx.out.table(
    ['table', 'rows', 'columns'],
    tables
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => [`ref.${t.name}`, t.rowCount, columnSummary(t.columns.map((c) => c.name))]),
  );
  return 0;
}

/** The column names of a table for one cell of a list: the first ones, then how many more (`--json` has all). */
export function columnSummary(names: readonly string[], maxChars = 80): string {
  let text = '';
  for (let i = 0; i < names.length; i++) {
    const next = text === '' ? names[i]! : `${text}, ${names[i]}`;
    if (next.length > maxChars && i > 0) return `${text}, … (${names.length} columns)`;
    text = next;
  }
  return text;
}

/** Runs `refdata backups [TABLE]`. */
export async function backupsCommand({ ctx, opts }: CommandEnv, tableArg: string | undefined): Promise<number> {
  const db = await ctx.openDb();
  const table = tableArg === undefined ? undefined : tableArgument(tableArg);
  const backups = await db.listBackups(table);
  if (opts.json === true) {
    ctx.out.json(backups);
    return 0;
  }
  if (backups.length === 0) {
    ctx.out.line(table === undefined ? 'No snapshots yet.' : `No snapshots of ref.${table}.`);
    return 0;
  }
  ctx.out.table(
    // rows: the table's rows before the load (what restoring the snapshot brings back); kind: a
    // full copy, or a delta holding only what an append or upsert changed.
    ['table', 'snapshot', 'taken', 'rows before', 'kind', 'reason', 'source file', 'file id'],
    backups.map((b) => [
      `ref.${b.table}`,
      b.snapshot,
      b.takenAt,
      b.rows,
      b.kind,
      b.reason,
      b.sourceFile ?? '',
      b.fileId ?? '',
    ]),
  );
  return 0;
}

/** Runs `refdata restore TABLE SNAPSHOT`. */
export async function restoreCommand({ ctx, opts }: CommandEnv, tableArg: string, snapshot: string): Promise<number> {
  const table = tableArgument(tableArg);
  const db = await ctx.openDb();
  const catalogued = await db.listBackups(table);
  if (!catalogued.some((b) => b.snapshot === snapshot)) {
    throw new AppError(
      AppErrorCode.SNAPSHOT_NOT_FOUND,
      `No snapshot ${JSON.stringify(snapshot)} of ref.${table} is catalogued (${catalogued.length} snapshot(s) of it are). List them with \`refdata backups ${table}\`.`,
    );
  }
  const saved = await db.restoreBackup(table, snapshot);
  const now = await db.describeTable(table);
  if (opts.json === true) {
    ctx.out.json({
      table: `ref.${table}`,
      restoredFrom: snapshot,
      rows: now?.rowCount ?? null,
      previousContents: saved,
    });
    return 0;
  }
  const previous =
    saved.snapshot === snapshot
      ? 'the table did not exist before'
      : `the previous contents are snapshot ${saved.snapshot} (${saved.rows} rows)`;
  ctx.out.line(
    `${ctx.out.paint.green('restored')} ref.${table} from ${snapshot} (${now?.rowCount ?? '?'} rows); ${previous}.`,
  );
  return 0;
}
