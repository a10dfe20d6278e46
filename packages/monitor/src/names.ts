/** The monitor's names: ignored names and markers, `processing/` and pending names, final names, sidecar suffixes. */
import { createHash, randomBytes } from 'node:crypto';
import { extname } from 'node:path';

/** Longest file name (in UTF-8 bytes) on the file systems we care about. */
const NAME_MAX_BYTES = 255;
/** Bytes kept free in final names for sidecar suffixes such as `.error.json` or `.rejects.csv`. */
export const SIDECAR_SUFFIX_MAX_BYTES = 40;
/** Extensions longer than this are treated as part of the stem. */
const EXT_MAX_BYTES = 16;

const TEMP_SUFFIXES = ['.tmp', '.part', '.filepart'] as const;
/** Suffixes of ready markers: `NAME.done`, `NAME.ok`. */
export const MARKER_SUFFIXES: readonly string[] = ['.done', '.ok'];

/** Prefix of a file moved into `processing/` whose claim is not recorded yet. */
const PENDING_PREFIX = '.pending-';
/** Prefix of the monitor's own temporary files (a sidecar being written), before 16 hex digits and `--`. */
const TEMP_PREFIX = '.refdata-tmp-';
const TEMP_NAME = /^\.refdata-tmp-[0-9a-f]{16}--./s;

/**
 * True for names that are never data: hidden (`.*`), editor/lock files (`~*`) and files still
 * being written by tools that rename at the end (`*.tmp`, `*.part`, `*.filepart`).
 *
 * @example
 * ```ts
 * isIgnoredName('.DS_Store'); // true
 * isIgnoredName('rates.csv.part'); // true
 * isIgnoredName('rates.csv'); // false
 * ```
 */
export function isIgnoredName(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('~')) return true;
  const lower = name.toLowerCase();
  return TEMP_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/**
 * The data file a ready marker stands for (`rates.csv.done` → `rates.csv`), or null when `name`
 * is not a marker.
 *
 * @example
 * ```ts
 * markerTarget('rates.csv.ok'); // 'rates.csv'
 * markerTarget('rates.csv'); // null
 * ```
 */
export function markerTarget(name: string): string | null {
  const lower = name.toLowerCase();
  for (const suffix of MARKER_SUFFIXES) {
    if (lower.endsWith(suffix) && name.length > suffix.length) return name.slice(0, -suffix.length);
  }
  return null;
}

/** Truncates `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Splits a name into stem and extension (the extension is kept only when short). */
function splitName(name: string): { stem: string; ext: string } {
  const ext = extname(name);
  if (ext === '' || ext === name || Buffer.byteLength(ext) > EXT_MAX_BYTES) return { stem: name, ext: '' };
  return { stem: name.slice(0, -ext.length), ext };
}

/**
 * Shortens `name` to at most `maxBytes` UTF-8 bytes, keeping its extension.
 *
 * @example
 * ```ts
 * fitName('a'.repeat(300) + '.csv', 255).endsWith('.csv'); // true
 * ```
 */
export function fitName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const { stem, ext } = splitName(name);
  return truncateUtf8(stem, Math.max(1, maxBytes - Buffer.byteLength(ext))) + ext;
}

/**
 * Name of a claimed file in `processing/`: `<fileId>--<name>`. The id lets a restarted monitor
 * find the claim again.
 *
 * @example
 * ```ts
 * processingName(42, 'rates.csv'); // '42--rates.csv'
 * ```
 */
export function processingName(fileId: number, name: string): string {
  const prefix = `${fileId}--`;
  return prefix + fitName(name, NAME_MAX_BYTES - Buffer.byteLength(prefix));
}

/**
 * Parses a `processing/` name written by {@link processingName}; null when it carries no id.
 *
 * @example
 * ```ts
 * parseProcessingName('42--rates.csv'); // { fileId: 42, name: 'rates.csv' }
 * ```
 */
export function parseProcessingName(entry: string): { fileId: number; name: string } | null {
  const match = /^(\d{1,15})--(.+)$/s.exec(entry);
  if (match === null) return null;
  const fileId = Number(match[1]);
  if (!Number.isSafeInteger(fileId)) return null;
  return { fileId, name: match[2] as string };
}

/** Name for a file moved into `processing/` before its claim is recorded (hidden, dated). */
export function pendingName(name: string, now: number): string {
  const prefix = `${PENDING_PREFIX}${now.toString(36)}-${randomBytes(4).toString('hex')}--`;
  return prefix + fitName(name, NAME_MAX_BYTES - Buffer.byteLength(prefix));
}

/** Parses a name written by {@link pendingName}; null for other names. */
export function parsePendingName(entry: string): { createdAt: number; name: string } | null {
  const match = /^\.pending-([0-9a-z]+)-[0-9a-f]+--(.+)$/s.exec(entry);
  if (match === null) return null;
  return { createdAt: Number.parseInt(match[1] as string, 36), name: match[2] as string };
}

/**
 * Name of the temporary file through which `name` is written atomically, in the same folder:
 * `.refdata-tmp-<16 hex digits>--<name>`, shortened to stay within 255 bytes. Hidden (so never
 * taken as data) and unmistakable, so recovery can remove what a crash left without ever touching
 * a file of somebody else's (see {@link isTempName}).
 *
 * @example
 * ```ts
 * tempName('rates.20250101T120000Z-3fa9c2.csv.error.json'); // '.refdata-tmp-9c1e…--rates.…error.json'
 * ```
 */
export function tempName(name: string): string {
  const prefix = `${TEMP_PREFIX}${randomBytes(8).toString('hex')}--`;
  return prefix + fitName(name, NAME_MAX_BYTES - Buffer.byteLength(prefix));
}

/**
 * True for names written by {@link tempName} only: the prefix, exactly 16 lower-case hex
 * digits, `--` and a name. Other tools' temporary files (`.x.tmp`, `.x.3fa9c2d1.tmp`, rsync's
 * `.x.AbC123`) never match.
 */
export function isTempName(entry: string): boolean {
  return TEMP_NAME.test(entry);
}

/** `20250101T120000Z` for a date. */
function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll('-', '')
    .replaceAll(':', '');
}

/**
 * Name of a file in `archive/`, `failed/` or `held/`: the original stem, a UTC timestamp and a
 * short hash, then the extension (`rates.csv` → `rates.20250101T120000Z-3fa9c2.csv`). Leaves room
 * for sidecar suffixes within the 255-byte name limit.
 *
 * @example
 * ```ts
 * finalName('rates.csv', new Date('2025-01-01T12:00:00Z'), 'seed'); // 'rates.20250101T120000Z-xxxxxx.csv'
 * ```
 */
export function finalName(name: string, at: Date, seed: string): string {
  const hash = createHash('sha256').update(`${seed}\0${name}\0${at.getTime()}`).update(randomBytes(8)).digest('hex');
  const suffix = `.${compactUtc(at)}-${hash.slice(0, 6)}`;
  const { stem, ext } = splitName(name);
  const room = NAME_MAX_BYTES - SIDECAR_SUFFIX_MAX_BYTES - Buffer.byteLength(suffix) - Buffer.byteLength(ext);
  return truncateUtf8(stem, Math.max(1, room)) + suffix + ext;
}

/**
 * True when a sidecar suffix is safe to append to a final name: starts with `.`, has no path
 * separators or NUL, is not `.`-only and fits in {@link SIDECAR_SUFFIX_MAX_BYTES}.
 */
export function isSafeSidecarSuffix(suffix: string): boolean {
  return (
    suffix.length > 1 &&
    suffix.startsWith('.') &&
    !/[/\\\0]/.test(suffix) &&
    !/^\.+$/.test(suffix) &&
    Buffer.byteLength(suffix) <= SIDECAR_SUFFIX_MAX_BYTES
  );
}
