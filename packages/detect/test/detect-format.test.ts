import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { detectFormat } from '../src/index.js';

const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const kinds = (format: Awaited<ReturnType<typeof detectFormat>>): string[] => format.columns.map((c) => c.type.kind);

async function tempFile(name: string, content: string | Uint8Array): Promise<string> {
  const { dir, cleanup } = await makeTempDir('detect-');
  onTestFinished(cleanup);
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('detectFormat', () => {
  it('keeps ISO 4217 codes with leading zeros as text', async () => {
    const format = await detectFormat(fixture('currencies-leading-zeros.csv'));
    expect(format.delimiter.value).toBe(',');
    expect(format.headerRows.value).toBe(1);
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'alpha', 'name', 'minor']);
    expect(format.columns[0]?.type).toEqual({ kind: 'text', maxLength: 3 });
    expect(format.columns[0]?.reason).toContain('"008" has leading zeros');
    expect(format.columns[3]?.type).toEqual({ kind: 'integer', size: 'int' });
    expect(format.columns.map((c) => c.nullable)).toEqual([false, false, false, false]);
  });

  it('strips a UTF-8 BOM from the first column name and sees CRLF', async () => {
    const format = await detectFormat(fixture('bom-crlf.csv'));
    expect(format.bom).toBe(true);
    expect(format.encoding.value).toBe('utf-8');
    expect(format.lineTerminator.value).toBe('\r\n');
    expect(format.columns[0]?.rawName).toBe('id');
  });

  it('reads UTF-16 LE with a BOM', async () => {
    const format = await detectFormat(fixture('utf16le-bom.csv'));
    expect(format.encoding.value).toBe('utf-16le');
    expect(format.bom).toBe(true);
    expect(format.delimiter.value).toBe(';');
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'name']);
  });

  it('reads UTF-16 BE without a BOM from its zero-byte pattern', async () => {
    const le = Buffer.from('code;name\nAX;Åland\nCI;Côte\n', 'utf16le');
    const be = Buffer.from(le).swap16();
    const format = await detectFormat(new Uint8Array(be));
    expect(format.encoding.value).toBe('utf-16be');
    expect(format.bom).toBe(false);
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'name']);
  });

  it('falls back to ISO-8859-1 when bytes are undefined in Windows-1252', async () => {
    const bytes = Uint8Array.from([
      ...Buffer.from('a;b\nx;', 'latin1'),
      0x81,
      0x0a,
      ...Buffer.from('y;', 'latin1'),
      0xe9,
      0x0a,
    ]);
    const format = await detectFormat(bytes);
    expect(format.encoding.value).toBe('iso-8859-1');
  });

  it('refuses a UTF-8 file with a damaged byte instead of garbling it as Windows-1252, naming the line', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `A${i},Café Müller ${i}`).join('\n');
    const bytes = Buffer.concat([
      Buffer.from(`code,name\n${rows}\nX,caf`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    await expect(detectFormat(new Uint8Array(bytes))).rejects.toMatchObject({
      code: 'DETECT_INVALID_ENCODING',
      line: 22,
      message: expect.stringMatching(/is UTF-8 \(40 valid multi-byte characters\) but line 22 holds bytes/),
    });
    // An explicit encoding is obeyed, and Windows-1252 text (no valid UTF-8 sequences) is still read as such.
    const forced = await detectFormat(new Uint8Array(bytes), { overrides: { encoding: 'windows-1252' } });
    expect(forced.encoding.value).toBe('windows-1252');
    const latin = Buffer.from(`code,name\n${rows}\n`, 'latin1');
    expect((await detectFormat(new Uint8Array(latin))).encoding.value).toBe('windows-1252');
  });

  it('recognises Windows-1252 from its bytes (é, €)', async () => {
    const format = await detectFormat(fixture('windows-1252.csv'));
    expect(format.encoding.value).toBe('windows-1252');
    expect(format.encoding.reason).toContain('0x80');
  });

  it('reads decimal commas in a semicolon file', async () => {
    const format = await detectFormat(fixture('semicolon-decimal-comma.csv'));
    expect(format.delimiter.value).toBe(';');
    expect(format.columns[1]?.type).toEqual({
      kind: 'decimal',
      precision: 7,
      scale: 2,
      decimalSeparator: ',',
      groupSeparator: '.',
    });
    expect(format.columns[2]?.type).toEqual({ kind: 'integer', size: 'int' });
  });

  it('detects tabs and pipes', async () => {
    const tsv = await detectFormat(fixture('tabs.tsv'));
    expect(tsv.delimiter.value).toBe('\t');
    expect(kinds(tsv)).toEqual(['integer', 'text', 'decimal']);
    const pipe = await detectFormat(fixture('pipe.txt'));
    expect(pipe.delimiter.value).toBe('|');
    expect(kinds(pipe)).toEqual(['integer', 'text', 'boolean']);
  });

  it('keeps quoted newlines and doubled quotes inside fields', async () => {
    const format = await detectFormat(fixture('quoted-newlines.csv'));
    expect(format.quote.value).toBe('"');
    expect(format.escape.value).toBe('"');
    expect(format.lineTerminator.value).toBe('\n');
    expect(kinds(format)).toEqual(['integer', 'text', 'integer']);
  });

  it('chooses the dialect that fits the whole sample when the first rows fit two', async () => {
    const format = await detectFormat(fixture('two-dialects.csv'));
    expect(format.delimiter.value).toBe(';');
    expect(format.delimiter.reason).toMatch(/^delimiter ';' chosen: 7 of 7 rows have 2 fields/);
  });

  it('skips a preamble with a title, a note and a blank line', async () => {
    const format = await detectFormat(fixture('preamble.csv'));
    expect(format.preambleLines.value).toBe(3);
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'rate', 'date']);
    expect(kinds(format)).toEqual(['text', 'decimal', 'date']);
  });

  it('names columns col_N when there is no header', async () => {
    const format = await detectFormat(fixture('no-header.csv'));
    expect(format.headerRows.value).toBe(0);
    expect(format.headerRows.reason).toContain('no header');
    expect(format.columns.map((c) => c.name)).toEqual(['col_1', 'col_2', 'col_3', 'col_4']);
  });

  it('joins a two-row header', async () => {
    const format = await detectFormat(fixture('multi-row-header.csv'));
    expect(format.headerRows.value).toBe(2);
    expect(format.columns.map((c) => c.rawName)).toEqual(['Country name', 'Population millions', 'Area km2']);
    expect(kinds(format)).toEqual(['text', 'decimal', 'integer']);
  });

  it('makes duplicate and empty header names safe', async () => {
    const format = await detectFormat(fixture('duplicate-headers.csv'));
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'Code_2', 'col_3', 'name', 'NAME_2']);
    expect(format.columns[2]?.rawName).toBe('');
  });

  it('finds footnotes after a blank line at the end of the file', async () => {
    const format = await detectFormat(fixture('footer.csv'));
    expect(format.footerLines).toBe(2);
    expect(format.warnings.join()).toContain('from 5');
  });

  it('detects a multi-character delimiter', async () => {
    const format = await detectFormat(fixture('comma-space.csv'));
    expect(format.delimiter.value).toBe(', ');
    expect(format.columns.map((c) => c.name)).toEqual(['id', 'name', 'city']);
  });

  it('detects backslash-escaped quotes', async () => {
    const format = await detectFormat(fixture('backslash-escape.csv'));
    expect(format.escape.value).toBe('\\');
  });

  it('fails with DETECT_UNCLOSED_QUOTE and the line when a quote never closes', async () => {
    await expect(detectFormat(fixture('unclosed-quote.csv'))).rejects.toMatchObject({
      code: 'DETECT_UNCLOSED_QUOTE',
      line: 3,
    });
  });

  it('keeps a comma file whose text values hold spaces and numbers as commas, not spaces', async () => {
    // Every row splits into 2 fields on ',' and into 3 or 4 on ' ' (all but the header): the
    // consistent reading wins, as in CleverCSV, where every width pattern divides the score.
    for (const value of ['New York', 'Café Müller', 'Building of the Year']) {
      const rows = Array.from({ length: 40 }, (_, i) => `A${i},${value} ${i}`);
      const format = await detectFormat(new TextEncoder().encode(`code,name\n${rows.join('\n')}\n`));
      expect(format.delimiter.value, value).toBe(',');
      expect(format.headerRows.value, value).toBe(1);
      expect(format.columns.map((c) => c.name)).toEqual(['code', 'name']);
    }
  });

  it('reads a single column with spaces in its values as one column', async () => {
    const format = await detectFormat(new TextEncoder().encode('city\nParis\nNew York\nLos Angeles\nRome\n'));
    expect(format.columns.map((c) => c.name)).toEqual(['city']);
    expect(format.delimiter.reason).toContain('a single column');
  });

  it('keeps sparse rows in the table and reads padded pipes and Excel sep= hints', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const sparse = await detectFormat(enc('a,b,c,d\n1,,,\n,2,,\n,,3,\n,,,4\n'));
    expect(sparse.preambleLines.value).toBe(0);
    expect(sparse.headerRows.value).toBe(1);
    expect(sparse.footerLines).toBe(0);
    const pipes = await detectFormat(enc('a | b | c\n1 | x y | 2\n3 | z | 4\n'));
    expect(pipes.delimiter.value).toBe(' | ');
    expect(pipes.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    const excel = await detectFormat(enc('sep=;\r\nid;name\r\n1;a\r\n2;b\r\n'));
    expect(excel.delimiter.value).toBe(';');
    expect(excel.delimiter.reason).toContain('sep=;');
    expect(excel.preambleLines.value).toBe(1);
  });

  it('reads 20,000 columns whose header alone is longer than the 64 KiB the dialect is chosen on', async () => {
    const header = Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',');
    const row = (k: number): string => Array.from({ length: 20_000 }, (_, i) => String(i * k)).join(',');
    expect(header.length).toBeGreaterThan(65_536);
    const format = await detectFormat(new TextEncoder().encode(`${header}\n${row(1)}\n${row(2)}\n`));
    expect(format.delimiter.value).toBe(',');
    expect(format.headerRows.value).toBe(1);
    expect(format.columns).toHaveLength(20_000);
    expect(format.columns[19_999]?.name).toBe('c19999');
  });

  it('reads 10,000 columns', async () => {
    const header = Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: 10_000 }, (_, i) => String(i)).join(',');
    const path = await tempFile('wide.csv', `${header}\n${row}\n${row}\n`);
    const format = await detectFormat(path);
    expect(format.columns).toHaveLength(10_000);
    expect(format.columns[9_999]?.name).toBe('c9999');
    expect(format.columns[9_999]?.type.kind).toBe('integer');
  });

  it('refuses empty and binary input with clear codes', async () => {
    await expect(detectFormat(new Uint8Array(0))).rejects.toMatchObject({ code: 'DETECT_EMPTY_FILE' });
    await expect(detectFormat(Uint8Array.from([0xef, 0xbb, 0xbf, 0x0a, 0x20]))).rejects.toMatchObject({
      code: 'DETECT_EMPTY_FILE',
    });
    await expect(detectFormat(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))).rejects.toMatchObject({
      code: 'DETECT_BINARY_FILE',
      message: expect.stringContaining('Excel'),
    });
    await expect(detectFormat('/nonexistent/file.csv')).rejects.toMatchObject({ code: 'DETECT_READ_FAILED' });
  });

  it('honours overrides and marks them', async () => {
    const format = await detectFormat(fixture('currencies-leading-zeros.csv'), {
      overrides: { delimiter: ',', header: false, columnTypes: { col_4: 'text' } },
    });
    expect(format.delimiter.overridden).toBe(true);
    expect(format.headerRows.value).toBe(0);
    expect(format.columns[3]?.type.kind).toBe('text');
  });

  it('reads only the sample of a large input', async () => {
    const lines = ['id,value'];
    for (let i = 0; i < 50_000; i += 1) lines.push(`${i},${i * 3}.5`);
    const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const format = await detectFormat(bytes, { sampleBytes: 4096, sampleRows: 100 });
    expect(format.sample.wholeFile).toBe(false);
    expect(format.sample.bytes).toBe(4096);
    expect(format.sample.rows).toBe(100);
    expect(kinds(format)).toEqual(['integer', 'decimal']);
    // Larger numbers may follow the sample: the integer digits are widened, the scale is kept.
    expect(format.columns[1]?.type).toMatchObject({ precision: 18, scale: 1 });
    // No null in the sample, but the sample did not see every row: nullability is unknown.
    expect(format.columns.map((c) => c.nullable)).toEqual([true, true]);
  });

  it('leaves ambiguous day/month dates as text unless dateOrder is set', async () => {
    const text = 'd,v\n03/04/2025,1\n05/06/2025,2\n';
    const plain = await detectFormat(new TextEncoder().encode(text));
    expect(plain.columns[0]?.type.kind).toBe('text');
    expect(plain.warnings.join()).toContain('dateOrder');
    const dmy = await detectFormat(new TextEncoder().encode(text), { overrides: { dateOrder: 'DMY' } });
    expect(dmy.columns[0]?.type).toEqual({ kind: 'date', format: 'DD/MM/YYYY' });
    const decided = await detectFormat(new TextEncoder().encode('d,v\n03/04/2025,1\n25/06/2025,2\n'));
    expect(decided.columns[0]?.type).toEqual({ kind: 'date', format: 'DD/MM/YYYY' });
  });

  it('keeps 1e5-like and hex-like codes as text and big integers exact', async () => {
    const text = 'a,b,c\n1e5,0x1F,9223372036854775807\n2e5,0x20,1\n';
    const format = await detectFormat(new TextEncoder().encode(text));
    expect(format.columns[0]?.type.kind).toBe('text');
    expect(format.columns[1]?.type.kind).toBe('text');
    expect(format.columns[2]?.type).toEqual({ kind: 'integer', size: 'bigint' });
  });

  it('matches the fixture bytes it was written for', () => {
    expect(readFileSync(fixture('windows-1252.csv')).includes(0x80)).toBe(true);
  });
});
