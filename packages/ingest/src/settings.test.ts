import { describe, expect, it } from 'vitest';
import { ingestSettingsFromEnv, resolveCallSettings, resolveIngestorSettings } from './settings.js';

describe('ingestSettingsFromEnv', () => {
  it('reads the seed variable names and leaves unset ones out', () => {
    expect(
      ingestSettingsFromEnv({
        INGEST_BATCH_SIZE: '500',
        INGEST_PROGRESS_INTERVAL: '2.5',
        INGEST_TYPE_INFERENCE: 'false',
        INGEST_TYPE_SAMPLE_ROWS: '5000',
      }),
    ).toEqual({ batchSize: 500, progressIntervalSeconds: 2.5, typeInference: false, typeSampleRows: 5000 });
    expect(ingestSettingsFromEnv({ INGEST_BATCH_SIZE: ' ', OTHER: '1' })).toEqual({});
    expect(ingestSettingsFromEnv({ INGEST_TYPE_INFERENCE: '1' })).toEqual({ typeInference: true });
  });

  it('names the variable when a value is malformed', () => {
    expect(() => ingestSettingsFromEnv({ INGEST_BATCH_SIZE: 'lots' })).toThrow(
      expect.objectContaining({
        code: 'INGEST_OPTIONS_INVALID',
        message: expect.stringContaining('INGEST_BATCH_SIZE'),
      }),
    );
    expect(() => ingestSettingsFromEnv({ INGEST_BATCH_SIZE: '0' })).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID' }),
    );
    expect(() => ingestSettingsFromEnv({ INGEST_TYPE_INFERENCE: 'maybe' })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('INGEST_TYPE_INFERENCE') }),
    );
  });
});

describe('resolveIngestorSettings / resolveCallSettings', () => {
  it('fills the documented defaults', () => {
    expect(resolveIngestorSettings({} as never)).toEqual({
      batchSize: 990,
      progressIntervalSeconds: 5,
      typeInference: true,
      typeSampleRows: 1000,
      concurrency: 2,
    });
  });

  it('lets one call override the ingestor settings and validates closed sets', () => {
    const base = resolveIngestorSettings({} as never);
    expect(resolveCallSettings(base, { batchSize: 10, typeInference: false })).toMatchObject({
      batchSize: 10,
      typeInference: false,
      typeSampleRows: 1000,
    });
    expect(() => resolveCallSettings(base, { schemaDrift: 'merge' as never })).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID' }),
    );
    expect(() => resolveCallSettings(base, { keyColumns: [''] })).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID' }),
    );
    expect(() => resolveIngestorSettings({ concurrency: 0 } as never)).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID' }),
    );
  });
});
