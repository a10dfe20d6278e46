import { describe, expect, it } from 'vitest';
import { INGEST_LIMITS, resolveCallSettings, resolveIngestorSettings } from './settings.js';

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

  it('enforces exactly the published limits', () => {
    const { batchSize } = INGEST_LIMITS;
    expect(resolveIngestorSettings({ batchSize: batchSize.max } as never).batchSize).toBe(batchSize.max);
    expect(() => resolveIngestorSettings({ batchSize: batchSize.max + 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID', message: expect.stringContaining(`${batchSize.max}`) }),
    );
    expect(() => resolveIngestorSettings({ progressIntervalSeconds: 0 } as never)).toThrow(
      expect.objectContaining({ code: 'INGEST_OPTIONS_INVALID' }),
    );
  });
});
