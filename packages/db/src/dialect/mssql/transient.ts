/**
 * Table-driven classification of SQL Server / tedious errors as transient (retry the whole unit of
 * work on a fresh connection) or permanent. Everything not listed is permanent.
 */
import type { RetryClass } from '../../retry.js';

/**
 * SQL Server error numbers worth retrying, with why. Sources: Azure SQL "transient fault error
 * codes" (learn.microsoft.com/azure/azure-sql/database/troubleshoot-common-errors-issues) and the
 * engine's deadlock/lock-timeout/resource errors.
 */
export const TRANSIENT_SERVER_ERRORS: Readonly<
  Record<number, { readonly reason: string; readonly throttled?: boolean }>
> = Object.freeze({
  1205: { reason: 'deadlock victim' },
  1204: { reason: 'lock resources exhausted' },
  1222: { reason: 'lock request timeout' },
  4060: { reason: 'cannot open database (failover or not yet online)' },
  4221: { reason: 'login to read-secondary failed during replica change' },
  40143: { reason: 'service failed to process the request' },
  40197: { reason: 'service error processing the request (reconfiguration)' },
  40501: { reason: 'service is busy (throttling)', throttled: true },
  40540: { reason: 'service encountered an error processing the request' },
  40613: { reason: 'database not currently available' },
  42108: { reason: 'cannot connect to the SQL pool' },
  42109: { reason: 'SQL pool is warming up' },
  49918: { reason: 'not enough resources to process the request', throttled: true },
  49919: { reason: 'too many create/update operations in progress', throttled: true },
  49920: { reason: 'too many operations in progress', throttled: true },
  10928: { reason: 'resource limit reached', throttled: true },
  10929: { reason: 'minimum guarantee not available (resource governance)', throttled: true },
  615: { reason: 'database could not be found (failover)' },
  926: { reason: 'database marked suspect during recovery' },
});

/**
 * Login refusals that say the server is not accepting logins right now (starting, stopping,
 * paused, recovering), not that the credentials are wrong: retried like an unreachable server.
 * SQL Server numbers 17142 (service paused), 17187 (not ready to accept new client connections),
 * 18401 (script upgrade mode); PostgreSQL-based engines (Babelfish) send SQLSTATE 57P03's texts.
 */
export const NOT_ACCEPTING_LOGIN_ERRORS: readonly number[] = Object.freeze([17142, 17187, 18401]);
const NOT_ACCEPTING_LOGIN_TEXT =
  /shutting down|starting up|not yet accepting connections|not ready to accept|in recovery mode|script upgrade mode|has been paused/i;

/**
 * True when a login error says the server is not accepting logins at the moment (see
 * {@link NOT_ACCEPTING_LOGIN_ERRORS}) rather than that the login itself is wrong.
 *
 * @example
 * ```ts
 * serverNotAcceptingLogins({ code: 'ELOGIN', message: 'the database system is shutting down' }); // true
 * serverNotAcceptingLogins({ code: 'ELOGIN', message: "Login failed for user 'u'." }); // false
 * ```
 */
export function serverNotAcceptingLogins(err: unknown): boolean {
  for (const e of walk(err)) {
    if (typeof e.number === 'number' && NOT_ACCEPTING_LOGIN_ERRORS.includes(e.number)) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && NOT_ACCEPTING_LOGIN_TEXT.test(message)) return true;
  }
  return false;
}

/** Socket-level error codes (tedious ESOCKET wraps them) worth retrying. */
export const TRANSIENT_SOCKET_CODES: readonly string[] = Object.freeze([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** The fields of a driver error that classification reads. */
export interface ErrorLike {
  code?: unknown;
  number?: unknown;
  errno?: unknown;
  cause?: unknown;
  errors?: unknown;
  driverCode?: unknown;
  transient?: unknown;
}

/** All errors reachable from `err` through AggregateError.errors and `cause` (depth-limited). */
export function* walk(err: unknown, depth = 0): Generator<ErrorLike> {
  if (err === null || typeof err !== 'object' || depth > 8) return;
  const e = err as ErrorLike;
  yield e;
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* walk(inner, depth + 1);
  if (e.cause !== undefined) yield* walk(e.cause, depth + 1);
}

/**
 * Classifies an error: `throttled` (retry with a longer wait), `transient` or `permanent`.
 * Unwraps AggregateError (tedious reports several connection attempts that way) and `cause`.
 *
 * @example
 * ```ts
 * classifyMssqlError(Object.assign(new Error('deadlock'), { number: 1205 })); // 'transient'
 * ```
 */
export function classifyMssqlError(err: unknown): RetryClass {
  let result: RetryClass = 'permanent';
  for (const e of walk(err)) {
    if (typeof e.number === 'number') {
      const entry = TRANSIENT_SERVER_ERRORS[e.number];
      if (entry?.throttled) return 'throttled';
      if (entry !== undefined) result = 'transient';
    }
    const code = typeof e.code === 'string' ? e.code : typeof e.driverCode === 'string' ? e.driverCode : undefined;
    if (code !== undefined && TRANSIENT_SOCKET_CODES.includes(code)) result = 'transient';
    if (code === 'ESOCKET') {
      const message = String((e as { message?: unknown }).message ?? '');
      if (TRANSIENT_SOCKET_CODES.some((c) => message.includes(c))) result = 'transient';
    }
    // tedious: connect timeout is ETIMEOUT on a ConnectionError; a broken socket is ESOCKET with the
    // socket error (ECONNRESET, …) as cause, which this walk reaches.
    if (code === 'ETIMEOUT' && (e as { name?: unknown }).name !== 'RequestError') result = 'transient';
    if (e.transient === true) result = 'transient';
  }
  if (result === 'permanent' && serverNotAcceptingLogins(err)) result = 'transient';
  return result;
}
