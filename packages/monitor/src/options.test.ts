/** Option validation and defaults. */
import { describe, expect, it } from 'vitest';
import { MONITOR_DEFAULTS, resolveOptions } from './options.js';
import type { MonitorOptions } from './types.js';

const handler: MonitorOptions['handler'] = async () => ({ state: 'archived' });

describe('resolveOptions', () => {
  it('applies the seed defaults: 15 s × 6 polling, concurrency 2', () => {
    const o = resolveOptions({ root: './drop', handler });
    expect(o).toMatchObject({
      intervalMs: 15_000,
      stabilityChecks: 6,
      mode: 'poll',
      concurrency: 2,
      leaseMs: 60_000,
      gracePeriodMs: 30_000,
      watchQuietMs: 2_000,
      requireMarker: false,
      include: ['*'],
      exclude: [],
    });
    expect(o.instanceId).toMatch(/:\d+:[0-9a-f]{6}$/);
    expect(Object.isFrozen(o)).toBe(true);
    expect(MONITOR_DEFAULTS.intervalSeconds).toBe(15);
  });

  it.each([
    [{ root: '' }, /root/],
    [{ handler: 'x' }, /handler/],
    [{ intervalSeconds: 0 }, /intervalSeconds.*MONITOR_INTERVAL/],
    [{ intervalSeconds: Number.NaN }, /intervalSeconds/],
    [{ stabilityChecks: 1.5 }, /stabilityChecks.*STABILITY_CHECKS/],
    [{ concurrency: 0 }, /concurrency/],
    [{ leaseMs: 10 }, /leaseMs/],
    [{ gracePeriodMs: -1 }, /gracePeriodMs/],
    [{ mode: 'inotify' }, /mode/],
    [{ include: ['*.csv', ''] }, /include/],
    [{ exclude: '*.bak' }, /exclude/],
    [{ store: { claimNew: () => null } }, /reclaim/],
    [{ instanceId: '' }, /instanceId/],
  ])('rejects %o with MONITOR_OPTIONS_INVALID naming the option', (patch, message) => {
    const options = { root: './drop', handler, ...patch } as unknown as MonitorOptions;
    expect(() => resolveOptions(options)).toThrow(
      expect.objectContaining({ code: 'MONITOR_OPTIONS_INVALID', message: expect.stringMatching(message) }),
    );
  });
});
