import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { detectFormat, readRecords } from '../src/index.js';

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

  it('tells Cyrillic code pages from Windows-1252 by their letter statistics', async () => {
    for (const [name, encoding] of [
      ['windows-1251.csv', 'windows-1251'],
      ['koi8-r.csv', 'koi8-r'],
      ['western-accents.csv', 'windows-1252'],
    ] as const) {
      const format = await detectFormat(fixture(name));
      expect(format.encoding.value, name).toBe(encoding);
      expect(format.delimiter.value).toBe(';');
    }
    const format = await detectFormat(fixture('koi8-r.csv'));
    expect(format.columns.map((c) => c.name)).toEqual([
      'Тип счета',
      'Номер счета',
      'Валюта',
      'Дата',
      'Описание операции',
      'Сумма',
    ]);
    expect(format.encoding.reason).toContain('Cyrillic');
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
    expect(format.footer).toMatchObject({ value: 2, overridden: false });
    expect(format.footer.reason).toBe('lines from 5 on are notes ("Note: values are provisional") after the table');
    expect(format.warnings.join()).toContain('from 5');
  });

  it('never takes a single row of another width at the end for a footer: it is data of the wrong shape', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const head = 'code,amount,day\nA,1,2024-01-01\nB,2,2024-01-02\n';
    for (const last of ['C,3,2024-01-02,extra\n', 'C,3\n', '\nC,3,2024-01-02,extra\n', 'C\n']) {
      const format = await detectFormat(enc(head + last));
      expect(format.footer.value, last).toBe(0);
      expect(format.columns.map((c) => c.name)).toEqual(['code', 'amount', 'day']);
    }
    const big = Array.from({ length: 5000 }, (_, i) => `K${i},${i},2024-01-02`).join('\n');
    const tail = await detectFormat(enc(`code,amount,day\n${big}\nC,3,2024-01-02,extra\n`), { sampleBytes: 4096 });
    expect(tail.sample.wholeFile).toBe(false);
    expect(tail.footer.value).toBe(0);
  });

  it('records notes, a second table and a repeated header at the end with what they are', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const notes = await detectFormat(enc('code,name\nA,x\nB,y\nSource: a survey of 2024\n'));
    expect(notes.footer.value).toBe(1);
    expect(notes.footer.reason).toBe('lines from 4 on are notes ("Source: a survey of 2024") after the table');
    const second = await detectFormat(enc('code,name,n\nA,x,1\nB,y,2\n\nregion,total\nEU,3\n'));
    expect(second.footer.value).toBe(3);
    expect(second.footer.reason).toContain('a second table of 2 field(s) after a blank line on line 5');
    const repeated = await detectFormat(enc('code,name,n\nA,x,1\nB,y,2\ncode,name,n\nA,x,1\n'));
    expect(repeated.footer.value).toBe(2);
    expect(repeated.footer.reason).toContain('the header repeats on line 4');
  });

  it('reads every row of files joined together, skipping the copies of the header (with a BOM too), in the sample and past it', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const bytes = async function* (t: string) {
      yield enc(t);
    };
    const part = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `K${from + i},name ${from + i},${from + i}`).join('\r\n');
    const text = `\uFEFFcode,name,n\r\n${part(0, 3)}\r\n\uFEFFcode,name,n\r\n${part(3, 3)}\r\n`;
    const format = await detectFormat(enc(text));
    expect(format.footer.value).toBe(0);
    expect(format.columns.map((c) => [c.name, c.type.kind])).toEqual([
      ['code', 'text'],
      ['name', 'text'],
      ['n', 'integer'],
    ]);
    const skipped: number[] = [];
    const lines: number[] = [];
    for await (const r of readRecords(bytes(text), format, { onSkippedLine: (s) => skipped.push(s.line) })) {
      lines.push(r.line);
    }
    expect(skipped).toEqual([5]);
    expect(lines).toEqual([2, 3, 4, 6, 7, 8]);
    // Past the sample the reader skips copies too.
    const big = `code,name,n\n${part(0, 3000).replaceAll('\r\n', '\n')}\ncode,name,n\n${part(3000, 5).replaceAll('\r\n', '\n')}\n`;
    const bigFormat = await detectFormat(enc(big), { sampleBytes: 4096 });
    expect(bigFormat.sample.wholeFile).toBe(false);
    const late: number[] = [];
    let count = 0;
    for await (const _ of readRecords(bytes(big), bigFormat, { onSkippedLine: (s) => late.push(s.line) })) count += 1;
    expect(late).toEqual([3002]);
    expect(count).toBe(3005);
  });

  it('takes a DOS end-of-file mark (Ctrl-Z) after the last line for a footer, in the sample and in the tail', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const small = await detectFormat(enc('code,name\r\nA,x\r\nB,y\r\n\x1a'));
    expect(small.footer.value).toBe(1);
    expect(small.footer.reason).toBe('line 4 is a DOS end-of-file mark (Ctrl-Z, 0x1A) after the table');
    expect(small.columns.map((c) => c.name)).toEqual(['code', 'name']);
    // After notes, and after a blank line, it is cut with them.
    const notes = await detectFormat(enc('code,name,n\nA,x,1\nB,y,2\nSource: a survey of 2024\n\n\x1a\x1a'));
    expect(notes.footer.value).toBe(3);
    const big = Array.from({ length: 5000 }, (_, i) => `K${i},${i},2024-01-02`).join('\r\n');
    const tail = await detectFormat(enc(`code,amount,day\r\n${big}\r\n\x1a`), { sampleBytes: 4096 });
    expect(tail.sample.wholeFile).toBe(false);
    expect(tail.footer.value).toBe(1);
    expect(tail.footer.reason).toContain('a DOS end-of-file mark (Ctrl-Z, 0x1A)');
    // Inside a row it is data (the loader sees it); only a line of its own is the mark.
    const inside = await detectFormat(enc('code,name\nA,x\nB,\x1a\n'));
    expect(inside.footer.value).toBe(0);
  });

  it('types numbers written with a signed exponent as exact decimals, and codes such as 12E3 as text', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const format = await detectFormat(
      enc('code,rate,amount,part\nA,1.5E-05,932.67,12E3\nB,0.25,368625,13E4\nC,3,1.1406e+06,1E5\n'),
    );
    expect(format.columns.map((c) => c.type)).toEqual([
      { kind: 'text', maxLength: 1 },
      { kind: 'decimal', precision: 7, scale: 6, decimalSeparator: '.', groupSeparator: '' },
      { kind: 'decimal', precision: 9, scale: 2, decimalSeparator: '.', groupSeparator: '' },
      { kind: 'text', maxLength: 4 },
    ]);
  });

  it('does not split on colons that belong to times, URLs or ports', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const times = await detectFormat(enc('start,end\n15:02:37,15:02:38\n09:00:00,17:30:00\n'));
    expect(times.delimiter.value).toBe(',');
    expect(kinds(times)).toEqual(['time', 'time']);
    const ports = await detectFormat(enc('SERVERS\nuser1;127.0.0.1:5059\nuser2;10.0.0.7:8080\n'));
    expect(ports.delimiter.value).toBe(';');
    const urls = await detectFormat(enc('name|home\nx|https://example.org\ny|http://example.com:8080/a\n'));
    expect(urls.delimiter.value).toBe('|');
    // A real ':'-delimited table still reads as one.
    const colons = await detectFormat(enc('user:uid:shell\nroot:0:/bin/sh\nada:1000:/bin/zsh\nbob:1001:/bin/bash\n'));
    expect(colons.delimiter.value).toBe(':');
  });

  it('reads a delimiter that occurs only inside quoted values as part of one column', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const one = await detectFormat(enc('"#,##0.00"\n"1,234.56"\n"12,34"\n'));
    expect(one.columns).toHaveLength(1);
    expect(one.quote.value).toBe('"');
    expect(one.delimiter.reason).toContain('only inside quoted values');
    const two = await detectFormat(enc('"a,b";"c,d"\n"1,5";"2,5"\n"x,y";"z,w"\n'));
    expect(two.delimiter.value).toBe(';');
    expect(two.columns).toHaveLength(2);
  });

  it('splits on # when it separates fields, never on # that only starts comment lines', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const hash = await detectFormat(
      enc(
        'Andalucía#Almería#Abla#PLAZA, 6#04510\nAndalucía#Almería#Adra#CALLE, 3#04007\nAragón#Huesca#Aínsa#PLAZA, 1#22330\n',
      ),
    );
    expect(hash.delimiter.value).toBe('#');
    expect(hash.columns).toHaveLength(5);
    const commented = await detectFormat(
      enc('# exported 2024-05-01\n# column 1: code\n#\n# code, name\ncode,name,n\nA,x,1\nB,y,2\n'),
    );
    expect(commented.delimiter.value).toBe(',');
    expect(commented.preambleLines.value).toBe(4);
    expect(commented.preambleLines.reason).toBe('4 comment line(s) starting with #');
    expect(commented.columns.map((c) => c.name)).toEqual(['code', 'name', 'n']);
    // `#id` is a header name, not a comment.
    const hashHeader = await detectFormat(enc('#id,name\n1,x\n2,y\n'));
    expect(hashHeader.preambleLines.value).toBe(0);
    expect(hashHeader.columns.map((c) => c.name)).toEqual(['#id', 'name']);
  });

  it("reads values quoted with ' without their quotes", async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    for (const text of [
      "code;name;n\n'A';'Alpha';1\n'B';'Beta';2\n'C';'Gamma';3\n",
      "'id','name','note'\n1,'Alpha','it''s'\n2,'Beta','x'\n3,'Gamma','y'\n",
      "id\tname\n1\t'Alpha One'\n2\t'Beta Two'\n3\t'Gamma Three'\n",
    ]) {
      const format = await detectFormat(enc(text));
      expect(format.quote.value, text).toBe("'");
      expect(format.columns.map((c) => c.name).some((n) => n.includes("'"))).toBe(false);
    }
  });

  it('keeps spaces inside quotes as data, not as a sign of a wrong dialect', async () => {
    const format = await detectFormat(
      new TextEncoder().encode('month,value\n"1948-01 ",3.4\n"1948-02 ",3.8\n"1948-03 ",4.0\n'),
    );
    expect(format.quote.value).toBe('"');
    expect(kinds(format)).toEqual(['text', 'decimal']);
    // …and not as padding either: the decision says there is none.
    expect(format.trim.value).toBe(false);
    expect(format.trim.reason).toBe('no spaces around fields');
  });

  it('never takes a first row of numbers for the header', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const numbers = await detectFormat(enc('1,2\nabc,def\nghi,jkl\nmno,pqr\n'));
    expect(numbers.headerRows.value).toBe(0);
    expect(numbers.headerRows.reason).toBe('no header: the first row holds only numbers');
    expect(numbers.columns.map((c) => c.name)).toEqual(['col_1', 'col_2']);
  });

  it('takes a descriptive second row over text columns as a header row, but not a data row with empty typed cells', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const described = await detectFormat(
      enc(
        'code,name,region\nISO code,Country name,UN region\nAT,Austria,Europe\nBE,Belgium,Europe\nFR,France,Europe\n',
      ),
    );
    expect(described.headerRows.value).toBe(2);
    expect(described.columns.map((c) => c.rawName)).toEqual(['code ISO code', 'name Country name', 'region UN region']);
    const ids = [
      '"0f8fad5b-d9cb-469f-a165-70867728950e","7c9e6679-7425-40de-944b-e07fc1f90ae7","Package","admin"',
      '"a145e4c1-e392-4f6e-8195-4f9aeb1b31cf","0f8fad5b-d9cb-469f-a165-70867728950e","Component","Auth"',
      '"3e7bddd0-f487-49d0-9379-43dd7a4f1660","a145e4c1-e392-4f6e-8195-4f9aeb1b31cf","Dependency","app"',
      '"421a0517-2d75-4731-a07a-29a4bd9f8de3","3e7bddd0-f487-49d0-9379-43dd7a4f1660","Type","client"',
    ];
    const tree = await detectFormat(enc(`"id","parentId","type","value"\n"root",,"root",\n${ids.join('\n')}\n`));
    expect(tree.headerRows.value).toBe(1);
    expect(tree.columns.map((c) => c.name)).toEqual(['id', 'parentId', 'type', 'value']);
  });

  it('finds backslash escapes that first appear after the rows the dialect is scored on', async () => {
    // 3,000 rows (past the 64 KiB the dialect is scored on) before the first escaped quote.
    const rows = Array.from({ length: 3000 }, (_, i) => `"${i}","plain text number ${i}"`);
    rows.push('"3000","<a href=\\"x\\">link</a>"');
    const format = await detectFormat(new TextEncoder().encode(`"id","html"\n${rows.join('\n')}\n`));
    expect(format.escape.value).toBe('\\');
    expect(format.escape.reason).toContain('no doubled quotes');
  });

  it('treats spaces around fields as padding for header and values alike, and records the choice', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const bytes = enc('id, name, city\n1, "Smith, J", Paris\n2,Bob, Lyon\n3, Carol,Nice\n');
    const format = await detectFormat(bytes);
    expect(format.delimiter.value).toBe(',');
    expect(format.trim.value).toBe(true);
    expect(format.trim.reason).toContain('of the fields after a delimiter start with a space');
    expect(format.columns.map((c) => c.rawName)).toEqual(['id', 'name', 'city']);
    const aligned = await detectFormat(
      enc('code     , name        , n\nA        , Alpha       , 1\nBB       , Beta        , 22\n'),
    );
    expect(aligned.trim.value).toBe(true);
    expect(kinds(aligned)).toEqual(['text', 'text', 'integer']);
    const plain = await detectFormat(enc('a,b\nx, y\nz,w\nu,v\n'));
    expect(plain.trim).toMatchObject({
      value: false,
      reason: 'spaces around fields are kept as data (25% after and 0% before a delimiter)',
    });
    const kept = await detectFormat(bytes, { overrides: { trim: false } });
    expect(kept.trim).toMatchObject({ value: false, overridden: true });
  });

  it('skips a block of metadata lines before the first blank line when the table below does not fit it', async () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const report = await detectFormat(
      enc(
        'Instrument: XR-200\nOperator: J. Smith, lab 4\nDate: 2024-05-01 10:00\n\nsample;value;unit\nS1;1,5;mg\nS2;2,25;mg\nS3;0,75;mg\n',
      ),
    );
    expect(report.delimiter.value).toBe(';');
    expect(report.preambleLines.value).toBe(4);
    expect(report.preambleLines.reason).toContain(
      '4 line(s) up to the first blank line that the table below does not fit',
    );
    expect(report.columns.map((c) => c.name)).toEqual(['sample', 'value', 'unit']);
    // A first table before a blank line is the table, not metadata.
    const two = await detectFormat(enc('code,name,n\nA,x,1\nB,y,2\n\nregion,total\nEU,3\n'));
    expect(two.preambleLines.value).toBe(0);
    expect(two.columns.map((c) => c.name)).toEqual(['code', 'name', 'n']);
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

  it('reads a stray quote that nothing closes as a literal character, with a warning naming its line', async () => {
    // Real files hold a lone " in a value (`csv_quote_character , " , …`); failing the whole
    // file for it loses every other row.
    const quoted = await tempFile('quoted.csv', 'id,name\n1,"a, b"\n2,"never closed\n3,more\n');
    const format = await detectFormat(quoted);
    expect(format.quote.value).toBe('"');
    expect(format.columns.map((c) => c.name)).toEqual(['id', 'name']);
    expect(format.warnings).toContain(
      'the " on line 3 is never closed; it is read as a literal character (check that line)',
    );
    const padded = await detectFormat(
      await tempFile('stray.csv', 'key , value , note\na , 1 , x\nquote , " , the quote character\nb , 2 , y\n'),
    );
    expect(padded.columns).toHaveLength(3);
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

  it('refuses an HTML error page, XML, JSON and JSON Lines saved as .csv, but reads [bracketed] and {braced} headers', async () => {
    const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
    const cases: [string, RegExp][] = [
      [
        '\ufeff<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body>Not found, sorry</body></html>\n',
        /an HTML page/,
      ],
      ['  <html lang="en">\n<p>Service unavailable, try later</p>\n</html>\n', /an HTML page/],
      ['<?xml version="1.0"?>\n<rows><row a="1,2"/></rows>\n', /an XML document/],
      ['[{"code": "EUR", "name": "Euro"},\n {"code": "USD", "name": "Dollar"}]\n', /a JSON document/],
      ['{"code": "EUR", "rate": 1}\n{"code": "USD", "rate": 2}\n', /JSON Lines/],
    ];
    for (const [text, what] of cases) {
      await expect(detectFormat(bytes(text))).rejects.toMatchObject({
        code: 'DETECT_UNDETECTABLE',
        message: expect.stringMatching(what),
      });
    }
    // A large JSON array, cut by the sample, is still JSON.
    const big = `[${Array.from({ length: 40_000 }, (_, i) => `{"id": ${i}, "name": "n${i}"}`).join(',\n')}]`;
    await expect(detectFormat(bytes(big), { sampleBytes: 65_536 })).rejects.toMatchObject({
      message: expect.stringMatching(/a JSON document/),
    });
    for (const text of ['[id],[name]\n1,x\n2,y\n', '{a},{b}\n1,2\n3,4\n']) {
      expect((await detectFormat(bytes(text))).columns).toHaveLength(2);
    }
    // A user who says it is a table gets a table.
    const forced = await detectFormat(bytes('{"a": 1}\n{"a": 2}\n'), { overrides: { delimiter: '\t' } });
    expect(forced.columns).toHaveLength(1);
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
