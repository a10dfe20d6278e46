/**
 * Messages in an operator's words. The packages speak to library users ("pass skipDuplicates:
 * false", "raise maxErrors", "load it again with force"); the CLI and the watcher's error files
 * name what an operator can type or set instead: a flag, an environment variable, a config key,
 * or the `refdata release` command.
 */
import { IngestErrorCode } from '@refdata/ingest';
import { errorCode, errorMessage } from './errors.js';

/** Who reads a message, and what they can act with. */
export interface Audience {
  /** `command`: the user of `refdata ingest`/`release` (flags); `watch`: the operator of a drop folder (settings). */
  readonly via: 'command' | 'watch';
  /** The name the file was dropped or given under. */
  readonly name: string;
  /** The file's tracking id (for the `refdata release` command of a held load). */
  readonly fileId?: number;
  /** The dataset's table, to name its settings in the config file. */
  readonly table?: string | null;
  /** The rejected rows are listed beside the message, so it need not quote the first one. */
  readonly rejectsListed?: boolean;
}

type Rewrite = readonly [RegExp, (a: Audience) => string];

const dataset = (a: Audience): string => (a.table ? `datasets.${a.table}` : 'the dataset');

/** Library phrases and what an operator reads instead. */
const REWRITES: readonly Rewrite[] = [
  [
    /Pass skipDuplicates: false to load it again\./,
    (a) =>
      a.via === 'command'
        ? 'Re-run with --reload to load it again.'
        : `To load it again, run \`refdata ingest FILE --reload\` on ${a.name}.`,
  ],
  [
    /load it again with force to apply it anyway/,
    (a) =>
      a.fileId === undefined
        ? 'apply it with --force'
        : `apply it with \`refdata release ${a.fileId}\`${a.via === 'command' ? ' (or re-run with --force)' : ''}`,
  ],
  [
    /pass format overrides \(delimiter, quote, header, encoding\)/,
    (a) =>
      a.via === 'command'
        ? 'pass --delimiter, --quote, --header or --encoding'
        : `set them in ${dataset(a)}.format (delimiter, quote, header, encoding) in refdata.config.json`,
  ],
  [
    /set the quote override to null/,
    (a) => (a.via === 'command' ? 'pass --quote none' : `set "quote": null in ${dataset(a)}.format`),
  ],
  [
    /set the encoding override/,
    (a) => (a.via === 'command' ? 'pass --encoding' : `set the encoding in ${dataset(a)}.format`),
  ],
  [
    /set schemaDrift to 'add' \(add new columns\) or 'ignore' \(skip new columns\)/,
    (a) =>
      `set INGEST_SCHEMA_DRIFT (or ${dataset(a)}.schemaDrift in refdata.config.json) to add (add new columns) or ignore (skip new columns)`,
  ],
  [
    /pass keyColumns \(e\.g\. \['code'\]\) or configure the dataset's keys/,
    (a) =>
      a.via === 'command'
        ? `pass --key COL[,COL…] or set ${dataset(a)}.keyColumns in refdata.config.json`
        : `set ${dataset(a)}.keyColumns in refdata.config.json`,
  ],
  [
    /fix keyColumns or the header/,
    (a) => (a.via === 'command' ? 'fix --key or the header' : `fix ${dataset(a)}.keyColumns or the header`),
  ],
  [/^format\.columnTypes names/, (a) => `${dataset(a)}.types in refdata.config.json names`],
  [/create the ingestor with parseInWorker: false/, () => 'report it with the file'],
];

/**
 * The message of `err` for an operator: library wording replaced by the flag, setting or command
 * that does the same, and `INGEST_TOO_MANY_REJECTS` told with the limit's own name.
 *
 * @example
 * ```ts
 * operatorMessage(err, { via: 'command', name: 'rates.csv' });
 * // '3 row(s) of rates.csv were rejected and --max-errors is 0; … or re-run with --max-errors 3 to load the good rows.'
 * ```
 */
export function operatorMessage(err: unknown, audience: Audience): string {
  if (errorCode(err) === IngestErrorCode.TOO_MANY_REJECTS) return tooManyRejects(err, audience);
  return operatorText(errorMessage(err), audience);
}

/** `text` (a result's message, an error's) with library wording replaced for `audience`. */
export function operatorText(text: string, audience: Audience): string {
  let out = text;
  for (const [pattern, words] of REWRITES) if (pattern.test(out)) out = out.replace(pattern, words(audience));
  return out;
}

function tooManyRejects(err: unknown, a: Audience): string {
  const e = err as {
    readonly details?: { readonly rejected?: unknown; readonly maxErrors?: unknown };
    readonly table?: string;
    readonly rejects?: readonly { readonly line: number; readonly column?: string; readonly reason: string }[];
  };
  const rejected = typeof e.details?.rejected === 'number' ? e.details.rejected : undefined;
  const maxErrors = typeof e.details?.maxErrors === 'number' ? e.details.maxErrors : undefined;
  if (rejected === undefined || maxErrors === undefined) return operatorText(errorMessage(err), a);
  const table = e.table ?? a.table ?? '';
  const limit = a.via === 'command' ? '--max-errors' : 'the limit (INGEST_MAX_ERRORS or the dataset’s maxErrors)';
  const first = e.rejects?.[0];
  const example =
    a.rejectsListed === true || first === undefined
      ? ''
      : ` First: line ${first.line}${first.column === undefined ? '' : `, column ${first.column}`}: ${operatorText(first.reason, a)}.`;
  const raise =
    a.via === 'command'
      ? `re-run with --max-errors ${rejected}`
      : `raise INGEST_MAX_ERRORS (or ${dataset(a)}.maxErrors in refdata.config.json) to ${rejected}`;
  const where = a.via === 'command' ? 'listed above' : `in ${a.name}.rejects.csv`;
  return (
    `${rejected} row(s) of ${a.name} were rejected and ${limit} is ${maxErrors}; ref.${table} is unchanged.${example} ` +
    `Fix the rows ${where}, or ${raise} to load the good rows.`
  );
}
