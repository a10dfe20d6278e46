/**
 * How any failure of an ingestion becomes an {@link IngestError}: keyed by the error codes the
 * other packages export (`DbErrorCode`, `DetectErrorCode`) and by the stage that failed, with the
 * original kept as `cause`. Messages name the file as it arrived, never its working path.
 */
import { basename } from 'node:path';
import { DbErrorCode, type RejectedRow } from '@refdata/db';
import { DetectErrorCode } from '@refdata/detect';
import { codeOf, IngestError, IngestErrorCode, isIngestError } from './errors.js';
import { rejectsToCsv } from './rejects-csv.js';

/** What an ingestion was doing when it failed: detecting, reading the file, or using the database. @internal */
export type IngestStage = 'detect' | 'read' | 'db';

/** The error of a file with more bad rows than `maxErrors`, with the rejects report. @internal */
export function tooManyRejects(
  { file, name }: { readonly file: string; readonly name: string },
  table: string,
  rejected: number,
  maxErrors: number,
  rejects: readonly RejectedRow[],
): IngestError {
  const first = rejects[0];
  const example =
    first === undefined
      ? ''
      : ` First: line ${first.line}${first.column === undefined ? '' : `, column ${first.column}`}: ${first.reason}.`;
  return new IngestError(
    IngestErrorCode.TOO_MANY_REJECTS,
    `${rejected} row(s) of ${name} were rejected and maxErrors is ${maxErrors}; table ${table} is unchanged.${example} Fix the rows listed in the rejects report, or raise maxErrors to load the good rows.`,
    { file, table, details: { rejected, maxErrors }, rejects, rejectsCsv: rejectsToCsv(rejects) ?? '' },
  );
}

/** Node's file-system codes that mean the file cannot be read. */
const FS_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EMFILE', 'ENFILE', 'EBUSY', 'ELOOP']);
/** Node's worker-thread codes (and the batch source's own) that mean the parse worker died. */
const WORKER_CODES = new Set(['WORKER_EXIT', 'ERR_WORKER_OUT_OF_MEMORY', 'ERR_WORKER_INIT_FAILED']);
const MALFORMED_CODES = new Set<string>([
  DetectErrorCode.UnclosedQuote,
  DetectErrorCode.FieldTooLarge,
  DetectErrorCode.InvalidEncoding,
]);
const DB_UNAVAILABLE_CODES = new Set<string>([
  DbErrorCode.UNAVAILABLE,
  DbErrorCode.LOCKED,
  DbErrorCode.CLOSED,
  DbErrorCode.DRIVER_MISSING,
]);

/**
 * A wrapped error's message with the file's working path (a watcher's `processing/42--x.csv`)
 * replaced by the name the file arrived under: messages name the file the operator dropped.
 */
function asDroppedName(message: string, file: string, name: string): string {
  if (basename(file) === name) return message;
  return message.split(file).join(name).split(basename(file)).join(name);
}

/** Wraps any failure as an {@link IngestError}, keeping the original as `cause`. @internal */
export function toIngestError(
  err: unknown,
  stage: IngestStage,
  where: {
    readonly file: string;
    /** The file's name for messages. @default the path's base name */
    readonly name?: string;
    readonly table?: string;
    readonly signal?: AbortSignal | undefined;
  },
): IngestError {
  if (isIngestError(err)) return err;
  const context = { file: where.file, ...(where.table === undefined ? {} : { table: where.table }), cause: err };
  const name = where.name ?? basename(where.file);
  const code = codeOf(err) ?? '';
  const message = asDroppedName(err instanceof Error ? err.message : String(err), where.file, name);
  if (where.signal?.aborted) {
    const reason: unknown = where.signal.reason;
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
    return new IngestError(
      IngestErrorCode.CANCELLED,
      `Ingestion of ${name} was cancelled (${why}); the table is unchanged.`,
      context,
    );
  }
  if (code === DetectErrorCode.ReadFailed) {
    // detect's message already names the file and says what to check.
    return new IngestError(IngestErrorCode.FILE_UNREADABLE, message, context);
  }
  if (FS_CODES.has(code)) {
    return new IngestError(
      IngestErrorCode.FILE_UNREADABLE,
      `Cannot read ${name} (${code}); check that it exists and is readable by this process.`,
      context,
    );
  }
  if (WORKER_CODES.has(code)) {
    return new IngestError(
      IngestErrorCode.WORKER_FAILED,
      `Parsing ${name} on the worker thread stopped (${code}: ${message}). Retry; if it persists (e.g. extremely large fields), create the ingestor with parseInWorker: false.`,
      context,
    );
  }
  if (code.startsWith('DB_')) {
    const transient = (err as { transient?: unknown }).transient === true;
    if (DB_UNAVAILABLE_CODES.has(code) || transient) {
      return new IngestError(
        IngestErrorCode.DB_UNAVAILABLE,
        `The database is not available (${code}: ${message}); the file can be retried later.`,
        context,
      );
    }
    if (code === DbErrorCode.SCHEMA_MISMATCH) {
      return new IngestError(
        IngestErrorCode.SCHEMA_DRIFT,
        `The columns of ${name} do not fit table ${where.table ?? ''} (${message}).`,
        context,
      );
    }
    return new IngestError(
      IngestErrorCode.DB_FAILED,
      `The database refused the load of ${name} (${code}: ${message}).`,
      context,
    );
  }
  if (code.startsWith('DETECT_')) {
    const details =
      typeof (err as { line?: unknown }).line === 'number' ? { details: { line: (err as { line: number }).line } } : {};
    if (MALFORMED_CODES.has(code)) {
      return new IngestError(IngestErrorCode.FILE_MALFORMED, `${name} is malformed (${code}): ${message}`, {
        ...context,
        ...details,
      });
    }
    if (code === DetectErrorCode.InvalidOption) {
      return new IngestError(IngestErrorCode.OPTIONS_INVALID, `Invalid format override for ${name}: ${message}`, {
        ...context,
        ...details,
      });
    }
  }
  if (stage === 'detect') {
    return new IngestError(
      IngestErrorCode.FORMAT_UNDETECTABLE,
      `Cannot detect the format of ${name}${code ? ` (${code})` : ''}: ${message} If you know the format, pass format overrides (delimiter, quote, header, encoding).`,
      context,
    );
  }
  if (stage === 'read') {
    return new IngestError(
      IngestErrorCode.FILE_MALFORMED,
      `${name} cannot be read to the end${code ? ` (${code})` : ''}: ${message} Fix the file and drop it again.`,
      context,
    );
  }
  return new IngestError(IngestErrorCode.DB_FAILED, `The load of ${name} failed: ${message}`, context);
}
