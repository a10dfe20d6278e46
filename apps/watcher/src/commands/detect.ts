/**
 * `refdata detect FILE [--json]`: what the detector decided, how sure it is and why.
 */

import { basename } from 'node:path';
import { type ColumnType, detectFormat, type FormatInfo } from '@refdata/detect';
import { assertTypeFlagsKnown, formatOverridesFrom } from './format-flags.js';
import { type CommandEnv, inputFile } from './shared.js';

/**
 * A column type in words: `decimal(12,2) with ',' decimals`, `date YYYY-MM-DD`, `text ≤ 40`.
 *
 * @example
 * ```ts
 * describeColumnType({ kind: 'integer', size: 'int' }); // 'integer (int)'
 * ```
 */
export function describeColumnType(type: ColumnType): string {
  switch (type.kind) {
    case 'integer':
      return `integer (${type.size})`;
    case 'decimal': {
      const seps =
        type.decimalSeparator !== '.' || type.groupSeparator !== ''
          ? ` ('${type.decimalSeparator}' decimals${type.groupSeparator === '' ? '' : `, '${type.groupSeparator}' groups`})`
          : '';
      return `decimal(${type.precision},${type.scale})${seps}`;
    }
    case 'date':
      return `date ${type.format}`;
    case 'datetime':
      return `datetime ${type.format}${type.offset ? ' with offset' : ''}`;
    case 'time':
      return `time ${type.format}`;
    case 'text':
      return `text ≤ ${type.maxLength}`;
    default:
      return type.kind;
  }
}

function show(value: unknown): string {
  if (value === null) return 'none';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function pct(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** Runs `refdata detect FILE`. */
export async function detectCommand({ ctx, opts }: CommandEnv, file: string): Promise<number> {
  const { out, config } = ctx;
  const { path } = await inputFile(ctx, file);
  const overrides = formatOverridesFrom(opts);
  const format: FormatInfo = await detectFormat(path, {
    sampleRows: config.ingest.typeSampleRows,
    inferTypes: config.ingest.typeInference,
    ...(overrides === undefined ? {} : { overrides }),
  });
  assertTypeFlagsKnown(format, overrides?.columnTypes, basename(path));
  if (opts.json === true) {
    out.json(format);
    return 0;
  }
  const decisions: [string, { value: unknown; confidence: number; reason: string; overridden: boolean }][] = [
    ['encoding', format.encoding],
    ['line terminator', format.lineTerminator],
    ['delimiter', format.delimiter],
    ['quote', format.quote],
    ['escape', format.escape],
    ['padding dropped', format.trim],
    ['preamble lines', format.preambleLines],
    ['header rows', format.headerRows],
    ['footer lines', format.footer],
  ];
  out.line(out.paint.bold(path));
  out.table(
    ['decision', 'value', 'confidence', 'reason'],
    decisions.map(([name, d]) => [name, show(d.value), d.overridden ? 'override' : pct(d.confidence), d.reason]),
  );
  out.line(
    `BOM: ${format.bom ? 'yes' : 'no'} · null tokens: ${format.nullTokens
      .map((t) => JSON.stringify(t))
      .join(
        ' ',
      )} · sample: ${format.sample.rows} rows, ${format.sample.bytes} bytes${format.sample.wholeFile ? ' (whole file)' : ''}`,
  );
  out.table(
    ['#', 'column', 'header', 'type', 'nullable', 'confidence', 'reason'],
    format.columns.map((c) => [
      c.index + 1,
      c.name,
      c.rawName === c.name ? '' : c.rawName,
      describeColumnType(c.type),
      c.nullable ? 'yes' : 'no',
      pct(c.confidence),
      c.reason,
    ]),
  );
  for (const w of format.warnings) out.line(`${out.paint.yellow('warning')} ${w}`);
  return 0;
}
