/**
 * Retry of whole units of work with jittered exponential backoff (DB_MAX_RETRIES, DB_RETRY_BACKOFF).
 */
import { DbError, DbErrorCode } from './errors.js';
import type { Logger } from './types.js';

/** Settings of {@link withRetry}. */
export interface RetryPolicy {
  /** Retries after the first attempt (DB_MAX_RETRIES). @default 3 */
  readonly maxRetries: number;
  /** Backoff base in seconds (DB_RETRY_BACKOFF). @default 1 */
  readonly baseSeconds: number;
  /** Longest single wait in seconds. @default 60 */
  readonly maxDelaySeconds?: number;
  /** Random source in [0, 1) for the jitter; tests pass a fixed one. @default Math.random */
  readonly random?: () => number;
  /** Wait function; tests pass a fake. @default a timer honouring the signal */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** How an error should be treated by {@link withRetry}. */
export type RetryClass = 'permanent' | 'transient' | 'throttled';

/**
 * The wait before retry `attempt` (1-based): full jitter over `base × 2^(attempt-1)`, at least half
 * of it, capped by `maxDelaySeconds`; throttling (e.g. SQL Server 40501) waits four times longer.
 *
 * @example
 * ```ts
 * backoffDelayMs(1, { maxRetries: 3, baseSeconds: 1, random: () => 0.5 }); // 750
 * ```
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, kind: RetryClass = 'transient'): number {
  const random = policy.random ?? Math.random;
  const factor = kind === 'throttled' ? 4 : 1;
  const ceiling = Math.min(
    policy.baseSeconds * 1000 * factor * 2 ** (attempt - 1),
    (policy.maxDelaySeconds ?? 60) * 1000,
  );
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Resolves after `ms`, or rejects with `DB_ABORTED` when the signal fires first.
 *
 * @example
 * ```ts
 * await sleep(100);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The `DB_ABORTED` error for a fired signal (its reason becomes the cause).
 *
 * @example
 * ```ts
 * if (signal.aborted) throw abortError(signal);
 * ```
 */
export function abortError(signal: AbortSignal): DbError {
  return new DbError(DbErrorCode.ABORTED, 'The database operation was cancelled; nothing was applied.', {
    cause: signal.reason,
  });
}

/**
 * Runs `work` and retries it on errors `classify` calls transient, waiting {@link backoffDelayMs}
 * between attempts and logging each retry. `work` must be a whole unit of work (it starts and
 * ends its own transaction) so that a retry repeats it from the start.
 *
 * @example
 * ```ts
 * await withRetry('claim', () => claimOnce(), (e) => classify(e), { maxRetries: 3, baseSeconds: 1 }, logger);
 * ```
 */
export async function withRetry<T>(
  label: string,
  work: (attempt: number) => Promise<T>,
  classify: (err: unknown) => RetryClass,
  policy: RetryPolicy,
  logger: Logger,
  signal?: AbortSignal,
): Promise<T> {
  const wait = policy.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      const kind = classify(err);
      if (kind === 'permanent' || attempt >= policy.maxRetries || signal?.aborted) throw err;
      const delayMs = backoffDelayMs(attempt + 1, policy, kind);
      const e = err as { code?: unknown; number?: unknown; message?: unknown };
      logger.warn(
        {
          op: label,
          attempt: attempt + 1,
          maxRetries: policy.maxRetries,
          delayMs,
          err: { code: e.code, number: e.number, message: e.message },
        },
        'transient database error; retrying',
      );
      await wait(delayMs, signal);
    }
  }
}
