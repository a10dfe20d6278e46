import { describe, expect, it } from 'vitest';
import { toIngestError } from './error-mapping.js';
import { IngestError, IngestErrorCode, isIngestError } from './errors.js';

describe('IngestError', () => {
  it('keeps the wrapped error as cause and its code visible', () => {
    const cause = Object.assign(new Error('database is locked'), { code: 'DB_LOCKED' });
    const err = new IngestError(IngestErrorCode.DB_UNAVAILABLE, 'later', { cause, file: 'a.csv', table: 'a' });
    expect(err).toMatchObject({
      name: 'IngestError',
      code: 'INGEST_DB_UNAVAILABLE',
      causeCode: 'DB_LOCKED',
      file: 'a.csv',
      table: 'a',
    });
    expect(err.cause).toBe(cause);
    expect(isIngestError(err)).toBe(true);
    expect(isIngestError(Object.assign(new Error('x'), { name: 'IngestError', code: 'INGEST_CANCELLED' }))).toBe(true);
    expect(isIngestError(Object.assign(new Error('x'), { code: 'INGEST_CANCELLED' }))).toBe(false);
  });
});

describe('toIngestError', () => {
  const where = { file: '/drop/x.csv', table: 'x' };
  const coded = (code: string, extra: object = {}): Error =>
    Object.assign(new Error(`failure ${code}`), { code, ...extra });

  it('maps errors of the other packages and of the file system to ingest codes', () => {
    expect(toIngestError(coded('ENOENT'), 'read', where).code).toBe('INGEST_FILE_UNREADABLE');
    expect(toIngestError(coded('DETECT_READ_FAILED'), 'detect', where).code).toBe('INGEST_FILE_UNREADABLE');
    expect(toIngestError(coded('DETECT_BINARY_FILE'), 'detect', where).code).toBe('INGEST_FORMAT_UNDETECTABLE');
    expect(toIngestError(coded('DETECT_UNCLOSED_QUOTE', { line: 9 }), 'read', where)).toMatchObject({
      code: 'INGEST_FILE_MALFORMED',
      details: { line: 9 },
    });
    expect(toIngestError(coded('DETECT_INVALID_OPTION'), 'detect', where).code).toBe('INGEST_OPTIONS_INVALID');
    expect(toIngestError(coded('DB_LOCKED'), 'db', where).code).toBe('INGEST_DB_UNAVAILABLE');
    expect(toIngestError(coded('DB_QUERY_FAILED', { transient: true }), 'db', where).code).toBe(
      'INGEST_DB_UNAVAILABLE',
    );
    expect(toIngestError(coded('DB_QUERY_FAILED'), 'db', where)).toMatchObject({
      code: 'INGEST_DB_FAILED',
      causeCode: 'DB_QUERY_FAILED',
    });
    expect(toIngestError(coded('DB_SCHEMA_MISMATCH'), 'db', where).code).toBe('INGEST_SCHEMA_DRIFT');
    expect(toIngestError(coded('ERR_WORKER_OUT_OF_MEMORY'), 'read', where).code).toBe('INGEST_WORKER_FAILED');
  });

  it('reports any failure after the signal aborted as a cancellation', () => {
    const controller = new AbortController();
    controller.abort(new Error('operator'));
    const err = toIngestError(coded('DB_ABORTED'), 'db', { ...where, signal: controller.signal });
    expect(err).toMatchObject({ code: 'INGEST_CANCELLED', causeCode: 'DB_ABORTED' });
    expect(err.message).toContain('operator');
  });

  it('returns an IngestError unchanged', () => {
    const err = new IngestError(IngestErrorCode.SCHEMA_DRIFT, 'drift');
    expect(toIngestError(err, 'db', where)).toBe(err);
  });
});
