// Classes of real files (messy exports from public repositories) that detection must read right,
// each as a small hand-written fixture.
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../src/index.js';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

describe('detectFormat on real-world file classes', () => {
  it('keeps Windows-1252 text whose few bytes above 0x7F do not form Cyrillic words (a garbled dash)', async () => {
    // `\x89\xdb\xd2` is a dash garbled by two code-page conversions; in windows-1251 it reads
    // `‰ЫТ`, which is no word.
    const dash = [0x89, 0xdb, 0xd2];
    const format = await detectFormat(
      bytes(
        'name,hours\n',
        'Main St,8:45am ',
        dash,
        ' 11:30am\n',
        'Elm St,1:00pm ',
        dash,
        ' 3:45pm\n',
        'Oak St,6:00pm ',
        dash,
        ' 9:00pm\n',
      ),
    );
    expect(format.encoding.value).toBe('windows-1252');
    expect(format.columns.map((c) => c.name)).toEqual(['name', 'hours']);
  });

  it('still reads a short windows-1251 file of Cyrillic words as Cyrillic', async () => {
    // "код;город\n1;Москва\n2;Казань\n" in windows-1251.
    const format = await detectFormat(
      bytes(
        [0xea, 0xee, 0xe4],
        ';',
        [0xe3, 0xee, 0xf0, 0xee, 0xe4],
        '\n1;',
        [0xcc, 0xee, 0xf1, 0xea, 0xe2, 0xe0],
        '\n2;',
        [0xca, 0xe0, 0xe7, 0xe0, 0xed, 0xfc],
        '\n',
      ),
    );
    expect(format.encoding.value).toBe('windows-1251');
    expect(format.columns.map((c) => c.name)).toEqual(['код', 'город']);
    expect(format.encoding.reason).toContain('Cyrillic words');
  });

  it('reads text with a few stray NUL bytes and warns about them, but still refuses binary data', async () => {
    const format = await detectFormat(
      bytes('account;type;currency;amount\n', 'pippo;L;CHF;1418.5\n', 'pippo;', [0], ';CHF;12.25\n', 'luigi;D;EUR;7\n'),
    );
    expect(format.encoding.value).toBe('utf-8');
    expect(format.delimiter.value).toBe(';');
    expect(format.columns.map((c) => c.name)).toEqual(['account', 'type', 'currency', 'amount']);
    expect(format.warnings).toContainEqual(expect.stringMatching(/^1 NUL byte\(s\) .* first on line 3/));
    const binary = Uint8Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? 0 : 65 + (i % 26)));
    await expect(detectFormat(binary)).rejects.toMatchObject({ code: 'DETECT_BINARY_FILE' });
  });

  it('splits on tabs, not on the spaces that align the values inside tab-separated fields', async () => {
    const rows = [
      [1, 218, '500e-9'],
      [88, 179, '20e-9'],
      [89, 178, '20e-9'],
      [90, 178, '20e-9'],
      [91, 177, '20e-9'],
      [92, 176, '20e-9'],
    ];
    const text = rows.map(([a, b, c]) => `${a}\t${b}     ${c}\n`).join('');
    const format = await detectFormat(new TextEncoder().encode(text));
    expect(format.delimiter.value).toBe('\t');
    expect(format.columns).toHaveLength(2);
    expect(format.trim.reason).toMatch(/^tabs delimit the fields/);
  });

  it('reads a translation file of quoted phrases ("%s - %s") as quoted comma-separated values, not as words split on spaces', async () => {
    const text = '"# of Use","# of Use"\n"%1$s incl tax.","%1$s incl tax."\n"%s - %s","%s - %s"\n';
    const format = await detectFormat(new TextEncoder().encode(text));
    expect(format.delimiter.value).toBe(',');
    expect(format.quote.value).toBe('"');
    expect(format.columns).toHaveLength(2);
  });

  it('keeps every row of a headerless file that holds the same record twice (no second table)', async () => {
    const rows = [
      'data/a.ppm; 40; 40; 5; 270; 0.01; 0',
      'data/a.ppm; 40; 40; 10; 270; 0; 0.01',
      'data/a.ppm; 40; 40; 15; 270; 0; 0.01',
      'data/b.ppm; 80; 80; 5; 270; 0.01; 0',
      'data/a.ppm; 40; 40; 5; 270; 0.01; 0',
      'data/a.ppm; 40; 40; 10; 270; 0; 0.01',
    ];
    const format = await detectFormat(new TextEncoder().encode(`${rows.join('\n')}\n`));
    expect(format.headerRows.value).toBe(0);
    expect(format.footer.value).toBe(0);
    expect(format.warnings.join()).not.toContain('second table');
    // A header row that repeats over a copy of the rows above is where a second table starts.
    const tables = `name;size\na.ppm;40\nb.ppm;80\nname;size\na.ppm;40\nb.ppm;80\n`;
    const second = await detectFormat(new TextEncoder().encode(tables));
    expect(second.headerRows.value).toBe(1);
    expect(second.footer.reason).toContain('the header repeats on line 4');
    // Over rows that go on, it is a joined file: the copy is skipped, every row read.
    const joined = await detectFormat(new TextEncoder().encode(`name;size\na.ppm;40\nb.ppm;80\nname;size\nc.ppm;5\n`));
    expect(joined.headerRows.value).toBe(1);
    expect(joined.footer.value).toBe(0);
    expect(joined.warnings.join()).toContain('the header repeats on line 4 over rows of the same shape');
  });

  it('reads lines of prose split by one comma each on the comma, not on the spaces between words', async () => {
    const text = '// Empty, backward compatibility\n// Vide, compatibilité ascendante\n';
    const format = await detectFormat(new TextEncoder().encode(text), { overrides: { header: false } });
    expect(format.delimiter.value.trim()).toBe(',');
    expect(format.columns).toHaveLength(2);
    // A table delimited by spaces whose values hold a comma in some rows only stays space-delimited.
    const spaced = 'id val note\n1 2,5 a\n2 3 b\n3 4,25 c\n';
    expect((await detectFormat(new TextEncoder().encode(spaced))).delimiter.value).toBe(' ');
  });
});
