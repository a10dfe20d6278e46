// Writes the byte-exact fixtures of test/fixtures (run: node test/make-fixtures.mjs).
// Bytes are spelled out here so no editor can re-encode them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const iconv = createRequire(import.meta.url)('iconv-lite');

const dir = new URL('./fixtures/', import.meta.url);
mkdirSync(dir, { recursive: true });
const w = (name, bytes) => writeFileSync(new URL(name, dir), bytes);
const ascii = (s) => Buffer.from(s, 'latin1');
const utf8 = (s) => Buffer.from(s, 'utf8');

// ISO 4217 numeric codes with leading zeros.
w(
  'currencies-leading-zeros.csv',
  ascii(
    'code,alpha,name,minor\n008,ALL,Lek,2\n012,DZD,Algerian Dinar,2\n036,AUD,Australian Dollar,2\n971,AFN,Afghani,2\n',
  ),
);
// UTF-8 with BOM and CRLF.
w('bom-crlf.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8("id,name\r\n1,Åland\r\n2,Côte d'Ivoire\r\n")]));
// UTF-16 LE with BOM.
w(
  'utf16le-bom.csv',
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("code;name\r\nAX;Åland\r\nCI;Côte d'Ivoire\r\n", 'utf16le')]),
);
// Windows-1252: é is 0xE9, € is 0x80.
w(
  'windows-1252.csv',
  Buffer.concat([
    ascii('city;price\n'),
    Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x3b, 0x80, 0x20, 0x33, 0x0a]),
    ascii('Paris;'),
    Buffer.from([0x80]),
    ascii(' 4\n'),
  ]),
);
// Semicolons with decimal commas and thousands dots.
w(
  'semicolon-decimal-comma.csv',
  ascii('Artikel;Preis;Menge\nTisch;1.234,56;3\nStuhl;45,90;12\nLampe;0,99;100\nSchrank;12.000,00;1\n'),
);
// TSV.
w('tabs.tsv', ascii('id\tname\tvalue\n1\tone\t1.5\n2\ttwo\t2.25\n3\tthree, four\t-3\n'));
// Pipe.
w('pipe.txt', ascii('id|name|active\n1|alpha|true\n2|beta|false\n3|gamma, delta|true\n'));
// Quoted fields with newlines and doubled quotes.
w(
  'quoted-newlines.csv',
  ascii('id,comment,n\n1,"line one\nline two",5\n2,"say ""hi""",6\n3,"a, b\r\nc",7\n4,plain,8\n'),
);
// The first rows fit both ',' and ';' (one field each way); later rows decide ';'.
w('two-dialects.csv', ascii('name;note\nA;x\nB;y\nSmith, John;a, b\nDoe, Jane;c, d\nRoe, Rick;e\nPoe, Edgar;f\n'));
// A title, a note and a blank line before the header.
w(
  'preamble.csv',
  ascii(
    'Exchange rates report\nSource: central bank\n\ncode,rate,date\nEUR,1.0850,2025-01-31\nGBP,0.8412,2025-01-31\nJPY,161.23,2025-01-31\n',
  ),
);
// No header.
w(
  'no-header.csv',
  ascii('1,EUR,1.0850,2025-01-31\n2,GBP,0.8412,2025-01-31\n3,JPY,161.23,2025-01-30\n4,CHF,0.9400,2025-01-29\n'),
);
// Two header rows.
w(
  'multi-row-header.csv',
  ascii(
    'Country,Population,Area\nname,millions,km2\nFrance,68.2,551695\nSpain,48.6,505990\nItaly,58.9,301340\nPortugal,10.4,92212\n',
  ),
);
// Duplicate and empty header names.
w('duplicate-headers.csv', ascii('code,Code,,name,NAME\nA,1,x,n1,m1\nB,2,y,n2,m2\n'));
// Footnotes after the table.
w('footer.csv', ascii('code,value\nA,1\nB,2\nC,3\n\nNote: values are provisional\n'));
// An unclosed quote.
w('unclosed-quote.csv', ascii('id,name\n1,ok\n2,"never closed\n3,more\n'));
// Multi-character delimiter ", ".
w('comma-space.csv', ascii('id, name, city\n1, Alice, Paris\n2, Bob, Lyon, France\n3, Carol, Nice\n'));
// Backslash-escaped quotes.
w('backslash-escape.csv', ascii('id,text\n1,"He said \\"no\\""\n2,"plain"\n3,"x \\"y\\" z"\n'));
// Cyrillic in the two common single-byte code pages (bytes from iconv-lite's tables), and
// Western text with many accented letters, which must stay Windows-1252.
const accounts =
  'Тип счета;Номер счета;Валюта;Дата;Описание операции;Сумма\n' +
  'Текущий счет;40817810904500021928;RUR;25.02.2011;Платеж в пользу оператора связи;200,00\n' +
  'Текущий счет;40817810904500021928;RUR;22.02.2011;Оплата покупки в магазине;1315,50\n' +
  'Сберегательный счет;42301810904500000001;RUR;21.02.2011;Начисление процентов по вкладу;12,07\n';
w('windows-1251.csv', iconv.encode(accounts, 'win1251'));
w('koi8-r.csv', iconv.encode(accounts, 'koi8-r'));
w(
  'western-accents.csv',
  iconv.encode(
    'ville;pays;remarque\nSão Tomé;São Tomé e Príncipe;capitale, située près de l’équateur\nZürich;Schweiz;größte Stadt\nKøbenhavn;Danmark;hovedstad på Sjælland\nMálaga;España;ciudad andaluza\n',
    'win1252',
  ),
);
console.log('fixtures written to', dir.pathname);
