/**
 * Encoding detection from bytes and streaming decoders (TextDecoder for UTF-8/UTF-16,
 * iconv-lite for the single-byte code pages). A byte-order mark is never part of the text.
 * @internal
 */
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import {
  CENTRAL_EUROPEAN_CODE_PAGES,
  CYRILLIC_CODE_PAGES,
  centralEuropeanCodePage,
  cyrillicCodePage,
} from './code-page.js';
import { DetectError, DetectErrorCode } from './errors.js';
import type { Encoding } from './types.js';

/** What the bytes say about their encoding. @internal */
export interface EncodingGuess {
  readonly encoding: Encoding;
  readonly bom: boolean;
  /** Length of the byte-order mark in bytes (0 when none). */
  readonly bomLength: number;
  readonly confidence: number;
  readonly reason: string;
  /**
   * Set when the bytes are UTF-8 except for a few invalid sequences (a damaged file, or one that
   * mixes encodings): reading them as a single-byte code page would garble every valid character.
   */
  readonly damagedUtf8?: { readonly line: number; readonly validSequences: number; readonly invalidBytes: number };
  /** Set when the first 4,096 bytes hold a few NUL bytes (read as characters of the values). */
  readonly nulBytes?: { readonly count: number; readonly line: number };
}

/** Share of NUL bytes in the first 4,096 bytes above which a file without a UTF-16 pattern is binary. */
const MAX_NUL_SHARE = 0.01;
/** NUL bytes that make even a short file binary. */
const MIN_NUL_BINARY = 3;

const MAGIC: readonly (readonly [readonly number[], string])[] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (an Excel .xlsx or OpenDocument file?); save it as CSV first'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an OLE2 document (an Excel .xls file?); save it as CSV first'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0x1f, 0x8b], 'a gzip archive; decompress it first'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

/** Valid UTF-8; a sequence cut by the end of a sample that is not the whole file is fine. */
function isValidUtf8(bytes: Uint8Array, complete: boolean): boolean {
  if (complete) return isUtf8(bytes);
  // Drop an incomplete sequence at the end (at most 3 bytes) before validating.
  let cut = bytes.length;
  for (let back = 1; back <= 3 && bytes.length - back >= 0; back += 1) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > back) cut = bytes.length - back;
    break;
  }
  return isUtf8(bytes.subarray(0, cut));
}

/** Where UTF-8 goes wrong in `bytes`: valid multi-byte sequences, invalid bytes, first bad offset. */
function scanUtf8(
  bytes: Uint8Array,
  complete: boolean,
): { validSequences: number; invalidBytes: number; firstInvalid: number } {
  let validSequences = 0;
  let invalidBytes = 0;
  let firstInvalid = -1;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    }
    let ok = need > 0;
    let j = 1;
    for (; ok && j <= need; j += 1) {
      if (i + j >= n) {
        if (!complete) return { validSequences, invalidBytes, firstInvalid };
        ok = false;
        break;
      }
      const c = bytes[i + j]!;
      if (j === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) ok = false;
    }
    if (ok) {
      validSequences += 1;
      i += need + 1;
    } else {
      invalidBytes += 1;
      if (firstInvalid < 0) firstInvalid = i;
      i += 1;
    }
  }
  return { validSequences, invalidBytes, firstInvalid };
}

/**
 * Where the first invalid UTF-8 sequence starts in a chunk of a stream and how many line breaks
 * precede it (leading continuation bytes finish a character begun in the previous chunk).
 * @internal
 */
export function firstInvalidUtf8(chunk: Uint8Array): { offset: number; lineBreaks: number } {
  let start = 0;
  while (start < 3 && start < chunk.length && (chunk[start]! & 0xc0) === 0x80) start += 1;
  const found = scanUtf8(chunk.subarray(start), false).firstInvalid;
  const offset = found < 0 ? chunk.length : start + found;
  return { offset, lineBreaks: lineAt(chunk, offset) - 1 };
}

/** One-based line of byte `offset` (LF, CRLF and CR each end a line). @internal */
export function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) {
    const b = bytes[i];
    if (b === 10) line += 1;
    else if (b === 13 && bytes[i + 1] !== 10) line += 1;
  }
  return line;
}

/**
 * Decides the encoding of a sample. Throws DETECT_BINARY_FILE for bytes that are not text.
 * @internal
 */
export function detectEncoding(bytes: Uint8Array, wholeFile: boolean): EncodingGuess {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { encoding: 'utf-8', bom: true, bomLength: 3, confidence: 1, reason: 'UTF-8 byte-order mark' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { encoding: 'utf-16le', bom: true, bomLength: 2, confidence: 1, reason: 'UTF-16 LE byte-order mark' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { encoding: 'utf-16be', bom: true, bomLength: 2, confidence: 1, reason: 'UTF-16 BE byte-order mark' };
  }
  for (const [magic, what] of MAGIC) {
    if (startsWith(bytes, magic)) {
      throw new DetectError(DetectErrorCode.BinaryFile, `The file is ${what}, not delimited text.`);
    }
  }
  // UTF-16 without a BOM: NUL bytes in alternating positions.
  const probe = Math.min(bytes.length, 4096);
  let evenZero = 0;
  let oddZero = 0;
  let controls = 0;
  for (let i = 0; i < probe; i += 1) {
    const b = bytes[i]!;
    if (b === 0) {
      if (i % 2 === 0) evenZero += 1;
      else oddZero += 1;
    } else if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) controls += 1;
  }
  const half = probe / 2;
  if (probe >= 4 && oddZero > half * 0.6 && evenZero < half * 0.05) {
    return {
      encoding: 'utf-16le',
      bom: false,
      bomLength: 0,
      confidence: 0.9,
      reason: 'UTF-16 LE without BOM (every other byte is zero)',
    };
  }
  if (probe >= 4 && evenZero > half * 0.6 && oddZero < half * 0.05) {
    return {
      encoding: 'utf-16be',
      bom: false,
      bomLength: 0,
      confidence: 0.9,
      reason: 'UTF-16 BE without BOM (every other byte is zero)',
    };
  }
  // A few NUL bytes in text (an exporter's empty value, a padded field) do not make it binary;
  // binary data has them by the hundred, or control bytes everywhere.
  const nul = evenZero + oddZero;
  if (nul > Math.max(MIN_NUL_BINARY, probe * MAX_NUL_SHARE) || controls > probe * 0.1) {
    throw new DetectError(
      DetectErrorCode.BinaryFile,
      `The file contains ${nul} NUL bytes and ${controls} other control bytes in its first ${probe} bytes; it is binary data, not delimited text. Export it as CSV, or set the encoding override if it is UTF-16 text.`,
    );
  }
  const nulBytes = nul > 0 ? { nulBytes: { count: nul, line: lineAt(bytes, bytes.indexOf(0)) } } : {};
  const guess = guessTextEncoding(bytes, wholeFile);
  return { ...guess, ...nulBytes };
}

/**
 * The encoding of the first non-ASCII chunk of a stream read as UTF-8 because its sample was
 * ASCII only: UTF-8 (valid or damaged) or a single-byte code page, by the same rules as the
 * sample's. @internal
 */
export function guessChunkEncoding(chunk: Uint8Array): { encoding: Encoding; reason: string } {
  const guess = guessTextEncoding(chunk, false);
  return { encoding: guess.encoding, reason: guess.reason };
}

/** The encoding of bytes that are text (no byte-order mark, not UTF-16). */
function guessTextEncoding(bytes: Uint8Array, wholeFile: boolean): EncodingGuess {
  if (isAscii(bytes)) {
    return { encoding: 'utf-8', bom: false, bomLength: 0, confidence: 1, reason: 'ASCII only (read as UTF-8)' };
  }
  let high = 0;
  let c1 = 0;
  let undefined1252 = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i]!;
    if (b >= 0x80) {
      high += 1;
      if (b <= 0x9f) {
        c1 += 1;
        if (b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d) undefined1252 += 1;
      }
    }
  }
  if (high === 0) {
    return { encoding: 'utf-8', bom: false, bomLength: 0, confidence: 1, reason: 'ASCII only (read as UTF-8)' };
  }
  if (isValidUtf8(bytes, wholeFile)) {
    return {
      encoding: 'utf-8',
      bom: false,
      bomLength: 0,
      confidence: 0.99,
      reason: `valid UTF-8 with ${high} non-ASCII bytes`,
    };
  }
  // Mostly valid UTF-8 with a few bad bytes: a damaged UTF-8 file, not a single-byte code page
  // (in Windows-1252 text a byte above 0x7F is almost never followed by valid continuation bytes).
  const scan = scanUtf8(bytes, wholeFile);
  if (scan.firstInvalid >= 0 && scan.validSequences >= 2 && scan.validSequences >= 4 * scan.invalidBytes) {
    return {
      encoding: 'utf-8',
      bom: false,
      bomLength: 0,
      confidence: 0.5,
      reason: `UTF-8 (${scan.validSequences} valid multi-byte characters) with ${scan.invalidBytes} invalid byte(s)`,
      damagedUtf8: {
        line: lineAt(bytes, scan.firstInvalid),
        validSequences: scan.validSequences,
        invalidBytes: scan.invalidBytes,
      },
    };
  }
  const cyrillic = cyrillicCodePage(bytes);
  if (cyrillic !== undefined) return { ...cyrillic, bom: false, bomLength: 0 };
  const central = centralEuropeanCodePage(bytes);
  if (central !== undefined) return { ...central, bom: false, bomLength: 0 };
  if (undefined1252 > 0) {
    return {
      encoding: 'iso-8859-1',
      bom: false,
      bomLength: 0,
      confidence: 0.6,
      reason: `not valid UTF-8, and ${undefined1252} bytes are undefined in Windows-1252; read as ISO-8859-1`,
    };
  }
  return {
    encoding: 'windows-1252',
    bom: false,
    bomLength: 0,
    confidence: c1 > 0 ? 0.9 : 0.8,
    reason: `not valid UTF-8; ${high} bytes above 0x7F read as Windows-1252${c1 > 0 ? ` (${c1} in 0x80–0x9F, such as € or curly quotes)` : ''}`,
  };
}

/** A streaming decoder. @internal */
export interface TextChunkDecoder {
  write(chunk: Uint8Array): string;
  end(): string;
}

const ICONV_NAMES: Partial<Record<Encoding, string>> = {
  'windows-1252': 'win1252',
  'iso-8859-1': 'latin1',
  ...CYRILLIC_CODE_PAGES,
  ...CENTRAL_EUROPEAN_CODE_PAGES,
};

function invalid(encoding: Encoding, cause: unknown): DetectError {
  return new DetectError(
    DetectErrorCode.InvalidEncoding,
    `The bytes are not valid ${encoding}; set the encoding override (for example 'windows-1252') if the file was saved in another encoding.`,
    {},
    { cause },
  );
}

/**
 * Creates a streaming decoder that strips a leading byte-order mark.
 * @internal
 */
export function createDecoder(encoding: Encoding): TextChunkDecoder {
  const iconvName = ICONV_NAMES[encoding];
  if (iconvName !== undefined) {
    const decoder = iconv.getDecoder(iconvName);
    return {
      write: (chunk) =>
        decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
      end: () => decoder.end() ?? '',
    };
  }
  const decoder = new TextDecoder(encoding, { fatal: encoding === 'utf-8', ignoreBOM: false });
  return {
    write: (chunk) => {
      try {
        return decoder.decode(chunk, { stream: true });
      } catch (err) {
        throw invalid(encoding, err);
      }
    },
    end: () => {
      try {
        return decoder.decode();
      } catch (err) {
        throw invalid(encoding, err);
      }
    },
  };
}

/** Decodes a whole byte array (BOM stripped). @internal */
export function decodeAll(bytes: Uint8Array, encoding: Encoding, final: boolean): string {
  const decoder = createDecoder(encoding);
  const text = decoder.write(bytes);
  return final ? text + decoder.end() : text;
}
