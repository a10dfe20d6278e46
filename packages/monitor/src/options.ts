/** Validation of {@link MonitorOptions} and their defaults; the rest of the monitor reads only the frozen result. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MonitorError, MonitorErrorCode } from './errors.js';
import type { ClaimStore, FileHandler, Logger, MonitorOptions } from './types.js';

/** Defaults of {@link MonitorOptions}, as documented there. */
export const MONITOR_DEFAULTS: {
  readonly intervalSeconds: 15;
  readonly stabilityChecks: 6;
  readonly mode: 'poll';
  readonly watchQuietMs: 2000;
  readonly concurrency: 2;
  readonly leaseMs: 60000;
  readonly gracePeriodMs: 30000;
} = {
  intervalSeconds: 15,
  stabilityChecks: 6,
  mode: 'poll',
  watchQuietMs: 2_000,
  concurrency: 2,
  leaseMs: 60_000,
  gracePeriodMs: 30_000,
};

/** Options after validation, with defaults applied (frozen). */
export interface ResolvedOptions {
  readonly root: string;
  readonly handler: FileHandler;
  readonly store: ClaimStore | undefined;
  readonly intervalMs: number;
  readonly stabilityChecks: number;
  readonly mode: 'poll' | 'watch';
  readonly watchQuietMs: number;
  readonly requireMarker: boolean;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly instanceId: string;
  readonly gracePeriodMs: number;
  readonly logger: Logger | undefined;
}

function invalid(message: string): MonitorError {
  return new MonitorError(MonitorErrorCode.OptionsInvalid, message);
}

function positiveNumber(name: string, value: unknown, fallback: number, hint: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`Option ${name} must be a positive number; got ${String(value)}. ${hint}`);
  }
  return value;
}

function positiveInteger(name: string, value: unknown, fallback: number, hint: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(`Option ${name} must be a whole number of at least 1; got ${String(value)}. ${hint}`);
  }
  return value;
}

function patterns(name: string, value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p === '')) {
    throw invalid(`Option ${name} must be an array of non-empty glob strings such as ['*.csv']; got ${String(value)}.`);
  }
  return Object.freeze([...(value as string[])]);
}

/** Validates `options` eagerly and returns a frozen copy with defaults applied. */
export function resolveOptions(options: MonitorOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('createMonitor needs an options object.');
  if (typeof options.root !== 'string' || options.root.trim() === '') {
    throw invalid('Option root must be the path of the drop folder (e.g. ./drop, env REFDATA_ROOT); got nothing.');
  }
  if (typeof options.handler !== 'function') {
    throw invalid('Option handler must be a function (file, { signal }) => Promise<HandlerResult>.');
  }
  const store = options.store;
  if (store !== undefined) {
    for (const method of ['claimNew', 'reclaim', 'heartbeat', 'transition', 'finish'] as const) {
      if (typeof store[method] !== 'function')
        throw invalid(`Option store must implement ClaimStore; ${method}() is missing.`);
    }
  }
  const mode = options.mode ?? MONITOR_DEFAULTS.mode;
  if (mode !== 'poll' && mode !== 'watch') throw invalid(`Option mode must be 'poll' or 'watch'; got ${String(mode)}.`);
  const intervalSeconds = positiveNumber(
    'intervalSeconds',
    options.intervalSeconds,
    MONITOR_DEFAULTS.intervalSeconds,
    'Set MONITOR_INTERVAL to the seconds between observations, e.g. 15.',
  );
  const leaseMs = positiveInteger('leaseMs', options.leaseMs, MONITOR_DEFAULTS.leaseMs, 'Use e.g. 60000.');
  if (leaseMs < 30) throw invalid(`Option leaseMs must be at least 30 ms; got ${leaseMs}. Use e.g. 60000.`);
  const gracePeriodMs = options.gracePeriodMs ?? MONITOR_DEFAULTS.gracePeriodMs;
  if (typeof gracePeriodMs !== 'number' || !Number.isFinite(gracePeriodMs) || gracePeriodMs < 0) {
    throw invalid(`Option gracePeriodMs must be a number of milliseconds ≥ 0; got ${String(gracePeriodMs)}.`);
  }
  const instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  if (typeof instanceId !== 'string' || instanceId === '')
    throw invalid('Option instanceId must be a non-empty string.');
  return Object.freeze({
    root: options.root,
    handler: options.handler,
    store,
    intervalMs: intervalSeconds * 1000,
    stabilityChecks: positiveInteger(
      'stabilityChecks',
      options.stabilityChecks,
      MONITOR_DEFAULTS.stabilityChecks,
      'Set STABILITY_CHECKS to the number of unchanged observations, e.g. 6.',
    ),
    mode,
    watchQuietMs: positiveNumber('watchQuietMs', options.watchQuietMs, MONITOR_DEFAULTS.watchQuietMs, 'Use e.g. 2000.'),
    requireMarker: options.requireMarker ?? false,
    include: patterns('include', options.include, ['*']),
    exclude: patterns('exclude', options.exclude, []),
    concurrency: positiveInteger('concurrency', options.concurrency, MONITOR_DEFAULTS.concurrency, 'Use e.g. 2.'),
    leaseMs,
    instanceId,
    gracePeriodMs,
    logger: options.logger,
  });
}
