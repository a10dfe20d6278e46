import { describe, expect, it } from 'vitest';
import { defaultWorkerUrl, deserializeError, serializeError } from './batch-source.js';

describe('serializeError / deserializeError', () => {
  it('carries name, message, code and other plain fields across threads', () => {
    const original = Object.assign(new Error('A quoted field starting on line 5 is never closed'), {
      name: 'DetectError',
      code: 'DETECT_UNCLOSED_QUOTE',
      line: 5,
      nested: { dropped: true },
    });
    const copy = deserializeError(structuredClone(serializeError(original)));
    expect(copy).toBeInstanceOf(Error);
    expect(copy).toMatchObject({
      name: 'DetectError',
      message: original.message,
      code: 'DETECT_UNCLOSED_QUOTE',
      line: 5,
    });
    expect((copy as { nested?: unknown }).nested).toBeUndefined();
    expect(copy.stack).toBe(original.stack);
  });

  it('turns a thrown non-error into an Error', () => {
    expect(deserializeError(serializeError('boom'))).toMatchObject({ name: 'Error', message: 'boom' });
  });
});

describe('defaultWorkerUrl', () => {
  it('finds no compiled worker beside the sources, so tests from source parse inline', () => {
    expect(defaultWorkerUrl()).toBeUndefined();
  });
});
