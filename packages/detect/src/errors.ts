/**
 * Typed errors of @refdata/detect. Callers branch on {@link DetectError.code} (or use
 * {@link isDetectError}), never on the message text.
 */

/**
 * Stable error codes of @refdata/detect.
 *
 * @example
 * ```ts
 * if (isDetectError(err) && err.code === DetectErrorCode.InvalidEncoding) console.error(err.line);
 * ```
 */
export const DetectErrorCode = {
  /** The input has no bytes (or only a byte-order mark / whitespace). */
  EmptyFile: 'DETECT_EMPTY_FILE',
  /** The input looks like binary data (NUL bytes, control characters), not text. */
  BinaryFile: 'DETECT_BINARY_FILE',
  /** No consistent delimited-text structure could be found. */
  Undetectable: 'DETECT_UNDETECTABLE',
  /**
   * No longer thrown (kept so that code branching on it still compiles): a quote that nothing
   * closes is read as a literal character and its record is marked `unclosedQuote`.
   * @deprecated
   */
  UnclosedQuote: 'DETECT_UNCLOSED_QUOTE',
  /** A field is longer than the configured maximum field size. */
  FieldTooLarge: 'DETECT_FIELD_TOO_LARGE',
  /** The bytes are not valid in the detected (or requested) encoding. */
  InvalidEncoding: 'DETECT_INVALID_ENCODING',
  /** An option or override is invalid (e.g. an empty delimiter). */
  InvalidOption: 'DETECT_INVALID_OPTION',
  /** The input file could not be read (missing, a directory, no permission). */
  ReadFailed: 'DETECT_READ_FAILED',
  /** More rows were rejected than the caller tolerates (convertFile's maxErrors). */
  TooManyRejects: 'DETECT_TOO_MANY_REJECTS',
  /** The operation was cancelled through its AbortSignal. */
  Aborted: 'DETECT_ABORTED',
} as const;

/** One of the values of {@link DetectErrorCode}. */
export type DetectErrorCode = (typeof DetectErrorCode)[keyof typeof DetectErrorCode];

/** Extra facts an error can carry. */
export interface DetectErrorDetails {
  /** One-based physical line where the problem starts, when known. */
  readonly line?: number;
  /** The file the error is about, when known. */
  readonly file?: string;
}

/**
 * The one error class of @refdata/detect. `code` is stable; `message` says what was expected,
 * what arrived and what to do.
 *
 * @example
 * ```ts
 * try { await detectFormat('x.csv'); } catch (err) {
 *   if (isDetectError(err) && err.code === 'DETECT_BINARY_FILE') skip();
 * }
 * ```
 */
export class DetectError extends Error {
  override readonly name: string = 'DetectError';
  /** Stable code, see {@link DetectErrorCode}. */
  readonly code: DetectErrorCode;
  /** One-based physical line where the problem starts, when known. */
  readonly line: number | undefined;
  /** The file the error is about, when known. */
  readonly file: string | undefined;

  constructor(code: DetectErrorCode, message: string, details: DetectErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.line = details.line;
    this.file = details.file;
  }
}

const CODES: ReadonlySet<string> = new Set(Object.values(DetectErrorCode));

/**
 * True when `err` is a {@link DetectError} (also across bundle copies: it checks the code, not
 * only the prototype).
 *
 * @example
 * ```ts
 * if (isDetectError(err)) log.warn({ code: err.code, line: err.line }, err.message);
 * ```
 */
export function isDetectError(err: unknown): err is DetectError {
  if (err instanceof DetectError) return true;
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'DetectError' &&
    CODES.has(String((err as { code?: unknown }).code))
  );
}
