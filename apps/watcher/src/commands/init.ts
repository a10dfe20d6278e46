/**
 * `refdata init`: creates the drop folders (never world-writable) and the database metadata,
 * and records the config file's datasets.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGES } from '@refdata/monitor';
import { DIR_MODE } from '../context.js';
import { syncDatasets } from '../datasets.js';
import type { CommandEnv } from './shared.js';

/**
 * Creates `<root>/{incoming,processing,archive,failed,held}` and migrates the database.
 *
 * @example
 * ```ts
 * await ensureStageFolders('/srv/refdata/drop');
 * ```
 */
export async function ensureStageFolders(root: string): Promise<string[]> {
  const made: string[] = [];
  for (const stage of STAGES) {
    const dir = join(root, stage);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    made.push(dir);
  }
  return made;
}

/** Runs `refdata init`. */
export async function initCommand({ ctx, opts }: CommandEnv): Promise<number> {
  const { config, out } = ctx;
  const folders = await ensureStageFolders(config.root);
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
