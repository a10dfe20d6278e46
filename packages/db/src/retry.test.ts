// Backoff, sleep and the retry loop.
import { describe, expect, it } from 'vitest';
import { DbError } from './errors.js';
import { noopLogger } from './logger.js';
import { backoffDelayMs, sleep, withRetry } from './retry.js';

describe('withRetry', () => {
  it('waits with jittered exponential backoff, longer when throttled', () => {
    const policy = { maxRetries: 3, baseSeconds: 1, random: () => 0.5 };
    expect([1, 2, 3].map((a) => backoffDelayMs(a, policy))).toEqual([750, 1500, 3000]);
    expect(backoffDelayMs(1, policy, 'throttled')).toBe(3000);
    expect(backoffDelayMs(20, { ...policy, maxDelaySeconds: 10 })).toBe(7500);
    expect(backoffDelayMs(1, { ...policy, random: () => 0 })).toBe(500);
  });

  it('retries transient failures up to maxRetries and then gives up', async () => {
    const waits: number[] = [];
    let calls = 0;
    const policy = {
      maxRetries: 2,
      baseSeconds: 1,
      random: () => 0.5,
      sleep: async (ms: number) => void waits.push(ms),
    };
    await expect(
      withRetry(
        'op',
        async () => {
          calls++;
          throw new DbError('DB_LOCKED', 'locked', { transient: true });
        },
        () => 'transient',
        policy,
        noopLogger,
      ),
    ).rejects.toMatchObject({ code: 'DB_LOCKED' });
    expect(calls).toBe(3);
    expect(waits).toEqual([750, 1500]);
  });

  it('does not retry permanent failures', async () => {
    let calls = 0;
    await expect(
      withRetry(
        'op',
        async () => {
          calls++;
          throw new Error('no');
        },
        () => 'permanent',
        { maxRetries: 5, baseSeconds: 0 },
        noopLogger,
      ),
    ).rejects.toThrow('no');
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal fires', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toMatchObject({ code: 'DB_ABORTED' });
  });
});
