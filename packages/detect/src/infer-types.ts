/**
 * Lossless column type inference from sample values.
 * @internal
 */
import { hasLeadingZero, integerSize, isIntegerText, parseDecimalParts } from './numbers.js';
import { compileTemporal } from './temporal.js';
import type { ColumnType } from './types.js';

/** Inference settings. @internal */
export interface InferOptions {
  readonly nullTokens: ReadonlySet<string>;
  /** The field delimiter: a comma delimiter rules out decimal commas. */
  readonly delimiter: string;
  readonly dateOrder?: 'DMY' | 'MDY' | 'YMD' | undefined;
}

/** The inferred type of one column. @internal */
export interface InferredColumn {
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly confidence: number;
  readonly reason: string;
  readonly warning?: string;
}

const BOOL_FAMILIES: readonly (readonly [string, string])[] = [
  ['true', 'false'],
  ['yes', 'no'],
];
const PLAIN_NUMBER_RE = /^[-+]?\d+([.,]\d+)?$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE_RE = /^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})$/;
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?$/;
const DATETIME_RE =
  /^(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})([T ])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

interface DecimalConfig {
  readonly decimalSeparator: '.' | ',';
  readonly groupSeparator: '' | ',' | '.' | ' ' | "'";
  maxInt: number;
  scale: number;
  alive: boolean;
  /** Values that read differently under another live config are tracked through `signature`. */
  signature: string[];
}

interface DateShape {
  ymd: boolean;
  sep: string;
  padded: boolean;
  maxA: number;
  maxB: number;
}

function dateShapeOf(
  a: string,
  sep: string,
  b: string,
  c: string,
): (Omit<DateShape, 'maxA' | 'maxB'> & { a: number; b: number }) | null {
  if (a.length === 4 && c.length <= 2) {
    return { ymd: true, sep, padded: b.length === 2 && c.length === 2, a: Number(b), b: Number(c) };
  }
  if (c.length === 4 && a.length <= 2) {
    return { ymd: false, sep, padded: a.length === 2 && b.length === 2, a: Number(a), b: Number(b) };
  }
  return null;
}

function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
}

/**
 * Infers the most specific lossless type of a column from its sample values.
 * @internal
 */
export function inferColumn(values: readonly string[], options: InferOptions): InferredColumn {
  const { nullTokens } = options;
  let nonNull = 0;
  let nulls = 0;
  let maxLength = 0;
  // Candidates, each with the first value that ruled it out.
  let boolFamily = -1;
  let boolAlive = true;
  let intAlive = true;
  let intSize: 'int' | 'bigint' = 'int';
  let intOverflow = false;
  let leadingZeroExample: string | undefined;
  let decAlive = true;
  const configs: DecimalConfig[] = [
    { decimalSeparator: '.', groupSeparator: '', maxInt: 0, scale: 0, alive: true, signature: [] },
    { decimalSeparator: '.', groupSeparator: ',', maxInt: 0, scale: 0, alive: true, signature: [] },
    { decimalSeparator: '.', groupSeparator: ' ', maxInt: 0, scale: 0, alive: true, signature: [] },
    { decimalSeparator: '.', groupSeparator: "'", maxInt: 0, scale: 0, alive: true, signature: [] },
    { decimalSeparator: ',', groupSeparator: '', maxInt: 0, scale: 0, alive: options.delimiter !== ',', signature: [] },
    {
      decimalSeparator: ',',
      groupSeparator: '.',
      maxInt: 0,
      scale: 0,
      alive: options.delimiter !== ',',
      signature: [],
    },
    {
      decimalSeparator: ',',
      groupSeparator: ' ',
      maxInt: 0,
      scale: 0,
      alive: options.delimiter !== ',',
      signature: [],
    },
  ];
  let sawFraction = false;
  let dateAlive = true;
  let dateShape: DateShape | undefined;
  let timeAlive = true;
  let timeSig: string | undefined;
  let timeFraction = 0;
  let timePadded = true;
  let dtAlive = true;
  let dtSig: string | undefined;
  let dtShape: DateShape | undefined;
  let dtFraction = 0;
  let dtHourPadded = true;
  let uuidAlive = true;
  let firstText: string | undefined;

  for (const raw of values) {
    if (nullTokens.has(raw)) {
      nulls += 1;
      continue;
    }
    nonNull += 1;
    if (raw.length > maxLength) maxLength = raw.length;
    const v = raw.trim();
    if (v === '') {
      boolAlive = intAlive = decAlive = dateAlive = timeAlive = dtAlive = uuidAlive = false;
      firstText ??= raw;
      continue;
    }
    let matchedAny = false;
    let leadingZero = false;
    if (boolAlive) {
      const lower = v.toLowerCase();
      const family = BOOL_FAMILIES.findIndex(([t, f]) => lower === t || lower === f);
      if (family < 0 || (boolFamily >= 0 && family !== boolFamily)) boolAlive = false;
      else {
        boolFamily = family;
        matchedAny = true;
      }
    }
    const c0 = v.charCodeAt(0);
    const numeric = (c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46 || c0 === 44;
    if (intAlive) {
      if (numeric && isIntegerText(v)) {
        if (hasLeadingZero(v)) {
          intAlive = false;
          decAlive = false;
          leadingZero = true;
          leadingZeroExample ??= v;
        } else {
          const size = integerSize(v);
          if (size === null) {
            intAlive = false;
            intOverflow = true;
          } else if (size === 'bigint') intSize = 'bigint';
          matchedAny = true;
        }
      } else intAlive = false;
    }
    if (decAlive) {
      let any = false;
      if (numeric) {
        for (const cfg of configs) {
          if (!cfg.alive) continue;
          const parts = parseDecimalParts(v, cfg.decimalSeparator, cfg.groupSeparator);
          if (parts === null || parts.leadingZeros) {
            cfg.alive = false;
            if (parts?.leadingZeros) {
              leadingZero = true;
              leadingZeroExample ??= v;
            }
            continue;
          }
          any = true;
          if (parts.integer.length > cfg.maxInt) cfg.maxInt = parts.integer.length;
          if (parts.fraction.length > cfg.scale) cfg.scale = parts.fraction.length;
          if (parts.hasPoint) sawFraction = true;
          cfg.signature.push(`${parts.negative ? '-' : ''}${parts.integer}.${parts.fraction}`);
        }
      }
      if (!any) decAlive = false;
      else matchedAny = true;
    }
    if (dateAlive) {
      const m = numeric ? DATE_RE.exec(v) : null;
      const shape = m ? dateShapeOf(m[1]!, m[2]!, m[3]!, m[4]!) : null;
      if (shape === null || (dateShape && (dateShape.ymd !== shape.ymd || dateShape.sep !== shape.sep)))
        dateAlive = false;
      else {
        dateShape ??= { ymd: shape.ymd, sep: shape.sep, padded: true, maxA: 0, maxB: 0 };
        dateShape.padded &&= shape.padded;
        dateShape.maxA = Math.max(dateShape.maxA, shape.a);
        dateShape.maxB = Math.max(dateShape.maxB, shape.b);
        matchedAny = true;
      }
    }
    if (timeAlive) {
      const m = numeric ? TIME_RE.exec(v) : null;
      const sig = m ? `${m[3] !== undefined ? 's' : ''}` : undefined;
      if (!m || (timeSig !== undefined && sig !== timeSig)) timeAlive = false;
      else {
        timeSig = sig;
        if (m[1]!.length !== 2) timePadded = false;
        timeFraction = Math.max(timeFraction, m[4]?.length ?? 0);
        matchedAny = true;
      }
    }
    if (dtAlive) {
      const m = numeric ? DATETIME_RE.exec(v) : null;
      const shape = m ? dateShapeOf(m[1]!, m[2]!, m[3]!, m[4]!) : null;
      const sig = m && shape ? `${shape.ymd}|${m[2]}|${m[5]}|${m[8] !== undefined}|${m[10] !== undefined}` : undefined;
      if (!m || !shape || (dtSig !== undefined && sig !== dtSig)) dtAlive = false;
      else {
        dtSig = sig;
        dtShape ??= { ymd: shape.ymd, sep: shape.sep, padded: true, maxA: 0, maxB: 0 };
        dtShape.padded &&= shape.padded;
        dtShape.maxA = Math.max(dtShape.maxA, shape.a);
        dtShape.maxB = Math.max(dtShape.maxB, shape.b);
        if (m[6]!.length !== 2) dtHourPadded = false;
        dtFraction = Math.max(dtFraction, m[9]?.length ?? 0);
        matchedAny = true;
      }
    }
    if (uuidAlive) {
      if (UUID_RE.test(v)) matchedAny = true;
      else uuidAlive = false;
    }
    if (!matchedAny && !leadingZero && !PLAIN_NUMBER_RE.test(v)) firstText ??= raw;
  }

  const nullable = nulls > 0 || nonNull === 0;
  const confidence = nonNull === 0 ? 0.2 : Math.min(1, 0.5 + nonNull / 40);
  const text = (reason: string, warning?: string): InferredColumn => ({
    type: { kind: 'text', maxLength },
    nullable,
    confidence: nonNull === 0 ? 0.2 : warning ? 0.6 : confidence,
    reason,
    ...(warning ? { warning } : {}),
  });
  if (nonNull === 0) return text('text: every sampled value is empty or a null token');
  const ofN = `${nonNull} of ${nonNull} sampled values`;

  if (boolAlive && boolFamily >= 0) {
    const [t, f] = BOOL_FAMILIES[boolFamily]!;
    return { type: { kind: 'boolean' }, nullable, confidence, reason: `boolean: ${ofN} are ${t}/${f}` };
  }
  if (intAlive) {
    return {
      type: { kind: 'integer', size: intSize },
      nullable,
      confidence,
      reason: `integer (${intSize}): ${ofN} are whole numbers without leading zeros${intSize === 'bigint' ? ', some beyond 32 bits' : ''}`,
    };
  }
  if (decAlive && (sawFraction || intOverflow || configs.some((c) => c.alive && c.groupSeparator !== ''))) {
    const live = configs.filter((c) => c.alive);
    // Live configurations must agree on every value, otherwise the column is ambiguous (e.g. '1,234' alone).
    const first = live[0];
    if (first) {
      const agree = live.every((c) => c.signature.every((s, i) => s === first.signature[i]));
      const precision = Math.max(1, first.maxInt + first.scale);
      if (!agree) {
        const example = values.find((v) => v.includes(',') || v.includes('.')) ?? '';
        return text(
          `text: numbers such as ${quoted(example)} can be read with '.' or ',' as the decimal separator`,
          `column values such as ${quoted(example)} are ambiguous between decimal point and decimal comma; read as text (set the column type to decide)`,
        );
      }
      if (precision <= 38) {
        const usedGroup =
          first.signature.length > 0 &&
          values.some((v) => first.groupSeparator !== '' && v.includes(first.groupSeparator));
        const groupSeparator = usedGroup ? first.groupSeparator : '';
        return {
          type: {
            kind: 'decimal',
            precision,
            scale: first.scale,
            decimalSeparator: first.decimalSeparator,
            groupSeparator,
          },
          nullable,
          confidence,
          reason: `decimal(${precision},${first.scale}): ${ofN} are exact numbers written with '${first.decimalSeparator}' as the decimal separator${groupSeparator ? ` and '${groupSeparator}' between thousands` : ''}`,
        };
      }
      return text(`text: numbers with more than 38 digits cannot be stored exactly as decimals`);
    }
  }
  if (dateAlive && dateShape) {
    const r = resolveDate(dateShape, options.dateOrder);
    if (r.format) {
      const match = compileTemporal(r.format);
      const bad = values.find((v) => !nullTokens.has(v) && match(v.trim()) === null);
      if (bad === undefined) {
        return {
          type: { kind: 'date', format: r.format },
          nullable,
          confidence,
          reason: `date: ${ofN} match ${r.format}${r.why}`,
        };
      }
      return text(`text: ${quoted(bad)} is not a valid date in ${r.format}`);
    }
    return text(
      `text: dates such as ${quoted(values.find((v) => !nullTokens.has(v)) ?? '')} could be day/month or month/day`,
      r.warning,
    );
  }
  if (dtAlive && dtShape && dtSig) {
    const r = resolveDate(dtShape, options.dateOrder);
    if (r.format) {
      const [, , tSep, seconds, offset] = dtSig.split('|');
      const fmt = `${r.format}${tSep}${dtHourPadded ? 'HH' : 'H'}:mm${seconds === 'true' ? ':ss[.S]' : ''}${offset === 'true' ? 'Z' : ''}`;
      const match = compileTemporal(fmt);
      const bad = values.find((v) => !nullTokens.has(v) && match(v.trim()) === null);
      if (bad === undefined && dtFraction <= 7) {
        return {
          type: { kind: 'datetime', format: fmt, offset: offset === 'true', fractionDigits: dtFraction },
          nullable,
          confidence,
          reason: `datetime: ${ofN} match ${fmt}${r.why}`,
        };
      }
      if (bad !== undefined) return text(`text: ${quoted(bad)} is not a valid date-time in ${fmt}`);
      return text('text: more than 7 fraction digits of a second cannot be stored exactly');
    }
    return text(
      `text: date-times such as ${quoted(values.find((v) => !nullTokens.has(v)) ?? '')} could be day/month or month/day`,
      r.warning,
    );
  }
  if (timeAlive && timeSig !== undefined && timeFraction <= 7) {
    const fmt = `${timePadded ? 'HH' : 'H'}:mm${timeSig === 's' ? ':ss[.S]' : ''}`;
    const match = compileTemporal(fmt);
    const bad = values.find((v) => !nullTokens.has(v) && match(v.trim()) === null);
    if (bad === undefined) {
      return {
        type: { kind: 'time', format: fmt, fractionDigits: timeFraction },
        nullable,
        confidence,
        reason: `time: ${ofN} match ${fmt}`,
      };
    }
    return text(`text: ${quoted(bad)} is not a valid time of day`);
  }
  if (uuidAlive) return { type: { kind: 'uuid' }, nullable, confidence, reason: `uuid: ${ofN} are UUIDs` };
  if (leadingZeroExample !== undefined && firstText === undefined) {
    return text(`text: ${quoted(leadingZeroExample)} has leading zeros (a code, which a number would lose)`);
  }
  return text(
    `text: values such as ${quoted(firstText ?? values.find((v) => !nullTokens.has(v)) ?? '')} are not numbers, dates or booleans; longest ${maxLength} characters`,
  );
}

function resolveDate(
  shape: DateShape,
  order: 'DMY' | 'MDY' | 'YMD' | undefined,
): { format?: string; why: string; warning?: string } {
  const d = shape.padded ? 'DD' : 'D';
  const m = shape.padded ? 'MM' : 'M';
  const s = shape.sep;
  if (shape.ymd) return { format: `YYYY${s}${m}${s}${d}`, why: '' };
  if (shape.maxA > 12 && shape.maxB > 12) return { why: '' };
  if (shape.maxA > 12)
    return { format: `${d}${s}${m}${s}YYYY`, why: ` (a first part above 12 decides day/month order)` };
  if (shape.maxB > 12)
    return { format: `${m}${s}${d}${s}YYYY`, why: ` (a second part above 12 decides month/day order)` };
  if (order === 'DMY') return { format: `${d}${s}${m}${s}YYYY`, why: ' (day/month order from the dateOrder setting)' };
  if (order === 'MDY') return { format: `${m}${s}${d}${s}YYYY`, why: ' (month/day order from the dateOrder setting)' };
  return {
    why: '',
    warning:
      'dates where neither part exceeds 12 are ambiguous between day/month and month/day; read as text (set dateOrder to decide)',
  };
}
