/**
 * Real reference-data files from the shared public corpus, loaded through the facade and read
 * back. The corpus is read in place; these tests skip on machines that do not have it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_CORPUS } from '@refdata/test-utils';
import { describe, expect, it } from 'vitest';
import { readAll, setup } from './helpers.js';

const dir = join(SHARED_CORPUS, 'refdata');
const present = existsSync(dir);

describe.skipIf(!present)('corpus: real reference-data files', () => {
  const files = present ? readdirSync(dir).filter((f) => f.endsWith('.csv')) : [];

  it.each(files)('loads %s with every row accounted for and none rejected', async (name) => {
    const { db, ingestor } = await setup();
    const result = await ingestor.ingest(join(dir, name), { maxErrors: Number.MAX_SAFE_INTEGER });
    expect(result.rejects).toEqual([]);
    expect(result.rowsLoaded).toBe(result.rowsRead);
    expect(await readAll(db, result.table)).toHaveLength(result.rowsRead);
  });

  it('keeps leading-zero currency codes and the country code NA (Namibia) as text', async () => {
    const { db, ingestor } = await setup();
    const currencies = await ingestor.ingest(join(dir, 'codes-all.csv'), { table: 'currencies', maxErrors: 1000 });
    const numeric = currencies.format.columns.findIndex((c) => c.name === 'NumericCode');
    const codes = (await readAll(db, 'currencies')).map((r) => r[numeric]);
    expect(codes).toContain('008');
    expect(codes).toContain('036');
    const countries = await ingestor.ingest(join(dir, 'country-codes.csv'), { table: 'countries' });
    const alpha2 = countries.format.columns.findIndex((c) => c.name === 'ISO3166-1-Alpha-2');
    expect((await readAll(db, 'countries')).map((r) => r[alpha2])).toContain('NA');
  });
});
