/**
 * Chooses the dialect (delimiter, quote, escape) and the line terminator from the start of the
 * sample, and explains each choice; the candidates are scored in dialect.ts.
 * @internal
 */
import { decision } from './decision.js';
import { candidateDialects, type DialectScore, scoreDialect, showDelimiter } from './dialect.js';
import { type Dialect, tokenize } from './tokenizer.js';
import type { Decision, FormatOverrides, LineTerminator } from './types.js';

/** Text used to choose the dialect: the start of the sample. */
const DIALECT_SAMPLE_CHARS = 65_536;
const DIALECT_SAMPLE_RECORDS = 400;

/** Cuts text at its last line break so a partial record of a truncated sample is not judged. @internal */
export function cutAtLastLineBreak(text: string): string {
  const i = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  return i < 0 ? text : text.slice(0, i + 1);
}

/** LF, CRLF, CR or mixed, counted outside quoted fields in the start of the text. @internal */
export function detectLineTerminator(whole: string, quote: string | null): Decision<LineTerminator> {
  const text = whole.length > DIALECT_SAMPLE_CHARS ? whole.slice(0, DIALECT_SAMPLE_CHARS) : whole;
  let lf = 0;
  let crlf = 0;
  let cr = 0;
  let inQuotes = false;
  const q = quote === null ? -1 : quote.charCodeAt(0);
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === q) inQuotes = !inQuotes;
    else if (!inQuotes) {
      if (c === 10) lf += 1;
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) {
          crlf += 1;
          i += 1;
        } else cr += 1;
      }
    }
  }
  const kinds = [
    ['\n', lf, 'LF'],
    ['\r\n', crlf, 'CRLF'],
    ['\r', cr, 'CR'],
  ] as const;
  const present = kinds.filter(([, n]) => n > 0);
  if (present.length === 0)
    return decision<LineTerminator>('\n', 0.5, 'no line break in the sample (a single line); LF assumed');
  if (present.length === 1) {
    const [value, n, name] = present[0]!;
    return decision<LineTerminator>(value, 1, `${name}: all ${n} line breaks in the sample`);
  }
  return decision<LineTerminator>(
    'mixed',
    0.9,
    `mixed: ${present.map(([, n, name]) => `${n} ${name}`).join(', ')} line breaks in the sample; the reader accepts all of them`,
  );
}

/** Lines the dialect is chosen on at least, however long they are (the sample still bounds them). */
const MIN_DIALECT_LINES = 5;

/** The first 64 KiB of the sample cut at a line break, or its first few lines when rows are wider than that. */
function dialectHead(text: string): string {
  if (text.length <= DIALECT_SAMPLE_CHARS) return text;
  const cut = cutAtLastLineBreak(text.slice(0, DIALECT_SAMPLE_CHARS));
  const breaks = /\r\n|\n|\r/g;
  let lines = 0;
  while (breaks.test(cut)) if (++lines >= MIN_DIALECT_LINES) return cut;
  // Very wide rows (e.g. 20,000 columns): take whole lines past 64 KiB rather than a piece of the header.
  breaks.lastIndex = 0;
  lines = 0;
  let end = text.length;
  for (let m = breaks.exec(text); m !== null; m = breaks.exec(text)) {
    if (++lines >= MIN_DIALECT_LINES) {
      end = m.index + m[0].length;
      break;
    }
  }
  return text.slice(0, end);
}

/** Comment lines (`# text`, `##`, a lone `#`, or one of them quoted) in a file that starts with them. */
const COMMENT_LINE = /^(?:#(?:[ \t#].*)?|"#(?:[ \t#].*|"))$/;

function chooseDialect(
  text: string,
  final: boolean,
  overrides: FormatOverrides,
  comments: boolean,
): {
  best: DialectScore | undefined;
  runnerUp: DialectScore | undefined;
  onlyQuoted: string[];
  /** True when a backslash escape scored the same as the chosen doubled quotes (nothing in the head told them apart). */
  escapeTied: boolean;
} {
  let head = dialectHead(text);
  const headFinal = final && head.length === text.length;
  // In a file with comment lines, the ones further down (between tables) do not vote either.
  if (comments) {
    head = head
      .split(/\r\n|\n|\r/)
      .filter((l) => !COMMENT_LINE.test(l))
      .join('\n');
  }
  const candidates = candidateDialects(head, {
    delimiter: overrides.delimiter,
    quote: overrides.quote,
    escape: overrides.escape,
    trim: overrides.trim,
  });
  let scores = candidates.map((d) => scoreDialect(head, d, headFinal, DIALECT_SAMPLE_RECORDS));
  // A delimiter that occurs only inside well-formed quoted fields ("#,#00", "12,34") separates
  // nothing: every reading with it is dropped (a file of one quoted column, or another delimiter).
  const onlyQuoted =
    overrides.delimiter !== undefined
      ? []
      : scores
          .filter(
            (s) =>
              s.dialect.quote !== null &&
              s.width === 1 &&
              s.widths === 1 &&
              s.irregular === 0 &&
              !s.failed &&
              head.includes(s.dialect.quote),
          )
          .map((s) => s.dialect.delimiter);
  if (onlyQuoted.length > 0) scores = scores.filter((s) => !onlyQuoted.includes(s.dialect.delimiter));
  scores.sort((a, b) => b.score - a.score || preference(a.dialect) - preference(b.dialect));
  let best = scores[0];
  // Spaces also separate the words of text: a space reading loses to a delimiter that splits
  // every row into the same 2+ fields (`// Empty, backward compatibility`) unless it scores
  // far better.
  if (best !== undefined && best.dialect.delimiter === ' ' && overrides.delimiter === undefined) {
    const steady = scores.find(
      (s) =>
        s.dialect.delimiter.trim() !== '' &&
        s.width >= 2 &&
        s.total >= 2 &&
        s.consistent === s.total &&
        !s.failed &&
        s.score >= SPACE_MARGIN * best!.score,
    );
    if (steady !== undefined) best = steady;
  }
  const runnerUp = best && scores.find((s) => s.dialect.delimiter !== best.dialect.delimiter);
  const escapeTied =
    best !== undefined &&
    scores.some(
      (s) =>
        s !== best &&
        s.score === best.score &&
        s.dialect.delimiter === best.dialect.delimiter &&
        s.dialect.quote === best.dialect.quote &&
        s.dialect.escape !== best.dialect.escape,
    );
  return { best, runnerUp, onlyQuoted: [...new Set(onlyQuoted)], escapeTied };
}

/**
 * `\"` sequences in the text when it holds no doubled quote inside a field (`a""b`): the quotes
 * are escaped with a backslash. 0 when there is none, or when doubled quotes occur too.
 */
function backslashEscapes(text: string, quote: string): number {
  const escaped = text.split(`\\${quote}`).length - 1;
  if (escaped === 0) return 0;
  const doubled = new RegExp(`[^\\s,;|\\t\\\\${quote}]${quote}${quote}[^\\s,;|\\t${quote}]`);
  return doubled.test(text) ? 0 : escaped;
}

/** How much better a space reading must score to beat a steady reading with another delimiter. */
const SPACE_MARGIN = 0.5;

/** Lines of a metadata block looked for before the first blank line. */
const MAX_BLOCK_LINES = 30;

/**
 * A block before the first blank line (within the first lines) when the whole text reads
 * poorly — no dialect gives most rows one width — but the text after the blank line is a
 * consistent table of 2+ columns that the block does not fit (an HTTP response's headers, a
 * report's `Key: value` lines). Returns the block and the dialect chosen after it.
 */
function metadataBlock(
  body: string,
  wholeFile: boolean,
  overrides: FormatOverrides,
  comments: boolean,
  whole: DialectScore | undefined,
): { block: { chars: number; lines: number }; choice: ReturnType<typeof chooseDialect> } | undefined {
  if (whole !== undefined && whole.width > 1 && whole.consistent >= 0.8 * whole.total) return undefined;
  const line = /[^\r\n]*(?:\r\n|\n|\r)/y;
  let at = 0;
  let lines = 0;
  let blankAt = -1;
  while (lines < MAX_BLOCK_LINES) {
    line.lastIndex = at;
    const m = line.exec(body);
    if (m === null) break;
    lines += 1;
    at += m[0].length;
    if (m[0].trim() === '') {
      blankAt = lines;
      break;
    }
  }
  if (blankAt <= 1) return undefined;
  // A block that is itself the table the whole text reads as (a first table before a second one)
  // is not metadata: the first table stays the table.
  if (whole !== undefined && whole.width > 1) {
    const own = tokenize(body.slice(0, at), whole.dialect, { final: true, keepGoing: true }).records.filter(
      (r) => r.raw.trim() !== '',
    );
    if (own.filter((r) => r.fields.length === whole.width).length >= 0.8 * own.length) return undefined;
  }
  // Blank lines after the block belong to it.
  for (;;) {
    line.lastIndex = at;
    const m = line.exec(body);
    if (m === null || m[0].trim() !== '') break;
    lines += 1;
    at += m[0].length;
  }
  const after = body.slice(at);
  const choice = chooseDialect(after, wholeFile, overrides, comments);
  const best = choice.best;
  if (best === undefined || best.width < 2 || best.total < 2 || best.consistent < 0.9 * best.total) return undefined;
  const blockRecords = tokenize(body.slice(0, at), best.dialect, { final: true, keepGoing: true }).records.filter(
    (r) => r.raw.trim() !== '',
  );
  if (blockRecords.filter((r) => r.fields.length === best.width).length * 2 >= blockRecords.length) return undefined;
  return { block: { chars: at, lines }, choice };
}

/** Lower is preferred on ties: comma, then the usual quote, doubled escape. */
function preference(d: Dialect): number {
  const delimiterRank = [',', ';', '\t', '|', ', ', '; ', ':', ' '].indexOf(d.delimiter);
  const quoteRank = d.quote === '"' ? 0 : d.quote === null ? 1 : 2;
  const escapeRank = d.escape === d.quote ? 0 : 1;
  // Dropping padding is the last resort: ', ' reads `a, b` as well without it.
  return (d.trim === true ? 100 : 0) + (delimiterRank < 0 ? 9 : delimiterRank) * 10 + quoteRank * 3 + escapeRank;
}

/** The chosen dialect and the decisions that explain it. @internal */
export interface DialectDecisions {
  /**
   * A block of lines before the first blank line that the table below does not fit (HTTP
   * headers, `Key: value` metadata): its length in characters and lines, skipped as preamble.
   */
  readonly block: { readonly chars: number; readonly lines: number };
  readonly dialect: Dialect;
  readonly delimiter: Decision<string>;
  readonly quote: Decision<string | null>;
  readonly escape: Decision<string | null>;
}

/**
 * Chooses the dialect of `body` (the sample after skipped lines), honouring overrides and an
 * Excel `sep=` hint; a table of one column gets a delimiter absent from the sample. @internal
 */
export function decideDialect(
  body: string,
  wholeFile: boolean,
  overrides: FormatOverrides,
  sepHint: string | undefined,
  comments = false,
  findBlock = false,
): DialectDecisions {
  const dialectOverrides: FormatOverrides =
    sepHint !== undefined && overrides.delimiter === undefined ? { ...overrides, delimiter: sepHint } : overrides;
  let choice = chooseDialect(body, wholeFile, dialectOverrides, comments);
  let block = { chars: 0, lines: 0 };
  if (findBlock && dialectOverrides.delimiter === undefined) {
    const found = metadataBlock(body, wholeFile, dialectOverrides, comments, choice.best);
    if (found !== undefined) {
      block = found.block;
      body = body.slice(block.chars);
      choice = found.choice;
    }
  }
  const { best, runnerUp, onlyQuoted, escapeTied } = choice;
  // One column: no candidate splits rows into 2+ fields, so use a delimiter that never occurs.
  const chosen = best !== undefined && (dialectOverrides.delimiter !== undefined || best.width > 1) ? best : undefined;
  let dialect: Dialect =
    chosen === undefined
      ? {
          delimiter: [',', '\t', ';', '|', '\u001f'].find((c) => !body.includes(c)) ?? '\u001f',
          quote: overrides.quote !== undefined ? overrides.quote : '"',
          escape: overrides.escape !== undefined ? overrides.escape : '"',
        }
      : chosen.dialect;
  // When the scored head cannot tell the escapes apart (no escaped quote in its first records),
  // the whole sample decides: `\"` and never a doubled quote inside a field is a backslash escape.
  const lateBackslash =
    overrides.escape === undefined &&
    dialect.quote !== null &&
    dialect.escape === dialect.quote &&
    (escapeTied || !dialectHead(body).includes(`\\${dialect.quote}`))
      ? backslashEscapes(body, dialect.quote)
      : 0;
  if (lateBackslash > 0) dialect = { ...dialect, escape: '\\' };
  const d = dialect.delimiter;
  const quotedOnly =
    onlyQuoted.length > 0
      ? ` (${onlyQuoted.map(showDelimiter).join(', ')} occur${onlyQuoted.length === 1 ? 's' : ''} only inside quoted values)`
      : '';
  const delimiterDecision =
    overrides.delimiter !== undefined
      ? decision(d, 1, `delimiter ${showDelimiter(d)} from the override`, true)
      : sepHint !== undefined
        ? decision(d, 1, `delimiter ${showDelimiter(d)} from the file's first line "sep=${sepHint}" (an Excel hint)`)
        : chosen === undefined
          ? decision(
              d,
              0.6,
              `a single column: no delimiter splits the rows into 2 or more fields consistently${quotedOnly}; ${showDelimiter(d)} (absent from the sample) is used`,
            )
          : decision(
              d,
              chosen.total === 0
                ? 0.3
                : Math.min(
                    1,
                    (chosen.consistent / chosen.total) * (runnerUp && runnerUp.score > chosen.score * 0.9 ? 0.8 : 1),
                  ),
              `delimiter ${showDelimiter(d)} chosen: ${chosen.consistent} of ${chosen.total} rows have ${chosen.width} fields${quotedOnly}` +
                (runnerUp
                  ? `; ${showDelimiter(runnerUp.dialect.delimiter)} gives ${runnerUp.widths} different width${runnerUp.widths === 1 ? '' : 's'} (most common ${runnerUp.width})`
                  : ''),
            );
  const quoteDecision =
    overrides.quote !== undefined
      ? decision(dialect.quote, 1, 'quote from the override', true)
      : dialect.quote === null
        ? decision<string | null>(
            null,
            0.8,
            'no quoted fields: quoting with " or \' does not make the rows more consistent',
          )
        : decision<string | null>(
            dialect.quote,
            body.includes(dialect.quote) ? 0.95 : 0.6,
            body.includes(dialect.quote)
              ? `quote ${dialect.quote}: quoted fields found in the sample`
              : `quote ${dialect.quote} assumed (no quotes in the sample)`,
          );
  const escapeDecision =
    overrides.escape !== undefined
      ? decision(dialect.escape, 1, 'escape from the override', true)
      : dialect.escape === null
        ? decision<string | null>(null, 0.8, 'no escape character (fields are not quoted)')
        : dialect.escape === dialect.quote
          ? decision<string | null>(
              dialect.escape,
              0.9,
              `quotes inside quoted fields are doubled (${dialect.quote}${dialect.quote})`,
            )
          : decision<string | null>(
              dialect.escape,
              lateBackslash > 0 ? 0.8 : 0.9,
              `quotes inside quoted fields are escaped with ${dialect.escape}` +
                (lateBackslash > 0 ? ` (${lateBackslash} \\${dialect.quote} in the sample and no doubled quotes)` : ''),
            );
  return { block, dialect, delimiter: delimiterDecision, quote: quoteDecision, escape: escapeDecision };
}
