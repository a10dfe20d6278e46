/**
 * The check before every scan: the root is there, each stage folder is a real directory (a
 * missing one is recreated once it was missing twice in a row), none is world-writable.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { type MonitorContext, messageOf } from './context.js';
import { isMonitorError, MonitorErrorCode } from './errors.js';
import { errnoCode } from './fs-ops.js';
import { assertStageDirectory, folderMode } from './stages.js';
import { STAGES } from './types.js';

/** Outcome of {@link FolderCheck.check}: go on, the root is gone, or skip this round. */
export type FolderState = 'ok' | 'root-missing' | 'wait';

/** Checks the root and the stages before each scan. */
export class FolderCheck {
  readonly #ctx: MonitorContext;
  /** Stages found missing by the last check. */
  readonly #missingStages = new Set<string>();

  constructor(ctx: MonitorContext) {
    this.#ctx = ctx;
  }

  /** Checks root and stages; recreates missing stages under an existing root. */
  async check(): Promise<FolderState> {
    const { paths, report } = this.#ctx;
    const root = paths.root;
    try {
      const st = await lstat(root);
      if (!st.isDirectory() && !st.isSymbolicLink())
        throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      report.cleared('root-missing');
    } catch (err) {
      report.problem(
        MonitorErrorCode.RootMissing,
        `The drop root ${root} is missing or not a directory (${errnoCode(err) ?? messageOf(err)}). The monitor waits for it to come back; recreate it or fix the mount.`,
        root,
        'root-missing',
      );
      return 'root-missing';
    }
    for (const stage of STAGES) {
      const path = paths[stage];
      try {
        let st = await lstat(path).catch((err: unknown) => {
          if (errnoCode(err) === 'ENOENT') return null;
          throw err;
        });
        if (st === null) {
          // Missing twice in a row before it is recreated: an operator removing the whole drop
          // folder must not find it refilled under their rm -r.
          if (!this.#missingStages.has(stage)) {
            this.#missingStages.add(stage);
            return 'wait';
          }
          this.#missingStages.delete(stage);
          await mkdir(path, { mode: folderMode(stage) }).catch((err: unknown) => {
            if (errnoCode(err) !== 'EEXIST') throw err;
          });
          report.problem(
            MonitorErrorCode.FolderRecreated,
            `Stage folder ${path} was missing and has been created again; files dropped meanwhile must be dropped again.`,
            path,
          );
          st = await lstat(path);
        }
        assertStageDirectory(path, st);
        this.#missingStages.delete(stage);
        report.cleared(`stage:${stage}`);
        if ((st.mode & 0o002) !== 0) {
          report.problem(
            MonitorErrorCode.FolderInsecure,
            `Stage folder ${path} is writable by every user; run chmod o-w on it.`,
            path,
            `insecure:${stage}`,
          );
        }
      } catch (err) {
        const message = isMonitorError(err) ? err.message : `Cannot prepare stage folder ${path}: ${messageOf(err)}`;
        report.problem(isMonitorError(err) ? err.code : MonitorErrorCode.ScanFailed, message, path, `stage:${stage}`);
        return 'wait';
      }
    }
    return 'ok';
  }
}
