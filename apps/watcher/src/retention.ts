/**
 * History retention of the running service (`RETENTION_DAYS`): at start and every
 * `RETENTION_INTERVAL`, the history of files that finished longer ago than the age is deleted
 * (tracking rows, audit events, rejected rows; never of held or in-flight files).
 */
import type { Database, HistoryPruneResult, Logger } from '@refdata/db';

/** Options of {@link startRetention}. */
export interface RetentionOptions {
  readonly db: Pick<Database, 'pruneHistory'>;
  /** History older than this is deleted. */
  readonly maxAgeMs: number;
  /** Time between passes. */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/** A running retention: its passes so far, and how to stop it. */
export interface Retention {
  /** Runs one pass now (also what the timer runs); a failure is logged and resolves undefined. */
  pass(): Promise<HistoryPruneResult | undefined>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs a first pass at once, then one every `intervalMs` (the timer does not keep the process
 * alive). Passes never overlap.
 *
 * @example
 * ```ts
 * const retention = startRetention({ db, maxAgeMs: 90 * 86_400_000, intervalMs: 3_600_000, logger });
 * // … at stop:
 * await retention.stop();
 * ```
 */
export function startRetention(options: RetentionOptions): Retention {
  const { db, maxAgeMs, intervalMs, logger } = options;
  const now = options.now ?? Date.now;
  let running: Promise<HistoryPruneResult | undefined> | undefined;
  let stopped = false;

  const pass = (): Promise<HistoryPruneResult | undefined> => {
    running ??= (async () => {
      const olderThan = new Date(now() - maxAgeMs);
      try {
        const removed = await db.pruneHistory(olderThan);
        const level = removed.files + removed.auditEvents + removed.rejects > 0 ? 'info' : 'debug';
        logger[level]({ olderThan: olderThan.toISOString(), ...removed }, 'history pruned (RETENTION_DAYS)');
        return removed;
      } catch (err) {
        logger.warn(
          { olderThan: olderThan.toISOString(), code: (err as { code?: unknown }).code, err },
          'history retention failed; it is tried again at the next interval',
        );
        return undefined;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void pass();
  }, intervalMs);
  timer.unref();
  void pass();

  return {
    pass,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
