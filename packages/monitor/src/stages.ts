/** The stage folders under the root: their paths, creation with safe modes, and the folder a terminal state lands in. */
import type { Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MonitorError, MonitorErrorCode } from './errors.js';
import { STAGES, type Stage } from './types.js';

/** Absolute paths of the root and of each stage folder. */
export type StagePaths = { readonly root: string } & { readonly [S in Stage]: string };

/**
 * Mode of created stage folders before the umask: `incoming/` is group-writable so that
 * uploaders in the group can drop files; the others are writable by the owner only. None is
 * ever world-writable.
 */
const FOLDER_MODES: Readonly<Record<Stage, number>> = {
  incoming: 0o770,
  processing: 0o750,
  archive: 0o750,
  failed: 0o750,
  held: 0o750,
};

/**
 * Absolute paths of the stage folders under `root` (nothing is created).
 *
 * @example
 * ```ts
 * stagePaths('./drop').incoming; // '/abs/path/drop/incoming'
 * ```
 */
export function stagePaths(root: string): StagePaths {
  const abs = resolve(root);
  return {
    root: abs,
    incoming: join(abs, 'incoming'),
    processing: join(abs, 'processing'),
    archive: join(abs, 'archive'),
    failed: join(abs, 'failed'),
    held: join(abs, 'held'),
  };
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Throws MONITOR_STAGE_INVALID unless `st` is a real directory (not a symlink to one). */
export function assertStageDirectory(path: string, st: Stats): void {
  if (st.isSymbolicLink()) {
    throw new MonitorError(
      MonitorErrorCode.StageInvalid,
      `Stage folder ${path} is a symlink; the monitor never moves files through symlinks, so nothing leaves the root. Replace it with a real directory.`,
      { path },
    );
  }
  if (!st.isDirectory()) {
    throw new MonitorError(
      MonitorErrorCode.StageInvalid,
      `Stage folder ${path} exists but is not a directory. Move it away so the monitor can create the folder.`,
      { path },
    );
  }
}

/**
 * Creates the root (when missing) and the stage folders `incoming/`, `processing/`, `archive/`,
 * `failed/` and `held/` with modes that are never world-writable (`incoming/` 0770, the others
 * 0750, both reduced by the umask). Existing folders are kept as they are.
 *
 * @throws {@link MonitorError} `MONITOR_STAGE_INVALID` when a stage is a symlink or not a directory.
 * @example
 * ```ts
 * const stages = await ensureStages('./drop');
 * await writeFile(join(stages.incoming, 'rates.csv'), csv);
 * ```
 */
export async function ensureStages(root: string): Promise<StagePaths> {
  const paths = stagePaths(root);
  await mkdir(paths.root, { recursive: true, mode: 0o750 });
  for (const stage of STAGES) {
    const path = paths[stage];
    let st = await lstatOrNull(path);
    if (st === null) {
      try {
        await mkdir(path, { mode: FOLDER_MODES[stage] });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = await lstat(path);
    }
    assertStageDirectory(path, st);
  }
  return paths;
}

/** @internal Mode used when the running monitor recreates a stage folder. */
export function folderMode(stage: Stage): number {
  return FOLDER_MODES[stage];
}

/**
 * The stage folder a terminal state lands in: `archived` and `duplicate` → `archive/`,
 * `failed` → `failed/`, `held` → `held/`.
 *
 * @example
 * ```ts
 * stageOf('duplicate'); // 'archive'
 * ```
 */
export function stageOf(state: 'archived' | 'duplicate' | 'failed' | 'held'): Stage {
  switch (state) {
    case 'archived':
    case 'duplicate':
      return 'archive';
    case 'failed':
      return 'failed';
    case 'held':
      return 'held';
  }
}
