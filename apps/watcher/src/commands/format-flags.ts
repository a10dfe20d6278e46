/**
 * Format overrides on the command line, shared by `detect`, `ingest` and `convert`: a user who
 * knows the file's format can say so, part by part, and detection decides only the rest.
 */
import {
  type ColumnKind,
  type ColumnTypeOverrides,
  detectFormat,
  ENCODINGS,
  type Encoding,
  type FormatInfo,
  type FormatOverrides,
} from '@refdata/detect';
import { findUnknownTypeOverrides } from '@refdata/ingest';
import { type Command, Option } from 'commander';
import { AppError, AppErrorCode } from '../errors.js';

const COLUMN_KINDS: readonly ColumnKind[] = [
  'boolean',
  'integer',
  'decimal',
  'date',
  'datetime',
  'time',
  'uuid',
  'text',
];
const DATE_ORDERS = ['DMY', 'MDY', 'YMD'] as const;

/** Named characters accepted where one character is expected. */
const NAMED: Readonly<Record<string, string>> = {
  tab: '\t',
  '\\t': '\t',
  space: ' ',
  pipe: '|',
  comma: ',',
  semicolon: ';',
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the format override options to a command. */
export function addFormatOptions(command: Command): Command {
  return command
    .option('--delimiter <text>', "field delimiter, e.g. ';', tab, '|', ', ' (default: detected)")
    .option('--quote <char>', 'quote character, or none (default: detected)')
    .option(
      '--escape <char>',
      'escape inside quotes: double (""), a character such as \'\\\', or none (default: detected)',
    )
    .addOption(new Option('--encoding <name>', 'text encoding (default: detected)').choices(ENCODINGS))
    .option('--header <rows>', 'header rows: 1, or more for a multi-row header (default: detected)')
    .option('--no-header', 'the file has no header row (columns are named col_1, col_2, …)')
    .option('--skip-lines <n>', 'lines before the header to skip (titles, notes)')
    .option('--type <column=kind>', `a column's type (${COLUMN_KINDS.join(', ')}); repeatable`, collect)
    .option('--null <token>', 'a cell text that means NULL (replaces the defaults); repeatable', collect)
    .addOption(
      new Option('--date-order <order>', 'how to read ambiguous dates such as 03/04/2025').choices(DATE_ORDERS),
    );
}

function usage(message: string): AppError {
  return new AppError(AppErrorCode.USAGE, message);
}

function oneChar(flag: string, value: string, allowNone: boolean): string | null {
  if (allowNone && value.toLowerCase() === 'none') return null;
  const named = NAMED[value.toLowerCase()] ?? value;
  if ([...named].length !== 1) {
    throw usage(`${flag} takes one character${allowNone ? ' or none' : ''}, got ${JSON.stringify(value)}.`);
  }
  return named;
}

function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw usage(`${flag} takes a whole number from ${min}, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/**
 * The {@link FormatOverrides} the options of a command say, or undefined when none was given.
 * Throws APP_USAGE with what was expected when a value is wrong.
 *
 * @example
 * ```ts
 * formatOverridesFrom({ delimiter: 'tab', header: false }); // { delimiter: '\t', header: false }
 * ```
 */
export function formatOverridesFrom(opts: Readonly<Record<string, unknown>>): FormatOverrides | undefined {
  const o: { -readonly [K in keyof FormatOverrides]: FormatOverrides[K] } = {};
  if (typeof opts.delimiter === 'string') {
    const d = NAMED[opts.delimiter.toLowerCase()] ?? opts.delimiter;
    if (d === '' || /[\r\n]/.test(d)) throw usage('--delimiter cannot be empty or a line break.');
    o.delimiter = d;
  }
  if (typeof opts.quote === 'string') o.quote = oneChar('--quote', opts.quote, true);
  if (typeof opts.escape === 'string') {
    if (opts.escape.toLowerCase() === 'double') {
      if (o.quote === null) throw usage('--escape double needs a quote character; drop --quote none.');
      o.escape = o.quote ?? '"';
    } else {
      o.escape = oneChar('--escape', opts.escape, true);
    }
  }
  if (typeof opts.encoding === 'string') o.encoding = opts.encoding as Encoding;
  if (opts.header === false) o.header = false;
  else if (typeof opts.header === 'string') o.header = wholeNumber('--header', opts.header, 0);
  if (typeof opts.skipLines === 'string') o.skipLines = wholeNumber('--skip-lines', opts.skipLines, 0);
  if (Array.isArray(opts.type)) {
    const types: Record<string, ColumnKind> = {};
    for (const spec of opts.type as string[]) {
      const at = spec.lastIndexOf('=');
      const column = spec.slice(0, at).trim();
      const kind = spec
        .slice(at + 1)
        .trim()
        .toLowerCase() as ColumnKind;
      if (at <= 0 || column === '' || !COLUMN_KINDS.includes(kind)) {
        throw usage(
          `--type takes COLUMN=KIND with KIND one of ${COLUMN_KINDS.join(', ')}, got ${JSON.stringify(spec)}.`,
        );
      }
      types[column] = kind;
    }
    o.columnTypes = types satisfies ColumnTypeOverrides;
  }
  if (Array.isArray(opts.null)) o.nullTokens = opts.null as string[];
  if (typeof opts.dateOrder === 'string') o.dateOrder = opts.dateOrder as (typeof DATE_ORDERS)[number];
  return Object.keys(o).length === 0 ? undefined : o;
}

/** Dataset (config file) overrides first, the command line's on top, column types merged. */
export function mergeFormatOverrides(
  base: FormatOverrides | undefined,
  top: FormatOverrides | undefined,
): FormatOverrides | undefined {
  if (top === undefined) return base;
  if (base === undefined) return top;
  const columnTypes =
    base.columnTypes === undefined && top.columnTypes === undefined
      ? undefined
      : { ...base.columnTypes, ...top.columnTypes };
  return { ...base, ...top, ...(columnTypes === undefined ? {} : { columnTypes }) };
}

/**
 * Throws `APP_USAGE` when a `--type COLUMN=KIND` names a column the file does not have (it would
 * otherwise be ignored), naming the column, the closest real one and the file's columns.
 *
 * @example
 * ```ts
 * assertTypeFlagsKnown(format, { nosuch: 'integer' }, 'currencies.csv');
 * // APP_USAGE: --type nosuch=integer: currencies.csv has no column "nosuch"; did you mean "code"? …
 * ```
 */
export function assertTypeFlagsKnown(
  format: FormatInfo,
  types: ColumnTypeOverrides | undefined,
  fileName: string,
): void {
  const unknown = findUnknownTypeOverrides(format, types);
  if (unknown.length === 0) return;
  const problems = unknown.map((u) => {
    const kind = types?.[u.key];
    const spec = `--type ${u.key}=${typeof kind === 'string' ? kind : (kind?.kind ?? '')}`;
    const hint = u.closest === undefined ? '.' : `; did you mean ${JSON.stringify(u.closest)}?`;
    return `${spec}: ${fileName} has no column ${JSON.stringify(u.key)}${hint}`;
  });
  throw usage(`${problems.join(' ')} Its columns: ${format.columns.map((c) => c.name).join(', ')}.`);
}

/**
 * Detects `path` with `overrides` (a bounded sample, as ingestion will) and checks its `--type`
 * flags, before anything is recorded or written.
 */
export async function checkTypeFlags(
  path: string,
  overrides: FormatOverrides | undefined,
  types: ColumnTypeOverrides | undefined,
  fileName: string,
  sample: { readonly sampleRows: number; readonly inferTypes: boolean },
): Promise<void> {
  if (types === undefined || Object.keys(types).length === 0) return;
  let format: FormatInfo;
  try {
    format = await detectFormat(path, { ...sample, ...(overrides === undefined ? {} : { overrides }) });
  } catch {
    return; // the command itself reports a file it cannot read or detect, in its own words
  }
  assertTypeFlagsKnown(format, types, fileName);
}
