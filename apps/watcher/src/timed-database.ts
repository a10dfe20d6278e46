/**
 * Times every asynchronous database operation (for the `refdata_db_operation_seconds` metric)
 * without touching @refdata/db: a transparent proxy over its public `Database` object.
 */
import type { Database } from '@refdata/db';

/** Receives one timed operation: its name (`beginLoad`, `session.commit`, `files.claimNew`, …). */
export type OperationObserver = (operation: string, seconds: number, ok: boolean) => void;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function wrap<T extends object>(target: T, prefix: string, observe: OperationObserver, nested: ReadonlySet<string>): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof prop !== 'string') return value;
      if (nested.has(prop) && typeof value === 'object' && value !== null) {
        if (!cache.has(prop)) cache.set(prop, wrap(value, `${prop}.`, observe, new Set()));
        return cache.get(prop);
      }
      if (typeof value !== 'function') return value;
      if (cache.has(prop)) return cache.get(prop);
      const name = `${prefix}${prop}`;
      const fn = value as (...args: unknown[]) => unknown;
      const wrapped = (...args: unknown[]): unknown => {
        const start = performance.now();
        const result = fn.apply(obj, args);
        if (!isThenable(result)) return result;
        return Promise.resolve(result).then(
          (v) => {
            observe(name, (performance.now() - start) / 1000, true);
            if (name === 'beginLoad' && typeof v === 'object' && v !== null)
              return wrap(v, 'session.', observe, new Set());
            return v;
          },
          (err: unknown) => {
            observe(name, (performance.now() - start) / 1000, false);
            throw err;
          },
        );
      };
      cache.set(prop, wrapped);
      return wrapped;
    },
  });
}

/**
 * Returns a `Database` that behaves exactly like `db` and reports the duration of each
 * asynchronous call (including load-session `write`/`validate`/`commit` and `files.*`).
 *
 * @example
 * ```ts
 * const timed = timeDatabase(db, (op, s) => metrics.dbSeconds.observe(s, { operation: op }));
 * ```
 */
export function timeDatabase(db: Database, observe: OperationObserver): Database {
  return wrap(db, '', observe, new Set(['files']));
}
