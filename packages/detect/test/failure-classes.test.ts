// Generality checks for the failure classes of issue 13, written afresh (not the fixtures the rules
// were tuned on): each class in a second shape, and the single-byte code pages told apart by
// their letter statistics. Files are written to a temp folder and converted end to end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it, onTestFinished } from 'vitest';
import { convertFile, detectFormat, readRecords, type SourceRecord } from '../src/index.js';

const lines = (n: number, row: (i: number) => string): string =>
  Array.from({ length: n }, (_, k) => `${row(k + 1)}\n`).join('');

/** Converts `input` (text as UTF-8, or bytes) and returns the format, the output lines and the rejects. */
async function convert(input: string | Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'refdata-classes-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'in.csv');
  writeFileSync(file, input);
  const format = await detectFormat(file);
  const result = await convertFile(file, join(dir, 'out.csv'));
  const out = readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n');
  return { format, out, rejects: result.rejects };
}

describe('failure classes of real files, in shapes the rules were not tuned on', () => {
  it('drops a stray final delimiter on some rows with a warning, and keeps one on every row as an empty column', async () => {
    const some = await convert(`id,name,price\n${lines(12, (i) => `${i},item ${i},${i}.5${i % 3 === 0 ? ',' : ''}`)}`);
    expect(some.format.columns.map((c) => c.name)).toEqual(['id', 'name', 'price']);
    expect(some.rejects).toEqual([]);
    expect(some.out[3]).toBe('3,item 3,3.5');
    expect(some.format.warnings.join('\n')).toMatch(/4 sampled data row\(s\) end with one extra empty field/);
    // On every row (header too), the extra field is a column of its own: nothing is dropped.
    const every = await convert(`id;name;price;\n${lines(12, (i) => `${i};item ${i};${i}.5;`)}`);
    expect(every.format.delimiter.value).toBe(';');
    expect(every.format.columns).toHaveLength(4);
    expect(every.rejects).toEqual([]);
    expect(every.out[1]).toBe('1,item 1,1.5,');
    // Rows with the stray delimiter are typed as they are read: a text value there keeps the column text.
    const typed = await convert(`id,price\n${lines(12, (i) => `${i},${i}.5`)}\n13,n.a.,\n`);
    expect(typed.format.columns.map((c) => c.type.kind)).toEqual(['integer', 'text']);
    expect(typed.out.at(-1)).toBe('13,n.a.');
  });

  it("reads values quoted with ' (with '' inside) without their quotes", async () => {
    const { format, out, rejects } = await convert(
      `'code','name','note'\n${lines(11, (i) => `'C${i}','Name ${i}','it''s, fine ${i}'`)}`,
    );
    expect(format.quote.value).toBe("'");
    expect(rejects).toEqual([]);
    expect(out[0]).toBe('code,name,note');
    expect(out[1]).toBe(`C1,Name 1,"it's, fine 1"`);
  });

  it('reads a first row of years over numbers as data, never as the header', async () => {
    const { format, out } = await convert(`2019,2020,2021\n${lines(14, (i) => `${i * 10},${i * 11},${i * 12}`)}`);
    expect(format.headerRows.value).toBe(0);
    expect(out[0]).toBe('2019,2020,2021');
  });

  it("strips '; ' padding from header and values alike and opens quotes after it", async () => {
    const { format, out, rejects } = await convert(
      `id; name; amount\n${lines(11, (i) => `${i}; "Person; ${i}"; ${i}.25`)}`,
    );
    expect(format.delimiter.value.trim()).toBe(';');
    expect(rejects).toEqual([]);
    expect(out[0]).toBe('id,name,amount');
    expect(out[1]).toBe('1,Person; 1,1.25');
  });

  it('keeps spaces inside quotes as data in every column', async () => {
    const { format, out } = await convert(`name,code\n${lines(11, (i) => `" name ${i} ","  C${i}"`)}`);
    expect(format.quote.value).toBe('"');
    expect(out[1]).toBe(' name 1 ,  C1');
  });

  it('rejects only the row whose quote nothing closes, and reads an inch mark inside a value as text', async () => {
    const unclosed = await convert(
      `id,desc,size\n${lines(5, (i) => `${i},TV ${i},${i}0`)}6,"TV 6 inch,60\n${lines(5, (i) => `${i + 6},TV ${i + 6},${i + 6}0`)}`,
    );
    expect(unclosed.rejects.map((r) => r.line)).toEqual([7]);
    expect(unclosed.out).toHaveLength(11);
    const inch = await convert(
      `id,desc,size\n${lines(11, (i) => (i === 4 ? `${i},Screen ${i}" wide,${i}0` : `${i},Screen ${i},${i}0`))}`,
    );
    expect(inch.rejects).toEqual([]);
    expect(inch.out[4]).toBe('4,"Screen 4"" wide",40');
  });

  it('joins a second header row of units (empty over the key column) to the names', async () => {
    const { format, out } = await convert(`station,temp,rain\n,degC,mm\n${lines(11, (i) => `S${i},${i}.5,${i * 3}`)}`);
    expect(format.headerRows.value).toBe(2);
    expect(out[0]).toBe('station,temp degC,rain mm');
    expect(format.columns[1]?.type.kind).toBe('decimal');
  });

  it('fills out the short rows of a ragged-right file (empty trailing fields left out) and records it', async () => {
    const names = [
      'neo',
      'bgal',
      'loxP site',
      'FRT',
      'EN2 exon',
      'B1 site',
      'EM7 promoter',
      'ClonNAT',
      'CD4 domain',
      'IRES',
    ];
    const text = `type,name,response\nCDS,neo ORF,"draw box ""bgal"""\nexon,En2_exon2,\ngene,bgal fusion,draw blue box\n${lines(20, (i) => `misc_feature,${names[i % names.length]} ${i}`)}`;
    const { format, out, rejects } = await convert(text);
    expect(format.columns.map((c) => c.name)).toEqual(['type', 'name', 'response']);
    expect(format.headerRows.value).toBe(1);
    expect(format.preambleLines.value).toBe(0);
    expect(format.fillShortRows).toMatchObject({ value: 2 });
    expect(format.fillShortRows.reason).toMatch(/filled out with empty trailing fields/);
    expect(format.warnings.join('\n')).toMatch(/20 sampled row\(s\) below line 1 have 2 of its 3 fields/);
    expect(format.columns[2]?.nullable).toBe(true);
    expect(rejects).toEqual([]);
    expect(out).toHaveLength(24);
    expect(out[4]).toBe('misc_feature,bgal 1,');
    const records: SourceRecord[] = [];
    const source = (async function* () {
      yield Buffer.from(text);
    })();
    for await (const r of readRecords(source, format)) records.push(r);
    expect(records.filter((r) => r.filledFields === 1)).toHaveLength(20);
    expect(records[1]).toMatchObject({ line: 3, fields: ['exon', 'En2_exon2', ''] });
    expect(records[1]?.filledFields).toBeUndefined();
  });

  it('does not fill rows out when the extra columns are always blank (a stray final delimiter) or when one row amid full rows is short', async () => {
    const stray = await convert(
      `id,name,price,\n${lines(12, (i) => `${i},item ${i},${i}.5${i % 3 === 0 ? ',' : ''}`)}`,
    );
    expect(stray.format.fillShortRows.value).toBe(0);
    expect(stray.format.columns.map((c) => c.name)).toEqual(['id', 'name', 'price']);
    expect(stray.rejects).toEqual([]);
    // A row missing a delimiter in the middle is not a ragged right edge: it is rejected, not shifted.
    const broken = await convert(
      `id,name,price\n${lines(12, (i) => (i === 6 ? `${i},item ${i} ${i}.5` : `${i},item ${i},${i}.5`))}`,
    );
    expect(broken.format.fillShortRows.value).toBe(0);
    expect(broken.rejects.map((r) => r.line)).toEqual([7]);
  });

  it('reads the first table of a report whose sections are parted by a blank line and a separator line, and records the rest as not loaded', async () => {
    const text = `Members,,\nname,id,since\n${lines(6, (i) => `Person ${i},${1000 + i},200${i}`)}\n=====,,\nProjects,,\nname,lead,\n${lines(3, (i) => `Project ${i},Person ${i},`)}`;
    const { format, out, rejects } = await convert(text);
    expect(format.columns.map((c) => c.name)).toEqual(['name', 'id', 'since']);
    expect(format.footer.value).toBe(7);
    expect(format.footer.reason).toMatch(
      /a separator line \("====="\) after a blank line on line 10: only the first table/,
    );
    expect(rejects).toEqual([]);
    expect(out).toHaveLength(7);
    expect(out[6]).toBe('Person 6,1006,2006');
  });

  it('keeps the first, larger table and leaves a smaller second table after a blank line out, with the reason', async () => {
    const text = `code,name,value\n${lines(15, (i) => `C${i},Name ${i},${i * 3}`)}\nkey,a,b,c,d\n${lines(4, (i) => `k${i},1,2,3,4`)}`;
    const { format, out, rejects } = await convert(text);
    expect(format.columns.map((c) => c.name)).toEqual(['code', 'name', 'value']);
    expect(format.footer.reason).toMatch(/a second table of 5 field\(s\)/);
    expect(rejects).toEqual([]);
    expect(out).toHaveLength(16);
  });

  it('reads rows spaced by blank lines as one table, even when each row looks like the first', async () => {
    const { format, out, rejects } = await convert(lines(8, (i) => `line ${i} a;cell b;cell c;cell d\n`));
    expect(format.footer.reason).toBe('1 blank line(s) at the end of the file');
    expect(rejects).toEqual([]);
    expect(out.filter((l) => l !== '')).toHaveLength(8);
  });

  it("keeps a last '# …' line that splits like the table as its header, and quoted comment lines as comments", async () => {
    const plain = await convert(`# of items,price,name\n${lines(5, (i) => `${i},${i}.5,n${i}`)}`);
    expect(plain.format.preambleLines.value).toBe(0);
    expect(plain.format.columns.map((c) => c.rawName)).toEqual(['# of items', 'price', 'name']);
    const quoted = await convert(
      `"# exported by a tool"\n"# column 1: code"\n"#"\n"# CODE ","NAME","RATE"\n${lines(3, (i) => `"C${i}","Name ${i}","${i}.5"`)}`,
    );
    expect(quoted.format.delimiter.value).toBe(',');
    expect(quoted.format.quote.value).toBe('"');
    expect(quoted.format.preambleLines.value).toBe(3);
    expect(quoted.format.columns.map((c) => c.rawName)).toEqual(['# CODE', 'NAME', 'RATE']);
    expect(quoted.out[1]).toBe('C1,Name 1,1.5');
  });

  it("reads ' quotes around values holding the delimiter rather than splitting them into halves", async () => {
    const { format, out, rejects } = await convert(lines(20, (i) => `${i};' ${String.fromCharCode(64 + i)};'`));
    expect(format.quote.value).toBe("'");
    expect(format.columns).toHaveLength(2);
    expect(rejects).toEqual([]);
    expect(out[0]).toBe('1, A;');
  });

  it('pads a header shorter than every row with generated names, with a warning', async () => {
    const { format, out, rejects } = await convert(`a,b\n${lines(11, (i) => `${i},${i * 2},${i * 3}`)}`);
    expect(format.columns.map((c) => c.name)).toEqual(['a', 'b', 'col_3']);
    expect(format.warnings.join('\n')).toMatch(/header on line 1 has 2 fields but the rows below have 3/);
    expect(rejects).toEqual([]);
    expect(out[1]).toBe('1,2,3');
  });
});

describe('single-byte code pages told apart by letter statistics', () => {
  const polish =
    'miasto;ludność;województwo\nKraków;779115;małopolskie\nŁódź;672185;łódzkie\nWrocław;643782;dolnośląskie\nPoznań;534813;wielkopolskie\nGdańsk;470907;pomorskie\nKatowice;294510;śląskie\nBiałystok;297554;podlaskie\nZielona Góra;140892;lubuskie\n';
  const czech =
    'město,obyvatel,kraj\nPraha,1275406,Hlavní město Praha\nBrno,379466,Jihomoravský\nPlzeň,170548,Plzeňský\nLiberec,103979,Liberecký\nČeské Budějovice,93426,Jihočeský\nHradec Králové,92683,Královéhradecký\nÚstí nad Labem,92716,Ústecký\nPardubice,89693,Pardubický\n';
  const slovak =
    'mesto,kraj\nŽilina,Žilinský\nKošice,Košický\nPrešov,Prešovský\nTrenčín,Trenčiansky\nĽubochňa,Žilinský\nPiešťany,Trnavský\nBanská Bystrica,Banskobystrický\n';
  const russian = `Город,Население,Область\n${lines(7, (i) => `Москва ${i},${i * 1000},Центральный округ`)}Санкт-Петербург,5000,Северо-Западный\n`;
  const western = {
    French:
      "ville,région,note\nParis,Île-de-France,très élevé\nLyon,Auvergne-Rhône-Alpes,élevé\nMarseille,Provence-Alpes-Côte d'Azur,moyen\nNîmes,Occitanie,été chaud\nDijon,Bourgogne-Franche-Comté,modéré\nAjaccio,Corse,ensoleillé\nOrléans,Centre-Val de Loire,tempéré\n",
    German:
      'stadt,straße,größe\nMünchen,Königsplatz,groß\nKöln,Domplatz,mittel\nNürnberg,Hauptmarkt,mittel\nWürzburg,Residenzplatz,klein\nLübeck,Holstentor,klein\nGöttingen,Weender Straße,klein\n',
    Spanish:
      'ciudad,región\nMálaga,Andalucía\nLeón,Castilla y León\nA Coruña,Galicia\nLogroño,La Rioja\nCádiz,Andalucía\nCórdoba,Andalucía\nAlcañiz,Aragón\n',
    Italian:
      'città,regione\nForlì,Emilia-Romagna\nCantù,Lombardia\nPerché,no\nPiù,sì\nCaffè,Napoli\nGiovedì,lunedì\nCosì,già\n',
    Danish:
      'by,region\nKøbenhavn,Hovedstaden\nÅrhus,Midtjylland\nKøge,Sjælland\nHørsholm,Hovedstaden\nNæstved,Sjælland\nSkælskør,Sjælland\n',
    'mixed names':
      'name,country\nMüller,DE\nGonçalves,PT\nNúñez,ES\nSøren,DK\nLefèvre,FR\nÅström,SE\nBjörk,IS\nFrançois,FR\n',
  };

  it('reads Polish, Czech and Slovak text in Windows-1250 and ISO-8859-2 with their own letters', async () => {
    for (const [text, codec, encoding] of [
      [polish, 'win1250', 'windows-1250'],
      [polish, 'iso88592', 'iso-8859-2'],
      [czech, 'win1250', 'windows-1250'],
      [slovak, 'iso88592', 'iso-8859-2'],
    ] as const) {
      const { format, out } = await convert(iconv.encode(text, codec));
      expect(format.encoding.value, `${text.slice(0, 10)} ${codec}`).toBe(encoding);
      expect(format.encoding.reason).toMatch(/non-ASCII letters read as (Polish|Czech|Slovak)/);
      expect(out.join('\n')).toBe(text.trimEnd().replaceAll(';', ','));
    }
  });

  it('keeps Western text in Windows-1252 whatever its language, and German (alike in both) too', async () => {
    for (const [language, text] of Object.entries(western)) {
      const { format, out } = await convert(iconv.encode(text, 'win1252'));
      expect(format.encoding.value, language).toBe('windows-1252');
      expect(out.join('\n'), language).toBe(text.trimEnd());
    }
  });

  it('still reads Russian in windows-1251 and KOI8-R before the Central European pages are tried', async () => {
    for (const [codec, encoding] of [
      ['win1251', 'windows-1251'],
      ['koi8-r', 'koi8-r'],
    ] as const) {
      const { format, out } = await convert(iconv.encode(russian, codec));
      expect(format.encoding.value).toBe(encoding);
      expect(out[0]).toBe('Город,Население,Область');
    }
  });
});
