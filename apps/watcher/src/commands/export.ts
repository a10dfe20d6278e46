/**
 * `refdata export TABLE [--out FILE]`: a ref table as RFC 4180 CSV (comma, `"` quoting, header
 * first, LF; NULL empty and unquoted, '' as `""`, values in canonical text). Without `--out`, or
 * with `--out -` or `/dev/stdout`, to standard output; a device or pipe (`/dev/null`, a FIFO) is written in
 * place, never renamed over.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Database, type DbValue, renderCsvLine } from '@refdata/db';
import { formatCanonical } from '@refdata/detect';
import { DIR_MODE } from '../context.js';
import { AppError, AppErrorCode } from '../errors.js';
import { type CommandEnv, isStdoutPath, tableArgument } from './shared.js';

/** Bytes buffered before a write. */
const CHUNK = 64 * 1024;

/**
 * Streams `ref.<table>` as RFC 4180 CSV into `write` (which may return a promise for backpressure).
 * Resolves with the number of data rows.
 *
 * @example
 * ```ts
 * let csv = '';
 * await writeTableCsv(db, 'currencies', (s) => { csv += s; });
 * ```
 */
export async function writeTableCsv(
  db: Database,
  table: string,
  write: (chunk: string) => unknown,
  signal?: AbortSignal,
): Promise<number> {
  const description = await db.describeTable(table);
  if (description === undefined) {
    const tables = (await db.listTables()).map((t) => t.name);
    throw new AppError(
      AppErrorCode.INPUT_NOT_FOUND,
      `There is no table ref.${table}. ` +
        (tables.length === 0 ? 'No table has been loaded yet.' : `Tables: ${tables.sort().join(', ')}.`),
    );
  }
  let buffer = `${renderCsvLine(description.columns.map((c) => c.name))}\n`;
  let rows = 0;
  for await (const row of db.readTable(table, signal === undefined ? {} : { signal })) {
    buffer += `${renderCsvLine(row.map((v: DbValue) => (v === null ? null : formatCanonical(v))))}\n`;
    rows++;
    if (buffer.length >= CHUNK) {
      await write(buffer);
      buffer = '';
    }
  }
  if (buffer !== '') await write(buffer);
  return rows;
}

/** Runs `refdata export TABLE`. */
export async function exportCommand({ ctx, opts }: CommandEnv, tableArg: string): Promise<number> {
  const table = tableArgument(tableArg);
  const db = await ctx.openDb();
  const outArg =
    typeof opts.out === 'string' && !isStdoutPath(opts.out) ? resolve(ctx.runtime.cwd, opts.out) : undefined;
  if (outArg === undefined) {
    await writeTableCsv(db, table, (chunk) => ctx.out.write(chunk));
    return 0;
  }
  const { path: outFile, inPlace } = await outputTarget(outArg);
  if (!inPlace) await mkdir(dirname(outFile), { recursive: true, mode: DIR_MODE });
  const tmp = inPlace ? undefined : join(dirname(outFile), `.${basename(outFile)}.${process.pid}.tmp`);
  const stream = createWriteStream(tmp ?? outFile, { mode: 0o640, flags: inPlace ? 'a' : 'w' });
  try {
    const rows = await writeTableCsv(db, table, async (chunk) => {
      if (!stream.write(chunk)) await once(stream, 'drain');
    });
    stream.end();
    await once(stream, 'finish');
    if (tmp !== undefined) await rename(tmp, outFile);
    ctx.out.note(`wrote ${rows} row(s) of ref.${table} to ${outFile}`);
    return 0;
  } catch (err) {
    stream.destroy();
    if (tmp !== undefined) await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Where to write `path` and how: a new or regular file through a temporary file renamed onto its
 * real path (a symbolic link stays a link); a device, pipe or `/dev/stdout`-style path in place,
 * since renaming over it would replace it with a regular file (appended to: `/dev/stdout`
 * redirected to a file shares that file with the process).
 */
async function outputTarget(path: string): Promise<{ path: string; inPlace: boolean }> {
  const special = /^\/(?:proc|dev)\//;
  if (special.test(resolve(path))) return { path, inPlace: true };
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    // Absent: a new file. A link that does not resolve (to `pipe:[…]`, or dangling) is written through.
    const link = await lstat(path).catch(() => undefined);
    return { path, inPlace: link !== undefined };
  }
  if (special.test(real)) return { path, inPlace: true };
  return { path: real, inPlace: !(await stat(real)).isFile() };
}
