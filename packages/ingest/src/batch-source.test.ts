import { describe, expect, it } from 'vitest';
import {
  defaultWorkerUrl,
  deserializeError,
  fromWire,
  serializeError,
  toWire,
  wireTransferables,
} from './batch-source.js';

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

describe('toWire / fromWire', () => {
  it('carries a batch text exactly as Latin-1 bytes or as UTF-16, outside the string heap', () => {
    for (const [text, latin1] of [
      ['Zürich,C001,1.50', true],
      ['Zürich € 漢字 😀 \ud800', false],
      ['', true],
    ] as const) {
      const batch = {
        rows: {
          rows: 1,
          width: 1,
          lines: Int32Array.of(2),
          tags: Uint8Array.of(1),
          numbers: new Float64Array(0),
          bigints: new BigInt64Array(0),
          text,
          textEnds: Int32Array.of(text.length),
        },
        rejects: [],
        rowsRead: 1,
        bytesRead: 10,
      };
      const expected = structuredClone(batch);
      const wire = toWire(batch);
      expect(wire.rows.latin1).toBe(latin1);
      expect('text' in wire.rows).toBe(false);
      const transfer = wireTransferables(wire);
      expect(transfer.includes(wire.rows.textBytes.buffer as ArrayBuffer)).toBe(text.length > 0);
      const back = fromWire(structuredClone(wire, { transfer }));
      expect(back.rows.text).toBe(text);
      expect(back).toEqual(expected);
    }
  });
});
