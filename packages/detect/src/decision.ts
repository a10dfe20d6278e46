/**
 * Builds the {@link Decision} every detector returns: a value, a confidence rounded to two
 * places, a readable reason and whether an override decided it.
 * @internal
 */
import type { Decision } from './types.js';

/** A decision; `confidence` is rounded to 0.01. @internal */
export function decision<T>(value: T, confidence: number, reason: string, overridden = false): Decision<T> {
  return { value, confidence: Math.round(confidence * 100) / 100, reason, overridden };
}
