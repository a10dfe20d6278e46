/**
 * Whether spaces around fields are padding (`id , name` or `1, "Smith, J", Paris`): decided from
 * the sampled records, so that header and values are treated alike and a quote after the padding
 * opens a quoted field.
 * @internal
 */
import { decision } from './decision.js';
import type { Dialect } from './tokenizer.js';
import type { Decision, SourceRecord } from './types.js';

/** Records looked at. */
const LOOK = 400;

/**
 * Padding when most fields after a delimiter start with a space, when most fields before one
 * end with spaces (columns aligned in a text editor), or when quoted values follow a space
 * (`, "x"`), which only padding explains. Never for a space delimiter. @internal
 */
export function decidePadding(records: readonly SourceRecord[], dialect: Dialect): Decision<boolean> {
  if (dialect.delimiter.trim() === '')
    return decision(
      false,
      0.9,
      `${dialect.delimiter.includes('\t') ? 'tabs' : 'spaces'} delimit the fields; spaces around them are not padding`,
    );
  const quote = dialect.quote;
  let afterFields = 0;
  let after = 0;
  let beforeFields = 0;
  let before = 0;
  let quotedAfterPad = 0;
  const n = Math.min(records.length, LOOK);
  for (let i = 0; i < n; i += 1) {
    const fields = records[i]!.fields;
    if (fields.length < 2) continue;
    for (let c = 0; c < fields.length; c += 1) {
      const f = fields[c]!;
      if (f.trim() === '') continue;
      if (c > 0) {
        afterFields += 1;
        if (f.charCodeAt(0) === 32) {
          after += 1;
          const t = f.trimStart();
          if (quote !== null && t.length >= 2 && t.startsWith(quote) && t.trimEnd().endsWith(quote))
            quotedAfterPad += 1;
        }
      }
      if (c < fields.length - 1) {
        beforeFields += 1;
        if (f.charCodeAt(f.length - 1) === 32) before += 1;
      }
    }
  }
  const share = (k: number, of: number): number => (of === 0 ? 0 : k / of);
  const afterShare = share(after, afterFields);
  const beforeShare = share(before, beforeFields);
  const pct = (x: number): string => `${Math.round(100 * x)}%`;
  if (quotedAfterPad >= 2 || afterShare >= 0.5 || beforeShare >= 0.5) {
    const why = [
      afterShare >= 0.5 ? `${pct(afterShare)} of the fields after a delimiter start with a space` : '',
      beforeShare >= 0.5 ? `${pct(beforeShare)} of the fields before a delimiter end with spaces` : '',
      quotedAfterPad >= 2 ? `${quotedAfterPad} quoted values follow a space (, "x")` : '',
    ].filter((w) => w !== '');
    return decision(true, 0.8, `spaces around fields are padding and are dropped: ${why.join('; ')}`);
  }
  return decision(
    false,
    afterShare + beforeShare === 0 ? 0.9 : 0.7,
    after + before === 0
      ? 'no spaces around fields'
      : `spaces around fields are kept as data (${pct(afterShare)} after and ${pct(beforeShare)} before a delimiter)`,
  );
}
