/**
 * The monitor's {@link ClaimStore} implemented over @refdata/db's file tracking, so that claims,
 * leases and states are shared by every watcher process using the same database.
 */
import type { FileTracking } from '@refdata/db';
import type { ClaimStore } from '@refdata/monitor';

/** Options of {@link createDbClaimStore}. */
export interface DbClaimStoreOptions {
  /** Cleans text stored in the tracking row (error messages); e.g. the secret scrubber. */
  readonly scrub?: (text: string) => string;
}

/**
 * Adapts `db.files` to the monitor's `ClaimStore`: `claimNew`/`reclaim`/`heartbeat` map one to
 * one; `transition` records the state and the file's current path; `finish` ends the row with
 * the final path and, for failures, the error code and message; `lookup` reads the row back, so
 * the monitor records the end before the final move (a crash between the two is completed on
 * recovery, and an end that cannot be recorded — a full disk — leaves the file in line in
 * `processing/` instead of in its final folder with a row that still says `processing`).
 *
 * @example
 * ```ts
 * const monitor = createMonitor({ root, handler, store: createDbClaimStore(db.files) });
 * ```
 */
export function createDbClaimStore(files: FileTracking, options: DbClaimStoreOptions = {}): ClaimStore {
  const scrub = options.scrub ?? ((text: string) => text);
  return {
    claimNew: (file, lease) =>
      files.claimNew({ path: file.path, name: file.name, size: file.size, mtimeMs: file.mtimeMs }, lease),
    reclaim: (fileId, lease) => files.reclaim(fileId, lease),
    heartbeat: (claim, leaseMs) => files.heartbeat(claim, leaseMs),
    lookup: async (fileId) => {
      const record = await files.get(fileId);
      if (record === undefined) return null;
      // A released file was held, then applied by `refdata release` and moved to archive/.
      return { state: record.status === 'released' ? 'archived' : record.status, path: record.path };
    },
    transition: (claim, state, details) => files.update(claim, { status: state, path: details.path }),
    finish: (claim, state, details) =>
      files.finish(
        claim,
        details.error === undefined
          ? { status: state, path: details.path }
          : {
              status: state,
              path: details.path,
              errorCode: details.error.code,
              errorMessage: scrub(details.error.message),
            },
      ),
  };
}
