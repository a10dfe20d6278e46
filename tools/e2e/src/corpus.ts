/**
 * The bad-input corpus (issue 6): every case names the file dropped into `incoming/`, how it is
 * made (small files byte-exact inline, large ones generated at test time, dynamic ones played
 * against the running watcher) and the outcome a demanding user expects. `corpus.test.ts` runs
 * all of them through one live watcher; `README.md` shows them as a table (kept in sync by
 * `readme.test.ts`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine, RunAs } from './harness.js';

/** What should become of a file. */
export type Expected =
  | {
      /** Loaded: the file is in `archive/`, its tracking row `archived`, the table holds exactly `rows` (or `rowCount` rows). */
      readonly outcome: 'archived';
      readonly table: string;
      readonly columns?: readonly string[];
      /** The whole table in line order, values in canonical form. */
      readonly rows?: readonly (readonly unknown[])[];
      /** Row count when `rows` would be too long to list. */
      readonly rowCount?: number;
      /** Tracking rows with this name. @default 1 */
      readonly files?: number;
    }
  | {
      /** Same bytes as a file already loaded into the table: `archive/`, status `duplicate`, table unchanged. */
      readonly outcome: 'duplicate';
      readonly table: string;
    }
  | {
      /** Refused: `failed/` with `NAME.error.json` (code, message), tracking row `failed`, the table unchanged. */
      readonly outcome: 'failed';
      readonly code: string;
      /** Must match the message (in NAME.error.json and on the tracking row). */
      readonly message: RegExp;
      /** The table the file maps to (unchanged: absent, or as seeded). */
      readonly table?: string;
      /** Line of the first rejected row in `NAME.rejects.csv`, when rows were rejected. */
      readonly rejectedLine?: number;
    }
  | {
      /** Held by the destructive-replace guard: `held/` with `NAME.held.json`, the table unchanged. */
      readonly outcome: 'held';
      readonly table: string;
      readonly message: RegExp;
    }
  | {
      /** Not a file to load: left where it is in `incoming/`, never tracked. */
      readonly outcome: 'left';
      /** A warning code the watcher logs for it (once). */
      readonly warning?: string;
    }
  | {
      /** Removed by its producer before it was claimed: not tracked, in no folder, nothing logged as an error. */
      readonly outcome: 'vanished';
    };

/** What a case's `make` and `verify` can use while the watcher runs. */
export interface CaseContext {
  readonly root: string;
  readonly incoming: string;
  /** A folder outside the drop root. */
  readonly outside: string;
  /** The watcher's user (writers that the watcher must see run as this user). */
  readonly user: RunAs;
  /** Writes a file atomically (hidden temporary name, then rename). */
  drop(name: string, bytes: Uint8Array): Promise<string>;
  /** Resolves with the first watcher log line that satisfies `test`. */
  waitForLog(test: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Waits until the file named `name` is in `processing/` and returns its path there. */
  processingPathOf(name: string, timeoutMs?: number): Promise<string>;
}

/** One corpus case. */
export interface CorpusCase {
  /** Stable id, e.g. `B03`. */
  readonly id: string;
  /** File name in `incoming/`. */
  readonly name: string;
  /** What the input is (README). */
  readonly input: string;
  /** Why the expected outcome is the right one (README). */
  readonly why: string;
  /** Small inputs, byte-exact. */
  readonly bytes?: Uint8Array;
  /** Large or dynamic inputs: made at test time while the watcher runs. */
  readonly make?: (ctx: CaseContext) => Promise<unknown>;
  /** A file loaded first (through the watcher) so the case meets an existing table. */
  readonly seed?: { readonly name: string; readonly bytes: Uint8Array };
  readonly expect: Expected;
  /** Extra checks after the case settled (returns problems, empty when all is well). */
  readonly verify?: (ctx: VerifyContext) => Promise<string[]>;
}

/** What `verify` gets. */
export interface VerifyContext extends CaseContext {
  /** Tracking rows of files with this case's name. */
  readonly records: readonly { readonly sha256: string | null; readonly rowsLoaded: number | null }[];
  /** Rows of the case's table (when it exists). */
  readonly rows: readonly (readonly unknown[])[];
  /** Every watcher log line so far. */
  readonly logs: readonly LogLine[];
  /** Where the case's file ended (absolute paths of its data files in archive/, failed/, held/). */
  readonly finalPaths: readonly string[];
}

const enc = (text: string): Buffer => Buffer.from(text, 'utf8');
/** Lines joined with LF and a final LF. */
const lines = (...l: string[]): Buffer => enc(`${l.join('\n')}\n`);
const cat = (...parts: (Buffer | readonly number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));

/** Rows `A0,Café Müller 0` … as UTF-8 text with real multi-byte characters. */
const accented = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i},Café Müller ${i}`);

/** Writes a big file under a hidden name, then renames it into `incoming/`. */
async function generate(
  ctx: CaseContext,
  name: string,
  write: (chunk: (text: string | Buffer) => Promise<void>) => Promise<void>,
): Promise<string> {
  const tmp = join(ctx.incoming, `.${name}.${process.pid}.part`);
  const out = createWriteStream(tmp);
  const chunk = async (text: string | Buffer): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(chunk);
  out.end();
  await once(out, 'finish');
  const path = join(ctx.incoming, name);
  await rename(tmp, path);
  return path;
}

/** `id,label` rows 1…n, label `<tag> <i>`, in one string per 10,000 rows. */
async function numbered(chunk: (t: string) => Promise<void>, n: number, tag: string): Promise<void> {
  await chunk('id,label\n');
  for (let start = 1; start <= n; start += 10_000) {
    const end = Math.min(n, start + 9_999);
    let block = '';
    for (let i = start; i <= end; i++) block += `${i},${tag} ${i}\n`;
    await chunk(block);
  }
}

/** Rows of the two big files of the timing cases (a few seconds of loading on a loaded 2-core machine). */
export const BIG_ROWS = 300_000;
const MB = 1024 * 1024;

/** The 8-byte PNG signature and the start of an IHDR chunk. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d3c2a40000000049454e44ae426082',
  'hex',
);
/** A ZIP local-file header (what an .xlsx starts with), some deflated bytes and an end record. */
const ZIP = cat(
  Buffer.from('504b0304140006000800000021006fa1', 'hex'),
  Buffer.from('[Content_Types].xml'),
  Buffer.alloc(64, 0x8f),
  Buffer.from('504b0506000000000100010047000000', 'hex'),
  Buffer.alloc(6),
);

const SQL_HEADER_1 = 'name"; DROP TABLE "refdata.files"; --';
const SQL_HEADER_2 = "x'); DELETE FROM refdata_files; --";
const LONG_HEADER = `${'n'.repeat(299)}z`;
const WIDE = 20_000;
const WIDE_OK = 1_500;

/**
 * The corpus. Tables are unique per case unless a case meets a seeded table on purpose.
 */
export const CORPUS: readonly CorpusCase[] = [
  // ------------------------------------------------------------------ empty and binary
  {
    id: 'B01',
    name: 'empty.csv',
    input: '0 bytes',
    bytes: Buffer.alloc(0),
    why: 'Nothing to load and no columns to describe a table: a clear error, never an empty table.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FORMAT_UNDETECTABLE',
      message: /DETECT_EMPTY_FILE.*is empty \(0 bytes\)/,
      table: 'empty',
    },
  },
  {
    id: 'B02',
    name: 'regions_20250201.csv',
    input: '0 bytes, for the existing table `regions` (3 rows)',
    seed: { name: 'regions_20250101.csv', bytes: lines('code,name', 'EU,Europe', 'AS,Asia', 'AF,Africa') },
    bytes: Buffer.alloc(0),
    why: 'A 0-byte file has no header, so it cannot describe a replacement (held would offer a release that can never apply): failed, and `regions` keeps its 3 rows.',
    expect: { outcome: 'failed', code: 'INGEST_FORMAT_UNDETECTABLE', message: /DETECT_EMPTY_FILE/, table: 'regions' },
  },
  {
    id: 'B03',
    name: 'header_only.csv',
    input: '`code,name` and nothing else, new table',
    bytes: lines('code,name'),
    why: 'A header is a valid description of an empty data set: the table is created with its columns and 0 rows.',
    expect: { outcome: 'archived', table: 'header_only', columns: ['code', 'name'], rows: [] },
  },
  {
    id: 'B04',
    name: 'countries_20250201.csv',
    input: 'header only, for the existing table `countries` (3 rows)',
    seed: { name: 'countries_20250101.csv', bytes: lines('code,name', 'AX,Åland', 'CI,Côte d’Ivoire', 'DE,Germany') },
    bytes: lines('code,name'),
    why: 'Emptying a live table is destructive: the replace guard holds it for a human (`refdata release`), the table keeps its rows.',
    expect: { outcome: 'held', table: 'countries', message: /would empty ref\.countries \(3 rows\)/ },
  },
  {
    id: 'B05',
    name: 'bom_only.csv',
    input: 'a UTF-8 byte-order mark (EF BB BF) only',
    bytes: Buffer.from([0xef, 0xbb, 0xbf]),
    why: 'A BOM is not data: same as an empty file.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FORMAT_UNDETECTABLE',
      message: /DETECT_EMPTY_FILE.*only a byte-order mark/,
      table: 'bom_only',
    },
  },
  {
    id: 'B06',
    name: 'logo.csv',
    input: 'a PNG image named .csv',
    bytes: PNG,
    why: 'Binary data must never be loaded as text; the message says what the file really is.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FORMAT_UNDETECTABLE',
      message: /DETECT_BINARY_FILE.*PNG image/,
      table: 'logo',
    },
  },
  {
    id: 'B07',
    name: 'workbook.csv',
    input: 'a ZIP archive (an .xlsx) named .csv',
    bytes: ZIP,
    why: 'The most common wrong file: the message tells the user to save it as CSV.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FORMAT_UNDETECTABLE',
      message: /DETECT_BINARY_FILE.*ZIP archive.*save it as CSV/,
      table: 'workbook',
    },
  },
  {
    id: 'B08',
    name: 'rates_download.csv',
    input: 'an HTML error page saved under the CSV name by a failed download',
    bytes: lines(
      '<!DOCTYPE html>',
      '<html><head><title>503 Service Unavailable</title></head>',
      '<body><p>Try again, later</p></body></html>',
    ),
    why: 'A web page is not a table: refused with what it is, never loaded as rows of markup.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FORMAT_UNDETECTABLE',
      message: /DETECT_UNDETECTABLE.*an HTML page/,
      table: 'rates_download',
    },
  },
  // ------------------------------------------------------------------ encodings and line endings
  {
    id: 'E01',
    name: 'utf8_damaged.csv',
    input: 'UTF-8 with é/ü on every line and one invalid sequence (C3 28) on line 22',
    bytes: cat(
      enc(`code,name\n${accented('A', 20).join('\n')}\nX,caf`),
      [0xc3, 0x28],
      enc(`\n${accented('B', 20).join('\n')}\n`),
    ),
    why: 'Reading it as Windows-1252 would garble every é into Ã©: refuse it and name the line.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FILE_MALFORMED',
      message: /DETECT_INVALID_ENCODING.*line 22 holds bytes that are not valid UTF-8/,
      table: 'utf8_damaged',
    },
  },
  {
    id: 'E02',
    name: 'utf8_damaged_deep.csv',
    input: '~3 MB of UTF-8, one invalid byte (FF) on line 100,002, past the detection sample',
    make: (ctx) =>
      generate(ctx, 'utf8_damaged_deep.csv', async (chunk) => {
        await chunk('code,name\n');
        for (let b = 0; b < 10; b++) await chunk(`${accented(`A${b}_`, 10_000).join('\n')}\n`);
        await chunk(cat(enc('X,'), [0xff], enc('\nY,z\n')));
      }),
    why: 'Same defect found while streaming: the file fails as a whole (nothing half-loaded) with the exact line.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FILE_MALFORMED',
      message: /DETECT_INVALID_ENCODING.*Line 100002 holds bytes that are not valid utf-8/,
      table: 'utf8_damaged_deep',
    },
  },
  {
    id: 'E03',
    name: 'utf16_no_bom.csv',
    input: 'UTF-16 LE without a BOM',
    bytes: Buffer.from('code,name\nAX,Åland\nCI,Côte d’Ivoire\nDE,Germany\n', 'utf16le'),
    why: 'Excel and Windows tools write this; the zero-byte pattern gives it away.',
    expect: {
      outcome: 'archived',
      table: 'utf16_no_bom',
      columns: ['code', 'name'],
      rows: [
        ['AX', 'Åland'],
        ['CI', 'Côte d’Ivoire'],
        ['DE', 'Germany'],
      ],
    },
  },
  {
    id: 'E04',
    name: 'utf16_bom_tabs.csv',
    input: 'UTF-16 LE with BOM, TAB-delimited (Excel "Unicode text")',
    bytes: cat([0xff, 0xfe], Buffer.from('code\tname\r\nAX\tÅland\r\nCI\tCôte d’Ivoire\r\n', 'utf16le')),
    why: 'A correct load: the BOM never reaches the first column name.',
    expect: {
      outcome: 'archived',
      table: 'utf16_bom_tabs',
      columns: ['code', 'name'],
      rows: [
        ['AX', 'Åland'],
        ['CI', 'Côte d’Ivoire'],
      ],
    },
  },
  {
    id: 'E05',
    name: 'windows1252.csv',
    input: 'Windows-1252: ç (E7), ü (FC), € (80)',
    bytes: Buffer.from([
      ...Buffer.from('code,name\nFR,Fran'),
      0xe7,
      ...Buffer.from('ais\nDE,M'),
      0xfc,
      ...Buffer.from('nchen '),
      0x80,
      0x0a,
    ]),
    why: 'Not UTF-8 and no valid UTF-8 sequence at all: a single-byte code page, decoded exactly.',
    expect: {
      outcome: 'archived',
      table: 'windows1252',
      rows: [
        ['FR', 'Français'],
        ['DE', 'München €'],
      ],
    },
  },
  {
    id: 'E06',
    name: 'bom_crlf_quoted.csv',
    input: 'UTF-8 BOM, CRLF, a quoted CRLF inside a field, doubled quotes',
    bytes: cat([0xef, 0xbb, 0xbf], enc('id,note\r\n1,"two\r\nlines"\r\n2,"say ""hi"""\r\n')),
    why: 'RFC 4180 to the letter; the embedded line break is data.',
    expect: {
      outcome: 'archived',
      table: 'bom_crlf_quoted',
      columns: ['id', 'note'],
      rows: [
        [1, 'two\r\nlines'],
        [2, 'say "hi"'],
      ],
    },
  },
  {
    id: 'E07',
    name: 'mixed_line_endings.csv',
    input: 'CRLF, LF and CR line endings in one file',
    bytes: enc('code,name\r\nA,alpha\nB,beta\rC,gamma\r\nD,delta\n'),
    why: 'Concatenated exports mix endings; each is a line end, none leaks into a value.',
    expect: {
      outcome: 'archived',
      table: 'mixed_line_endings',
      rows: [
        ['A', 'alpha'],
        ['B', 'beta'],
        ['C', 'gamma'],
        ['D', 'delta'],
      ],
    },
  },
  {
    id: 'E08',
    name: 'dos_eof_mark.csv',
    input: 'CRLF lines ending in a DOS end-of-file mark (Ctrl-Z, 0x1A) on a line of its own',
    bytes: enc('code,name\r\nA,alpha\r\nB,beta\r\n\x1a'),
    why: 'Legacy exports (`copy /a`, mainframe and ERP tools) end text files with Ctrl-Z: it is no row. It is left out as a footer line, recorded in the detect step and shown as a warning.',
    expect: {
      outcome: 'archived',
      table: 'dos_eof_mark',
      rows: [
        ['A', 'alpha'],
        ['B', 'beta'],
      ],
    },
  },
  // ------------------------------------------------------------------ quoting
  {
    id: 'Q01',
    name: 'unclosed_quote_eof.csv',
    input: 'a quote opened on the last line and never closed',
    bytes: lines('code,name', 'A,"alpha, first"', 'B,"beta'),
    why: 'The last row cannot be trusted (it may be cut short): it is rejected with its line; with maxErrors 0 the file fails, nothing is loaded.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_TOO_MANY_REJECTS',
      message: /line 3: a quote in this row is never closed/,
      table: 'unclosed_quote_eof',
      rejectedLine: 3,
    },
  },
  {
    id: 'Q02',
    name: 'languages_20250201.csv',
    input: 'an unclosed quote in the middle (line 3 of 5), for the existing table `languages`',
    seed: { name: 'languages_20250101.csv', bytes: lines('code,name', 'de,German', 'fr,French', 'it,Italian') },
    bytes: lines('code,name', 'en,"English, UK"', 'es,"Spanish', 'pt,Portuguese', 'nl,Dutch'),
    why: 'The quote is read as a literal character, not as the start of one field holding the rest of the file; its row is rejected with its line, and with maxErrors 0 the file fails and the live table is untouched.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_TOO_MANY_REJECTS',
      message: /line 3: a quote in this row is never closed/,
      table: 'languages',
      rejectedLine: 3,
    },
  },
  {
    id: 'Q03',
    name: 'quote_in_unquoted.csv',
    input: '`A,5" floppy` and `B,say "hi" now`: quotes inside unquoted fields',
    bytes: lines('code,name', 'A,5" floppy', 'B,say "hi" now', 'C,plain'),
    why: 'Inch marks and quoted words in plain fields are text (as Excel reads them).',
    expect: {
      outcome: 'archived',
      table: 'quote_in_unquoted',
      rows: [
        ['A', '5" floppy'],
        ['B', 'say "hi" now'],
        ['C', 'plain'],
      ],
    },
  },
  {
    id: 'Q04',
    name: 'nul_in_value.csv',
    input: 'a NUL byte inside one text value (line 3)',
    bytes: lines('code,name', 'A,alpha', 'B,be\u0000ta', 'C,gamma'),
    why: 'A zero byte is not text (SQL Server through Babelfish cannot even store it): that row is rejected with its line; with maxErrors 0 the file fails and nothing is loaded.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_TOO_MANY_REJECTS',
      message: /line 3, column name: text holds a NUL character/,
      table: 'nul_in_value',
      rejectedLine: 3,
    },
  },
  // ------------------------------------------------------------------ shape
  {
    id: 'S01',
    name: 'rates_20250201.csv',
    input: 'a short row (2 of 3 fields) on line 3, for the existing table `rates`',
    seed: {
      name: 'rates_20250101.csv',
      bytes: lines('code,rate,date', 'EUR,1.0000,2025-01-01', 'USD,1.0823,2025-01-01'),
    },
    bytes: lines('code,rate,date', 'EUR,1.0000,2025-02-01', 'USD,1.0790', 'GBP,0.8567,2025-02-01'),
    why: 'A row that does not fit is rejected with its line; with maxErrors 0 the file fails, the rejects are beside it, `rates` is untouched.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_TOO_MANY_REJECTS',
      message: /line 3: expected 3 fields, found 2/,
      table: 'rates',
      rejectedLine: 3,
    },
  },
  {
    id: 'S02',
    name: 'ragged_long.csv',
    input: 'a long row (4 of 3 fields) on line 3',
    bytes: lines('code,name,region', 'A,alpha,eu', 'B,beta,eu,extra', 'C,gamma,as'),
    why: 'An extra field is as wrong as a missing one: rejected with its line, the file fails.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_TOO_MANY_REJECTS',
      message: /line 3: expected 3 fields, found 4/,
      table: 'ragged_long',
      rejectedLine: 3,
    },
  },
  {
    id: 'S03',
    name: 'one_line_100mb.csv',
    input: '100 MB on a single line (no line break)',
    make: (ctx) =>
      generate(ctx, 'one_line_100mb.csv', async (chunk) => {
        const block = Buffer.alloc(MB, 'abc,defghi');
        for (let i = 0; i < 100; i++) await chunk(block);
      }),
    why: 'No complete record within the sample: a clear error after reading 1 MiB, not 100 MB of memory.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FORMAT_UNDETECTABLE',
      message: /DETECT_UNDETECTABLE.*no complete record/,
      table: 'one_line_100mb',
    },
  },
  {
    id: 'S04',
    name: 'field_100mb.csv',
    input: 'a normal header, then a 100 MB field on line 2',
    make: (ctx) =>
      generate(ctx, 'field_100mb.csv', async (chunk) => {
        await chunk('code,blob\nA,');
        const block = Buffer.alloc(MB, 'x');
        for (let i = 0; i < 100; i++) await chunk(block);
        await chunk('\nB,y\n');
      }),
    why: 'A field over the 16 Mi-character limit is refused with its line instead of exhausting memory.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_FILE_MALFORMED',
      message: /DETECT_FIELD_TOO_LARGE.*line 2/,
      table: 'field_100mb',
    },
  },
  {
    id: 'S05',
    name: 'columns_20000.csv',
    input: `${WIDE.toLocaleString('en')} columns (header of 129 KB) and 2 rows`,
    make: (ctx) =>
      ctx
        .drop(
          'columns_20000.csv',
          lines(
            Array.from({ length: WIDE }, (_, i) => `c${i}`).join(','),
            Array.from({ length: WIDE }, (_, i) => `${i}`).join(','),
            Array.from({ length: WIDE }, (_, i) => `${2 * i}`).join(','),
          ),
        )
        .then(() => undefined),
    why: 'Read correctly as 20,000 columns, then refused: no SQLite (1,999) or SQL Server (1,023) table can hold them; the message says to split the file.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_DB_FAILED',
      message: /DB_OPTION_INVALID.*has 20000 columns.*at most 1999/,
      table: 'columns_20000',
    },
  },
  {
    id: 'S06',
    name: 'columns_1500.csv',
    input: `${WIDE_OK.toLocaleString('en')} columns and 2 rows`,
    make: (ctx) =>
      ctx
        .drop(
          'columns_1500.csv',
          lines(
            Array.from({ length: WIDE_OK }, (_, i) => `c${i}`).join(','),
            Array.from({ length: WIDE_OK }, (_, i) => `${i}`).join(','),
            Array.from({ length: WIDE_OK }, (_, i) => `${2 * i}`).join(','),
          ),
        )
        .then(() => undefined),
    why: 'Wide but within the limits: loads with every column.',
    expect: { outcome: 'archived', table: 'columns_1500', rowCount: 2 },
    verify: async ({ rows }) => {
      const last = rows[1]?.[WIDE_OK - 1];
      return rows[0]?.length === WIDE_OK && last === 2 * (WIDE_OK - 1)
        ? []
        : [
            `expected ${WIDE_OK} columns and ${2 * (WIDE_OK - 1)} in the last cell, got ${rows[0]?.length} and ${String(last)}`,
          ];
    },
  },
  // ------------------------------------------------------------------ header names
  {
    id: 'H01',
    name: 'duplicate_headers.csv',
    input: '`code,name,name`',
    bytes: lines('code,name,name', 'A,alpha,x', 'B,beta,y'),
    why: 'Both columns are kept; the second gets a deterministic suffix.',
    expect: {
      outcome: 'archived',
      table: 'duplicate_headers',
      columns: ['code', 'name', 'name_2'],
      rows: [
        ['A', 'alpha', 'x'],
        ['B', 'beta', 'y'],
      ],
    },
  },
  {
    id: 'H02',
    name: 'empty_header.csv',
    input: '`code,,name`',
    bytes: lines('code,,name', 'A,1,alpha', 'B,2,beta'),
    why: 'An unnamed column still holds data: it is named by position.',
    expect: {
      outcome: 'archived',
      table: 'empty_header',
      columns: ['code', 'col_2', 'name'],
      rows: [
        ['A', 1, 'alpha'],
        ['B', 2, 'beta'],
      ],
    },
  },
  {
    id: 'H03',
    name: 'whitespace_header.csv',
    input: '`code,   ,name`',
    bytes: lines('code,   ,name', 'A,1,alpha', 'B,2,beta'),
    why: 'Whitespace is no name: same as an empty one.',
    expect: {
      outcome: 'archived',
      table: 'whitespace_header',
      columns: ['code', 'col_2', 'name'],
      rows: [
        ['A', 1, 'alpha'],
        ['B', 2, 'beta'],
      ],
    },
  },
  {
    id: 'H04',
    name: 'sql_injection_headers.csv',
    input: `headers \`${SQL_HEADER_1}\` and \`${SQL_HEADER_2}\``,
    bytes: lines(`code,"${SQL_HEADER_1.replaceAll('"', '""')}","${SQL_HEADER_2}"`, 'A,alpha,1', 'B,beta,2'),
    why: 'Identifiers are always quoted: the columns are named exactly that, and the metadata tables survive (checked after the run).',
    expect: {
      outcome: 'archived',
      table: 'sql_injection_headers',
      columns: ['code', SQL_HEADER_1, SQL_HEADER_2],
      rows: [
        ['A', 'alpha', 1],
        ['B', 'beta', 2],
      ],
    },
  },
  {
    id: 'H05',
    name: 'reserved_words.csv',
    input: '`select,from,where,table,order,group`',
    bytes: lines('select,from,where,table,order,group', 'a,b,c,d,e,f'),
    why: 'Reserved words are fine names once quoted.',
    expect: {
      outcome: 'archived',
      table: 'reserved_words',
      columns: ['select', 'from', 'where', 'table', 'order', 'group'],
      rows: [['a', 'b', 'c', 'd', 'e', 'f']],
    },
  },
  {
    id: 'H06',
    name: 'long_header.csv',
    input: 'a 300-character header name',
    bytes: lines(`code,${LONG_HEADER}`, 'A,alpha'),
    why: 'SQL Server identifiers stop at 128 characters: the name is cut there, deterministically.',
    expect: {
      outcome: 'archived',
      table: 'long_header',
      columns: ['code', LONG_HEADER.slice(0, 128)],
      rows: [['A', 'alpha']],
    },
  },
  {
    id: 'H07',
    name: 'case_headers.csv',
    input: '`Code,code,CODE`',
    bytes: lines('Code,code,CODE', 'A,b,c'),
    why: 'SQL Server and SQLite compare names without case: the second and third get suffixes.',
    expect: {
      outcome: 'archived',
      table: 'case_headers',
      columns: ['Code', 'code_2', 'CODE_3'],
      rows: [['A', 'b', 'c']],
    },
  },
  {
    id: 'H08',
    name: 'rowid_headers.csv',
    input: '`rowid,oid,_rowid_,name` (every SQLite row-id alias)',
    bytes: lines('rowid,oid,_rowid_,name', '1,2,3,a'),
    why: 'With all three aliases taken SQLite has no way to carry the line number: a clear error that says to rename one.',
    expect: {
      outcome: 'failed',
      code: 'INGEST_DB_FAILED',
      message: /DB_IDENTIFIER_INVALID.*rename one of them/,
      table: 'rowid_headers',
    },
  },
  {
    id: 'H09',
    name: 'bracket_headers.csv',
    input: '`a]b,[c],"d""e"` (brackets and a quote in names)',
    bytes: lines('a]b,[c],"d""e"', '1,2,3'),
    why: 'Names are data, never SQL: quoted so that they stay one name on every database (SQL Server gets `"a]b"`, since Babelfish cannot read `[a]]b]`).',
    expect: { outcome: 'archived', table: 'bracket_headers', columns: ['a]b', '[c]', 'd"e'], rows: [[1, 2, 3]] },
  },
  // ------------------------------------------------------------------ file names
  {
    id: 'N01',
    name: 'with space.csv',
    input: 'a space in the name',
    bytes: lines('code,name', 'A,alpha'),
    why: 'Loads; the table name uses `_`.',
    expect: { outcome: 'archived', table: 'with_space', rows: [['A', 'alpha']] },
  },
  {
    id: 'N02',
    name: 'Åland – Côte d’Ivoire.csv',
    input: 'Unicode letters, an en dash and a typographic apostrophe',
    bytes: lines('code,name', 'AX,Åland'),
    why: 'Letters of any script are kept (lower-cased); punctuation becomes `_`.',
    expect: { outcome: 'archived', table: 'åland_côte_d_ivoire', rows: [['AX', 'Åland']] },
  },
  {
    id: 'N03',
    name: '-rf.csv',
    input: 'a leading `-`',
    bytes: lines('code,name', 'A,alpha'),
    why: 'Never passed to a shell or parsed as an option: loads into `rf`.',
    expect: { outcome: 'archived', table: 'rf', rows: [['A', 'alpha']] },
  },
  {
    id: 'N04',
    name: 'a..b.csv',
    input: '`..` inside the name',
    bytes: lines('code,name', 'A,alpha'),
    why: 'Dots are not path steps inside a name: loads into `a_b`; the archived name keeps them.',
    expect: { outcome: 'archived', table: 'a_b', rows: [['A', 'alpha']] },
  },
  {
    id: 'N05',
    name: '..csv',
    input: 'a name starting with `..` (a dot file)',
    bytes: lines('code,name', 'A,alpha'),
    why: 'Names starting with `.` are in-progress or hidden files by convention: ignored, left in place.',
    expect: { outcome: 'left' },
  },
  {
    id: 'N06',
    name: 'x"; DROP TABLE files; --.csv',
    input: 'an SQL injection attempt as the file name',
    bytes: lines('code,name', 'A,alpha'),
    why: 'The name only ever reaches SQL as a bound value or a sanitised, quoted identifier.',
    expect: { outcome: 'archived', table: 'x_drop_table_files', rows: [['A', 'alpha']] },
  },
  {
    id: 'N07',
    name: 'line\nbreak.csv',
    input: 'a line feed inside the file name',
    bytes: lines('code,name', 'A,alpha'),
    why: 'Loads; logs carry the name JSON-escaped, so it cannot forge a log line.',
    expect: { outcome: 'archived', table: 'line_break', rows: [['A', 'alpha']] },
  },
  {
    id: 'N08',
    name: '--.csv',
    input: 'a name with no letter or digit',
    bytes: lines('code,name', 'A,alpha'),
    why: 'No table name can be derived: a clear error saying to name the table.',
    expect: { outcome: 'failed', code: 'INGEST_OPTIONS_INVALID', message: /no letters or digits/ },
  },
  {
    id: 'N09',
    name: 'upload.csv.part',
    input: 'a `.part` file (a transfer in progress)',
    bytes: lines('code,name', 'A,alpha'),
    why: 'Partial uploads are ignored until renamed.',
    expect: { outcome: 'left' },
  },
  // ------------------------------------------------------------------ the file system
  {
    id: 'F01',
    name: 'link_outside.csv',
    input: 'a symlink in incoming/ to a CSV outside the root',
    make: async (ctx) => {
      const target = join(ctx.outside, 'secret.csv');
      await writeFile(target, 'code,name\nS,secret\n', { mode: 0o644 });
      // atime older than mtime: any read (even under relatime) would move it.
      const mtime = new Date(Date.now() - 60_000);
      await utimes(target, new Date(mtime.getTime() - 86_400_000), mtime);
      await symlink(target, join(ctx.incoming, 'link_outside.csv'));
    },
    why: 'Links are never followed: the link goes to failed/ with its reason; the target is not read, moved or changed.',
    expect: {
      outcome: 'failed',
      code: 'MONITOR_SYMLINK_REFUSED',
      message: /symbolic link.*never followed/,
      table: 'link_outside',
    },
  },
  {
    id: 'F02',
    name: 'vanishes.csv',
    input: 'a file deleted by its producer after the watcher saw it, before it was stable',
    make: async (ctx) => {
      const path = await ctx.drop('vanishes.csv', lines('code,name', 'A,alpha'));
      await ctx.waitForLog(
        (l) => l.msg === 'file transition' && (l.file as { name?: string } | undefined)?.name === 'vanishes.csv',
        'vanishes.csv detected',
      );
      await unlink(path);
    },
    why: 'Nothing to do and nothing to report: no tracking row, no error, the service goes on.',
    expect: { outcome: 'vanished' },
  },
  {
    id: 'F03',
    name: 'unreadable.csv',
    input: 'mode 000, owned by another user (the watcher runs unprivileged)',
    make: async (ctx) => {
      const tmp = join(ctx.incoming, '.unreadable.tmp');
      await writeFile(tmp, 'code,name\nA,alpha\n', { mode: 0o000 });
      await rename(tmp, join(ctx.incoming, 'unreadable.csv'));
    },
    why: 'Moving needs only the folder; reading fails: failed/ with EACCES in the reason, the file kept as it was.',
    expect: { outcome: 'failed', code: 'INGEST_FILE_UNREADABLE', message: /EACCES/, table: 'unreadable' },
  },
  {
    id: 'F04',
    name: 'folder.csv',
    input: 'a directory named like a CSV file (with a file inside)',
    make: async (ctx) => {
      await mkdir(join(ctx.incoming, 'folder.csv'));
      await writeFile(join(ctx.incoming, 'folder.csv', 'inner.csv'), 'code\nA\n');
    },
    why: 'Not a file: left alone (with its contents) and reported once.',
    expect: { outcome: 'left', warning: 'MONITOR_NOT_A_FILE' },
  },
  {
    id: 'F05',
    name: 'appended_after_claim.csv',
    input: `${BIG_ROWS.toLocaleString('en')} rows; a writer appends a row after the claim`,
    make: async (ctx) => {
      await generate(ctx, 'appended_after_claim.csv', (chunk) => numbered(chunk, BIG_ROWS, 'row'));
      const path = await ctx.processingPathOf('appended_after_claim.csv');
      // After the handler started (the monitor has noted the size it handed over).
      await ctx.waitForLog(
        (l) => l.msg === 'ingestion started' && l.file === 'appended_after_claim.csv',
        'the load of appended_after_claim.csv to start',
      );
      const handle = await open(path, 'r+');
      try {
        const { size } = await handle.stat();
        await handle.write(enc('999999999,late row\n'), 0, undefined, size);
      } finally {
        await handle.close();
      }
    },
    why: 'The load is one consistent read: the tracking row holds the sha256 and row count of exactly the bytes loaded, the file is kept whole in archive/, and MONITOR_FILE_CHANGED tells the operator.',
    expect: { outcome: 'archived', table: 'appended_after_claim' },
    verify: async ({ records, rows, logs, finalPaths }) => {
      const problems: string[] = [];
      const { readFile } = await import('node:fs/promises');
      const { createHash } = await import('node:crypto');
      const archived = await readFile(finalPaths[0] ?? '');
      if (!archived.toString('latin1').endsWith('999999999,late row\n'))
        problems.push('the archived file lacks the appended row');
      const lineEnd = archived.lastIndexOf(0x0a, archived.length - 2) + 1;
      const variants = [archived, archived.subarray(0, lineEnd)].map((b) => ({
        sha: createHash('sha256').update(b).digest('hex'),
        rows: b.toString('latin1').split('\n').length - 2,
      }));
      const loaded = variants.find((v) => v.sha === records[0]?.sha256);
      if (loaded === undefined) problems.push('the recorded sha256 is neither the file before nor after the append');
      else if (records[0]?.rowsLoaded !== loaded.rows || rows.length !== loaded.rows)
        problems.push(
          `rows: recorded ${records[0]?.rowsLoaded}, table ${rows.length}, bytes loaded hold ${loaded.rows}`,
        );
      if (!logs.some((l) => l.code === 'MONITOR_FILE_CHANGED' && String(l.path).endsWith('appended_after_claim.csv')))
        problems.push('no MONITOR_FILE_CHANGED warning');
      return problems;
    },
  },
  {
    id: 'F06',
    name: 'grows_later.csv',
    input: 'created empty by a writer that keeps it open, filled after several stability windows',
    make: async (ctx) => {
      const path = join(ctx.incoming, 'grows_later.csv');
      const script =
        "const fs=require('fs');const fd=fs.openSync(process.argv[1],'w',0o644);process.stdout.write('open\\n');" +
        "process.stdin.once('data',()=>{fs.writeSync(fd,'code,name\\nA,alpha\\nB,beta\\n');fs.closeSync(fd);process.exit(0);});";
      const command = [...ctx.user.prefix, process.execPath, '-e', script, path];
      const writer = spawn(command[0] ?? process.execPath, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
      await once(writer.stdout, 'data');
      await ctx.waitForLog(
        (l) =>
          l.msg === 'stable but still open for writing; waiting' &&
          (l.file as { name?: string } | undefined)?.name === 'grows_later.csv',
        'grows_later.csv stable at 0 bytes but open for writing',
      );
      writer.stdin.end('go\n');
      await once(writer, 'exit');
    },
    why: 'An empty file still open for writing is not ready: it is taken once the writer closes it, with its full content.',
    expect: {
      outcome: 'archived',
      table: 'grows_later',
      rows: [
        ['A', 'alpha'],
        ['B', 'beta'],
      ],
    },
  },
  {
    id: 'F07',
    name: 'same_name.csv',
    input: `${BIG_ROWS.toLocaleString('en')} rows (v1); a new version is dropped under the same name while v1 is processed`,
    make: async (ctx) => {
      await generate(ctx, 'same_name.csv', (chunk) => numbered(chunk, BIG_ROWS, 'v1'));
      await ctx.processingPathOf('same_name.csv');
      await generate(ctx, 'same_name.csv', (chunk) => numbered(chunk, BIG_ROWS, 'v2'));
    },
    why: 'Two files, both kept and both loaded in arrival order: the table holds v2, and v1 is its backup snapshot.',
    expect: { outcome: 'archived', table: 'same_name', rowCount: BIG_ROWS, files: 2 },
    verify: async ({ rows }) =>
      rows[0]?.[1] === 'v2 1' && rows[BIG_ROWS - 1]?.[1] === `v2 ${BIG_ROWS}`
        ? []
        : [`the table does not hold v2: first ${JSON.stringify(rows[0])}, last ${JSON.stringify(rows.at(-1))}`],
  },
  // ------------------------------------------------------------------ realistic good files
  {
    id: 'G01',
    name: 'iso_currencies.csv',
    input: 'ISO 4217 extract: codes with leading zeros, quoted commas, dates',
    bytes: lines(
      'code,numeric_code,name,minor_units,introduced',
      'ALL,008,Albanian lek,2,1965-07-01',
      'AUD,036,Australian dollar,2,1966-02-14',
      'BHD,048,"Dinar, Bahraini",3,1965-01-01',
      'JPY,392,Yen,0,1871-06-27',
    ),
    why: '`008` stays `008` (text), minor units are integers, dates are dates.',
    expect: {
      outcome: 'archived',
      table: 'iso_currencies',
      columns: ['code', 'numeric_code', 'name', 'minor_units', 'introduced'],
      rows: [
        ['ALL', '008', 'Albanian lek', 2, '1965-07-01'],
        ['AUD', '036', 'Australian dollar', 2, '1966-02-14'],
        ['BHD', '048', 'Dinar, Bahraini', 3, '1965-01-01'],
        ['JPY', '392', 'Yen', 0, '1871-06-27'],
      ],
    },
  },
  {
    id: 'G02',
    name: 'fx_semicolon.csv',
    input: 'semicolons and decimal commas (a European export)',
    bytes: lines('code;rate;inverse', 'EUR;1,0000;1,0000', 'USD;1,0823;0,92396', 'JPY;161,42;0,0061950'),
    why: 'Decimals are exact, never floats: `0,0061950` → `0.006195`, read back in minimal form (the same text SQL Server gives).',
    expect: {
      outcome: 'archived',
      table: 'fx_semicolon',
      rows: [
        ['EUR', '1', '1'],
        ['USD', '1.0823', '0.92396'],
        ['JPY', '161.42', '0.006195'],
      ],
    },
  },
  {
    id: 'G03',
    name: 'typed_values.csv',
    input: 'integers, decimals, booleans, dates, UTC date-times, upper-case UUIDs, integers past 2^53, an empty cell',
    bytes: lines(
      'id,amount,active,day,at,uuid,big',
      '1,12.50,true,2024-01-31,2024-01-31T10:00:00Z,6F9619FF-8B86-D011-B42D-00C04FC964FF,9007199254740993',
      '2,-0.01,false,2024-02-29,2024-02-29T23:59:59Z,6f9619ff-8b86-d011-b42d-00c04fc964fe,-9007199254740993',
      '3,,true,2024-03-01,2024-03-01T00:00:00Z,,1',
    ),
    why: 'Every value exact in canonical form: 2^53+1 survives, UUIDs are lower-cased, the empty cell is NULL.',
    expect: {
      outcome: 'archived',
      table: 'typed_values',
      rows: [
        [
          1,
          '12.5',
          true,
          '2024-01-31',
          '2024-01-31T10:00:00Z',
          '6f9619ff-8b86-d011-b42d-00c04fc964ff',
          9007199254740993n,
        ],
        [
          2,
          '-0.01',
          false,
          '2024-02-29',
          '2024-02-29T23:59:59Z',
          '6f9619ff-8b86-d011-b42d-00c04fc964fe',
          -9007199254740993n,
        ],
        [3, null, true, '2024-03-01', '2024-03-01T00:00:00Z', null, 1n],
      ],
    },
  },
  {
    id: 'G04',
    name: 'report_with_preamble.csv',
    input: 'a title, a source line and a blank line before the table; a footnote after it',
    bytes: lines(
      'Exchange rates',
      'Source: ECB',
      '',
      'code,rate,date',
      'EUR,1.0000,2024-01-01',
      'USD,1.0823,2024-01-02',
      'GBP,0.8567,2024-01-03',
      '',
      'Note: rates are indicative only.',
    ),
    why: 'The table is found inside the report; neither the title nor the note becomes a row.',
    expect: {
      outcome: 'archived',
      table: 'report_with_preamble',
      columns: ['code', 'rate', 'date'],
      rows: [
        ['EUR', '1', '2024-01-01'],
        ['USD', '1.0823', '2024-01-02'],
        ['GBP', '0.8567', '2024-01-03'],
      ],
    },
  },
  {
    id: 'G05',
    name: 'currencies_20250201.csv',
    input: 'a second version of the existing table `currencies` (4 → 5 rows)',
    seed: {
      name: 'currencies_20250101.csv',
      bytes: lines('code,name', 'ALL,Albanian lek', 'AUD,Australian dollar', 'EUR,Euro', 'USD,US dollar'),
    },
    bytes: lines(
      'code,name',
      'ALL,Albanian lek',
      'AUD,Australian dollar',
      'EUR,Euro',
      'GBP,Pound sterling',
      'USD,US dollar',
    ),
    why: 'A normal replace: applied atomically, the previous 4 rows kept as a `bkp` snapshot.',
    expect: {
      outcome: 'archived',
      table: 'currencies',
      rows: [
        ['ALL', 'Albanian lek'],
        ['AUD', 'Australian dollar'],
        ['EUR', 'Euro'],
        ['GBP', 'Pound sterling'],
        ['USD', 'US dollar'],
      ],
    },
  },
  {
    id: 'G06',
    name: 'units_20250102.csv',
    input: 'the same bytes as the file that loaded `units` before',
    seed: { name: 'units_20250101.csv', bytes: lines('code,name,factor', 'm,metre,1', 'km,kilometre,1000') },
    bytes: lines('code,name,factor', 'm,metre,1', 'km,kilometre,1000'),
    why: 'Loading it again would change nothing but add a snapshot: recorded as a duplicate and archived.',
    expect: { outcome: 'duplicate', table: 'units' },
  },
  {
    id: 'G07',
    name: 'spaces_in_values.csv',
    input: 'a comma file whose text values hold spaces and numbers (`A0,New York 0`)',
    bytes: lines('code,name', ...Array.from({ length: 30 }, (_, i) => `A${i},New York ${i}`)),
    why: 'Commas split every row into 2 fields; spaces would give a ragged 3: read as commas.',
    expect: { outcome: 'archived', table: 'spaces_in_values', columns: ['code', 'name'], rowCount: 30 },
  },
  {
    id: 'G08',
    name: 'late_wide_rates.csv',
    input: '1,200 rates with 4 decimals, then one with 8 (past the 1,000 rows types are inferred from)',
    bytes: lines(
      'code,rate',
      ...Array.from({ length: 1200 }, (_, i) => `C${i},${(i % 90) + 1}.${String(1000 + (i % 9000)).slice(-4)}`),
      'BTC,0.00001234',
    ),
    why: 'Types come from a sample; a later number that needs more room widens its new column (here decimal(38,4) → decimal(38,8)) instead of failing the file. The widening is a warning in the log and recorded in the stage step.',
    expect: { outcome: 'archived', table: 'late_wide_rates', columns: ['code', 'rate'], rowCount: 1201 },
  },
  {
    id: 'G09',
    name: 'joined_exports.csv',
    input: 'two exports joined with `cat`: the second one starts again with its BOM and header',
    bytes: Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      lines('code,name', 'AT,Austria', 'BE,Belgium'),
      Buffer.from([0xef, 0xbb, 0xbf]),
      lines('code,name', 'CH,Switzerland', 'DE,Germany'),
    ]),
    why: 'A copy of the header over new rows is the next part of the same table: it is skipped (a warning and the `stage` step say which line) and every row is loaded. A copy over the same rows again is a second table, as before.',
    expect: {
      outcome: 'archived',
      table: 'joined_exports',
      rows: [
        ['AT', 'Austria'],
        ['BE', 'Belgium'],
        ['CH', 'Switzerland'],
        ['DE', 'Germany'],
      ],
    },
  },
  {
    id: 'G10',
    name: 'sheet_empty_rows.csv',
    input: 'a spreadsheet export with empty rows (`,,` and a wider `,,,,,`) between and after the data',
    bytes: enc('code,name\r\nAT,Austria\r\n,\r\nBE,Belgium\r\n,,,,,\r\nCH,Switzerland\r\n,\r\n,\r\n'),
    why: 'A row of only delimiters holds no value: skipped with its line in a warning and the `stage` step, never a row of NULLs, an empty key or a width reject. Those at the end are footer lines.',
    expect: {
      outcome: 'archived',
      table: 'sheet_empty_rows',
      rows: [
        ['AT', 'Austria'],
        ['BE', 'Belgium'],
        ['CH', 'Switzerland'],
      ],
    },
  },
];

/** The final file of the corpus run: the service must still load it. */
export const SENTINEL: { readonly name: string; readonly bytes: Uint8Array; readonly rows: readonly unknown[][] } = {
  name: 'sentinel.csv',
  bytes: lines('code,name', 'OK,still running'),
  rows: [['OK', 'still running']],
};

/** One line of text describing an expected outcome (README and reports). */
export function describeExpected(e: Expected): string {
  switch (e.outcome) {
    case 'archived':
      return `archived → \`ref.${e.table}\`${
        e.rows !== undefined
          ? ` (${e.rows.length} row${e.rows.length === 1 ? '' : 's'})`
          : e.rowCount !== undefined
            ? ` (${e.rowCount.toLocaleString('en')} rows)`
            : ''
      }${e.files !== undefined && e.files > 1 ? `, ${e.files} files` : ''}`;
    case 'duplicate':
      return `duplicate → archive/, \`ref.${e.table}\` unchanged`;
    case 'failed':
      return `failed/ \`${e.code}\`${detectCode(e.message)}${e.table === undefined ? '' : `, \`ref.${e.table}\` unchanged`}`;
    case 'held':
      return `held/ (NAME.held.json), \`ref.${e.table}\` unchanged`;
    case 'left':
      return `left in incoming/${e.warning === undefined ? '' : `, \`${e.warning}\` logged once`}`;
    case 'vanished':
      return 'gone: not tracked, no error';
  }
}

function detectCode(message: RegExp): string {
  const m = /(DETECT|DB)_[A-Z_]+/.exec(message.source);
  return m === null ? '' : ` (\`${m[0]}\`)`;
}

/** The corpus as a Markdown table (the README's, checked by `readme.test.ts`). */
export function corpusMarkdown(): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', '\\n');
  const rows = CORPUS.map(
    (c) => `| ${c.id} | \`${esc(c.name)}\` | ${esc(c.input)} | ${esc(describeExpected(c.expect))} | ${esc(c.why)} |`,
  );
  return ['| case | file | input | expected outcome | why |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
