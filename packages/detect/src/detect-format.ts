/**
 * detectFormat: reads the bounded sample and runs the detectors in order — encoding, skipped
 * lines, dialect (choose-dialect.ts), structure (structure.ts, footer.ts), columns (columns.ts).
 */
import { isAscii } from 'node:buffer';
import type { DetectFormatFn } from './api.js';
import { cutAtLastLineBreak, decideDialect, detectLineTerminator } from './choose-dialect.js';
import { buildColumns } from './columns.js';
import { decision } from './decision.js';
import { decodeAll, detectEncoding } from './decode.js';
import { DetectError, DetectErrorCode } from './errors.js';
import { tailFooter } from './footer.js';
import { DEFAULT_MAX_FIELD_SIZE, DEFAULT_SAMPLE_BYTES, DEFAULT_SAMPLE_ROWS, validateOptions } from './options.js';
import { decidePadding } from './padding.js';
import {
  countLines,
  filledRecord,
  hasTrailingBlankField,
  headerCopyTest,
  headerNames,
  isBlank,
  withoutTrailingField,
} from './rows.js';
import { readSample, type Sample } from './sample.js';
import { detectStructure } from './structure.js';
import { type Dialect, tokenize } from './tokenizer.js';
import { DEFAULT_NULL_TOKENS, type Decision, type Encoding, type FormatInfo, type FormatOverrides } from './types.js';

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new DetectError(DetectErrorCode.Aborted, 'Detection was cancelled.', {}, { cause: signal.reason });
  }
}

/** The encoding of the sample (or the override), refusing a damaged UTF-8 file. */
function decideEncoding(
  sample: Sample,
  overrides: FormatOverrides,
  file: string | undefined,
): { encoding: Decision<Encoding>; bom: boolean; warning: string | undefined } {
  const guess = detectEncoding(sample.bytes, sample.wholeFile);
  const warning =
    guess.nulBytes === undefined
      ? undefined
      : `${guess.nulBytes.count} NUL byte(s) in the first 4096 bytes, the first on line ${guess.nulBytes.line}: the file is text with stray NUL characters, which are kept in the values (check the export)`;
  if (overrides.encoding !== undefined) {
    return {
      encoding: decision(overrides.encoding, 1, `encoding ${overrides.encoding} from the override`, true),
      bom: guess.bom && guess.encoding === overrides.encoding,
      warning,
    };
  }
  if (guess.damagedUtf8 !== undefined) {
    const { line, validSequences, invalidBytes } = guess.damagedUtf8;
    throw new DetectError(
      DetectErrorCode.InvalidEncoding,
      `${file ?? 'The input'} is UTF-8 (${validSequences} valid multi-byte characters) but line ${line} holds bytes that are not valid UTF-8 (${invalidBytes} such byte(s) in the first ${sample.bytes.length} bytes): the file is damaged or mixes encodings, and reading it as Windows-1252 would garble every other accented character. Fix that line and drop the file again, or set the encoding override if the whole file is in another encoding.`,
      file ? { file, line } : { line },
    );
  }
  return { encoding: decision(guess.encoding, guess.confidence, guess.reason), bom: guess.bom, warning };
}

/**
 * A leading block of comment lines — `# text`, `##meta`, a lone `#`, with blank lines between,
 * also quoted (`"# text"`, from a writer that quotes every value) — followed by other lines, as
 * R, pandas and DuckDB read them with a comment character. `#word` is not a comment (a header
 * such as `#CHROM` or `#id,name`), nor is a last line right above the table that splits like
 * its first row (`# of items,price`, `# DOCID , TITLE`): that is the header. Returns the block's
 * length in characters and lines (0 when there is none).
 */
function commentBlock(text: string): { chars: number; lines: number } {
  const line = /(?:#(?:[ \t#][^\r\n]*)?|"#(?:[ \t#][^\r\n]*|")|[ \t]*)(?:\r\n|\n|\r)/y;
  let at = 0;
  let lines = 0;
  let comments = 0;
  let last: { at: number; text: string } | undefined;
  for (;;) {
    line.lastIndex = at;
    const m = line.exec(text);
    if (m === null) break;
    if (m[0].trim() !== '') {
      comments += 1;
      last = { at, text: m[0] };
    } else last = undefined;
    at += m[0].length;
    lines += 1;
  }
  // Only a block followed by a line that is not a comment (else the whole sample is comments).
  if (comments === 0 || at >= text.length || text.startsWith('#', at) || text.startsWith('"#', at))
    return { chars: 0, lines: 0 };
  if (last !== undefined && splitsLike(last.text, firstLine(text, at))) {
    if (comments === 1) return { chars: 0, lines: 0 };
    return { chars: last.at, lines: lines - 1 };
  }
  return { chars: at, lines };
}

function firstLine(text: string, at: number): string {
  const end = text.slice(at).search(/\r\n|\n|\r/);
  return end < 0 ? text.slice(at) : text.slice(at, at + end);
}

/** True when a common delimiter occurs in both lines equally often (once or more). */
function splitsLike(a: string, b: string): boolean {
  for (const d of [',', ';', '\t', '|']) {
    const n = a.split(d).length - 1;
    if (n > 0 && n === b.split(d).length - 1) return true;
  }
  return false;
}

/** Parses `text` as JSON; undefined when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * What a text that is a document rather than a table is — an HTML page (often an error page a
 * failed download saved under the CSV's name), an XML document, JSON or JSON Lines — or
 * undefined. Such a file would otherwise load as a table of markup or braces.
 */
function documentKind(text: string, wholeFile: boolean): string | undefined {
  const head = text.slice(0, 512).trimStart();
  if (/^<!doctype html|^<html[\s>]/i.test(head)) return 'an HTML page (often an error page saved by a failed download)';
  if (/^<\?xml[\s?]/i.test(head)) return 'an XML document';
  if (head.startsWith('{') || head.startsWith('[')) {
    const whole = wholeFile ? parseJson(text) : undefined;
    if (typeof whole === 'object' && whole !== null) return 'a JSON document';
    const lines = text
      .split(/\r\n|\n|\r/, 6)
      .slice(0, 5)
      .filter((l) => l.trim() !== '');
    const objects = lines.filter((l) => /^\s*\{/.test(l) && typeof parseJson(l) === 'object');
    if (lines.length > 0 && objects.length === lines.length) return 'JSON Lines (one JSON object per line)';
    if (!wholeFile && /^(?:\[\s*)?\{\s*"[^"\r\n]*"\s*:/.test(head)) return 'a JSON document';
  }
  return undefined;
}

/**
 * Drops the lines the user said to skip, an Excel `sep=;` first line (which names the
 * delimiter) and leading comment lines; returns the rest and how many physical lines were dropped.
 */
function skipLeadingLines(
  text: string,
  overrides: FormatOverrides,
): { body: string; skipped: number; sepHint: string | undefined; comments: number } {
  let skipped = 0;
  let body = text;
  if (overrides.skipLines !== undefined && overrides.skipLines > 0) {
    let i = 0;
    while (skipped < overrides.skipLines && i < body.length) {
      const c = body.charCodeAt(i);
      i += 1;
      if (c === 10) skipped += 1;
      else if (c === 13) {
        if (body.charCodeAt(i) === 10) i += 1;
        skipped += 1;
      }
    }
    body = body.slice(i);
  }
  let sepHint: string | undefined;
  if (overrides.skipLines === undefined) {
    const m = /^sep=([^\r\n]{1,3})(\r\n|\n|\r)/i.exec(body);
    if (m) {
      sepHint = m[1]!;
      skipped += 1;
      body = body.slice(m[0].length);
    }
  }
  let comments = 0;
  if (overrides.skipLines === undefined) {
    const block = commentBlock(body);
    comments = block.lines;
    skipped += block.lines;
    body = body.slice(block.chars);
  }
  return { body, skipped, sepHint, comments };
}

/**
 * Detects everything needed to read a delimited text file correctly — encoding, line
 * terminator, delimiter, quote, escape, preamble, header rows, footer, column names and
 * lossless types — from a bounded sample (default 1 MiB and 1,000 data rows). Every decision
 * carries a confidence and a readable reason, and every one can be overridden.
 *
 * Throws a {@link DetectError}: `DETECT_EMPTY_FILE`, `DETECT_BINARY_FILE`,
 * `DETECT_INVALID_ENCODING`,
 * `DETECT_FIELD_TOO_LARGE`, `DETECT_READ_FAILED`, `DETECT_INVALID_OPTION`, `DETECT_ABORTED`.
 *
 * @example
 * ```ts
 * const format = await detectFormat('currencies.csv');
 * console.log(format.delimiter.value, format.delimiter.reason);
 * for (const c of format.columns) console.log(c.name, c.type.kind, c.reason);
 * ```
 */
export const detectFormat: DetectFormatFn = async (input, options = {}) => {
  validateOptions(options);
  const overrides = options.overrides ?? {};
  const sampleBytes = options.sampleBytes ?? DEFAULT_SAMPLE_BYTES;
  const sampleRows = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  const maxFieldSize = options.maxFieldSize ?? DEFAULT_MAX_FIELD_SIZE;
  const nullTokenList = overrides.nullTokens ?? DEFAULT_NULL_TOKENS;
  const nullTokens = new Set(nullTokenList);
  const file = typeof input === 'string' ? input : undefined;
  const started = performance.now();
  checkAborted(options.signal);

  const sample = await readSample(input, sampleBytes);
  checkAborted(options.signal);
  if (sample.size === 0) {
    throw new DetectError(
      DetectErrorCode.EmptyFile,
      `${file ?? 'The input'} is empty (0 bytes); there is nothing to load.`,
      file ? { file } : {},
    );
  }
  const { encoding, bom, warning: encodingWarning } = decideEncoding(sample, overrides, file);
  let text = decodeAll(sample.bytes, encoding.value, sample.wholeFile);
  if (!sample.wholeFile) text = cutAtLastLineBreak(text);
  if (text.trim() === '') {
    throw new DetectError(
      DetectErrorCode.EmptyFile,
      `${file ?? 'The input'} holds no data (only ${bom ? 'a byte-order mark and ' : ''}whitespace); there is nothing to load.`,
      file ? { file } : {},
    );
  }
  const document = overrides.delimiter === undefined ? documentKind(text, sample.wholeFile) : undefined;
  if (document !== undefined) {
    throw new DetectError(
      DetectErrorCode.Undetectable,
      `${file ?? 'The input'} is ${document}, not delimited text; export the data as CSV (or set the delimiter override if it really is a table).`,
      file ? { file } : {},
    );
  }
  const leading = skipLeadingLines(text, overrides);
  const { sepHint, comments } = leading;
  let { body, skipped } = leading;

  const dialectDecisions = decideDialect(
    body,
    sample.wholeFile,
    overrides,
    sepHint,
    comments > 0,
    overrides.skipLines === undefined,
  );
  const block = dialectDecisions.block;
  if (block.lines > 0) {
    body = body.slice(block.chars);
    skipped += block.lines;
  }
  let dialect: Dialect = dialectDecisions.dialect;
  const d = dialect.delimiter;
  checkAborted(options.signal);

  // Records of the sample with the chosen dialect: enough for the preamble, header and type
  // sample (so detection costs the same for any file size). When they reach the end of the
  // file, footnotes and a second table are found among them; otherwise in the file's tail.
  const sampleOptions = { final: sample.wholeFile, maxFieldSize, maxRecords: sampleRows + 64 };
  // Padding: what the spaces beside the delimiters look like, read without trimming (the sample
  // is read again with trimming only when they turn out to be padding).
  const chosenTrim = dialect.trim === true;
  let tokenized = tokenize(body, { ...dialect, trim: false }, sampleOptions);
  const evidence = decidePadding(tokenized.records, dialect);
  const trim =
    overrides.trim !== undefined
      ? decision(overrides.trim, 1, `padding ${overrides.trim ? 'dropped' : 'kept'} by the override`, true)
      : chosenTrim && !evidence.value
        ? decision(true, 0.7, 'spaces around fields are padding: the rows split consistently only without them')
        : evidence;
  dialect = { ...dialect, trim: trim.value };
  if (trim.value) tokenized = tokenize(body, dialect, sampleOptions);
  const records = tokenized.records;
  const reachedEnd = sample.wholeFile && tokenized.truncated !== true;
  checkAborted(options.signal);
  if (records.length === 0) {
    throw new DetectError(
      DetectErrorCode.Undetectable,
      `${file ?? 'The input'} holds no complete record in its first ${sample.bytes.length} bytes (a very long first line, a huge field or an unclosed quote); raise sampleBytes or check the quoting and line breaks.`,
      file ? { file } : {},
    );
  }
  const structure = detectStructure(records, reachedEnd, nullTokens, d, overrides);
  let footer: Decision<number> = reachedEnd
    ? decision(0, 0.9, 'the table runs to the end of the file')
    : decision(0, 0.7, 'no notes after the table in the last 64 KiB of the file');
  if (!reachedEnd) {
    const tail = await tailFooter(
      input,
      sample.size,
      encoding.value,
      dialect,
      structure.width,
      records[structure.preambleRecords],
    );
    if (tail) {
      footer = decision(tail.lines, 0.7, tail.reason);
      structure.warnings.push(`${tail.reason}; not loaded`);
    }
  }
  const headerStart = structure.preambleRecords;
  const headerRecords = records
    .slice(headerStart)
    .filter((r) => !isBlank(r))
    .slice(0, structure.headerRows);
  const preambleLines = skipped + (records[headerStart]?.line ?? 1) - 1;
  if (structure.footerStart !== undefined) {
    const lines = countLines(body) - records[structure.footerStart]!.line + 1;
    footer = decision(lines, 0.8, structure.footerReason ?? `${lines} blank line(s) at the end of the file`);
  }
  const footerLines = footer.value;
  const dataStartIndex =
    headerRecords.length > 0 ? records.indexOf(headerRecords[headerRecords.length - 1]!) + 1 : headerStart;
  const dataEnd = structure.footerStart ?? records.length;
  const width = structure.width;
  // Copies of a one-row header (joined files) are skipped by the reader: no data to type.
  const isHeaderCopy = headerRecords.length === 1 ? headerCopyTest(headerNames(headerRecords[0]!)) : undefined;
  const dataSlice = records.slice(dataStartIndex, dataEnd).filter((r) => !isBlank(r) && isHeaderCopy?.(r) !== true);
  // Rows with a stray final delimiter are typed as the reader yields them: without that field.
  const trailing = dataSlice.filter((r) => hasTrailingBlankField(r, width)).length;
  const dataRecords = dataSlice.map((r) =>
    hasTrailingBlankField(r, width) ? withoutTrailingField(r, width) : filledRecord(r, width, structure.fillFrom),
  );
  const fitting = dataRecords.filter((r) => r.fields.length === width);
  const typed = fitting.length > sampleRows ? fitting.slice(0, sampleRows) : fitting;
  // Without a null in the sample a column is non-nullable only when the sample saw every row.
  const sawEveryRow = reachedEnd && typed.length === fitting.length;

  const built = buildColumns({
    headerRecords,
    typed,
    width,
    sawEveryRow,
    nullTokens,
    delimiter: d,
    overrides,
    inferTypes: options.inferTypes !== false,
  });
  const { columns } = built;
  const warnings = [
    ...(encodingWarning === undefined ? [] : [encodingWarning]),
    ...structure.warnings,
    ...built.warnings,
  ];
  if (tokenized.unclosedQuoteLine !== undefined) {
    const line = skipped + tokenized.unclosedQuoteLine;
    warnings.push(
      `the ${dialect.quote} on line ${line} is never closed; it is read as a literal character (check that line)`,
    );
  }
  if (trailing > 0) {
    warnings.push(
      `${trailing} sampled data row(s) end with one extra empty field (a stray final delimiter); it is dropped`,
    );
  }
  const off = dataRecords.filter((r) => r.fields.length !== width).length;
  if (off > 0) warnings.push(`${off} of ${dataRecords.length} sampled data rows do not have ${width} fields`);

  const headerDecision = decision(
    structure.headerRows,
    structure.headerConfidence,
    structure.headerReason,
    overrides.header !== undefined,
  );
  const preambleDecision =
    overrides.skipLines !== undefined
      ? decision(preambleLines, 1, `${overrides.skipLines} line(s) skipped by the override`, true)
      : comments > 0 || block.lines > 0
        ? decision(
            preambleLines,
            0.8,
            [
              comments > 0 ? `${comments} comment line(s) starting with #` : '',
              block.lines > 0
                ? `${block.lines} line(s) up to the first blank line that the table below does not fit (metadata)`
                : '',
              structure.preambleRecords > 0 ? structure.preambleReason : '',
            ]
              .filter((p) => p !== '')
              .join('; then '),
          )
        : decision(preambleLines, structure.preambleRecords === 0 ? 0.9 : 0.8, structure.preambleReason);

  const lineTerminator = detectLineTerminator(text, dialect.quote);
  options.logger?.debug(
    {
      file,
      ms: Math.round(performance.now() - started),
      encoding: encoding.value,
      delimiter: d,
      quote: dialect.quote,
      headerRows: structure.headerRows,
      preambleLines,
      footerLines,
      columns: columns.length,
      sampleRows: typed.length,
      warnings: warnings.length,
    },
    'format detected',
  );
  const asciiSample =
    !sample.wholeFile && encoding.value === 'utf-8' && encoding.overridden !== true && !bom && isAscii(sample.bytes);
  return {
    encoding: asciiSample
      ? {
          ...encoding,
          reason: `${encoding.reason}, in the sample; the first non-ASCII bytes past it decide between UTF-8 and a single-byte code page as the file is read`,
        }
      : encoding,
    bom,
    ...(asciiSample ? { asciiSample } : {}),
    lineTerminator,
    delimiter: dialectDecisions.delimiter,
    quote: dialectDecisions.quote,
    escape: dialectDecisions.escape,
    trim,
    preambleLines: preambleDecision,
    headerRows: headerDecision,
    footer,
    footerLines,
    fillShortRows:
      structure.fillFrom > 0
        ? decision(
            structure.fillFrom,
            0.7,
            `the first row has ${width} fields and the rows below ${structure.fillFrom} to ${width}, the longer ones with values in the extra columns: rows with ${structure.fillFrom} or more fields are filled out with empty trailing fields`,
          )
        : decision(0, 0.9, `rows must have ${width} fields`),
    columns,
    nullTokens: [...nullTokenList],
    warnings,
    sample: { bytes: sample.bytes.length, rows: typed.length, wholeFile: sample.wholeFile },
  } satisfies FormatInfo;
};
