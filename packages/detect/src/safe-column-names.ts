/**
 * Safe SQL column names from raw header text.
 */

/** Longest column name SQL Server accepts (sysname is NVARCHAR(128)). */
export const MAX_COLUMN_NAME_LENGTH = 128;

// C0 and C1 controls, DEL, the Unicode line/paragraph separators and the BOM/zero-width no-break space.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]+/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SPACES = /\s+/gu;
// Names the database layer keeps for itself inside staging tables.
const RESERVED: ReadonlySet<string> = new Set(['__refdata_line']);

function cut(name: string, max: number): string {
  if (name.length <= max) return name;
  let end = max;
  const code = name.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // never split a surrogate pair
  return name.slice(0, end).trimEnd();
}

/**
 * Cleans one raw header text: NFC, control characters and runs of whitespace become one space,
 * unpaired surrogates become U+FFFD, trimmed, cut to {@link MAX_COLUMN_NAME_LENGTH} characters.
 * Returns `''` when nothing is left (callers then use `col_N`).
 *
 * @example
 * ```ts
 * cleanColumnName('  Unit\tprice\n(EUR) '); // 'Unit price (EUR)'
 * ```
 */
export function cleanColumnName(raw: string): string {
  const text = raw.normalize('NFC').replace(LONE_SURROGATE, '\ufffd').replace(CONTROL, ' ').replace(SPACES, ' ').trim();
  return cut(text, MAX_COLUMN_NAME_LENGTH);
}

/**
 * Turns raw header texts into safe SQL column names: each is cleaned with
 * {@link cleanColumnName}; an empty one becomes `col_N` (N is the one-based position); names
 * are made unique case-insensitively by appending `_2`, `_3`, … (cut so the result still fits in
 * 128 characters).
 *
 * @example
 * ```ts
 * safeColumnNames(['Code', 'code', '', ' Name ']); // ['Code', 'code_2', 'col_3', 'Name']
 * ```
 */
export function safeColumnNames(rawNames: readonly string[]): string[] {
  const cleaned = rawNames.map((raw, i) => cleanColumnName(raw) || `col_${i + 1}`);
  // Reserve every cleaned name first, so a later real `code_2` keeps its own name where possible.
  const taken = new Set<string>();
  const firstOwner = new Map<string, number>();
  cleaned.forEach((name, i) => {
    const key = name.toLowerCase();
    if (!firstOwner.has(key) && !RESERVED.has(key)) firstOwner.set(key, i);
  });
  const out: string[] = [];
  for (let i = 0; i < cleaned.length; i += 1) {
    const name = cleaned[i]!;
    const key = name.toLowerCase();
    if (firstOwner.get(key) === i) {
      out.push(name);
      taken.add(key);
      continue;
    }
    let n = 2;
    for (;;) {
      const suffix = `_${n}`;
      const candidate = `${cut(name, MAX_COLUMN_NAME_LENGTH - suffix.length)}${suffix}`;
      const candidateKey = candidate.toLowerCase();
      if (!taken.has(candidateKey) && !firstOwner.has(candidateKey) && !RESERVED.has(candidateKey)) {
        out.push(candidate);
        taken.add(candidateKey);
        break;
      }
      n += 1;
    }
  }
  return out;
}
