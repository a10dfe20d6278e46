import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@refdata/db';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from './config.js';
import { findDataset, globToRegExp, ingestOptionsFor, syncDatasets } from './datasets.js';

function configWith(datasets: unknown, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'refdata-ds-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'refdata.config.json'), JSON.stringify({ datasets }));
  return { config: loadConfig({ env, cwd: dir }), dir };
}

describe('globToRegExp', () => {
  it('matches *, ? and [classes] case-insensitively, and nothing else specially', () => {
    expect(globToRegExp('fx_*.csv').test('FX_rates_2025.csv')).toBe(true);
    expect(globToRegExp('fx_*.csv').test('fx_rates.csv.bak')).toBe(false);
    expect(globToRegExp('r?.csv').test('r1.csv')).toBe(true);
    expect(globToRegExp('[ab]x.csv').test('bx.csv')).toBe(true);
    expect(globToRegExp('[ab]x.csv').test('cx.csv')).toBe(false);
    expect(globToRegExp('a+b(1).csv').test('a+b(1).csv')).toBe(true);
    expect(globToRegExp('[open.csv').test('[open.csv')).toBe(true);
  });
});

describe('findDataset and ingestOptionsFor', () => {
  it('routes by globs first, then by the table derived from the file name', () => {
    const { config } = configWith({
      rates: {
        files: ['fx_*.csv'],
        mode: 'append',
        maxErrors: 3,
        format: { delimiter: ';' },
        types: { rate: 'decimal' },
      },
      currencies: { mode: 'upsert', keyColumns: ['code'] },
    });
    expect(findDataset(config.datasets, 'fx_20250101.csv')?.table).toBe('rates');
    expect(findDataset(config.datasets, 'currencies_2025-01-31.csv')?.table).toBe('currencies');
    expect(findDataset(config.datasets, 'other.csv')).toBeUndefined();
    expect(findDataset(config.datasets, '---.csv')).toBeUndefined();

    expect(ingestOptionsFor(config, 'fx_20250101.csv')).toEqual({
      table: 'rates',
      mode: 'append',
      maxErrors: 3,
      schemaDrift: 'fail',
      skipDuplicates: true,
      format: { delimiter: ';', columnTypes: { rate: 'decimal' } },
    });
    expect(ingestOptionsFor(config, 'currencies.csv')).toMatchObject({
      table: 'currencies',
      mode: 'upsert',
      keyColumns: ['code'],
    });
    expect(ingestOptionsFor(config, 'x.csv', 'currencies')).toMatchObject({ table: 'currencies', mode: 'upsert' });
    expect(ingestOptionsFor(config, 'Units Of Measure.csv')).toEqual({
      table: 'units_of_measure',
      maxErrors: 0,
      schemaDrift: 'fail',
      skipDuplicates: true,
    });
  });

  it('takes the global ingest settings when the dataset has none', () => {
    const { config } = configWith(
      {},
      { INGEST_MAX_ERRORS: '7', INGEST_SCHEMA_DRIFT: 'add', INGEST_SKIP_DUPLICATES: 'no' },
    );
    expect(ingestOptionsFor(config, 'a.csv')).toEqual({
      table: 'a',
      maxErrors: 7,
      schemaDrift: 'add',
      skipDuplicates: false,
    });
  });
});

describe('syncDatasets', () => {
  it('records each dataset in the database with the type overrides that have one exact database type', async () => {
    const { config, dir } = configWith({
      currencies: {
        mode: 'upsert',
        keyColumns: ['code'],
        types: { numeric_code: 'text', active: 'boolean', rate: 'decimal' },
      },
      units: {},
    });
    const db = await openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
    await db.migrate();
    onTestFinished(() => db.close());
    expect(await syncDatasets(db, config.datasets)).toBe(2);
    expect(await db.getDataset('currencies')).toEqual({
      table: 'currencies',
      mode: 'upsert',
      keyColumns: ['code'],
      typeOverrides: { numeric_code: { kind: 'text' }, active: { kind: 'boolean' } },
    });
    expect(await db.getDataset('units')).toMatchObject({ mode: 'replace', keyColumns: [] });
  });
});
