/** The no-op default of the structural {@link Logger} every part of the package accepts. */
import type { Logger } from './types.js';

const noop = (): void => {};

/**
 * A {@link Logger} that discards everything: the default of every option that takes a logger.
 *
 * @example
 * ```ts
 * const db = await openDatabase('sqlite::memory:', { logger: noopLogger });
 * ```
 */
export const noopLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): Logger => noopLogger,
});
