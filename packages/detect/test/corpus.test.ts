import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_CORPUS } from '@refdata/test-utils';
import { describe, expect, it } from 'vitest';
import { createValueParser, detectFormat, type FormatInfo, readRecords, type SourceRecord } from '../src/index.js';

const REFDATA = join(SHARED_CORPUS, 'refdata');
const file = (name: string): string => join(REFDATA, name);

async function read(path: string, format: FormatInfo): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readRecords(createReadStream(path), format)) out.push(r);
  return out;
}

function column(format: FormatInfo, name: string) {
  const c = format.columns.find((col) => col.rawName === name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}

describe.skipIf(!existsSync(REFDATA))('the public reference-data corpus', () => {
  it('keeps ISO 4217 numeric codes with leading zeros as text (codes-all.csv)', async () => {
    const path = file('codes-all.csv');
    const format = await detectFormat(path);
    const numeric = column(format, 'NumericCode');
    expect(numeric.type.kind).toBe('text');
    const records = await read(path, format);
    const albania = records.find((r) => r.fields[0] === 'ALBANIA');
    const parse = createValueParser(numeric.type, format.nullTokens);
    expect(parse(albania!.fields[numeric.index]!)).toEqual({ ok: true, value: '008' });
    expect(records.every((r) => r.fields.length === format.columns.length)).toBe(true);
  });

  it("never turns Namibia's code NA into NULL (country-codes.csv)", async () => {
    const path = file('country-codes.csv');
    const format = await detectFormat(path);
    expect(format.columns).toHaveLength(56);
    const alpha2 = column(format, 'ISO3166-1-Alpha-2');
    const records = await read(path, format);
    const namibia = records.find((r) => r.fields.includes('Namibia'));
    const parse = createValueParser(alpha2.type, format.nullTokens);
    expect(parse(namibia!.fields[alpha2.index]!)).toEqual({ ok: true, value: 'NA' });
    // "2,2" (two currencies' minor units) is quoted text, not a decimal comma.
    const minor = column(format, 'ISO4217-currency_minor_unit');
    expect(minor.type.kind).toBe('text');
    expect(records).toHaveLength(249);
  });

  it('reads the fully quoted UN M49 files in six languages with codes such as "001" as text', async () => {
    for (const lang of ['ar', 'cn', 'en', 'es', 'fr', 'ru']) {
      const path = file(`UNSD-${lang}.csv`);
      const format = await detectFormat(path);
      expect(format.delimiter.value, lang).toBe(',');
      expect(format.columns[0]?.rawName.startsWith('\ufeff'), lang).toBe(false);
      const codes = format.columns.filter((c) => /Code$/.test(c.rawName) && !/alpha|ISO/i.test(c.rawName));
      expect(codes.length, lang).toBeGreaterThan(0);
      for (const c of codes) expect(c.type.kind, `${lang} ${c.rawName}`).toBe('text');
      const records = await read(path, format);
      const lines = readFileSync(path, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l !== '');
      expect(records.length, lang).toBe(lines.length - 1);
      expect(
        records.every((r) => r.fields.length === 15),
        lang,
      ).toBe(true);
      expect(records[0]?.fields[0], lang).toBe('001');
    }
  });

  it('reads the language-code files', async () => {
    for (const name of [
      'ietf-language-tags.csv',
      'language-codes-3b2.csv',
      'language-codes-full.csv',
      'language-codes.csv',
    ]) {
      const path = file(name);
      const format = await detectFormat(path);
      const records = await read(path, format);
      expect(records.length, name).toBeGreaterThan(100);
      expect(
        records.every((r) => r.fields.length === format.columns.length),
        name,
      ).toBe(true);
    }
  });
});
