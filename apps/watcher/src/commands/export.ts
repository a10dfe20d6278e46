/**
 * `refdata export TABLE [--out FILE]`: a ref table as RFC 4180 CSV (comma, `"` quoting, header
 * first, LF; NULL empty and unquoted, '' as `""`, values in canonical text).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Database, type DbValue, renderCsvLine } from '@refdata/db';
import { formatCanonical } from '@refdata/detect';
import { DIR_MODE } from '../context.js';
import { AppError, AppErrorCode } from '../errors.js';
import { type CommandEnv, tableArgument } from './shared.js';

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
  const outFile = typeof opts.out === 'string' ? resolve(ctx.runtime.cwd, opts.out) : undefined;
  if (outFile === undefined) {
    await writeTableCsv(db, table, (chunk) => ctx.out.write(chunk));
    return 0;
  }
  await mkdir(dirname(outFile), { recursive: true, mode: DIR_MODE });
  const tmp = join(dirname(outFile), `.${basename(outFile)}.${process.pid}.tmp`);
  const stream = createWriteStream(tmp, { mode: 0o640 });
  try {
    const rows = await writeTableCsv(db, table, async (chunk) => {
      if (!stream.write(chunk)) await once(stream, 'drain');
    });
    stream.end();
    await once(stream, 'finish');
    await rename(tmp, outFile);
    ctx.out.note(`wrote ${rows} row(s) of ref.${table} to ${outFile}`);
    return 0;
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}
