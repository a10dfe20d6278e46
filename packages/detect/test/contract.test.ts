import { describe, expect, it } from 'vitest';
import {
  type CreateValueParserFn,
  createValueParser,
  DetectError,
  DetectErrorCode,
  type DetectFormatFn,
  detectFormat,
  type FormatCanonicalFn,
  formatCanonical,
  isDetectError,
  type ReadRecordsFn,
  readRecords,
} from '../src/index.js';

describe('the public contract', () => {
  it('implements the signatures of api.ts', () => {
    const fns = {
      detectFormat: detectFormat satisfies DetectFormatFn,
      readRecords: readRecords satisfies ReadRecordsFn,
      createValueParser: createValueParser satisfies CreateValueParserFn,
      formatCanonical: formatCanonical satisfies FormatCanonicalFn,
    };
    for (const fn of Object.values(fns)) expect(typeof fn).toBe('function');
  });

  it('prefixes every error code with DETECT_ and recognises errors by code', () => {
    for (const code of Object.values(DetectErrorCode)) expect(code).toMatch(/^DETECT_[A-Z_]+$/);
    const err = new DetectError(DetectErrorCode.Undetectable, 'x', { line: 3 });
    expect(isDetectError(err)).toBe(true);
    expect(isDetectError({ name: 'DetectError', code: 'DETECT_EMPTY_FILE', message: 'copy' })).toBe(true);
    expect(isDetectError(new Error('DETECT_EMPTY_FILE'))).toBe(false);
    expect(err.line).toBe(3);
  });

  it('gives FormatInfo that survives a structured clone (for worker threads)', async () => {
    const format = await detectFormat(new TextEncoder().encode('a,b\n1,x\n'));
    expect(structuredClone(format)).toEqual(format);
  });
});
