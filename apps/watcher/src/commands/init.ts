/**
 * `refdata init`: creates the drop folders (never world-writable) and the database metadata,
 * and records the config file's datasets.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mssqlLeastPrivilegeSql, parseDatabaseUrl } from '@refdata/db';
import { STAGES } from '@refdata/monitor';
import { DIR_MODE } from '../context.js';
import { syncDatasets } from '../datasets.js';
import { AppError, AppErrorCode, errorMessage } from '../errors.js';
import type { CommandEnv } from './shared.js';

/**
 * Creates `<root>/{incoming,processing,archive,failed,held}` and migrates the database.
 *
 * @example
 * ```ts
 * await ensureStageFolders('/srv/refdata/drop');
 * ```
 */
export async function ensureStageFolders(root: string, rootSource = 'the drop root setting'): Promise<string[]> {
  const made: string[] = [];
  for (const stage of STAGES) {
    const dir = join(root, stage);
    try {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      throw stageFolderError(err, root, dir, rootSource);
    }
    made.push(dir);
  }
  return made;
}

/** A one-line error for a drop root that cannot hold the stage folders (instead of a raw ENOTDIR). */
function stageFolderError(err: unknown, root: string, dir: string, rootSource: string): AppError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new AppError(
      AppErrorCode.CONFIG_INVALID,
      `The drop root ${root} (set by ${rootSource}) is not a folder: ${dir} cannot be created because a file is in the way. Name a folder.`,
      { cause: err },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new AppError(
      AppErrorCode.CONFIG_INVALID,
      `Cannot create ${dir} in the drop root ${root} (set by ${rootSource}): ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}. Create the folders or run as a user who may.`,
      { cause: err },
    );
  }
  return new AppError(AppErrorCode.CONFIG_INVALID, `Cannot create ${dir} (${code ?? 'error'}): ${errorMessage(err)}`, {
    cause: err,
  });
}

/** Runs `refdata init`. */
export async function initCommand({ ctx, opts }: CommandEnv): Promise<number> {
  const { config, out } = ctx;
  if (opts.printSql === true) {
    // The DBA's script: nothing is created, no database is opened.
    const parsed = config.db.dialect === 'mssql' ? parseDatabaseUrl(config.db.url) : undefined;
    const database = parsed?.dialect === 'mssql' ? parsed.database : 'refdata';
    // Raw stdout: the script holds no secret, and its `PASSWORD = N'<…>'` placeholder must not be
    // mistaken for one by the scrubber.
    ctx.runtime.stdout.write(
      mssqlLeastPrivilegeSql({ database, login: String(opts.login), readerRole: String(opts.readerRole) }),
    );
    return 0;
  }
  const folders = await ensureStageFolders(config.root, config.rootSource);
  const db = await ctx.openDb({ create: true });
  const datasets = await syncDatasets(db, config.datasets);
  const health = await db.health();
  if (opts.json === true) {
    out.json({
      root: config.root,
      folders,
      database: db.displayUrl,
      schemaVersion: health.schemaVersion,
      configFile: config.configFile ?? null,
      datasets,
    });
    return 0;
  }
  out.line(`${out.paint.green('✓')} drop root ${config.root}`);
  for (const f of folders) out.line(`  ${f}`);
  out.line(`${out.paint.green('✓')} database ${db.displayUrl} (metadata schema v${health.schemaVersion})`);
  if (config.configFile !== undefined)
    out.line(`${out.paint.green('✓')} config ${config.configFile} (${datasets} datasets)`);
  out.line(`Drop CSV files into ${join(config.root, 'incoming')} and run \`refdata watch\`.`);
  return 0;
}
