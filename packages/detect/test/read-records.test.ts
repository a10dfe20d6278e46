import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { detectFormat, type FormatInfo, readRecordChunks, readRecords, type SourceRecord } from '../src/index.js';

const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

async function collect(
  source: AsyncIterable<Uint8Array>,
  format: FormatInfo,
  maxFieldSize?: number,
): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readRecords(source, format, maxFieldSize ? { maxFieldSize } : {})) out.push(r);
  return out;
}

/** Yields the bytes in chunks of `size` (1 splits every multi-byte character and CRLF). */
async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function* repeat(prefix: string, part: string, times: number, suffix: string): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  yield enc.encode(prefix);
  const block = enc.encode(part);
  for (let i = 0; i < times; i += 1) yield block;
  yield enc.encode(suffix);
}

describe('readRecords', () => {
  it('yields records with their starting physical line and raw text', async () => {
    const path = fixture('quoted-newlines.csv');
    const format = await detectFormat(path);
    const records = await collect(createReadStream(path), format);
    expect(records.map((r) => r.line)).toEqual([2, 4, 5, 7]);
    expect(records[0]?.fields).toEqual(['1', 'line one\nline two', '5']);
    expect(records[0]?.raw).toBe('1,"line one\nline two",5');
    expect(records[1]?.fields).toEqual(['2', 'say "hi"', '6']);
    expect(records[2]?.fields).toEqual(['3', 'a, b\r\nc', '7']);
  });

  it('gives the same records whatever the chunk size', async () => {
    for (const name of [
      'quoted-newlines.csv',
      'bom-crlf.csv',
      'utf16le-bom.csv',
      'windows-1252.csv',
      'comma-space.csv',
      'preamble.csv',
    ]) {
      const path = fixture(name);
      const format = await detectFormat(path);
      const whole = await collect(createReadStream(path), format);
      const bytes = new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(path)));
      for (const size of [1, 2, 3, 7]) {
        expect(await collect(chunks(bytes, size), format), `${name} in chunks of ${size}`).toEqual(whole);
      }
    }
  });

  it('decodes Windows-1252 and UTF-16 and drops the BOM', async () => {
    const cp = fixture('windows-1252.csv');
    const records = await collect(createReadStream(cp), await detectFormat(cp));
    expect(records.map((r) => r.fields)).toEqual([
      ['Café', '€ 3'],
      ['Paris', '€ 4'],
    ]);
    const u16 = fixture('utf16le-bom.csv');
    const u16records = await collect(createReadStream(u16), await detectFormat(u16));
    expect(u16records[1]?.fields).toEqual(['CI', "Côte d'Ivoire"]);
  });

  it('skips the preamble and header and stops before footnotes', async () => {
    const pre = fixture('preamble.csv');
    const records = await collect(createReadStream(pre), await detectFormat(pre));
    expect(records.map((r) => [r.line, r.fields[0]])).toEqual([
      [5, 'EUR'],
      [6, 'GBP'],
      [7, 'JPY'],
    ]);
    const foot = fixture('footer.csv');
    const footRecords = await collect(createReadStream(foot), await detectFormat(foot));
    expect(footRecords.map((r) => r.fields)).toEqual([
      ['A', '1'],
      ['B', '2'],
      ['C', '3'],
    ]);
  });

  it('stops before footnotes at the end of a file larger than the sample', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i * 2},x${i}`);
    const bytes = new TextEncoder().encode(
      `id,v,w\n${rows.join('\n')}\n\nNote: provisional figures\nSource: a survey\n`,
    );
    const format = await detectFormat(bytes, { sampleBytes: 4096 });
    expect(format.sample.wholeFile).toBe(false);
    expect(format.footerLines).toBe(3);
    expect(format.warnings.join()).toContain('last 3 line(s)');
    const records = await collect(chunks(bytes, 65_536), format);
    expect(records).toHaveLength(5000);
    expect(records.at(-1)).toEqual({ line: 5001, fields: ['4999', '9998', 'x4999'], raw: '4999,9998,x4999' });
  });

  it('readRecordChunks gives the records of readRecords, in non-empty arrays, footer held back', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},"v ${i}, x",${i % 7}`);
    const bytes = new TextEncoder().encode(`id,v,w\n${rows.join('\n')}\n\nNote: provisional figures\n`);
    const format = await detectFormat(bytes, { sampleBytes: 4096 });
    expect(format.footerLines).toBeGreaterThan(0);
    for (const size of [7, 4096, 65_536]) {
      const arrays: SourceRecord[][] = [];
      for await (const a of readRecordChunks(chunks(bytes, size), format)) arrays.push(a);
      expect(arrays.every((a) => a.length > 0)).toBe(true);
      expect(arrays.flat(), `chunks of ${size}`).toEqual(await collect(chunks(bytes, size), format));
      expect(arrays.flat()).toHaveLength(3000);
      if (size === 4096) expect(arrays.length).toBeGreaterThan(1);
    }
    const plain = await detectFormat(new TextEncoder().encode('a,b\n1,2\n3,4'));
    const tail: SourceRecord[][] = [];
    for await (const a of readRecordChunks(chunks(new TextEncoder().encode('a,b\n1,2\n3,4'), 3), plain)) tail.push(a);
    expect(tail.flat().map((r) => r.fields)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('skips blank and whitespace-only lines of a multi-column table', async () => {
    // A row of only delimiters (a spreadsheet's empty row) holds nothing: skipped and reported
    // inside the table, cut as a footer at its end (Excel's ",,,").
    const bytes = new TextEncoder().encode('a,b\n1,x\n\n   \n,\n2,y\n"",z\n,\n,\n');
    const format = await detectFormat(bytes);
    expect(format.footerLines).toBe(2);
    const skipped: number[] = [];
    const records: SourceRecord[] = [];
    for await (const r of readRecords(chunks(bytes, 4), format, { onSkippedLine: (s) => skipped.push(s.line) })) {
      records.push(r);
    }
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [2, ['1', 'x']],
      [6, ['2', 'y']],
      [7, ['', 'z']],
    ]);
    expect(skipped).toEqual([5]);
  });

  it('drops padding around fields when the format says so, a quote after it opening a quoted field', async () => {
    const bytes = new TextEncoder().encode('id , name , city\n1 , "Smith, J" , Paris\n2,Bob,  Lyon\n');
    const format = await detectFormat(bytes);
    expect(format.trim.value).toBe(true);
    const records = await collect(chunks(bytes, 5), format);
    expect(records.map((r) => r.fields)).toEqual([
      ['1', 'Smith, J', 'Paris'],
      ['2', 'Bob', 'Lyon'],
    ]);
  });

  it('drops one extra blank field at the end of a row that otherwise fits (a stray final delimiter)', async () => {
    const bytes = new TextEncoder().encode(
      'code,name\nA,x\nB,y,\nC,"z",""\nD,w,"\n"\nE,v,extra\nF,u\nG,t\nH,s\nI,r\nJ,q\n',
    );
    const format = await detectFormat(bytes);
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'name']);
    expect(format.warnings).toContain(
      '3 sampled data row(s) end with one extra empty field (a stray final delimiter); it is dropped',
    );
    const records = await collect(chunks(bytes, 3), format);
    expect(records.map((r) => [r.line, r.fields, r.quotedEmpty])).toEqual([
      [2, ['A', 'x'], undefined],
      [3, ['B', 'y'], undefined],
      [4, ['C', 'z'], undefined],
      [5, ['D', 'w'], undefined],
      // A non-blank extra field is data of the wrong shape: yielded as it is, for the loader to reject.
      [7, ['E', 'v', 'extra'], undefined],
      [8, ['F', 'u'], undefined],
      [9, ['G', 't'], undefined],
      [10, ['H', 's'], undefined],
      [11, ['I', 'r'], undefined],
      [12, ['J', 'q'], undefined],
    ]);
    expect(records[3]?.raw).toBe('D,w,"\n"');
  });

  it('yields rows of another width as they are', async () => {
    const path = fixture('comma-space.csv');
    const records = await collect(createReadStream(path), await detectFormat(path));
    expect(records[1]).toEqual({ line: 3, fields: ['2', 'Bob', 'Lyon', 'France'], raw: '2, Bob, Lyon, France' });
  });

  it('reads stray quotes as literal characters', async () => {
    const bytes = new TextEncoder().encode('a,b,c\n"02:15,2,"x, y"\n1,""Made, here",z\n');
    const format = await detectFormat(bytes);
    const records = await collect(chunks(bytes, 5), format);
    expect(records.map((r) => r.fields)).toEqual([
      ['"02:15', '2', 'x, y'],
      ['1', '"Made, here', 'z'],
    ]);
  });

  it('reads unescaped apostrophes and inch marks inside quoted fields as text', async () => {
    const bytes = new TextEncoder().encode(
      'id,name,n\n1,"5" pipe, steel",2\n2,"Kids\' Sweater, Hooded",3\n3,"won\'t",4\n',
    );
    const records = await collect(chunks(bytes, 2), await detectFormat(bytes));
    expect(records.map((r) => r.fields)).toEqual([
      ['1', '5" pipe, steel', '2'],
      ['2', "Kids' Sweater, Hooded", '3'],
      ['3', "won't", '4'],
    ]);
  });

  it('reads an unquoted field with an inch mark when no closing quote follows', async () => {
    const bytes = new TextEncoder().encode('id,name,n\n1,"a, b",2\n2,"5" pipe,3\n3,x,4\n');
    const records = await collect(chunks(bytes, 3), await detectFormat(bytes));
    expect(records.map((r) => r.fields)).toEqual([
      ['1', 'a, b', '2'],
      ['2', '"5" pipe', '3'],
      ['3', 'x', '4'],
    ]);
  });

  it('reads a quote that is the last character of the file as a literal quote', async () => {
    const bytes = new TextEncoder().encode('a,b\n1,x\n2,"\n');
    const records = await collect(chunks(bytes, 3), await detectFormat(bytes));
    expect(records.map((r) => r.fields)).toEqual([
      ['1', 'x'],
      ['2', '"'],
    ]);
  });

  it('reads a quote that nothing closes as a literal character, marks its record and goes on with the next lines', async () => {
    const good = new TextEncoder().encode('id,name\n1,"a"\n2,"b"\n');
    const format = await detectFormat(good);
    const bad = new TextEncoder().encode('id,name\n1,"a"\n2,"b\n3,c\n');
    const records = await collect(chunks(bad, 4), format);
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [2, ['1', 'a']],
      [3, ['2', '"b']],
      [4, ['3', 'c']],
    ]);
    // The record is marked so that a loader can reject it (a quote never closed may mean a cut-short row).
    expect(records.map((r) => r.unclosedQuote)).toEqual([undefined, true, undefined]);
  });

  it('stops a 50 MB field past maxFieldSize with bounded memory', async () => {
    const format = await detectFormat(new TextEncoder().encode('id,blob\n1,"x"\n'));
    const part = 'y'.repeat(1 << 20);
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const source = (async function* () {
      for await (const chunk of repeat('id,blob\n1,"', part, 50, '"\n')) {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        yield chunk;
      }
    })();
    await expect(collect(source, format, 4 << 20)).rejects.toMatchObject({
      code: 'DETECT_FIELD_TOO_LARGE',
      message: expect.stringContaining('maximum field size of 4194304'),
    });
    // The reader held about twice the limit (UTF-16), not the whole 50 MB field.
    expect(peak - before).toBeLessThan(40 << 20);
  });

  it('reads a 50 MB field under a large enough maxFieldSize', async () => {
    const format = await detectFormat(new TextEncoder().encode('id,blob\n1,"x"\n'));
    const part = 'y'.repeat(1 << 20);
    const records = await collect(repeat('id,blob\n1,"', part, 50, '"\n2,z\n'), format, 64 << 20);
    expect(records).toHaveLength(2);
    expect(records[0]?.fields[1]).toHaveLength(50 << 20);
    expect(records[1]).toEqual({ line: 3, fields: ['2', 'z'], raw: '2,z' });
  });

  it('names the line after which the bytes stop being valid UTF-8', async () => {
    const format = await detectFormat(new TextEncoder().encode('id,name\n1,a\n'));
    const bad = Uint8Array.from([...new TextEncoder().encode('id,name\n1,a\n2,b\n3,'), 0xff, 0x0a]);
    await expect(collect(chunks(bad, 4), format)).rejects.toMatchObject({
      code: 'DETECT_INVALID_ENCODING',
      line: 4,
      message: expect.stringContaining('windows-1252'),
    });
  });

  it('names the exact line of an invalid UTF-8 byte deep inside a large chunk, after a quoted newline', async () => {
    const format = await detectFormat(new TextEncoder().encode('id,name\n1,a\n'));
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},Café ${i}`).join('\n');
    const bytes = Buffer.concat([
      Buffer.from(`id,name\n0,"two\nlines"\n${rows}\nX,caf`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\nY,z\n'),
    ]);
    // header 1, quoted record 2–3, 5,000 rows 4–5,003, the bad one on 5,004.
    for (const size of [1 << 16, 7, bytes.length]) {
      await expect(collect(chunks(new Uint8Array(bytes), size), format), `chunks of ${size}`).rejects.toMatchObject({
        code: 'DETECT_INVALID_ENCODING',
        line: 5004,
        message: expect.stringContaining('Line 5004 holds bytes that are not valid utf-8'),
      });
    }
  });

  it('reads the rest in Windows-1252 when the first non-ASCII bytes past an ASCII-only sample are not UTF-8, and says where', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},name ${i}`).join('\n');
    const head = Buffer.from(`id,name\n${rows}\n`);
    const cp1252 = Buffer.concat([head, Buffer.from('3000,Caf\xe9 \x80 5\n3001,plain\n', 'latin1')]);
    const format = await detectFormat(new Uint8Array(cp1252), { sampleBytes: 4096 });
    expect(format.encoding.value).toBe('utf-8');
    expect(format.asciiSample).toBe(true);
    for (const size of [1 << 16, 7]) {
      const changes: unknown[] = [];
      const out: SourceRecord[] = [];
      for await (const r of readRecords(chunks(new Uint8Array(cp1252), size), format, {
        onEncodingChange: (c) => changes.push(c),
      }))
        out.push(r);
      expect(out, `chunks of ${size}`).toHaveLength(3002);
      expect(out[3000]).toEqual({ line: 3002, fields: ['3000', 'Café € 5'], raw: '3000,Café € 5' });
      expect(changes).toEqual([
        {
          encoding: 'windows-1252',
          line: 3002,
          reason: expect.stringContaining('from line 3002 on are not UTF-8'),
          format: expect.objectContaining({
            encoding: expect.objectContaining({ value: 'windows-1252' }),
            warnings: [expect.stringContaining('from line 3002 on are not UTF-8')],
          }),
        },
      ]);
    }
    // UTF-8 past the sample stays UTF-8; damaged UTF-8 past it still fails with its line.
    const utf8 = Buffer.concat([head, Buffer.from('3000,Café ☕ und Grüße\n')]);
    const kept: unknown[] = [];
    const read: SourceRecord[] = [];
    for await (const r of readRecords(chunks(new Uint8Array(utf8), 1 << 16), format, {
      onEncodingChange: (c) => kept.push(c),
    }))
      read.push(r);
    expect(read.at(-1)?.fields[1]).toBe('Café ☕ und Grüße');
    expect(kept).toEqual([]);
    const damaged = Buffer.concat([
      head,
      Buffer.from('3000,Café ☕ und Grüße '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    await expect(collect(chunks(new Uint8Array(damaged), 1 << 16), format)).rejects.toMatchObject({
      code: 'DETECT_INVALID_ENCODING',
      line: 3002,
    });
    // An encoding override is obeyed: no switch.
    const forced = await detectFormat(new Uint8Array(cp1252), { sampleBytes: 4096, overrides: { encoding: 'utf-8' } });
    expect(forced.asciiSample).toBeUndefined();
    await expect(collect(chunks(new Uint8Array(cp1252), 1 << 16), forced)).rejects.toMatchObject({
      code: 'DETECT_INVALID_ENCODING',
    });
  });

  it('reads a file in a temp folder', async () => {
    const { dir, cleanup } = await makeTempDir('detect-');
    onTestFinished(cleanup);
    const path = join(dir, 'cr.csv');
    await writeFile(path, 'a;b\r1;x\r2;y\r');
    const format = await detectFormat(path);
    expect(format.lineTerminator.value).toBe('\r');
    const records = await collect(createReadStream(path), format);
    expect(records).toEqual([
      { line: 2, fields: ['1', 'x'], raw: '1;x' },
      { line: 3, fields: ['2', 'y'], raw: '2;y' },
    ]);
  });
});
